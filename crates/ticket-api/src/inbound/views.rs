//! The wire types of mail in: a mail as staff read it (masked or in full), a page of them, the
//! triage bodies, the raw mail a gateway delivers and the answers.

use crate::dto::{Instant, mirror_enum};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiRequest, ApiResponse, Enum, Object};
use ticket_domain::privacy::{mask_email, mask_text};
use ticket_store::inbound::InboundMail;
use uuid::Uuid;

mirror_enum!(
    /// What became of an inbound mail.
    InboundStatusDto <=> ticket_store::inbound::InboundStatus {
        /// It became a comment of its sender on a ticket.
        Landed,
        /// It opened a ticket (by itself, or staff opened one from the quarantine).
        Opened,
        /// Waiting for staff: unknown or unauthenticated sender, forged reply address, no ticket.
        Quarantined,
        /// Kept, not turned into a comment: auto-reply, mailing list, our own mail, a flood.
        Ignored,
        /// A delivery-status notification: the outbox mail it reports was marked failed.
        Bounce,
        /// Staff attached it from the quarantine to a ticket, as an internal note.
        Attached,
        /// Staff dropped it from the quarantine.
        Dropped,
    }
);

/// A file a mail carried.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct InboundFileView {
    /// The name its sender gave (masked on a victim's mail for readers who may not see it).
    pub filename: Option<String>,
    /// The type the mail declared.
    pub content_type: Option<String>,
    /// Size in bytes.
    pub size: Option<u64>,
    /// The ticket attachment it became, when the mail landed on or opened a ticket.
    pub attachment_id: Option<Uuid>,
    /// Why it was not attached (size, type, the ticket's limit).
    pub refused: Option<String>,
}

/// An inbound mail (without its raw bytes: `GET …/raw`).
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct InboundMailView {
    /// Mail id.
    pub id: Uuid,
    /// The `Message-ID`, with its angle brackets (derived from the hash when the mail had none).
    pub message_id: String,
    /// SHA-256 of the raw message, hex (the `mail_received` event carries it).
    pub sha256: String,
    /// Where it came from: `imap:<mailbox>`, `pipe` (`ticketd mail-in`), `api`.
    pub source: String,
    /// What became of it.
    pub status: InboundStatusDto,
    /// Why it was quarantined or ignored, or what a bounce reported; no personal data.
    pub reason: Option<String>,
    /// The ticket it landed on, opened, was attached to, or seemed to answer.
    pub ticket_id: Option<Uuid>,
    /// The `From` address; masked (`c•••@example.fr`) on a victim's mail for readers who may not
    /// see it, and in lists.
    pub sender: Option<String>,
    /// The subject; masked like `sender`.
    pub subject: Option<String>,
    /// Whether `sender`, `subject` and file names are masked for this reader.
    pub masked: bool,
    /// The files it carried.
    pub attachments: Vec<InboundFileView>,
    /// When it was received.
    pub received_at: Instant,
    /// When staff decided on it (attach, open, drop).
    pub decided_at: Option<Instant>,
    /// Who decided.
    pub decided_by: Option<String>,
}

fn files(value: &serde_json::Value, masked: bool) -> Vec<InboundFileView> {
    let Some(items) = value.as_array() else {
        return Vec::new();
    };
    items
        .iter()
        .map(|item| {
            let text = |key: &str| item.get(key).and_then(|v| v.as_str()).map(str::to_owned);
            InboundFileView {
                filename: text("filename").map(|name| if masked { mask_text(&name) } else { name }),
                content_type: text("content_type"),
                size: item.get("size").and_then(serde_json::Value::as_u64),
                attachment_id: text("attachment_id").and_then(|id| id.parse().ok()),
                refused: text("refused"),
            }
        })
        .collect()
}

pub(super) fn view(mail: InboundMail, masked: bool) -> InboundMailView {
    InboundMailView {
        id: mail.id,
        message_id: mail.message_id,
        sha256: mail.sha256,
        source: mail.source,
        status: mail.status.into(),
        reason: mail.reason,
        ticket_id: mail.ticket_id.map(|t| t.0),
        sender: mail.sender.map(|s| if masked { mask_email(&s) } else { s }),
        subject: mail.subject.map(|s| if masked { mask_text(&s) } else { s }),
        masked,
        attachments: files(&mail.attachments, masked),
        received_at: mail.received_at.into(),
        decided_at: mail.decided_at.map(Into::into),
        decided_by: mail.decided_by,
    }
}

/// A page of inbound mails.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct InboundMailPage {
    /// The mails of this page, oldest first.
    pub items: Vec<InboundMailView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Attaching a quarantined mail to a ticket.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct AttachMailBody {
    /// The ticket (id or reference) the mail's words go on, as an internal note of the caller:
    /// its sender was not verified, so it speaks for nobody.
    #[oai(validator(min_length = 1, max_length = 100))]
    pub ticket_id: String,
}

/// What kind of ticket a quarantined mail opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum OpenedKindDto {
    /// A question (the default).
    SupportRequest,
    /// A malfunction, started when the mail was received.
    Incident,
}

/// Opening a ticket from a quarantined mail: its subject is the title, its words the question or
/// impact, its sender the reporter's address.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct OpenFromMailBody {
    /// `support_request` (the default) or `incident`.
    pub kind: Option<OpenedKindDto>,
    /// The partner organisation the ticket affects, if any.
    pub organisation_id: Option<Uuid>,
}

/// A raw mail, as the MTA received it.
#[derive(Debug, ApiRequest)]
pub enum RawMail {
    /// One RFC 5322 message, at most the configured size (`mail.inbound.max_bytes`).
    #[oai(content_type = "application/octet-stream")]
    Mail(Binary<Vec<u8>>),
}

/// What the service did with a delivered mail. It names no sender and no ticket.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DeliveryView {
    /// The stored mail's id; absent for a mail already received.
    pub id: Option<Uuid>,
    /// What became of it; absent for a mail already received.
    pub status: Option<InboundStatusDto>,
    /// Whether a mail with this `Message-ID` was already received (nothing was written).
    pub duplicate: bool,
}

/// Answers of a delivery.
#[derive(Debug, ApiResponse)]
pub enum DeliveryResponse {
    /// Stored, with what it did (landed, opened, quarantined, ignored, bounce).
    #[oai(status = 201)]
    Created(Json<DeliveryView>),
    /// A mail with this `Message-ID` was already received: nothing was written.
    #[oai(status = 200)]
    Duplicate(Json<DeliveryView>),
}

/// Answers of the list.
#[derive(Debug, ApiResponse)]
pub enum InboundMailPageResponse {
    /// The page.
    #[oai(status = 200)]
    Ok(Json<InboundMailPage>),
}

/// Answers about one mail.
#[derive(Debug, ApiResponse)]
pub enum InboundMailResponse {
    /// The mail.
    #[oai(status = 200)]
    Ok(Json<InboundMailView>),
}

/// Answers of a raw read.
#[derive(Debug, ApiResponse)]
pub enum RawMailResponse {
    /// The message exactly as received (its SHA-256 is the mail's `sha256`).
    #[oai(status = 200, content_type = "application/octet-stream")]
    Ok(
        Binary<Vec<u8>>,
        /// `attachment; filename="<id>.eml"`.
        #[oai(header = "Content-Disposition")]
        String,
        /// `default-src 'none'; sandbox`.
        #[oai(header = "Content-Security-Policy")]
        String,
    ),
}
