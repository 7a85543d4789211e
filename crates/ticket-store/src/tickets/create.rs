//! Opening a ticket: its reference, the tickets it is linked to, idempotent retries.

use super::write::{decision_writes, prepare_events, write_decision};
use super::{Created, IdempotencyRequest, StoredTicket, Versions, from_row, normalise, to_row};
use crate::batch::Writes;
use crate::chain::{self};
use crate::entities::{idempotency_key, ticket, tracking_secret};
use crate::secrets::{new_secret, secret_hash};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait as _, Statement,
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
        // On PostgreSQL the number (a sequence's, which locks nothing) is taken before the
        // transaction, so that a creation with nothing to read first is one statement alone. A
        // creation that fails after it leaves its number unused. SQLite takes it inside the
        // transaction (one writer at a time: no gap).
        let reserved = if self.db.get_database_backend() == DbBackend::Postgres {
            Some(allocate_reference(&self.db, new.data.kind(), now).await?)
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
            let targets = crate::webhooks::Targets::of(&decision.ticket);
            let writes =
                opened_writes(&decision, tracking_secret.as_deref(), &targets, now, policy)?;
            self.write_alone(writes).await?;
            return Ok(Created {
                ticket: StoredTicket::with_versions(decision.ticket, Versions::FIRST),
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
        let stored = StoredTicket::with_versions(decision.ticket, Versions::FIRST);
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
            ticket: StoredTicket::with_versions(ticket, Versions::FIRST),
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

/// Next number of a kind's reference for the year; two concurrent creations never get the same
/// number on either database.
///
/// SQLite: an upsert of the counter's row, in the caller's transaction (one writer at a time: no
/// gap, no wait). PostgreSQL: the year's sequence of the kind (`reference_inc_2026`), created on
/// first use. A counter's row was a queue there: each increment held the row until its
/// transaction ended, so creations of a kind went one at a time through it (issue 17: pgbench, 64
/// clients, 8,100 increments/s at most even without waiting for the disk, against 40,000 and more
/// `nextval` a second, which locks nothing). A sequence never gives a number twice, also after a
/// crash (its increments are logged ahead of the tickets that use them; a crash may skip some).
/// Gaps: a creation that fails after taking its number, a crash.
pub(crate) async fn allocate_reference<C: ConnectionTrait>(
    conn: &C,
    kind: TicketKind,
    now: DateTime<Utc>,
) -> Result<u32, StoreError> {
    let year = Reference::new(kind, now, 0).year;
    if conn.get_database_backend() == DbBackend::Postgres {
        return next_in_sequence(conn, kind.reference_prefix(), year).await;
    }
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
    let row = conn
        .query_one(&statement)
        .await?
        .ok_or(StoreError::NotFound("reference counter"))?;
    number(row.try_get("", "last_number")?)
}

/// A reference number as stored (`bigint`) made a `u32`.
fn number(value: i64) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| StoreError::corrupt("reference number overflow"))
}

/// PostgreSQL: the next value of the sequence of `prefix` and `year`, which is created first if it
/// does not exist yet (the first creation of a kind in a year, or of a database whose numbers
/// were taken from `reference_counters` by an earlier version: it then starts after the last of
/// them). Works inside a transaction and outside one: a concurrent first use waits for the
/// creating transaction and then takes the sequence it made.
async fn next_in_sequence<C: ConnectionTrait>(
    conn: &C,
    prefix: &str,
    year: i32,
) -> Result<u32, StoreError> {
    let name = format!("reference_{}_{year}", prefix.to_ascii_lowercase());
    if let Some(value) = nextval(conn, &name).await? {
        return number(value);
    }
    // A `DO` block: DDL takes no bind parameters, and its exception handler (a subtransaction)
    // lets a concurrent creation of the same sequence pass without aborting the caller's
    // transaction. The prefix is one of the kinds' and the year a number.
    conn.execute_unprepared(&format!(
        "DO $$ BEGIN \
           EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I START WITH %s', '{name}', \
             (SELECT COALESCE(MAX(last_number), 0) + 1 FROM reference_counters \
              WHERE prefix = '{prefix}' AND year = {year})); \
         EXCEPTION WHEN unique_violation OR duplicate_table THEN NULL; \
         END $$"
    ))
    .await?;
    nextval(conn, &name)
        .await?
        .ok_or(StoreError::NotFound("reference sequence"))
        .and_then(number)
}

/// `nextval` of the sequence `name`; `None` if there is no such sequence (`to_regclass` is null
/// and `nextval` of null is null: no error, which would end the caller's transaction).
async fn nextval<C: ConnectionTrait>(conn: &C, name: &str) -> Result<Option<i64>, StoreError> {
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT nextval(to_regclass($1)) AS value",
            [name.into()],
        ))
        .await?
        .ok_or(StoreError::NotFound("reference sequence"))?;
    Ok(row.try_get("", "value")?)
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
    let targets = crate::webhooks::Targets::of(&decision.ticket);
    opened_writes(decision, tracking_secret, &targets, now, policy)?
        .run(txn)
        .await
}

/// What [`insert_opened`] inserts, in order.
fn opened_writes(
    decision: &Decision,
    tracking_secret: Option<&str>,
    targets: &crate::webhooks::Targets,
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
        targets,
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
