//! The mail outbox: rows written in the same transaction as the event they announce, so that a mail
//! that must be sent is never lost and never sent for a change that was rolled back.
//!
//! The dispatcher (crate `ticket-mail`) moves each row through these states:
//!
//! ```text
//! pending ──claim──▶ sending ──handover──▶ sent
//!    ▲                  │ ├────▶ failed     (permanent failure, no address, or too many attempts)
//!    │                  │ └────▶ uncertain  (dropped after the message was handed over, or the
//!    └── temporary ─────┘                    lease expired during the handover: it may have been
//!        failure, backoff;                   delivered)
//!        lease expired before the handover
//! failed / uncertain ──admin retry──▶ pending
//! uncertain ──(policy "resend": after a delay, same Message-ID)──▶ pending
//! ```
//!
//! A claim is a lease: `claimed_by` names the worker and `claimed_until` the instant after which a
//! row still `sending` is presumed abandoned by a crashed worker. The worker records
//! `handover_started_at` just before it opens the SMTP transaction of a mail. A row abandoned before
//! that instant was certainly not sent: it goes back to `pending`. A row abandoned after it may
//! have been sent: it becomes `uncertain`, and is sent again only by staff or by the operator's
//! "resend" policy, under the same Message-ID — sending twice silently is what this outbox exists
//! to prevent. So a crash leaves at most the dispatcher's concurrency of mails uncertain.

use crate::entities::outbox;
use crate::page::{Cursor, Page, after_cursor, encode_cursor, fetch_limit};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::QueryTrait as _;
use sea_orm::sea_query::InsertStatement;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::fmt;
use ticket_domain::notify::{Language, Notification, Recipient, Template};
use ticket_domain::values::TicketId;
use uuid::Uuid;

mod delivery;
pub(crate) use delivery::{Outcome, record_outcome};

pub use delivery::Settlement;

