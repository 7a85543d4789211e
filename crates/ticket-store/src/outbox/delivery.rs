//! Delivering the outbox: claims under a lease, the handover, the settlement of each attempt, and
//! the mails staff send again.

use super::{ClaimedMail, OutboxMail, Status, bounded, mail_from_row};
use crate::entities::{outbox, ticket, ticket_event};
use crate::tickets::normalise;
use crate::{Store, StoreError};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, Condition, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use ticket_domain::refusal::{Refusal, Rule};
use ticket_domain::{Actor, Command, Policy};
use uuid::Uuid;

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
    /// Given up at `at`: a permanent failure, no address to write to, or too many attempts.
    /// Erases the tracking secret, and records on the ticket what the failure means under
    /// `policy` (a reminder that did not reach the reporter tells the ticket's tier).
    Failed {
        error: &'a str,
        at: DateTime<Utc>,
        policy: &'a Policy,
    },
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
            Settlement::Failed { error, .. } => secret_erased(status(unclaimed, Status::Failed))
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

/// What a mail's fate is on its ticket: the mail server accepted it, or it could not be delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Delivered,
    Undeliverable,
}

/// Applies a mail's outcome to its ticket, as the domain decides: what a delivery proves
/// (`RecordMailDelivered`), or what a failure means (`RecordMailUndeliverable`: a reminder of the
/// current wait tells the ticket's tier). Mails whose outcome means nothing on the ticket are
/// skipped without reading it.
pub(crate) async fn record_outcome(
    txn: &DatabaseTransaction,
    id: Uuid,
    outcome: Outcome,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<(), StoreError> {
    let row = outbox::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound("mail"))?;
    let mail = mail_from_row(row)?.mail;
    let matters = match outcome {
        Outcome::Delivered => mail.template.proves_notification(),
        Outcome::Undeliverable => mail.template == ticket_domain::Template::ReporterReminder,
    };
    if !matters {
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
    let (template, recipient) = (mail.template, mail.recipient);
    let command = match outcome {
        Outcome::Delivered => Command::RecordMailDelivered {
            template,
            recipient,
            event_at,
            delivered_at: now,
        },
        Outcome::Undeliverable => Command::RecordMailUndeliverable {
            template,
            recipient,
            event_at,
            failed_at: now,
        },
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

    /// At start-up on SQLite, which serves one process: rows a previous process had claimed but
    /// not begun to hand over go back to `pending` at once, instead of waiting for its lease (a
    /// crashed process would have held them for the whole lease). Rows whose handover had begun
    /// are left to their lease: they may have been sent, and become `uncertain` then. On
    /// PostgreSQL another replica may be working on its claims: nothing is taken back. Returns
    /// how many rows are pending again.
    pub async fn take_back_claims_at_start_up(
        &self,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        if self.backend() != DbBackend::Sqlite {
            return Ok(0);
        }
        let txn = self.write_transaction().await?;
        let requeued = outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value(Status::Pending.name()))
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(normalise(now)))
            .col_expr(
                outbox::Column::ClaimedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                outbox::Column::Attempts,
                Expr::col(outbox::Column::Attempts).sub(1),
            )
            .filter(outbox::Column::Status.eq(Status::Sending.name()))
            .filter(outbox::Column::HandoverStartedAt.is_null())
            .exec(&txn)
            .await?;
        self.commit(txn).await?;
        if requeued.rows_affected > 0 {
            tracing::info!(
                rows = requeued.rows_affected,
                "mails claimed by a previous process but not sent are pending again"
            );
        }
        Ok(requeued.rows_affected)
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
    /// accepted by the mail server), so a sent mail and the condition it meets are never apart; a
    /// failed one with what its failure means (a reminder that did not reach the reporter tells
    /// the ticket's tier).
    pub async fn settle_outbox(
        &self,
        id: Uuid,
        worker: &str,
        settlement: Settlement<'_>,
    ) -> Result<bool, StoreError> {
        let (at, policy, outcome) = match settlement {
            Settlement::Sent { at, policy, .. } => (at, policy, Outcome::Delivered),
            Settlement::Failed { at, policy, .. } => (at, policy, Outcome::Undeliverable),
            _ => {
                let result = settlement
                    .update()
                    .filter(held_by(id, worker))
                    .exec(&self.db)
                    .await?;
                return Ok(result.rows_affected == 1);
            }
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
            match record_outcome(&txn, id, outcome, now, policy).await {
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
}

impl Store {
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
