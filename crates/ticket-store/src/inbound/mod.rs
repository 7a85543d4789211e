//! Mail in (channel "e-mail"): each inbound mail is stored once (its Message-ID is unique), with its
//! raw bytes and their SHA-256, in the same transaction as what it caused — a comment on a ticket,
//! a new ticket, a bounced outbox mail marked failed — or as quarantined or ignored with the reason.
//! The receiving crate (`ticket-inbox`) decides which; this module writes it.
//!
//! The IMAP fetchers' place in each mailbox (UIDVALIDITY and the last committed UID) is kept here
//! too, so a restarted fetcher resumes where the database says, never where its memory did.

use crate::entities::{contact, imap_mailbox, inbound_mail, outbox, ticket};
use crate::tickets::{Cursor, Page, after_cursor, encode_cursor, normalise};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use receive::{comment, open};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, Func, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use std::fmt;
use ticket_domain::event::MailReceipt;
use ticket_domain::values::Text;
use ticket_domain::values::{OrganisationId, TicketId};
use ticket_domain::{Actor, Command, NewTicket, Policy, Refusal};
use uuid::Uuid;

mod persons;
mod receive;

/// What became of an inbound mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboundStatus {
    /// It became a comment on a ticket.
    Landed,
    /// It opened a ticket.
    Opened,
    /// Waiting for staff: unknown or unauthenticated sender, forged reply address, no ticket found.
    Quarantined,
    /// Kept, not turned into a comment: auto-reply, mailing list, our own mail, a flood.
    Ignored,
    /// A delivery-status notification: the outbox mail it reports was marked failed.
    Bounce,
    /// Staff attached it from the quarantine to a ticket.
    Attached,
    /// Staff dropped it from the quarantine.
    Dropped,
}

impl InboundStatus {
    pub const ALL: [InboundStatus; 7] = [
        InboundStatus::Landed,
        InboundStatus::Opened,
        InboundStatus::Quarantined,
        InboundStatus::Ignored,
        InboundStatus::Bounce,
        InboundStatus::Attached,
        InboundStatus::Dropped,
    ];

    pub fn name(self) -> &'static str {
        match self {
            InboundStatus::Landed => "landed",
            InboundStatus::Opened => "opened",
            InboundStatus::Quarantined => "quarantined",
            InboundStatus::Ignored => "ignored",
            InboundStatus::Bounce => "bounce",
            InboundStatus::Attached => "attached",
            InboundStatus::Dropped => "dropped",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl fmt::Display for InboundStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An inbound mail to store.
#[derive(Clone, PartialEq, Eq)]
pub struct NewInboundMail {
    /// The Message-ID as written (with its angle brackets), or one derived from the hash.
    pub message_id: String,
    /// SHA-256 of `raw`, hex.
    pub sha256: String,
    /// Where it came from: `imap:<mailbox>`, `pipe`, `api`.
    pub source: String,
    /// The `From` address (personal data: stored, never logged).
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub raw: Vec<u8>,
    /// The attachments as parsed (name, type, size), until they are stored as ticket attachments.
    pub attachments: serde_json::Value,
}

impl fmt::Debug for NewInboundMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewInboundMail")
            .field("sha256", &self.sha256)
            .field("source", &self.source)
            .field("bytes", &self.raw.len())
            .finish_non_exhaustive()
    }
}

/// What the receiving side decided a mail does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Landing {
    /// A comment of `actor` on the ticket (public unless `internal`).
    Comment {
        ticket: TicketId,
        actor: Actor,
        body: Text,
        internal: bool,
    },
    /// A new ticket opened by `actor`.
    Open { new: Box<NewTicket>, actor: Actor },
    /// Waiting for staff, with the reason (no personal data) and the ticket it seemed to answer.
    Quarantine {
        reason: String,
        ticket: Option<TicketId>,
    },
    /// Kept without effect, with the reason.
    Ignore {
        reason: String,
        ticket: Option<TicketId>,
    },
    /// A delivery-status notification about the outbox mail sent as `original` (a Message-ID).
    Bounce {
        original: Option<String>,
        reason: String,
    },
}

/// An inbound mail as staff see it (without its raw bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboundMail {
    pub id: Uuid,
    pub message_id: String,
    pub sha256: String,
    pub source: String,
    pub status: InboundStatus,
    pub reason: Option<String>,
    pub ticket_id: Option<TicketId>,
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub attachments: serde_json::Value,
    pub received_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
}

/// The result of storing a mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A mail with this Message-ID is already stored: nothing was written.
    Duplicate,
    Stored(Box<InboundMail>),
}

fn mail_from_row(row: inbound_mail::Model) -> Result<InboundMail, StoreError> {
    let status = InboundStatus::parse(&row.status)
        .ok_or_else(|| StoreError::corrupt(format!("inbound mail {}: unknown status", row.id)))?;
    Ok(InboundMail {
        id: row.id,
        message_id: row.message_id,
        sha256: row.sha256,
        source: row.source,
        status,
        reason: row.reason,
        ticket_id: row.ticket_id.map(TicketId),
        sender: row.sender,
        subject: row.subject,
        attachments: row.attachments,
        received_at: row.received_at,
        decided_at: row.decided_at,
        decided_by: row.decided_by,
    })
}

