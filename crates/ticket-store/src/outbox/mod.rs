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

use crate::entities::{outbox, ticket, ticket_event};
use crate::page::{Cursor, Page, after_cursor, encode_cursor, fetch_limit};
use crate::tickets::normalise;
use crate::{Store, StoreError};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, Condition, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};
use std::fmt;
use ticket_domain::notify::{Language, Notification, Recipient, Template};
use ticket_domain::refusal::{Refusal, Rule};
use ticket_domain::values::TicketId;
use ticket_domain::{Actor, Command, Policy};
use uuid::Uuid;

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

/// A private tracking-link secret on its way to the reporter: `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct TrackingSecret(String);

impl TrackingSecret {
    /// The secret itself, to write the link into the mail.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TrackingSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TrackingSecret([secret])")
    }
}

/// A row a worker claimed: the mail, and the tracking secret its acknowledgement must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedMail {
    pub mail: OutboxMail,
    pub tracking_secret: Option<TrackingSecret>,
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
        tracking_secret: row.tracking_secret.map(TrackingSecret),
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
            handover_started_at: Set(None),
        });
    }
    outbox::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// The update that puts mails back in the queue for staff: `pending`, due `now`, unclaimed, with a
/// fresh budget of attempts.
fn sent_again(now: DateTime<Utc>) -> sea_orm::UpdateMany<outbox::Entity> {
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(Status::Pending.name()))
        .col_expr(outbox::Column::Attempts, Expr::value(0))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(normalise(now)))
        .col_expr(
            outbox::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            outbox::Column::ClaimedBy,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            outbox::Column::HandoverStartedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
}

