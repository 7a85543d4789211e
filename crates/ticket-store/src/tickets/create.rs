//! Opening a ticket: its reference, the tickets it is linked to, idempotent retries.

use super::write::{decision_writes, prepare_events, write_decision};
use super::{Created, IdempotencyRequest, StoredTicket, from_row, normalise, to_row};
use crate::batch::Writes;
use crate::chain::{self};
use crate::entities::{idempotency_key, ticket, tracking_secret};
use crate::secrets::{new_secret, secret_hash};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait as _, Statement,
};
use ticket_domain::kind::TicketKind;
use ticket_domain::lifecycle::Decision;
use ticket_domain::privacy::seals_every_text;
use ticket_domain::ticket::{LinkKind, Reference};
use ticket_domain::values::TicketId;
use ticket_domain::{Actor, Command, EventData, NewTicket, Policy, Ticket};
use uuid::Uuid;

impl Store {
    /// Opens a ticket: allocates its reference, links reports with the same session id, writes the
    /// ticket, its first events and their mails in one transaction. With an idempotency key, a retry
    /// of the same request answers the first response and creates nothing.
    pub async fn create_ticket(
        &self,
        mut new: NewTicket,
        actor: &Actor,
        now: DateTime<Utc>,
        policy: &Policy,
        idempotency: Option<IdempotencyRequest>,
        with_tracking_secret: bool,
    ) -> Result<Created, StoreError> {
        let now = normalise(now);
        if let Some(request) = &idempotency
            && let Some(replay) = self.replay(request).await?
        {
            return Ok(replay);
        }
        // On PostgreSQL the number is taken by a statement of its own, before the transaction: the
        // counter's row is then locked for that statement only, not until the creation commits
        // (which made concurrent creations of a kind wait for each other, one at a time). A
        // creation that fails after it leaves its number unused. SQLite has one writer at a time
        // anyway, and a commit of its own would cost one more sync to disk.
        let reserved = if self.db.get_database_backend() == DbBackend::Postgres {
            Some(reserve_reference(&self.db, new.data.kind(), now).await?)
        } else {
            None
        };
        // PostgreSQL, and nothing to read or link first: the creation is that one statement of
        // inserts, atomic by itself, sent without BEGIN and COMMIT (two round trips fewer).
        let alone = new
            .data
            .user_usurpation()
            .is_none_or(|d| d.session_id.is_none())
            && new.same_session_as.is_empty()
            && new.follow_up_of.is_none()
            && idempotency.is_none();
        if let Some(number) = reserved.filter(|_| alone) {
            new.reference_number = number;
            let decision = ticket_domain::open(new, actor, now, policy)?;
            let tracking_secret = with_tracking_secret.then(new_secret);
            let writes = opened_writes(&decision, tracking_secret.as_deref(), now, policy)?;
            self.write_alone(writes).await?;
            return Ok(Created {
                ticket: StoredTicket {
                    ticket: decision.ticket,
                    version: 1,
                },
                tracking_secret,
                replayed: false,
            });
        }
        let txn = self.write_transaction().await?;
        new.reference_number = match reserved {
            Some(number) => number,
            None => allocate_reference(&txn, new.data.kind(), now).await?,
        };
        if let Some(session) = new.data.user_usurpation().and_then(|d| d.session_id) {
            new.same_session_as = same_session(&txn, session).await?;
        }
        let linked = new.same_session_as.clone();
        // A follow-up names a closed ticket past its reopen window; both are linked, each way.
        let follows = new.follow_up_of;
        if let Some(previous) = follows {
            check_follow_up(&txn, previous, actor, now, policy).await?;
        }
        let decision = ticket_domain::open(new, actor, now, policy)?;
        let ticket_id = decision.ticket.id;
        let tracking_secret = with_tracking_secret.then(new_secret);
        insert_opened(&txn, &decision, tracking_secret.as_deref(), now, policy).await?;
        for other in linked {
            link_back(&txn, other, ticket_id, LinkKind::SameSession, now, policy).await?;
        }
        if let Some(previous) = follows {
            link_back(
                &txn,
                previous,
                ticket_id,
                LinkKind::FollowedUpBy,
                now,
                policy,
            )
            .await?;
        }
        let stored = StoredTicket {
            ticket: decision.ticket,
            version: 1,
        };
        if let Some(request) = &idempotency
            && let Err(error) = remember_response(&txn, request, &stored.ticket, now).await
        {
            // A concurrent retry won the race: answer what it created.
            if error.is_unique_violation() {
                txn.rollback().await?;
                return self
                    .replay(request)
                    .await?
                    .ok_or(StoreError::NotFound("idempotency key"));
            }
            return Err(error);
        }
        self.commit(txn).await?;
        Ok(Created {
            ticket: stored,
            tracking_secret,
            replayed: false,
        })
    }