impl Store {
    /// Whether a mail with this Message-ID is already stored.
    pub async fn inbound_exists(&self, message_id: &str) -> Result<bool, StoreError> {
        Ok(inbound_mail::Entity::find()
            .filter(inbound_mail::Column::MessageId.eq(message_id))
            .count(&self.db)
            .await?
            > 0)
    }

    /// The ticket of the first of `message_ids` that an outbox mail was sent with (a reply's
    /// `In-Reply-To` and `References`).
    pub async fn ticket_of_sent_message(
        &self,
        message_ids: &[String],
    ) -> Result<Option<TicketId>, StoreError> {
        if message_ids.is_empty() {
            return Ok(None);
        }
        let rows: Vec<(String, Uuid)> = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::MessageId)
            .column(outbox::Column::TicketId)
            .filter(outbox::Column::MessageId.is_in(message_ids.iter().cloned()))
            .into_tuple::<(Option<String>, Uuid)>()
            .all(&self.db)
            .await?
            .into_iter()
            .filter_map(|(id, ticket)| id.map(|id| (id, ticket)))
            .collect();
        // The order of the mail's own list wins: `In-Reply-To` first, then the newest reference.
        Ok(message_ids.iter().find_map(|wanted| {
            rows.iter()
                .find(|(id, _)| id == wanted)
                .map(|(_, ticket)| TicketId(*ticket))
        }))
    }

    /// Whether a ticket with this id exists (a reply to a ticket's thread root).
    pub async fn ticket_exists(&self, id: TicketId) -> Result<bool, StoreError> {
        Ok(ticket::Entity::find_by_id(id.0).count(&self.db).await? > 0)
    }

    /// How many mails `sender` sent since `since` (flood detection).
    pub async fn inbound_count_from(
        &self,
        sender: &str,
        since: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        Ok(inbound_mail::Entity::find()
            .filter(inbound_mail::Column::Sender.eq(sender))
            .filter(inbound_mail::Column::ReceivedAt.gte(since))
            .count(&self.db)
            .await?)
    }

    /// The organisations of which `email` is a designated contact (case-insensitive).
    pub async fn organisations_of_contact(
        &self,
        email: &str,
    ) -> Result<Vec<OrganisationId>, StoreError> {
        let mut ids: Vec<Uuid> = contact::Entity::find()
            .select_only()
            .column(contact::Column::OrganisationId)
            .filter(
                Expr::expr(Func::lower(Expr::col(contact::Column::Email))).eq(email.to_lowercase()),
            )
            .into_tuple()
            .all(&self.db)
            .await?;
        ids.sort();
        ids.dedup();
        Ok(ids.into_iter().map(OrganisationId).collect())
    }

    /// One inbound mail; `NotFound("inbound mail")`.
    pub async fn get_inbound(&self, id: Uuid) -> Result<InboundMail, StoreError> {
        let row = inbound_mail::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("inbound mail"))?;
        mail_from_row(row)
    }

    /// The raw bytes of an inbound mail, as received (`None` once erased).
    pub async fn inbound_raw(&self, id: Uuid) -> Result<Option<Vec<u8>>, StoreError> {
        let raw: Option<Option<Vec<u8>>> = inbound_mail::Entity::find_by_id(id)
            .select_only()
            .column(inbound_mail::Column::Raw)
            .into_tuple()
            .one(&self.db)
            .await?;
        raw.ok_or(StoreError::NotFound("inbound mail"))
    }

    /// A page of inbound mails, all or those with `status`, oldest first (keyset pagination).
    pub async fn list_inbound(
        &self,
        status: Option<InboundStatus>,
        ticket: Option<TicketId>,
        limit: u64,
        cursor: Option<&str>,
    ) -> Result<Page<InboundMail>, StoreError> {
        let mut condition = Condition::all();
        if let Some(status) = status {
            condition = condition.add(inbound_mail::Column::Status.eq(status.name()));
        }
        if let Some(ticket) = ticket {
            condition = condition.add(inbound_mail::Column::TicketId.eq(ticket.0));
        }
        if let Some(text) = cursor {
            condition = condition.add(after_cursor(
                inbound_mail::Column::ReceivedAt,
                inbound_mail::Column::Id,
                text,
            )?);
        }
        let rows = inbound_mail::Entity::find()
            .filter(condition)
            .order_by_asc(inbound_mail::Column::ReceivedAt)
            .order_by_asc(inbound_mail::Column::Id)
            .limit(limit.saturating_add(1))
            .all(&self.db)
            .await?;
        let more = rows.len() as u64 > limit;
        let mut items = Vec::with_capacity(rows.len());
        let mut last = None;
        for row in rows
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
        {
            last = Some(Cursor {
                created_at: row.received_at,
                id: row.id,
            });
            items.push(mail_from_row(row)?);
        }
        Ok(Page {
            items,
            next_cursor: if more { last.map(encode_cursor) } else { None },
        })
    }

    /// Staff decide on a quarantined mail: attach it to a ticket as an internal note of theirs
    /// (the sender was not verified, so it speaks for nobody), open a ticket from it, or drop it.
    /// `NotFound("inbound mail")`; a mail that is not quarantined is refused (`invalid-transition`).
    pub async fn decide_quarantined(
        &self,
        id: Uuid,
        decision: QuarantineDecision,
        staff: &Actor,
        now: DateTime<Utc>,
        policy: &Policy,
    ) -> Result<InboundMail, StoreError> {
        let now = normalise(now);
        let txn = self.write_transaction().await?;
        let row = inbound_mail::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound("inbound mail"))?;
        if row.status != InboundStatus::Quarantined.name() {
            return Err(StoreError::Refused(Refusal::new(
                ticket_domain::refusal::Rule::InvalidTransition,
                format!(
                    "only a quarantined mail can be attached, opened or dropped; this one is {}",
                    row.status
                ),
            )));
        }
        let receipt = |opened| MailReceipt {
            mail: id,
            sha256: row.sha256.clone(),
            opened,
        };
        let (status, ticket) = match decision {
            QuarantineDecision::Attach { ticket, body } => {
                let command = Command::ReceiveMail {
                    body,
                    internal: true,
                    receipt: receipt(false),
                };
                comment(&txn, ticket, staff, command, now, policy)
                    .await?
                    .map_err(StoreError::Refused)?;
                (InboundStatus::Attached, Some(ticket))
            }
            QuarantineDecision::Open { new } => {
                let ticket = open(&txn, *new, staff, receipt(true), now, policy)
                    .await?
                    .map_err(StoreError::Refused)?;
                (InboundStatus::Opened, Some(ticket))
            }
            QuarantineDecision::Drop => (InboundStatus::Dropped, row.ticket_id.map(TicketId)),
        };
        let handle = match staff {
            Actor::Staff { handle, .. } => Some(handle.to_string()),
            _ => None,
        };
        inbound_mail::Entity::update_many()
            .col_expr(inbound_mail::Column::Status, Expr::value(status.name()))
            .col_expr(
                inbound_mail::Column::TicketId,
                Expr::value(ticket.map(|t| t.0)),
            )
            .col_expr(inbound_mail::Column::DecidedAt, Expr::value(Some(now)))
            .col_expr(inbound_mail::Column::DecidedBy, Expr::value(handle))
            .filter(inbound_mail::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        self.commit(txn).await?;
        self.get_inbound(id).await
    }

    /// Records what became of an inbound mail's files (stored as which attachment, or refused
    /// and why).
    pub async fn set_inbound_attachments(
        &self,
        id: Uuid,
        attachments: serde_json::Value,
    ) -> Result<(), StoreError> {
        let result = inbound_mail::Entity::update_many()
            .col_expr(inbound_mail::Column::Attachments, Expr::value(attachments))
            .filter(inbound_mail::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        if result.rows_affected != 1 {
            return Err(StoreError::NotFound("inbound mail"));
        }
        Ok(())
    }

    /// Where the IMAP fetcher of mailbox `name` stands: `(uid_validity, last_uid)`.
    pub async fn imap_position(&self, name: &str) -> Result<Option<(u32, u32)>, StoreError> {
        let row = imap_mailbox::Entity::find_by_id(name.to_owned())
            .one(&self.db)
            .await?;
        Ok(row.map(|r| {
            (
                u32::try_from(r.uid_validity).unwrap_or(0),
                u32::try_from(r.last_uid).unwrap_or(0),
            )
        }))
    }

    /// Records that every message of mailbox `name` up to `last_uid` (under `uid_validity`) is
    /// committed.
    pub async fn set_imap_position(
        &self,
        name: &str,
        uid_validity: u32,
        last_uid: u32,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        imap_mailbox::Entity::insert(imap_mailbox::ActiveModel {
            name: Set(name.to_owned()),
            uid_validity: Set(i64::from(uid_validity)),
            last_uid: Set(i64::from(last_uid)),
            updated_at: Set(normalise(now)),
        })
        .on_conflict(
            OnConflict::column(imap_mailbox::Column::Name)
                .update_columns([
                    imap_mailbox::Column::UidValidity,
                    imap_mailbox::Column::LastUid,
                    imap_mailbox::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(())
    }
}

/// What staff do with a quarantined mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuarantineDecision {
    /// An internal note of theirs on `ticket`, with the mail's text.
    Attach {
        ticket: TicketId,
        body: Text,
    },
    /// A new ticket opened by them from the mail.
    Open {
        new: Box<NewTicket>,
    },
    Drop,
}