/// How an attempt to deliver a mail ended: what [`Store::settle_outbox`] records on its row.
#[derive(Debug, Clone, Copy)]
pub enum Settlement<'a> {
    /// The mail server accepted the mail at `at`. Erases the tracking secret (the database keeps
    /// only its hash from now on), and records on the ticket what the delivery proves, under
    /// `policy`.
    Sent {
        message_id: &'a str,
        at: DateTime<Utc>,
        policy: &'a Policy,
    },
    /// A temporary failure: back in the queue, due at `next_attempt_at`.
    Retry {
        error: &'a str,
        next_attempt_at: DateTime<Utc>,
    },
    /// Given up: a permanent failure, no address to write to, or too many attempts. Erases the
    /// tracking secret.
    Failed { error: &'a str },
    /// The connection dropped after the message was handed over: it may have been delivered. The
    /// row waits for staff (see [`Store::retry_outbox`]); `message_id` lets them search the
    /// recipient's logs for it.
    Uncertain {
        error: &'a str,
        message_id: &'a str,
        at: DateTime<Utc>,
    },
    /// A bounce came back for a mail already handed over (sent, uncertain or failed).
    Bounced { reason: &'a str },
}

impl Settlement<'_> {
    /// The update that records the settlement (on the rows the caller then filters).
    fn update(&self) -> sea_orm::UpdateMany<outbox::Entity> {
        let unclaimed = outbox::Entity::update_many().col_expr(
            outbox::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        );
        let status = |update: sea_orm::UpdateMany<outbox::Entity>, status: Status| {
            update.col_expr(outbox::Column::Status, Expr::value(status.name()))
        };
        let secret_erased = |update: sea_orm::UpdateMany<outbox::Entity>| {
            update.col_expr(
                outbox::Column::TrackingSecret,
                Expr::value(Option::<String>::None),
            )
        };
        match *self {
            Settlement::Sent { message_id, at, .. } => {
                secret_erased(status(unclaimed, Status::Sent))
                    .col_expr(outbox::Column::MessageId, Expr::value(message_id))
                    .col_expr(outbox::Column::SentAt, Expr::value(normalise(at)))
            }
            Settlement::Retry {
                error,
                next_attempt_at,
            } => status(unclaimed, Status::Pending)
                .col_expr(outbox::Column::LastError, Expr::value(bounded(error)))
                .col_expr(
                    outbox::Column::HandoverStartedAt,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .col_expr(
                    outbox::Column::NextAttemptAt,
                    Expr::value(normalise(next_attempt_at)),
                ),
            Settlement::Failed { error } => secret_erased(status(unclaimed, Status::Failed))
                .col_expr(outbox::Column::LastError, Expr::value(bounded(error))),
            Settlement::Uncertain {
                error,
                message_id,
                at,
            } => status(unclaimed, Status::Uncertain)
                // Uncertain since: the resend policy counts its delay from here.
                .col_expr(outbox::Column::NextAttemptAt, Expr::value(normalise(at)))
                .col_expr(outbox::Column::LastError, Expr::value(bounded(error)))
                .col_expr(outbox::Column::MessageId, Expr::value(message_id)),
            Settlement::Bounced { reason } => status(unclaimed, Status::Failed).col_expr(
                outbox::Column::LastError,
                Expr::value(format!("bounced: {reason}")),
            ),
        }
    }

    /// Records the settlement on the rows sent as `message_id` that were handed over (a bounce).
    pub(crate) async fn apply_to_handed_over(
        &self,
        txn: &DatabaseTransaction,
        message_id: &str,
    ) -> Result<u64, StoreError> {
        let result = self
            .update()
            .filter(outbox::Column::MessageId.eq(message_id))
            .filter(outbox::Column::Status.is_in([
                Status::Sent.name(),
                Status::Uncertain.name(),
                Status::Failed.name(),
            ]))
            .exec(txn)
            .await?;
        Ok(result.rows_affected)
    }
}

/// Applies what a sent mail proves to its ticket (the domain decides: `RecordMailDelivered`).
async fn record_delivery(
    txn: &DatabaseTransaction,
    id: Uuid,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<(), StoreError> {
    let row = outbox::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound("mail"))?;
    let mail = mail_from_row(row)?.mail;
    if !mail.template.proves_notification() {
        return Ok(());
    }
    let event_at = ticket_event::Entity::find_by_id(mail.event_id)
        .select_only()
        .column(ticket_event::Column::At)
        .into_tuple::<DateTime<Utc>>()
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound("event"))?;
    let stored = crate::tickets::from_row(
        ticket::Entity::find_by_id(mail.ticket_id.0)
            .one(txn)
            .await?
            .ok_or(StoreError::NotFound("ticket"))?,
    )?;
    let command = Command::RecordMailDelivered {
        template: mail.template,
        recipient: mail.recipient,
        event_at,
        delivered_at: now,
    };
    let decision = ticket_domain::decide(&stored.ticket, command, &Actor::System, now, policy)?;
    if !decision.records.is_empty() {
        crate::tickets::write_decision(txn, &decision, stored.version, now, policy).await?;
    }
    Ok(())
}