    async fn replay(&self, request: &IdempotencyRequest) -> Result<Option<Created>, StoreError> {
        let Some(row) =
            idempotency_key::Entity::find_by_id((request.principal.clone(), request.key.clone()))
                .one(&self.db)
                .await?
        else {
            return Ok(None);
        };
        if row.request_hash != request.request_hash {
            return Err(StoreError::IdempotencyKeyReused);
        }
        let ticket: Ticket = serde_json::from_value(row.response)?;
        Ok(Some(Created {
            ticket: StoredTicket { ticket, version: 1 },
            tracking_secret: None,
            replayed: true,
        }))
    }

    /// Forgets idempotency keys older than `before` (they are kept at least 24 h).
    pub async fn purge_idempotency_keys(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let result = idempotency_key::Entity::delete_many()
            .filter(idempotency_key::Column::CreatedAt.lt(before))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }
}

/// Next number of a kind's reference for the year: one atomic upsert, so two concurrent creations
/// never get the same number on either database.
pub(crate) async fn allocate_reference<C: ConnectionTrait>(
    txn: &C,
    kind: TicketKind,
    now: DateTime<Utc>,
) -> Result<u32, StoreError> {
    let year = Reference::new(kind, now, 0).year;
    let statement = Query::insert()
        .into_table("reference_counters")
        .columns(["prefix", "year", "last_number"])
        .values([kind.reference_prefix().into(), year.into(), 1_i64.into()])
        .map_err(StoreError::corrupt)?
        .on_conflict(
            OnConflict::columns(["prefix", "year"])
                .value(
                    "last_number",
                    Expr::col(("reference_counters", "last_number")).add(1),
                )
                .to_owned(),
        )
        .returning_col("last_number")
        .to_owned();
    counter_value(txn.query_one(&statement).await?)
}

/// The number the counter's upsert returned.
fn counter_value(row: Option<sea_orm::QueryResult>) -> Result<u32, StoreError> {
    let row = row.ok_or(StoreError::NotFound("reference counter"))?;
    let number: i64 = row.try_get("", "last_number")?;
    u32::try_from(number).map_err(|_| StoreError::corrupt("reference counter overflow"))
}

/// PostgreSQL, outside any transaction: the next number of a kind's reference for the year, by the
/// same upsert as [`allocate_reference`] in a transaction of its own whose commit does not wait
/// for the disk (`synchronous_commit` off for that transaction only, set by the statement itself).
///
/// Waiting made the counter's row a queue: each increment held the row until its commit had
/// reached the disk, so creations of a kind went one disk flush at a time (issue 17: pgbench, 64
/// clients, the raw creation 2,937/s alone, 1,004/s behind such a counter, 2,170/s behind this one).
///
/// Nothing is lost by not waiting: the ticket that uses the number commits after this statement,
/// and its own commit waits for the write-ahead log up to its commit record, which is after this
/// increment. A crash before that ticket commits can forget the increment, but then no ticket
/// holds the number, and the next creation takes it again.
async fn reserve_reference(
    db: &DatabaseConnection,
    kind: TicketKind,
    now: DateTime<Utc>,
) -> Result<u32, StoreError> {
    let year = Reference::new(kind, now, 0).year;
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO reference_counters (prefix, year, last_number) \
         SELECT $1, $2, 1 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed \
         ON CONFLICT (prefix, year) DO UPDATE SET last_number = reference_counters.last_number + 1 \
         RETURNING last_number",
        [kind.reference_prefix().into(), year.into()],
    );
    counter_value(db.query_one_raw(statement).await?)
}

