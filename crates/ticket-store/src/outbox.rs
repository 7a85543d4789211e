//! The mail outbox: rows written in the same transaction as the event they announce, so that a mail
//! that must be sent is never lost and never sent for a change that was rolled back.

use crate::entities::outbox;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use ticket_domain::notify::{Notification, Recipient, Template};
use ticket_domain::values::TicketId;
use uuid::Uuid;

/// Where a row is in its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
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
    pub fn name(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Sending => "sending",
            Status::Sent => "sent",
            Status::Failed => "failed",
            Status::Uncertain => "uncertain",
        }
    }
}

fn name_of<T: Serialize>(value: &T) -> Result<String, StoreError> {
    Ok(serde_json::to_value(value)?
        .as_str()
        .map(str::to_owned)
        .unwrap_or_default())
}

/// Writes one row per notification of an event, inside the caller's transaction.
pub(crate) async fn enqueue(
    txn: &DatabaseTransaction,
    ticket_id: TicketId,
    event_id: Uuid,
    event_seq: i64,
    notifications: &[Notification],
    tracking_secret: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if notifications.is_empty() {
        return Ok(());
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
        });
    }
    outbox::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    Ok(())
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
}