/// The rows a worker still holds: the only ones it may mark. A row the lease reaper made
/// `uncertain` is still the worker's to mark, so that a late success or failure is not lost; a row
/// an administrator put back to `pending` is not.
fn held_by(id: Uuid, worker: &str) -> Condition {
    Condition::all()
        .add(outbox::Column::Id.eq(id))
        .add(outbox::Column::ClaimedBy.eq(worker))
        .add(outbox::Column::Status.is_in([Status::Sending.name(), Status::Uncertain.name()]))
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

    /// Claims up to `limit` due `pending` rows for `worker` until `now + lease`: they become
    /// `sending`, their attempt is counted. Rows whose lease has expired are first made `uncertain`
    /// (see [`Store::expire_outbox_leases`]).
    ///
    /// PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED` then the update, in one short transaction, so
    /// several dispatchers (ticketd replicas) never claim the same row and never wait for each other.
    /// SQLite: the transaction takes the write lock at once (`BEGIN IMMEDIATE`); one process.
    pub async fn claim_outbox(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: TimeDelta,
        limit: u64,
    ) -> Result<Vec<ClaimedMail>, StoreError> {
        let now = normalise(now);
        self.expire_outbox_leases(now).await?;
        // An idle outbox is polled often: look before taking the write lock (SQLite) or a
        // transaction (PostgreSQL).
        let due = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::Id)
            .filter(outbox::Column::Status.eq(Status::Pending.name()))
            .filter(outbox::Column::NextAttemptAt.lte(now))
            .limit(1)
            .into_tuple::<Uuid>()
            .one(&self.db)
            .await?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        let txn = self.write_transaction().await?;
        let mut select = outbox::Entity::find()
            .filter(outbox::Column::Status.eq(Status::Pending.name()))
            .filter(outbox::Column::NextAttemptAt.lte(now))
            .order_by_asc(outbox::Column::NextAttemptAt)
            .order_by_asc(outbox::Column::Id)
            .limit(limit);
        if self.backend() == DbBackend::Postgres {
            select = select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let rows = select.all(&txn).await?;
        if rows.is_empty() {
            self.commit(txn).await?;
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let until = now + lease;
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value(Status::Sending.name()))
            .col_expr(outbox::Column::ClaimedBy, Expr::value(worker))
            .col_expr(outbox::Column::ClaimedUntil, Expr::value(until))
            .col_expr(
                outbox::Column::Attempts,
                Expr::col(outbox::Column::Attempts).add(1),
            )
            .filter(outbox::Column::Id.is_in(ids))
            .exec(&txn)
            .await?;
        self.commit(txn).await?;
        rows.into_iter()
            .map(|mut row| {
                row.status = Status::Sending.name().to_owned();
                row.claimed_by = Some(worker.to_owned());
                row.claimed_until = Some(until);
                row.attempts += 1;
                mail_from_row(row)
            })
            .collect()
    }

    /// Rows still `sending` after their lease ended belong to a worker that crashed or hung. Those
    /// whose handover had not begun go back to `pending`, due now; the others become `uncertain`
    /// (the mail may have been sent), for staff or the resend policy. Returns how many became
    /// uncertain.
    pub async fn expire_outbox_leases(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let now = normalise(now);
        let expired = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::Id)
            .filter(outbox::Column::Status.eq(Status::Sending.name()))
            .filter(outbox::Column::ClaimedUntil.lt(now))
            .limit(1)
            .into_tuple::<Uuid>()
            .one(&self.db)
            .await?;
        if expired.is_none() {
            return Ok(0);
        }
        let txn = self.write_transaction().await?;
        let requeued = outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value(Status::Pending.name()))
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(now))
            .col_expr(
                outbox::Column::ClaimedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                outbox::Column::Attempts,
                Expr::col(outbox::Column::Attempts).sub(1),
            )
            .filter(outbox::Column::Status.eq(Status::Sending.name()))
            .filter(outbox::Column::ClaimedUntil.lt(now))
            .filter(outbox::Column::HandoverStartedAt.is_null())
            .exec(&txn)
            .await?;
        let uncertain = outbox::Entity::update_many()
            .col_expr(
                outbox::Column::Status,
                Expr::value(Status::Uncertain.name()),
            )
            .col_expr(
                outbox::Column::LastError,
                Expr::value(
                    "the worker's lease expired while it was handing the mail over: it may have been sent",
                ),
            )
            // Uncertain since: the resend policy counts its delay from here.
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(now))
            .filter(outbox::Column::Status.eq(Status::Sending.name()))
            .filter(outbox::Column::ClaimedUntil.lt(now))
            .exec(&txn)
            .await?;
        self.commit(txn).await?;
        if requeued.rows_affected > 0 {
            tracing::warn!(
                rows = requeued.rows_affected,
                "outbox leases expired before sending began; the mails are pending again"
            );
        }
        if uncertain.rows_affected > 0 {
            tracing::warn!(
                rows = uncertain.rows_affected,
                "outbox leases expired while sending; the mails are now uncertain"
            );
        }
        Ok(uncertain.rows_affected)
    }

    /// The worker is about to open the SMTP transaction of a mail it holds: from now on, if it
    /// dies, the mail may have been sent. `false` if `worker` no longer holds the row (then it
    /// must not send it).
    pub async fn begin_outbox_handover(
        &self,
        id: Uuid,
        worker: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = outbox::Entity::update_many()
            .col_expr(
                outbox::Column::HandoverStartedAt,
                Expr::value(normalise(now)),
            )
            .filter(outbox::Column::Id.eq(id))
            .filter(outbox::Column::ClaimedBy.eq(worker))
            .filter(outbox::Column::Status.eq(Status::Sending.name()))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// The operator's "resend" policy for uncertain mails: those uncertain since `before` or
    /// earlier, and with attempts left under `max_attempts`, go back to `pending` (the dispatcher
    /// sends them again under the same Message-ID, so the recipient's system can recognise a
    /// duplicate). Returns how many.
    pub async fn requeue_uncertain_outbox(
        &self,
        before: DateTime<Utc>,
        max_attempts: u32,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let result = outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value(Status::Pending.name()))
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(normalise(now)))
            .col_expr(
                outbox::Column::ClaimedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                outbox::Column::HandoverStartedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(outbox::Column::Status.eq(Status::Uncertain.name()))
            .filter(outbox::Column::NextAttemptAt.lte(normalise(before)))
            .filter(outbox::Column::Attempts.lt(i32::try_from(max_attempts).unwrap_or(i32::MAX)))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }

    /// Ends the attempt of `worker` on a held row as `settlement` says; `false` if `worker` no
    /// longer holds the row.
    ///
    /// A sent mail is recorded in the same transaction as what its delivery proves on the ticket
    /// (the reporter told of the resolution, an organisation concerned notified: "notified" means
    /// accepted by the mail server), so a sent mail and the condition it meets are never apart.
    pub async fn settle_outbox(
        &self,
        id: Uuid,
        worker: &str,
        settlement: Settlement<'_>,
    ) -> Result<bool, StoreError> {
        let Settlement::Sent { at, policy, .. } = settlement else {
            let result = settlement
                .update()
                .filter(held_by(id, worker))
                .exec(&self.db)
                .await?;
            return Ok(result.rows_affected == 1);
        };
        const ATTEMPTS: usize = 5;
        let now = normalise(at);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let txn = self.write_transaction().await?;
            let marked = settlement
                .update()
                .filter(held_by(id, worker))
                .exec(&txn)
                .await?;
            if marked.rows_affected != 1 {
                txn.rollback().await?;
                return Ok(false);
            }
            match record_delivery(&txn, id, now, policy).await {
                Ok(()) => {
                    self.commit(txn).await?;
                    return Ok(true);
                }
                // A command changed the ticket meanwhile: read it again.
                Err(StoreError::VersionConflict { .. }) if attempt < ATTEMPTS => {
                    txn.rollback().await?;
                }
                Err(error) => return Err(error),
            }
        }
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

    /// Staff send every `uncertain` mail again (after checking that none arrived, or accepting
    /// duplicates under the same Message-ID): each goes back to `pending`, due now, with a fresh
    /// budget of attempts. Returns how many.
    pub async fn retry_uncertain_outbox(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let result = sent_again(now)
            .filter(outbox::Column::Status.eq(Status::Uncertain.name()))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }

    /// Staff send a `failed` or `uncertain` mail again: it goes back to `pending`, due now, with a
    /// fresh budget of attempts. `NotFound("mail")`; any other status is refused
    /// (`invalid-transition`): a pending mail is already on its way and a sent one is not resent.
    pub async fn retry_outbox(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<OutboxMail, StoreError> {
        let result = sent_again(now)
            .filter(outbox::Column::Id.eq(id))
            .filter(outbox::Column::Status.is_in([Status::Failed.name(), Status::Uncertain.name()]))
            .exec(&self.db)
            .await?;
        let mail = self.get_outbox(id).await?;
        if result.rows_affected == 0 {
            return Err(StoreError::Refused(Refusal::new(
                Rule::InvalidTransition,
                format!(
                    "only a failed or uncertain mail can be sent again; this one is {}",
                    mail.status
                ),
            )));
        }
        Ok(mail)
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
        let secret = TrackingSecret("s3cr3t-link".into());
        assert!(!format!("{secret:?}").contains("s3cr3t"));
    }

    #[test]
    fn stored_errors_are_bounded() {
        assert_eq!(bounded("short"), "short");
        let long = "é".repeat(5000);
        assert_eq!(bounded(&long).chars().count(), 1001);
    }
}