/// The tickets reported earlier with the same FranceConnect session, oldest first.
async fn same_session(
    txn: &DatabaseTransaction,
    session: Uuid,
) -> Result<Vec<TicketId>, StoreError> {
    let earlier: Vec<Uuid> = ticket::Entity::find()
        .select_only()
        .column(ticket::Column::Id)
        .filter(ticket::Column::SessionId.eq(session))
        .order_by_asc(ticket::Column::CreatedAt)
        .into_tuple()
        .all(txn)
        .await?;
    Ok(earlier.into_iter().map(TicketId).collect())
}

/// A follow-up may name only a ticket its author sees, closed past its reopen window.
async fn check_follow_up(
    txn: &DatabaseTransaction,
    previous: TicketId,
    actor: &Actor,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<(), StoreError> {
    let row = ticket::Entity::find_by_id(previous.0)
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound("ticket"))?;
    let previous = from_row(row)?;
    if !previous.ticket.is_visible_to(actor) {
        return Err(StoreError::NotFound("ticket"));
    }
    ticket_domain::lifecycle::check_follow_up(&previous.ticket, now, policy)?;
    Ok(())
}

/// Inserts an opened ticket (by the API or by mail): its row (version 1), its first events chained
/// from the genesis with their mails, the organisations concerned, its search row and its
/// tracking secret's hash.
pub(crate) async fn insert_opened(
    txn: &DatabaseTransaction,
    decision: &Decision,
    tracking_secret: Option<&str>,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<(), StoreError> {
    opened_writes(decision, tracking_secret, now, policy)?
        .run(txn)
        .await
}

/// What [`insert_opened`] inserts, in order.
fn opened_writes(
    decision: &Decision,
    tracking_secret: Option<&str>,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<Writes, StoreError> {
    let ticket_id = decision.ticket.id;
    let prepared = prepare_events(
        ticket_id,
        0,
        chain::GENESIS.to_owned(),
        &decision.records,
        seals_every_text(&decision.ticket),
    )?;
    let head = prepared
        .last()
        .map_or_else(|| chain::GENESIS.to_owned(), |p| p.hash.clone());
    let count = prepared.len() as i64;
    // The row first: on SQLite the inserts run in this order, and the events name the ticket.
    let mut writes = Writes::default();
    writes.insert(
        ticket::Entity::insert(to_row(&decision.ticket, 1, count, head, policy)?).into_query(),
    );
    decision_writes(
        &mut writes,
        &decision.ticket,
        prepared,
        &decision.records,
        tracking_secret,
        now,
    )?;
    if let Some(secret) = tracking_secret {
        writes.insert(
            tracking_secret::Entity::insert(tracking_secret::ActiveModel {
                ticket_id: Set(ticket_id.0),
                secret_hash: Set(secret_hash(secret)),
                created_at: Set(now),
            })
            .into_query(),
        );
    }
    Ok(writes)
}

/// Keeps the response to an idempotent request, so that a retry answers it.
async fn remember_response(
    txn: &DatabaseTransaction,
    request: &IdempotencyRequest,
    ticket: &Ticket,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    idempotency_key::Entity::insert(idempotency_key::ActiveModel {
        principal: Set(request.principal.clone()),
        key: Set(request.key.clone()),
        request_hash: Set(request.request_hash.clone()),
        ticket_id: Set(ticket.id.0),
        response: Set(serde_json::to_value(ticket)?),
        created_at: Set(now),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// Records on an earlier ticket that a new one is linked to it: a report sharing its session id,
/// or a follow-up.
async fn link_back(
    txn: &DatabaseTransaction,
    other: TicketId,
    new: TicketId,
    link: LinkKind,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<(), StoreError> {
    let row = ticket::Entity::find_by_id(other.0)
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound("ticket"))?;
    let stored = from_row(row)?;
    let command = Command::Link { ticket: new, link };
    let decision = ticket_domain::decide(&stored.ticket, command, &Actor::System, now, policy)?;
    if decision
        .records
        .iter()
        .any(|r| matches!(r.event.data, EventData::Linked { .. }))
    {
        write_decision(txn, &decision, stored.version, now, policy).await?;
    }
    Ok(())
}
