//! A small trust sphere in a real store, tickets opened and handled the way the API will, a
//! dispatcher on a manual clock, and an inbox over a real SMTP server.

use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use ticket_domain::kind::{Detector, UsurpationReporter};
use ticket_domain::notify::Language;
use ticket_domain::testkit::*;
use ticket_domain::values::{EmailAddress, OrganisationId, Text, TicketId};
use ticket_domain::{Actor, Command, NewTicket, Policy, Priority};
use ticket_mail::testkit::{ReceivedMail, SmtpServer};
use ticket_mail::{Dispatcher, MailConfig, Transport};
use ticket_store::Store;
use ticket_store::clock::ManualClock;
use ticket_store::registry::{NewContact, NewOrganisation, OrganisationRole};
use ticket_store::tickets::{StoredTicket, TicketKey};

pub const DECLARANT: &str = "declarant@caisse.example";
pub const VICTIM: &str = "victime@example.fr";
pub const PARTNER_CONTACTS: [&str; 2] = ["securite@caisse.example", "exploitation@caisse.example"];
pub const IDP_CONTACT: &str = "cert@idp.example";
pub const SP1_CONTACT: &str = "rssi@sp-un.example";
pub const SP2_CONTACT: &str = "rssi@sp-deux.example";
pub const PARTNER_SUPPORT: &str = "support.partenaires@ticketd.localhost";
pub const USER_SUPPORT: &str = "support.usagers@ticketd.localhost";
pub const SECURITY: &str = "support.securite@ticketd.localhost";
pub const PRODUCTION_LEAD: &str = "production@ticketd.localhost";
pub const PRODUCT_LEAD: &str = "produit@ticketd.localhost";
pub const SUPERVISOR: &str = "supervision@ticketd.localhost";

pub fn monday() -> DateTime<Utc> {
    at("2026-11-23T09:00:00Z")
}

fn email(value: &str) -> EmailAddress {
    EmailAddress::parse("email", value).unwrap()
}

fn name(value: &str) -> Text {
    Text::parse("name", value, 200).unwrap()
}

/// A store with a partner (two designated contacts), an identity provider and two service
/// providers (one contact each), and a clock that moves only when told.
pub struct World {
    pub store: Store,
    pub clock: ManualClock,
    pub policy: Policy,
    pub partner: OrganisationId,
    pub idp: OrganisationId,
    pub sp1: OrganisationId,
    pub sp2: OrganisationId,
}

