//! The clock sweep over all tickets: which tickets are due, how a sweeper claims them, how what
//! time made due is applied (rules "Clocks (SLA)", "Escalation", closure condition 3).
//!
//! `tickets.next_due_at` (index `tickets_next_due`) holds, for every open ticket, the earliest
//! instant at which [`ticket_domain::sweep`] will have something to do; every write recomputes it.
//! A sweep reads only the rows whose instant has passed, never the whole table.
//!
//! Claiming differs by database:
//! - PostgreSQL (several ticketd replicas may share it): one transaction per batch selects the due
//!   rows `FOR UPDATE SKIP LOCKED` and applies the sweep to each inside it, each ticket under its
//!   own savepoint so that one bad ticket does not undo the others. Replicas take disjoint batches
//!   and never wait for each other; a row another replica has just swept is re-checked by
//!   PostgreSQL against the `next_due_at` it committed before it is locked, so it is not claimed
//!   again.
//! - SQLite (one process): the due ids are read, then each ticket is swept in its own short write
//!   transaction ([`Store::sweep_ticket`]), so commands never wait behind a whole batch.
//!
//! Either way the write stays conditional on the ticket's version: a firing cannot be written twice,
//! and the fired flags live in the ticket, so a restart neither repeats nor loses one.

use crate::entities::ticket;
use crate::tickets::{from_row, normalise, write_decision};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use ticket_domain::Policy;
use ticket_domain::values::TicketId;
use uuid::Uuid;

/// What one batch of the sweep did.
#[derive(Debug, Default)]
pub struct SweepBatch {
    /// Due tickets the batch took (on PostgreSQL: locked for it). Fewer than the limit means that
    /// no other due ticket was free.
    pub claimed: usize,
    /// Tickets on which something fired.
    pub swept: Vec<SweptTicket>,
    /// Claimed, but nothing was due after all (a command or another sweeper got there first, or
    /// the rules see nothing to do at that instant).
    pub unchanged: Vec<TicketId>,
    /// Tickets that could not be swept; the others of the batch were.
    pub failed: Vec<(TicketId, StoreError)>,
}

/// One ticket on which time made something happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweptTicket {
    pub id: TicketId,
    /// The ticket's next due instant after this sweep; at or before the sweep's instant when
    /// something else is already due (a reminder sent late may make the closure due at once).
    pub next_due: Option<DateTime<Utc>>,
}

impl Store {
    /// Claims up to `limit` tickets due at `now` (earliest first, leaving out `skip`) and applies
    /// what time made due on each. See the module's comment for how replicas share the work.
    pub async fn sweep_due(
        &self,
        now: DateTime<Utc>,
        policy: &Policy,
        limit: u64,
        skip: &[TicketId],
    ) -> Result<SweepBatch, StoreError> {
        let now = normalise(now);
        match self.backend() {
            DbBackend::Postgres => self.sweep_claimed(now, policy, limit, skip).await,
            _ => self.sweep_one_by_one(now, policy, limit, skip).await,
        }
    }

    /// The earliest due instant strictly after `after`: when the sweeper must wake next. Tickets
    /// still due at `after` are left out: they were skipped by the pass that just ran, or are held
    /// by another replica.
    pub async fn earliest_due_after(
        &self,
        after: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let due: Option<Option<DateTime<Utc>>> = ticket::Entity::find()
            .select_only()
            .column(ticket::Column::NextDueAt)
            .filter(ticket::Column::NextDueAt.gt(normalise(after)))
            .order_by_asc(ticket::Column::NextDueAt)
            .limit(1)
            .into_tuple()
            .one(&self.db)
            .await?;
        Ok(due.flatten())
    }

    async fn sweep_claimed(
        &self,
        now: DateTime<Utc>,
        policy: &Policy,
        limit: u64,
        skip: &[TicketId],
    ) -> Result<SweepBatch, StoreError> {
        let txn = self.write_transaction().await?;
        let rows = due_query(now, limit, skip, DbBackend::Postgres)
            .all(&txn)
            .await?;
        let mut batch = SweepBatch {
            claimed: rows.len(),
            ..SweepBatch::default()
        };
        for row in rows {
            let id = TicketId(row.id);
            match sweep_claimed_row(&txn, row, now, policy).await {
                Ok(Some(swept)) => batch.swept.push(swept),
                Ok(None) => batch.unchanged.push(id),
                Err(error) => batch.failed.push((id, error)),
            }
        }
        self.commit(txn).await?;
        Ok(batch)
    }

    async fn sweep_one_by_one(
        &self,
        now: DateTime<Utc>,
        policy: &Policy,
        limit: u64,
        skip: &[TicketId],
    ) -> Result<SweepBatch, StoreError> {
        let ids: Vec<Uuid> = due_query(now, limit, skip, self.backend())
            .select_only()
            .column(ticket::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut batch = SweepBatch {
            claimed: ids.len(),
            ..SweepBatch::default()
        };
        for id in ids.into_iter().map(TicketId) {
            match self.sweep_ticket(id, now, policy).await {
                Ok(Some(stored)) => batch.swept.push(SweptTicket {
                    id,
                    next_due: ticket_domain::next_due(&stored.ticket, policy),
                }),
                Ok(None) => batch.unchanged.push(id),
                Err(error) => batch.failed.push((id, error)),
            }
        }
        Ok(batch)
    }
}

/// The tickets due at `now`, earliest first, leaving out `skip`; on PostgreSQL the rows are locked
/// for the caller's transaction and rows locked by others are passed over. It reads the
/// `tickets_next_due` index; public so that tests can check its plan.
pub fn due_query(
    now: DateTime<Utc>,
    limit: u64,
    skip: &[TicketId],
    backend: DbBackend,
) -> sea_orm::Select<ticket::Entity> {
    let mut select = ticket::Entity::find().filter(ticket::Column::NextDueAt.lte(normalise(now)));
    if !skip.is_empty() {
        select = select.filter(ticket::Column::Id.is_not_in(skip.iter().map(|id| id.0)));
    }
    select = select.order_by_asc(ticket::Column::NextDueAt).limit(limit);
    if backend == DbBackend::Postgres {
        select = select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    select
}

/// Sweeps one ticket whose row the batch's transaction holds, under a savepoint: a failure undoes
/// this ticket only.
async fn sweep_claimed_row(
    txn: &DatabaseTransaction,
    row: ticket::Model,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<Option<SweptTicket>, StoreError> {
    let current = from_row(row)?;
    let Some(decision) = ticket_domain::sweep(&current.ticket, now, policy) else {
        return Ok(None);
    };
    let savepoint = txn.begin().await?;
    match write_decision(&savepoint, &decision, current.version, now, policy).await {
        Ok(_) => {
            savepoint.commit().await?;
            Ok(Some(SweptTicket {
                id: decision.ticket.id,
                next_due: ticket_domain::next_due(&decision.ticket, policy),
            }))
        }
        Err(error) => {
            savepoint.rollback().await?;
            Err(error)
        }
    }
}