/// Where a row is in its delivery.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Status {
    Pending,
    Sending,
    Sent,
    /// Gave up after the configured number of temporary failures, or a permanent one.
    Failed,
    /// The connection dropped after the message was handed over: it may or may not have arrived.
    Uncertain,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Pending,
        Status::Sending,
        Status::Sent,
        Status::Failed,
        Status::Uncertain,
    ];

    pub fn name(self) -> &'static str {
        self.into()
    }

    pub fn parse(name: &str) -> Option<Self> {
        name.parse().ok()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One mail of the outbox, as staff may see it (the tracking secret is never part of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxMail {
    pub id: Uuid,
    pub ticket_id: TicketId,
    pub event_id: Uuid,
    pub event_seq: i64,
    pub template: Template,
    pub recipient: Recipient,
    pub language: Language,
    pub status: Status,
    /// Delivery attempts made (a claim counts as one).
    pub attempts: i32,
    /// A `pending` row is not claimed before this instant (backoff).
    pub next_attempt_at: DateTime<Utc>,
    /// While `sending`: the end of the worker's lease.
    pub claimed_until: Option<DateTime<Utc>>,
    /// The worker that claimed the row last.
    pub claimed_by: Option<String>,
    /// Why the last attempt did not succeed (no personal data).
    pub last_error: Option<String>,
    /// The Message-ID of the mail, once an attempt handed it over.
    pub message_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A row a worker claimed: the mail, and the tracking secret its acknowledgement must carry
/// (`Debug` never prints it).
#[derive(Debug, Clone)]
pub struct ClaimedMail {
    pub mail: OutboxMail,
    pub tracking_secret: Option<SecretString>,
}

fn name_of<T: Serialize>(value: &T) -> Result<String, StoreError> {
    Ok(serde_json::to_value(value)?
        .as_str()
        .map(str::to_owned)
        .unwrap_or_default())
}

fn mail_from_row(row: outbox::Model) -> Result<ClaimedMail, StoreError> {
    let corrupt = |what: &str| StoreError::corrupt(format!("outbox row {}: {what}", row.id));
    let template: Template =
        serde_json::from_value(serde_json::Value::String(row.template.clone()))
            .map_err(|_| corrupt("unknown template"))?;
    let recipient: Recipient =
        serde_json::from_value(row.recipient.clone()).map_err(|_| corrupt("unknown recipient"))?;
    let language = Language::parse(&row.language).ok_or_else(|| corrupt("unknown language"))?;
    let status = Status::parse(&row.status).ok_or_else(|| corrupt("unknown status"))?;
    Ok(ClaimedMail {
        mail: OutboxMail {
            id: row.id,
            ticket_id: TicketId(row.ticket_id),
            event_id: row.event_id,
            event_seq: row.event_seq,
            template,
            recipient,
            language,
            status,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            claimed_until: row.claimed_until,
            claimed_by: row.claimed_by,
            last_error: row.last_error,
            message_id: row.message_id,
            created_at: row.created_at,
            sent_at: row.sent_at,
        },
        tracking_secret: row.tracking_secret.map(SecretString::from),
    })
}

/// Error texts are stored for staff: bounded, so a chatty server cannot bloat the table.
fn bounded(error: &str) -> String {
    const MAX: usize = 1000;
    match error.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &error[..cut]),
        None => error.to_owned(),
    }
}

/// The insert of one row per notification of an event (none without notifications), to run in
/// the transaction that writes the event.
pub(crate) fn enqueue(
    ticket_id: TicketId,
    event_id: Uuid,
    event_seq: i64,
    notifications: &[Notification],
    tracking_secret: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<InsertStatement>, StoreError> {
    if notifications.is_empty() {
        return Ok(None);
    }
    let mut rows = Vec::with_capacity(notifications.len());
    for notification in notifications {
        rows.push(outbox::ActiveModel {
            id: Set(Uuid::now_v7()),
            ticket_id: Set(ticket_id.0),
            event_id: Set(event_id),
            event_seq: Set(event_seq),
            template: Set(name_of(&notification.template)?),
            recipient: Set(serde_json::to_value(notification.recipient)?),
            language: Set(notification.language.code().to_owned()),
            status: Set(Status::Pending.name().to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            claimed_until: Set(None),
            claimed_by: Set(None),
            last_error: Set(None),
            message_id: Set(None),
            // Only the reporter's acknowledgement carries the tracking link.
            tracking_secret: Set(tracking_secret
                .filter(|_| {
                    notification.recipient == Recipient::Reporter
                        && notification.template == Template::AcknowledgementOfReceipt
                })
                .map(str::to_owned)),
            created_at: Set(now),
            sent_at: Set(None),
            handover_started_at: Set(None),
        });
    }
    Ok(Some(outbox::Entity::insert_many(rows).into_query()))
}

impl Store {
    /// The outbox rows of a ticket, in the order of its events.
    pub async fn outbox_of(&self, ticket: TicketId) -> Result<Vec<outbox::Model>, StoreError> {
        Ok(outbox::Entity::find()
            .filter(outbox::Column::TicketId.eq(ticket.0))
            .order_by_asc(outbox::Column::EventSeq)
            .order_by_asc(outbox::Column::Id)
            .all(&self.db)
            .await?)
    }

    /// One outbox mail; `NotFound("mail")`.
    pub async fn get_outbox(&self, id: Uuid) -> Result<OutboxMail, StoreError> {
        let row = outbox::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("mail"))?;
        Ok(mail_from_row(row)?.mail)
    }

    /// A page of outbox mails, all or those with `status`, oldest first (created, then id; keyset
    /// pagination with an opaque cursor, like every list of the API).
    pub async fn list_outbox(
        &self,
        status: Option<Status>,
        limit: u64,
        cursor: Option<&str>,
    ) -> Result<Page<OutboxMail>, StoreError> {
        let mut condition = Condition::all();
        if let Some(status) = status {
            condition = condition.add(outbox::Column::Status.eq(status.name()));
        }
        if let Some(text) = cursor {
            condition = condition.add(after_cursor(
                outbox::Column::CreatedAt,
                outbox::Column::Id,
                text,
            )?);
        }
        let rows = outbox::Entity::find()
            .filter(condition)
            .order_by_asc(outbox::Column::CreatedAt)
            .order_by_asc(outbox::Column::Id)
            .limit(fetch_limit(limit))
            .all(&self.db)
            .await?;
        Page::from_rows(
            rows,
            limit,
            |row| {
                encode_cursor(Cursor {
                    created_at: row.created_at,
                    id: row.id,
                })
            },
            |row| Ok(mail_from_row(row)?.mail),
        )
    }

    /// How many mails are in each status (every status present, zero included): for monitoring.
    pub async fn count_outbox(&self) -> Result<Vec<(Status, u64)>, StoreError> {
        let counts: Vec<(String, i64)> = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::Status)
            .column_as(outbox::Column::Id.count(), "count")
            .group_by(outbox::Column::Status)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(Status::ALL
            .into_iter()
            .map(|status| {
                let count = counts
                    .iter()
                    .find(|(name, _)| name == status.name())
                    .map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0));
                (status, count)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_round_trip_and_match_serde() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.name()), Some(status));
            let json = serde_json::to_value(status).ok();
            assert_eq!(json.as_ref().and_then(|v| v.as_str()), Some(status.name()));
        }
    }

    #[test]
    fn tracking_secrets_stay_out_of_debug_output() {
        let secret = SecretString::from("s3cr3t-link");
        assert!(!format!("{secret:?}").contains("s3cr3t"));
    }

    #[test]
    fn stored_errors_are_bounded() {
        assert_eq!(bounded("short"), "short");
        let long = "é".repeat(5000);
        assert_eq!(bounded(&long).chars().count(), 1001);
    }
}
