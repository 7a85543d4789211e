//! Who a [`Recipient`] of the domain is, in addresses.
//!
//! A recipient that resolves to no address is an error the dispatcher records on the row
//! (`failed`, "no address for …"): a mail is never silently dropped.

use crate::config::{MailConfig, MailConfigError, parse_address};
use lettre::Address;
use lettre::message::Mailbox as MailAddress;
use ticket_domain::escalation::Tier;
use ticket_domain::notify::{Mailbox, Recipient};
use ticket_domain::priority::Owner;
use ticket_domain::ticket::{ReporterOrigin, Ticket};
use ticket_domain::values::{EmailAddress, OrganisationId};
use ticket_store::{Store, StoreError};

/// The configured addresses, parsed once.
#[derive(Debug, Clone)]
pub struct AddressBook {
    pub from: MailAddress,
    partner_support: MailAddress,
    user_support: MailAddress,
    security: MailAddress,
    engineering: MailAddress,
    production_lead: MailAddress,
    product_lead: MailAddress,
    partner_relations_lead: MailAddress,
    supervisor: MailAddress,
}

impl AddressBook {
    pub fn from_config(config: &MailConfig) -> Result<Self, MailConfigError> {
        let m = &config.mailboxes;
        let o = &config.owners;
        Ok(Self {
            from: parse_address("mail.from", &config.from)?,
            partner_support: parse_address("mail.mailboxes.partner_support", &m.partner_support)?,
            user_support: parse_address("mail.mailboxes.user_support", &m.user_support)?,
            security: parse_address("mail.mailboxes.security", &m.security)?,
            engineering: parse_address("mail.mailboxes.engineering", &m.engineering)?,
            production_lead: parse_address("mail.owners.production_lead", &o.production_lead)?,
            product_lead: parse_address("mail.owners.product_lead", &o.product_lead)?,
            partner_relations_lead: parse_address(
                "mail.owners.partner_relations_lead",
                &o.partner_relations_lead,
            )?,
            supervisor: parse_address("mail.owners.supervisor", &o.supervisor)?,
        })
    }

    pub fn mailbox(&self, mailbox: Mailbox) -> &MailAddress {
        match mailbox {
            Mailbox::PartnerSupport => &self.partner_support,
            Mailbox::UserSupport => &self.user_support,
            Mailbox::Security => &self.security,
        }
    }

    /// The team mailbox of a tier: agents read the support mailbox of the ticket's public (partner
    /// or user support), engineers theirs, security the security mailbox, the supervisor its own.
    pub fn tier_team(&self, tier: Tier, ticket: &Ticket) -> &MailAddress {
        match tier {
            Tier::Agent if ticket.data.concerns_a_user() => &self.user_support,
            Tier::Agent => &self.partner_support,
            Tier::Engineer => &self.engineering,
            Tier::Security => &self.security,
            Tier::Supervisor => &self.supervisor,
        }
    }

    pub fn owner(&self, owner: Owner) -> &MailAddress {
        match owner {
            Owner::ProductionLead => &self.production_lead,
            Owner::ProductLead => &self.product_lead,
            Owner::PartnerRelationsLead => &self.partner_relations_lead,
            Owner::Supervisor => &self.supervisor,
        }
    }
}

/// Why a recipient has no usable address.
#[derive(Debug, thiserror::Error)]
pub enum RecipientError {
    /// Nobody to write to: final, the row fails with this message.
    #[error("no address for {0}")]
    NoAddress(String),
    /// An address the mail system cannot use: final.
    #[error("unusable address for {0}")]
    Unusable(String),
    /// The registry could not be read: try again later.
    #[error(transparent)]
    Store(StoreError),
}

fn to_mail_address(
    email: &EmailAddress,
    name: Option<String>,
    whom: &str,
) -> Result<MailAddress, RecipientError> {
    let address: Address = email.expose().parse().map_err(|_| {
        RecipientError::Unusable(format!("{whom} (an address at {})", email.domain()))
    })?;
    Ok(MailAddress::new(name, address))
}

async fn contacts(
    store: &Store,
    organisation: OrganisationId,
    whom: &str,
) -> Result<Vec<MailAddress>, RecipientError> {
    let contacts = match store.contacts_of(organisation).await {
        Ok(contacts) => contacts,
        Err(StoreError::NotFound(_)) => {
            return Err(RecipientError::NoAddress(format!(
                "{whom}: organisation {organisation} is not in the registry"
            )));
        }
        Err(error) => return Err(RecipientError::Store(error)),
    };
    if contacts.is_empty() {
        return Err(RecipientError::NoAddress(format!(
            "{whom}: organisation {organisation} has no designated contact"
        )));
    }
    contacts
        .iter()
        .map(|c| to_mail_address(&c.email, Some(c.name.clone()), whom))
        .collect()
}

/// The addresses of `recipient` for a mail about `ticket`.
pub async fn resolve(
    store: &Store,
    book: &AddressBook,
    ticket: &Ticket,
    recipient: Recipient,
) -> Result<Vec<MailAddress>, RecipientError> {
    match recipient {
        Recipient::Mailbox(mailbox) => Ok(vec![book.mailbox(mailbox).clone()]),
        Recipient::Owner(owner) => Ok(vec![book.owner(owner).clone()]),
        Recipient::Reporter => {
            if let Some(email) = &ticket.reporter.email {
                return Ok(vec![to_mail_address(email, None, "the reporter")?]);
            }
            match ticket.reporter.origin {
                ReporterOrigin::Partner { organisation } => {
                    contacts(
                        store,
                        organisation,
                        "the reporter (a partner without an address)",
                    )
                    .await
                }
                ReporterOrigin::Public => Err(RecipientError::NoAddress(
                    "the reporter: the report gave no email address".to_owned(),
                )),
                ReporterOrigin::Staff { .. } => Err(RecipientError::NoAddress(
                    "the reporter: a staff reporter has no mail address on the ticket".to_owned(),
                )),
            }
        }
        Recipient::Victim => {
            let email = ticket
                .data
                .user_usurpation()
                .and_then(|data| data.contact.email.as_ref())
                .ok_or_else(|| {
                    RecipientError::NoAddress(
                        "the victim: the report gave no contact email".to_owned(),
                    )
                })?;
            Ok(vec![to_mail_address(email, None, "the victim")?])
        }
        Recipient::OrganisationContacts(organisation) => {
            contacts(store, organisation, "the organisation's contacts").await
        }
        Recipient::TierTeam(tier) => Ok(vec![book.tier_team(tier, ticket).clone()]),
        // A member of the staff directory is written to at their email; a handle of no member
        // that is a mail address is written to; otherwise the assignee reads the team mailbox of
        // the ticket's tier.
        Recipient::Assignee => {
            let Some(handle) = ticket.assignee.as_ref() else {
                return Ok(vec![book.tier_team(ticket.tier, ticket).clone()]);
            };
            match store.get_staff_member(handle).await {
                Ok(member) => {
                    return Ok(vec![to_mail_address(&member.email, None, "the assignee")?]);
                }
                Err(StoreError::NotFound(_)) => {}
                Err(error) => return Err(RecipientError::Store(error)),
            }
            let address = handle.to_string().parse::<Address>().ok();
            Ok(vec![match address {
                Some(address) => MailAddress::new(None, address),
                None => book.tier_team(ticket.tier, ticket).clone(),
            }])
        }
    }
}
