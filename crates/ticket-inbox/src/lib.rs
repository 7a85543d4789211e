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
//!    signed reply address (`support+REF.tag@…`). A reply address of ours whose tag does not verify,
//!    or names another ticket than the headers, quarantines the mail whatever else threads it.
//! 3. **Trust**: the sender address is believed only when the trusted MTA's
//!    `Authentication-Results` say `dmarc=pass`; otherwise the mail is quarantined.
//! 4. **Who speaks**: on a ticket, the reporter's address acts as the reporter, a partner's
//!    designated contact for that partner (only on its tickets), a staff address as staff; anyone
//!    else is quarantined. Without a ticket, a partner's contact writing to partner support opens a
//!    support request (an incident when the configured keywords say so).
//!
//! The mail is stored with its raw bytes in the same transaction as what it caused (see
//! `ticket_store::inbound`); its Message-ID is unique, so a mail received twice lands once.

mod classify;
mod files;
pub mod imap;
pub mod parse;
pub mod trim;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use ticket_domain::{Actor, Policy};
use ticket_mail::config::{InboundConfig, Mailboxes};
use ticket_mail::reply::ReplyAddresses;
use ticket_store::attachments::Attachments;
use ticket_store::clock::Clock;
use ticket_store::inbound::{InboundMail, Landing, NewInboundMail, Received};
use ticket_store::{Store, StoreError};

pub use classify::mail_text;
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
}
