//! Mail in (channel "e-mail"): partners and the public answer by mail, and their answers land on
//! the ticket.
//!
//! [`Inbox::receive`] takes one raw RFC 5322 message, from whichever source ([`Source`]: an IMAP
//! mailbox, the MTA pipe `ticketd mail-in`, or the API), and decides what it does:
//!
//! 1. **Noise** — our own mail come back, an automatic reply (`Auto-Submitted` other than `no`),
//!    a list or bulk mail, a sender's flood: kept, marked ignored, no comment. A delivery-status
//!    notification marks the outbox mail it reports on `failed`, with the reason.
//! 2. **Threading**, in this order: our own Message-IDs in `In-Reply-To`/`References` (those the
//!    outbox recorded, and each ticket's thread root), the ticket reference in the subject, the
//!    signed reply address (`support+REF.tag@…`; a tag that does not verify quarantines the mail).
//! 3. **Trust**: the sender address is believed only when the trusted MTA's
//!    `Authentication-Results` say `dmarc=pass`; otherwise the mail is quarantined.
//! 4. **Who speaks**: on a ticket, the reporter's address acts as the reporter, a partner's
//!    designated contact for that partner (only on its tickets), a staff address as staff; anyone
//!    else is quarantined. Without a ticket, a partner's contact writing to partner support opens a
//!    support request (an incident when the configured keywords say so).
//!
//! The mail is stored with its raw bytes in the same transaction as what it caused (see
//! `ticket_store::inbound`); its Message-ID is unique, so a mail received twice lands once.

pub mod imap;
pub mod parse;
pub mod trim;

use chrono::TimeDelta;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use ticket_domain::kind::{IncidentData, KindData, SupportRequestData};
use ticket_domain::notify::Language;
use ticket_domain::ticket::Reference;
use ticket_domain::values::{EmailAddress, LONG_TEXT, SHORT_TEXT, Text, TicketId};
use ticket_domain::{Actor, NewTicket, Policy, Ticket};
use ticket_mail::config::{InboundConfig, Mailboxes};
use ticket_mail::reply::{ReplyAddresses, ReplyTag};
use ticket_store::attachments::{Attachments, Upload, check_uploads};
use ticket_store::clock::Clock;
use ticket_store::inbound::{InboundMail, InboundStatus, Landing, NewInboundMail, Received};
use ticket_store::tickets::TicketKey;
use ticket_store::{Store, StoreError};
use uuid::Uuid;

pub use parse::ParsedMail;

/// The operator's mailboxes a mail can be fetched from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperatorMailbox {
    PartnerSupport,
    UserSupport,
    Security,
}

impl OperatorMailbox {
    pub const ALL: [OperatorMailbox; 3] = [
        OperatorMailbox::PartnerSupport,
        OperatorMailbox::UserSupport,
        OperatorMailbox::Security,
    ];

    pub fn name(self) -> &'static str {
        match self {
            OperatorMailbox::PartnerSupport => "partner_support",
            OperatorMailbox::UserSupport => "user_support",
            OperatorMailbox::Security => "security",
        }
    }
}

/// Where a mail came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Imap(OperatorMailbox),
    /// `ticketd mail-in`, behind the MTA's `pipe`.
    Pipe,
    /// `POST /api/v1/inbound-mails`.
    Api,
}

impl Source {
    /// As stored on the mail: `imap:<mailbox>`, `pipe`, `api`.
    pub fn name(self) -> String {
        match self {
            Source::Imap(mailbox) => format!("imap:{}", mailbox.name()),
            Source::Pipe => "pipe".to_owned(),
            Source::Api => "api".to_owned(),
        }
    }
}

/// Finds the staff member behind an address (the staff directory of the triage desk): the actor
/// they write as, or `None`. Without a lookup, no address is staff's.
pub type StaffLookup = Arc<
    dyn Fn(String) -> Pin<Box<dyn Future<Output = Result<Option<Actor>, StoreError>> + Send>>
        + Send
        + Sync,
>;

/// Why a mail was not taken.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// Permanent: the MTA bounces it.
    #[error("the message is {size} bytes, more than the {max} accepted")]
    TooLarge { size: usize, max: usize },
    /// Permanent: nothing in it reads as a mail.
    #[error("the input is not a mail message")]
    NotAMail,
    /// The database is away or refused: temporary when [`StoreError::is_unavailable`].
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl InboxError {
    /// Whether trying again later may succeed (the MTA keeps the mail and retries).
    pub fn is_temporary(&self) -> bool {
        match self {
            InboxError::Store(error) => !matches!(error, StoreError::Refused(_)),
            _ => false,
        }
    }
}