impl World {
    pub async fn new(store: Store) -> Self {
        let register = async |name_: &str, role: OrganisationRole, contacts: &[&str]| {
            let organisation = store
                .create_organisation(
                    NewOrganisation {
                        name: name(name_),
                        roles: vec![role],
                    },
                    monday(),
                )
                .await
                .unwrap();
            for (i, address) in contacts.iter().enumerate() {
                store
                    .add_contact(
                        organisation.id,
                        NewContact {
                            name: name(&format!("Contact {}", i + 1)),
                            function: name("Sécurité"),
                            email: email(address),
                            phone: None,
                        },
                        monday(),
                    )
                    .await
                    .unwrap();
            }
            organisation.id
        };
        let partner = register(
            "Caisse nationale",
            OrganisationRole::ServiceProvider,
            &PARTNER_CONTACTS,
        )
        .await;
        let idp = register(
            "Fournisseur d'identité",
            OrganisationRole::IdentityProvider,
            &[IDP_CONTACT],
        )
        .await;
        let sp1 = register(
            "Service un",
            OrganisationRole::ServiceProvider,
            &[SP1_CONTACT],
        )
        .await;
        let sp2 = register(
            "Service deux",
            OrganisationRole::ServiceProvider,
            &[SP2_CONTACT],
        )
        .await;
        Self {
            store,
            clock: ManualClock::new(monday()),
            policy: Policy::default(),
            partner,
            idp,
            sp1,
            sp2,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        ticket_store::clock::Clock::now(&self.clock)
    }

    pub fn advance(&self, by: TimeDelta) {
        self.clock.advance(by);
    }

    pub fn partner_actor(&self) -> Actor {
        Actor::Partner {
            organisation: self.partner,
            key_name: "principale".into(),
        }
    }

    pub fn dispatcher(&self, config: MailConfig) -> Dispatcher {
        let transport = Transport::from_config(&config).unwrap();
        self.dispatcher_with(config, transport)
    }

    pub fn dispatcher_with(&self, config: MailConfig, transport: Transport) -> Dispatcher {
        Dispatcher::new(
            self.store.clone(),
            config,
            transport,
            Arc::new(self.clock.clone()),
        )
        .unwrap()
    }

    async fn open(&self, mut new: NewTicket, actor: &Actor, tracking: bool) -> StoredTicket {
        new.id = TicketId::new_v7();
        self.store
            .create_ticket(new, actor, self.now(), &self.policy, None, tracking)
            .await
            .unwrap()
            .ticket
    }

    /// An incident on the partner's service, declared by the partner from `DECLARANT`.
    pub async fn partner_incident(&self, priority: Priority, language: Language) -> StoredTicket {
        let mut new = incident(false, "2026-11-23T08:00:00Z");
        self.on_partner(&mut new);
        new.proposed_priority = Some(priority);
        new.reporter_email = Some(email(DECLARANT));
        new.language = language;
        self.open(new, &self.partner_actor(), false).await
    }

    /// A security incident declared by the partner from `DECLARANT`.
    pub async fn security_incident(&self) -> StoredTicket {
        let mut new = incident(true, "2026-11-23T08:00:00Z");
        self.on_partner(&mut new);
        new.reporter_email = Some(email(DECLARANT));
        self.open(new, &self.partner_actor(), false).await
    }

    /// An incident on the partner's service declared by staff.
    pub async fn staff_incident(&self, priority: Priority) -> StoredTicket {
        let mut new = incident(false, "2026-11-23T08:00:00Z");
        self.on_partner(&mut new);
        new.proposed_priority = Some(priority);
        self.open(new, &staff(ticket_domain::Role::Agent), false)
            .await
    }

    /// A victim's report through the public form: the identity provider and both service
    /// providers are concerned; its acknowledgement carries the tracking link.
    pub async fn public_usurpation(&self) -> StoredTicket {
        let mut new = user_usurpation(UsurpationReporter::User, "2026-11-20T22:00:00Z");
        if let ticket_domain::KindData::UserUsurpation(data) = &mut new.data {
            data.identity_provider = Some(self.idp);
            data.service_providers = vec![self.sp1, self.sp2];
            data.contact.email = Some(email(VICTIM));
        }
        new.reporter_email = Some(email(VICTIM));
        self.open(new, &Actor::PublicReporter, true).await
    }

    /// A phishing site imitating the partner, found by the operator's security team.
    pub async fn operator_partner_usurpation(&self) -> StoredTicket {
        let mut new = partner_usurpation(Detector::Operator);
        if let ticket_domain::KindData::PartnerUsurpation(data) = &mut new.data {
            data.partner = self.partner;
        }
        new.organisation = Some(self.partner);
        self.open(new, &staff(ticket_domain::Role::Security), false)
            .await
    }

    fn on_partner(&self, new: &mut NewTicket) {
        new.organisation = Some(self.partner);
        if let ticket_domain::KindData::Incident(data) = &mut new.data
            && let Some(service) = &mut data.service
        {
            service.organisation = self.partner;
        }
    }

    /// Applies a command to the ticket as it now is.
    pub async fn execute(
        &self,
        ticket: &StoredTicket,
        command: Command,
        actor: &Actor,
    ) -> StoredTicket {
        let current = self
            .store
            .get_ticket(TicketKey::Id(ticket.ticket.id))
            .await
            .unwrap();
        self.store
            .execute(
                TicketKey::Id(ticket.ticket.id),
                current.version,
                command,
                actor,
                self.now(),
                &self.policy,
            )
            .await
            .unwrap()
    }
}

/// What an SMTP server received, taken a pass at a time.
pub struct Inbox {
    pub server: SmtpServer,
    seen: HashSet<String>,
}

impl Inbox {
    pub fn new(server: SmtpServer) -> Self {
        Self {
            server,
            seen: HashSet::new(),
        }
    }

    /// The `count` mails received since the last call (waits for them).
    pub async fn take(&mut self, count: usize) -> Vec<ReceivedMail> {
        let all = self.server.wait_for(self.seen.len() + count).await;
        let fresh: Vec<ReceivedMail> = all
            .into_iter()
            .filter(|m| !self.seen.contains(&m.message_id))
            .collect();
        for mail in &fresh {
            self.seen.insert(mail.message_id.clone());
        }
        assert_eq!(fresh.len(), count, "mails received in this pass");
        fresh
    }
}

/// One expected mail: the address, a piece of its subject, its language.
pub type Expected<'a> = (&'a str, &'a str, &'a str);

/// Each expected address received exactly one of `mails`, with that subject and language, and
/// nobody else received anything.
pub fn assert_delivered(mails: &[ReceivedMail], expected: &[Expected<'_>]) {
    let mut by_address: BTreeMap<&str, Vec<&ReceivedMail>> = BTreeMap::new();
    for mail in mails {
        assert_eq!(
            mail.header("auto-submitted"),
            Some("auto-generated"),
            "{}",
            mail.subject
        );
        for rcpt in &mail.rcpt_to {
            by_address.entry(rcpt.as_str()).or_default().push(mail);
        }
    }
    let expected_addresses: BTreeSet<&str> = expected.iter().map(|(a, ..)| *a).collect();
    let received: BTreeSet<&str> = by_address.keys().copied().collect();
    assert_eq!(received, expected_addresses, "who received mail");
    for (address, subject, language) in expected {
        let got = &by_address[address];
        assert_eq!(
            got.len(),
            1,
            "{address} received {} mails: {:?}",
            got.len(),
            got.iter().map(|m| &m.subject).collect::<Vec<_>>()
        );
        let mail = got[0];
        assert!(
            mail.subject.contains(subject),
            "{address}: subject {:?} lacks {subject:?}",
            mail.subject
        );
        assert_eq!(
            mail.header("content-language"),
            Some(*language),
            "{address}: {}",
            mail.subject
        );
    }
}

/// The one mail `address` received among `mails`.
pub fn mail_to<'a>(mails: &'a [ReceivedMail], address: &str) -> &'a ReceivedMail {
    mails
        .iter()
        .find(|m| m.rcpt_to.iter().any(|r| r == address))
        .unwrap_or_else(|| panic!("no mail to {address}"))
}
