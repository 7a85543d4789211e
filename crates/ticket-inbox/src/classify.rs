//! What a mail does: noise, threading, trust, who speaks (see the crate's documentation), and
//! the words a comment carries.

/// How a mail found its ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Thread {
    Found(Box<Ticket>),
    Forged,
    None,
}

use crate::{Inbox, InboxError, OperatorMailbox, ParsedMail, Source, parse, trim};
use chrono::TimeDelta;
use ticket_domain::kind::{IncidentData, KindData, SupportRequestData};
use ticket_domain::notify::Language;
use ticket_domain::ticket::Reference;
use ticket_domain::values::{EmailAddress, LONG_TEXT, SHORT_TEXT, Text, TicketId};
use ticket_domain::{Actor, NewTicket, Ticket};
use ticket_mail::reply::ReplyTag;
use ticket_store::StoreError;
use ticket_store::inbound::Landing;
use ticket_store::tickets::TicketKey;
use uuid::Uuid;

impl Inbox {
    /// What the mail does (see the crate's documentation for the order of the checks).
    pub(crate) async fn classify(
        &self,
        mail: &ParsedMail,
        source: Source,
    ) -> Result<Landing, InboxError> {
        let ignore = |reason: String, ticket: Option<TicketId>| Landing::Ignore { reason, ticket };
        let own_suffix = format!("@{}>", self.message_id_domain);
        if mail.message_id.to_ascii_lowercase().ends_with(&own_suffix) {
            return Ok(ignore("one of our own mails came back (loop)".into(), None));
        }
        if let Some(bounce) = &mail.bounce {
            return Ok(Landing::Bounce {
                original: bounce.original.clone(),
                reason: bounce.reason.clone(),
            });
        }
        if let Some(automatic) = &mail.automatic {
            return Ok(ignore(format!("automatic mail ({automatic})"), None));
        }
        if let Some(list) = &mail.list {
            return Ok(ignore(format!("list or bulk mail ({list})"), None));
        }
        let Some(sender) = mail.from.clone() else {
            return Ok(Landing::Quarantine {
                reason: "the mail has no sender address".into(),
                ticket: None,
            });
        };
        let window =
            TimeDelta::seconds(i64::try_from(self.config.flood_window_seconds).unwrap_or(i64::MAX));
        let recent = self
            .store
            .inbound_count_from(&sender, self.clock.now() - window)
            .await?;
        if recent >= u64::from(self.config.flood_max) {
            return Ok(ignore(
                format!(
                    "flood: the sender sent {recent} mails within {} s",
                    self.config.flood_window_seconds
                ),
                None,
            ));
        }
        let thread = self.thread(mail).await?;
        let ticket_id = match &thread {
            Thread::Found(ticket) => Some(ticket.id),
            _ => None,
        };
        let believed = self
            .config
            .trusted_authserv_id
            .as_deref()
            .is_some_and(|id| parse::dmarc_passed(mail, id));
        if !believed {
            return Ok(Landing::Quarantine {
                reason:
                    "the sender is not authenticated (no dmarc=pass from the trusted mail server)"
                        .into(),
                ticket: ticket_id,
            });
        }
        let Some(body) = self.body(mail) else {
            return Ok(Landing::Quarantine {
                reason: "the mail's text cannot be read".into(),
                ticket: ticket_id,
            });
        };
        match thread {
            Thread::Found(ticket) => {
                let Some(actor) = self.actor_on(&sender, &ticket).await? else {
                    return Ok(Landing::Quarantine {
                        reason: "the sender may not write on this ticket".into(),
                        ticket: Some(ticket.id),
                    });
                };
                Ok(Landing::Comment {
                    ticket: ticket.id,
                    actor,
                    body,
                    internal: false,
                })
            }
            Thread::Forged => Ok(Landing::Quarantine {
                reason: "the reply address names a ticket but its signature does not verify".into(),
                ticket: None,
            }),
            Thread::None => self.new_mail(mail, &sender, source, body).await,
        }
    }