/// What became of one mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Already received (same Message-ID): nothing was written.
    Duplicate {
        message_id: String,
    },
    Stored(Box<InboundMail>),
}

/// The receiving side.
#[derive(Clone)]
pub struct Inbox {
    store: Store,
    config: InboundConfig,
    mailboxes: Mailboxes,
    message_id_domain: String,
    replies: Option<ReplyAddresses>,
    policy: Arc<Policy>,
    clock: Arc<dyn Clock>,
    staff: Option<StaffLookup>,
    attachments: Option<Arc<Attachments>>,
}

impl fmt::Debug for Inbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inbox")
            .field("message_id_domain", &self.message_id_domain)
            .field("replies", &self.replies)
            .finish_non_exhaustive()
    }
}

/// How a mail found its ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Thread {
    Found(Box<Ticket>),
    Forged,
    None,
}

impl Inbox {
    pub fn new(
        store: Store,
        mail: &ticket_mail::MailConfig,
        replies: Option<ReplyAddresses>,
        policy: Arc<Policy>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            config: mail.inbound.clone(),
            mailboxes: mail.mailboxes.clone(),
            message_id_domain: mail.message_id_domain.to_ascii_lowercase(),
            replies,
            policy,
            clock,
            staff: None,
            attachments: None,
        }
    }

    /// Files attached to a mail that lands on a ticket or opens one are stored as the ticket's
    /// attachments, under the same limits and accepted types as uploads through the API.
    #[must_use]
    pub fn with_attachments(mut self, attachments: Arc<Attachments>) -> Self {
        self.attachments = Some(attachments);
        self
    }

    /// Addresses of staff act as staff (the triage desk's staff directory).
    #[must_use]
    pub fn with_staff_lookup(mut self, staff: StaffLookup) -> Self {
        self.staff = Some(staff);
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The largest message taken, in bytes (`mail.inbound.max_bytes`).
    pub fn max_bytes(&self) -> usize {
        self.config.max_bytes
    }

    /// Receives one raw message from `source`.
    pub async fn receive(&self, raw: &[u8], source: Source) -> Result<Delivery, InboxError> {
        if raw.len() > self.config.max_bytes {
            return Err(InboxError::TooLarge {
                size: raw.len(),
                max: self.config.max_bytes,
            });
        }
        let parsed = parse::parse(raw).ok_or(InboxError::NotAMail)?;
        if self.store.inbound_exists(&parsed.message_id).await? {
            return Ok(Delivery::Duplicate {
                message_id: parsed.message_id,
            });
        }
        let landing = self.classify(&parsed, source).await?;
        let author = match &landing {
            Landing::Comment { actor, .. } | Landing::Open { actor, .. } => Some(actor.clone()),
            _ => None,
        };
        let attachments = serde_json::Value::Array(
            parsed
                .attachments
                .iter()
                .map(|a| {
                    serde_json::json!({
                        "filename": a.filename,
                        "content_type": a.content_type,
                        "size": a.size,
                    })
                })
                .collect(),
        );
        let mail = NewInboundMail {
            message_id: parsed.message_id.clone(),
            sha256: parsed.sha256.clone(),
            source: source.name(),
            sender: parsed.from.clone(),
            subject: parsed.subject.clone(),
            raw: raw.to_vec(),
            attachments,
        };
        let received = self
            .store
            .receive_mail(mail, landing, self.clock.now(), &self.policy)
            .await?;
        Ok(match received {
            Received::Duplicate => Delivery::Duplicate {
                message_id: parsed.message_id,
            },
            Received::Stored(mut mail) => {
                if let (Some(author), false) = (author, parsed.attachments.is_empty()) {
                    self.store_attachments(&mut mail, raw, &author).await?;
                }
                tracing::info!(
                    mail = %mail.id, source = %mail.source, status = %mail.status,
                    ticket = ?mail.ticket_id.map(|t| t.0), reason = mail.reason.as_deref().unwrap_or(""),
                    "inbound mail received"
                );
                Delivery::Stored(mail)
            }
        })
    }

    /// The mail's files attached to the ticket it landed on or opened, as `author`, in as many
    /// uploads as the limits ask. A file the rules refuse (size, type, the ticket's count) is
    /// recorded on the mail with the reason and the others go on; the mail itself stays landed.
    /// A store that cannot write now is the caller's error, like the mail's own storing, but the
    /// mail is already committed: its files are then recorded as not stored.
    async fn store_attachments(
        &self,
        mail: &mut InboundMail,
        raw: &[u8],
        author: &Actor,
    ) -> Result<(), StoreError> {
        let (Some(attachments), Some(ticket), true) = (
            &self.attachments,
            mail.ticket_id,
            matches!(mail.status, InboundStatus::Landed | InboundStatus::Opened),
        ) else {
            return Ok(());
        };
        let files = parse::attachment_files(raw).unwrap_or_default();
        // What the mail's row lists (name, declared type, size), completed with each outcome.
        let listed = mail.attachments.as_array().cloned().unwrap_or_default();
        let mut outcomes: Vec<serde_json::Value> = Vec::with_capacity(files.len());
        let mut accepted: Vec<(usize, Upload)> = Vec::new();
        let files_count = files.len();
        for (index, (name, bytes)) in files.into_iter().enumerate() {
            let upload = Upload {
                name: name
                    .clone()
                    .unwrap_or_else(|| format!("piece-jointe-{}", index + 1)),
                bytes: bytes.into(),
            };
            let mut entry = listed
                .get(index)
                .filter(|_| listed.len() == files_count)
                .cloned()
                .unwrap_or_else(|| {
                    serde_json::json!({
                        "filename": name,
                        "size": upload.bytes.len(),
                    })
                });
            match check_uploads(std::slice::from_ref(&upload), &attachments.limits) {
                Ok(()) => accepted.push((index, upload)),
                Err(refusal) => entry["refused"] = refusal.to_string().into(),
            }
            outcomes.push(entry);
        }
        let per_upload = (attachments.limits.max_files_per_upload as usize).max(1);
        while !accepted.is_empty() {
            let rest = accepted.split_off(per_upload.min(accepted.len()));
            let batch = std::mem::replace(&mut accepted, rest);
            let (indexes, uploads): (Vec<usize>, Vec<Upload>) = batch.into_iter().unzip();
            let result = self
                .store
                .attach_files(
                    attachments,
                    TicketKey::Id(ticket),
                    None,
                    uploads,
                    false,
                    author,
                    self.clock.now(),
                    &self.policy,
                )
                .await;
            match result {
                Ok(attached) => {
                    for (index, stored) in indexes.iter().zip(attached.attachments) {
                        outcomes[*index]["attachment_id"] = stored.id.to_string().into();
                        outcomes[*index]["media_type"] = stored.media_type.into();
                    }
                }
                Err(error @ (StoreError::Refused(_) | StoreError::Attachment(_))) => {
                    let reason = match error {
                        StoreError::Refused(refusal) => refusal.detail,
                        other => other.to_string(),
                    };
                    for index in &indexes {
                        outcomes[*index]["refused"] = reason.clone().into();
                    }
                }
                Err(error) => {
                    tracing::warn!(mail = %mail.id, %error, "the mail's files could not be stored");
                    for index in &indexes {
                        outcomes[*index]["refused"] =
                            "not stored: the store could not write".into();
                    }
                }
            }
        }
        let outcomes = serde_json::Value::Array(outcomes);
        self.store
            .set_inbound_attachments(mail.id, outcomes.clone())
            .await?;
        mail.attachments = outcomes;
        Ok(())
    }

    /// What the mail does (see the crate's documentation for the order of the checks).
    async fn classify(&self, mail: &ParsedMail, source: Source) -> Result<Landing, InboxError> {
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
    async fn thread(&self, mail: &ParsedMail) -> Result<Thread, StoreError> {
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
        let mut forged = false;
        if let Some(replies) = &self.replies {
            for address in &mail.recipients {
                match replies.check(address) {
                    ReplyTag::Signed(reference) => {
                        if let Thread::Found(ticket) =
                            self.found(TicketKey::Reference(reference)).await?
                        {
                            return Ok(Thread::Found(ticket));
                        }
                    }
                    ReplyTag::Forged => forged = true,
                    ReplyTag::NotOurs => {}
                }
            }
        }
        Ok(if forged { Thread::Forged } else { Thread::None })
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