    /// The ticket the mail answers, by our Message-IDs, the subject's reference, the reply address.
    /// A reply address of ours whose tag is present and wrong quarantines the mail whatever else
    /// threads it: headers are easy to copy, the tag is the proof that the writer received a mail
    /// of that ticket.
    async fn thread(&self, mail: &ParsedMail) -> Result<Thread, StoreError> {
        let mut signed = None;
        if let Some(replies) = &self.replies {
            for address in &mail.recipients {
                match replies.check(address) {
                    ReplyTag::Signed(reference) => signed = signed.or(Some(reference)),
                    ReplyTag::Forged => return Ok(Thread::Forged),
                    ReplyTag::NotOurs => {}
                }
            }
        }
        let threaded = self.thread_by_headers(mail).await?;
        match (threaded, signed) {
            (Thread::Found(ticket), Some(reference)) if ticket.reference != reference => {
                // A valid tag of another ticket: one of the two was altered.
                Ok(Thread::Forged)
            }
            (Thread::None, Some(reference)) => self.found(TicketKey::Reference(reference)).await,
            (threaded, _) => Ok(threaded),
        }
    }

    /// The ticket the mail answers by our Message-IDs or the subject's reference.
    async fn thread_by_headers(&self, mail: &ParsedMail) -> Result<Thread, StoreError> {
        if let Some(id) = self.store.ticket_of_sent_message(&mail.thread_ids).await? {
            return self.found(TicketKey::Id(id)).await;
        }
        let own_suffix = format!("@{}>", self.message_id_domain);
        for id in &mail.thread_ids {
            let lower = id.to_ascii_lowercase();
            let Some(local) = lower
                .strip_suffix(&own_suffix)
                .and_then(|l| l.strip_prefix('<'))
            else {
                continue;
            };
            // A thread root `<ticket@domain>` or a mail `<ticket.seq.hash@domain>`.
            let ticket = local.split('.').next().unwrap_or_default();
            if let Ok(uuid) = Uuid::parse_str(ticket)
                && self.store.ticket_exists(TicketId(uuid)).await?
            {
                return self.found(TicketKey::Id(TicketId(uuid))).await;
            }
        }
        if let Some(subject) = &mail.subject {
            for word in subject.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
                if let Some(reference) = Reference::parse(word)
                    && let Thread::Found(ticket) =
                        self.found(TicketKey::Reference(reference)).await?
                {
                    return Ok(Thread::Found(ticket));
                }
            }
        }
        Ok(Thread::None)
    }

    async fn found(&self, key: TicketKey) -> Result<Thread, StoreError> {
        match self.store.get_ticket(key).await {
            Ok(stored) => Ok(Thread::Found(Box::new(stored.ticket))),
            Err(StoreError::NotFound(_)) => Ok(Thread::None),
            Err(error) => Err(error),
        }
    }

    /// Who the sender is on `ticket`: the reporter, a partner's contact within its scope, staff.
    async fn actor_on(&self, sender: &str, ticket: &Ticket) -> Result<Option<Actor>, StoreError> {
        if let Some(lookup) = &self.staff
            && let Some(actor) = lookup(sender.to_owned()).await?
        {
            return Ok(Some(actor));
        }
        let reporter_address = ticket
            .reporter
            .email
            .as_ref()
            .is_some_and(|email| email.expose().eq_ignore_ascii_case(sender));
        if reporter_address {
            let actor = match ticket.reporter.origin {
                ticket_domain::ticket::ReporterOrigin::Partner { organisation } => {
                    Some(partner(organisation))
                }
                ticket_domain::ticket::ReporterOrigin::Public => Some(Actor::PublicReporter),
                ticket_domain::ticket::ReporterOrigin::Staff { .. } => None,
            };
            if actor.is_some() {
                return Ok(actor);
            }
        }
        for organisation in self.store.organisations_of_contact(sender).await? {
            let actor = partner(organisation);
            if ticket.is_visible_to(&actor) {
                return Ok(Some(actor));
            }
        }
        Ok(None)
    }

    /// A mail that answers no ticket: a partner's contact writing to partner support opens one.
    async fn new_mail(
        &self,
        mail: &ParsedMail,
        sender: &str,
        source: Source,
        body: Text,
    ) -> Result<Landing, InboxError> {
        let partner_support = self.mailboxes.partner_support.to_ascii_lowercase();
        let to_partner_support = source == Source::Imap(OperatorMailbox::PartnerSupport)
            || mail
                .recipients
                .iter()
                .any(|r| partner_support.ends_with(&format!("<{r}>")) || *r == partner_support);
        let organisations = self.store.organisations_of_contact(sender).await?;
        let quarantine = |reason: &str| Landing::Quarantine {
            reason: reason.to_owned(),
            ticket: None,
        };
        match organisations.as_slice() {
            [] => Ok(quarantine(
                "no ticket found, and the sender is not a partner's designated contact",
            )),
            [organisation] if to_partner_support => {
                let title = mail
                    .subject
                    .as_deref()
                    .and_then(|s| Text::parse("title", &clip(s, SHORT_TEXT), SHORT_TEXT).ok())
                    .or_else(|| Text::parse("title", "Message sans objet", SHORT_TEXT).ok());
                let (Some(title), Ok(email)) = (title, EmailAddress::parse("from", sender)) else {
                    return Ok(quarantine("the mail has no usable subject or sender"));
                };
                let words = format!(
                    "{} {}",
                    mail.subject.as_deref().unwrap_or_default(),
                    body.as_str()
                )
                .to_lowercase();
                let incident = self.config.incident_keywords.iter().any(|keyword| {
                    let keyword = keyword.to_lowercase();
                    words
                        .split(|c: char| !c.is_alphanumeric())
                        .any(|word| word == keyword)
                });
                let data = if incident {
                    KindData::Incident(IncidentData {
                        service: None,
                        started_at: ticket_store::tickets::normalise(self.clock.now()),
                        impact: body,
                        security: false,
                    })
                } else {
                    KindData::SupportRequest(SupportRequestData { question: body })
                };
                let new = NewTicket {
                    id: TicketId::new_v7(),
                    reference_number: 0,
                    title,
                    data,
                    organisation: Some(*organisation),
                    reporter_email: Some(email),
                    language: Language::Fr,
                    proposed_priority: None,
                    follow_up_of: None,
                    same_session_as: Vec::new(),
                };
                Ok(Landing::Open {
                    new: Box::new(new),
                    actor: partner(*organisation),
                })
            }
            [_] => Ok(quarantine(
                "no ticket found; a partner's new request must be written to partner support",
            )),
            _ => Ok(quarantine(
                "no ticket found, and the sender is a contact of several organisations",
            )),
        }
    }

    /// The comment: the new words of the text part, at most the length of a comment.
    fn body(&self, mail: &ParsedMail) -> Option<Text> {
        mail_text(mail)
    }
}

/// What a mail says, as a comment would carry it: the new words of its text part (quoted history
/// and signature trimmed), at most the length of a comment; `None` when it cannot be read.
/// Staff attaching or opening a quarantined mail use it too.
pub fn mail_text(mail: &ParsedMail) -> Option<Text> {
    let mut words = trim::new_words(&mail.text);
    if words.is_empty() {
        words = if mail.attachments.is_empty() {
            "(message sans texte)".to_owned()
        } else {
            format!(
                "(message sans texte, {} pièce(s) jointe(s))",
                mail.attachments.len()
            )
        };
    }
    let clipped = clip(&words, LONG_TEXT);
    Text::parse("body", &clipped, LONG_TEXT)
        .or_else(|_| Text::parse("body", &clean(&clipped), LONG_TEXT))
        .ok()
}

fn partner(organisation: ticket_domain::values::OrganisationId) -> Actor {
    Actor::Partner {
        organisation,
        key_name: "e-mail".to_owned(),
    }
}

/// At most `max` characters, an ellipsis marking a cut.
fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((cut, _)) if text.chars().count() > max => format!("{}…", &text[..cut]),
        _ => text.to_owned(),
    }
}

/// Control characters (other than line breaks and tabs) removed.
fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .collect()
}
