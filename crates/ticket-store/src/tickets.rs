//! Tickets: creation, commands, the clock sweep, listing, history and the evidence file.

use crate::chain::{self, EvidenceEntry, EvidenceFile, Link as ChainLink, Verification};
use crate::entities::{
    idempotency_key, ticket, ticket_event, ticket_organisation, tracking_secret,
};
use crate::outbox;
use crate::secrets::{new_secret, secret_hash};
use crate::{Store, StoreError};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use ticket_domain::kind::TicketKind;
use ticket_domain::lifecycle::{Decision, Record, next_due};
use ticket_domain::ticket::{LinkKind, Reference};
use ticket_domain::values::{OrganisationId, TicketId};
use ticket_domain::{Actor, Command, EventData, NewTicket, Policy, Priority, State, Ticket};
use uuid::Uuid;

/// A ticket with the version that commands must name in `If-Match`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTicket {
    pub ticket: Ticket,
    pub version: i64,
}

/// How a client names a ticket: its id or its reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketKey {
    Id(TicketId),
    Reference(Reference),
}

impl TicketKey {
    /// A UUID or a reference such as `INC-2026-000042`; `None` if it is neither.
    pub fn parse(text: &str) -> Option<Self> {
        if let Ok(id) = Uuid::parse_str(text.trim()) {
            return Some(TicketKey::Id(TicketId(id)));
        }
        Reference::parse(text).map(TicketKey::Reference)
    }
}

/// Retry protection of a create request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRequest {
    /// Who sent it (the API key's id): keys of different clients never collide.
    pub principal: String,
    pub key: String,
    /// SHA-256 of the request body, to tell a retry from a different request.
    pub request_hash: String,
}

/// The result of a create request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// The ticket as created (for a replay, as it was first created).
    pub ticket: StoredTicket,
    /// The private tracking secret, shown once; only its hash is stored.
    pub tracking_secret: Option<String>,
    /// A retry answered with the first response; nothing was created.
    pub replayed: bool,
}

/// An event as stored, with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub id: Uuid,
    pub seq: i64,
    pub event: ticket_domain::Event,
    pub hash: String,
}

/// Filters of the ticket list; every field narrows the result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketFilter {
    pub state: Option<State>,
    pub kind: Option<TicketKind>,
    pub priority: Option<Priority>,
    pub organisation: Option<OrganisationId>,
    pub assignee: Option<String>,
    pub breached: Option<bool>,
    /// Case-insensitive text in the title.
    pub text: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

/// A page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Opaque; `None` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Cursor {
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) id: Uuid,
}

/// Cursors are opaque to clients: base64url of the last row's sort key.
pub(crate) fn encode_cursor(cursor: Cursor) -> String {
    let raw = format!("{}|{}", cursor.created_at.to_rfc3339(), cursor.id);
    URL_SAFE_NO_PAD.encode(raw)
}

pub(crate) fn decode_cursor(text: &str) -> Option<Cursor> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
    let (at, id) = raw.split_once('|')?;
    Some(Cursor {
        created_at: DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc),
        id: Uuid::parse_str(id).ok()?,
    })
}

/// Instants are kept to the microsecond: what PostgreSQL stores, so a ticket read back equals the
/// ticket written.
pub fn normalise(now: DateTime<Utc>) -> DateTime<Utc> {
    now.trunc_subsecs(6)
}

pub(crate) fn to_row(
    ticket: &Ticket,
    version: i64,
    event_count: i64,
    chain_head: String,
    policy: &Policy,
) -> Result<ticket::ActiveModel, StoreError> {
    let session_id = ticket.data.user_usurpation().and_then(|d| d.session_id);
    Ok(ticket::ActiveModel {
        id: Set(ticket.id.0),
        reference: Set(ticket.reference.to_string()),
        kind: Set(ticket.kind().name().to_owned()),
        state: Set(ticket.state.name().to_owned()),
        priority: Set(i16::from(ticket.priority.level())),
        tier: Set(ticket.tier.name().to_owned()),
        organisation_id: Set(ticket.organisation.map(|o| o.0)),
        assignee: Set(ticket.assignee.as_ref().map(|a| a.as_str().to_owned())),
        title: Set(ticket.title.as_str().to_owned()),
        title_search: Set(ticket.title.as_str().to_lowercase()),
        session_id: Set(session_id),
        breached: Set(
            ticket.acknowledgement_clock.breach_fired || ticket.handling_clock.breach_fired
        ),
        next_due_at: Set(next_due(ticket, policy)),
        created_at: Set(ticket.created_at),
        updated_at: Set(ticket.updated_at),
        version: Set(version),
        event_count: Set(event_count),
        chain_head: Set(chain_head),
        document: Set(serde_json::to_value(ticket)?),
        anonymised_at: sea_orm::ActiveValue::NotSet,
    })
}

pub(crate) fn from_row(row: ticket::Model) -> Result<StoredTicket, StoreError> {
    let ticket: Ticket = serde_json::from_value(row.document)?;
    Ok(StoredTicket {
        ticket,
        version: row.version,
    })
}

/// The canonical JSON of an event at its place in a ticket's chain.
fn canonical_event(
    ticket_id: TicketId,
    seq: i64,
    event: &ticket_domain::Event,
) -> Result<String, StoreError> {
    let mut value = serde_json::to_value(event)?;
    if let Value::Object(map) = &mut value {
        map.insert("ticket_id".into(), json!(ticket_id));
        map.insert("seq".into(), json!(seq));
    }
    Ok(chain::canonical_json(&value))
}

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
        let txn = self.write_transaction().await?;
        new.reference_number = allocate_reference(&txn, new.data.kind(), now).await?;
        let session = new.data.user_usurpation().and_then(|d| d.session_id);
        if let Some(session) = session {
            let earlier: Vec<Uuid> = ticket::Entity::find()
                .select_only()
                .column(ticket::Column::Id)
                .filter(ticket::Column::SessionId.eq(session))
                .order_by_asc(ticket::Column::CreatedAt)
                .into_tuple()
                .all(&txn)
                .await?;
            new.same_session_as = earlier.into_iter().map(TicketId).collect();
        }
        let linked = new.same_session_as.clone();
        // A follow-up names a closed ticket past its reopen window; both are linked, each way.
        let follows = new.follow_up_of;
        if let Some(previous) = follows {
            let row = ticket::Entity::find_by_id(previous.0)
                .one(&txn)
                .await?
                .ok_or(StoreError::NotFound("ticket"))?;
            let previous = from_row(row)?;
            if !previous.ticket.is_visible_to(actor) {
                return Err(StoreError::NotFound("ticket"));
            }
            ticket_domain::lifecycle::check_follow_up(&previous.ticket, now, policy)?;
        }
        let decision = ticket_domain::open(new, actor, now, policy)?;
        let ticket_id = decision.ticket.id;
        let prepared = prepare_events(ticket_id, 0, chain::GENESIS.to_owned(), &decision.records)?;
        let head = prepared
            .last()
            .map_or_else(|| chain::GENESIS.to_owned(), |p| p.hash.clone());
        let count = prepared.len() as i64;
        ticket::Entity::insert(to_row(&decision.ticket, 1, count, head, policy)?)
            .exec_without_returning(&txn)
            .await?;
        let tracking_secret = with_tracking_secret.then(new_secret);
        insert_events(
            &txn,
            ticket_id,
            prepared,
            &decision.records,
            tracking_secret.as_deref(),
            now,
        )
        .await?;
        sync_concerned(&txn, &decision.ticket).await?;
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
        if let Some(secret) = &tracking_secret {
            tracking_secret::Entity::insert(tracking_secret::ActiveModel {
                ticket_id: Set(ticket_id.0),
                secret_hash: Set(secret_hash(secret)),
                created_at: Set(now),
            })
            .exec_without_returning(&txn)
            .await?;
        }
        if let Some(request) = &idempotency {
            let inserted = idempotency_key::Entity::insert(idempotency_key::ActiveModel {
                principal: Set(request.principal.clone()),
                key: Set(request.key.clone()),
                request_hash: Set(request.request_hash.clone()),
                ticket_id: Set(ticket_id.0),
                response: Set(serde_json::to_value(&stored.ticket)?),
                created_at: Set(now),
            })
            .exec_without_returning(&txn)
            .await
            .map_err(StoreError::from);
            if let Err(error) = inserted {
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

    pub async fn get_ticket(&self, key: TicketKey) -> Result<StoredTicket, StoreError> {
        let query = match key {
            TicketKey::Id(id) => ticket::Entity::find_by_id(id.0),
            TicketKey::Reference(reference) => {
                ticket::Entity::find().filter(ticket::Column::Reference.eq(reference.to_string()))
            }
        };
        let row = query
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("ticket"))?;
        from_row(row)
    }

    /// The ticket a public tracking secret opens, if any.
    pub async fn ticket_by_tracking_secret(
        &self,
        secret: &str,
    ) -> Result<StoredTicket, StoreError> {
        let row = tracking_secret::Entity::find()
            .filter(tracking_secret::Column::SecretHash.eq(secret_hash(secret)))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("ticket"))?;
        self.get_ticket(TicketKey::Id(TicketId(row.ticket_id)))
            .await
    }

    /// Applies a command on the version the client saw. A stale version is a conflict, never an
    /// overwrite; a refusal of the domain changes nothing.
    pub async fn execute(
        &self,
        key: TicketKey,
        expected_version: i64,
        command: Command,
        actor: &Actor,
        now: DateTime<Utc>,
        policy: &Policy,
    ) -> Result<StoredTicket, StoreError> {
        let now = normalise(now);
        let current = self.get_ticket(key).await?;
        if current.version != expected_version {
            return Err(StoreError::VersionConflict {
                expected: expected_version,
                current: current.version,
            });
        }
        let decision = ticket_domain::decide(&current.ticket, command, actor, now, policy)?;
        let txn = self.write_transaction().await?;
        let version = write_decision(&txn, &decision, expected_version, now, policy).await?;
        self.commit(txn).await?;
        Ok(StoredTicket {
            ticket: decision.ticket,
            version,
        })
    }

    /// Applies what time made due on one ticket; `None` if nothing was due or another sweeper got
    /// there first.
    pub async fn sweep_ticket(
        &self,
        id: TicketId,
        now: DateTime<Utc>,
        policy: &Policy,
    ) -> Result<Option<StoredTicket>, StoreError> {
        let now = normalise(now);
        let current = self.get_ticket(TicketKey::Id(id)).await?;
        let Some(decision) = ticket_domain::sweep(&current.ticket, now, policy) else {
            return Ok(None);
        };
        let txn = self.write_transaction().await?;
        match write_decision(&txn, &decision, current.version, now, policy).await {
            Ok(version) => {
                self.commit(txn).await?;
                Ok(Some(StoredTicket {
                    ticket: decision.ticket,
                    version,
                }))
            }
            Err(StoreError::VersionConflict { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Tickets whose next due instant has passed, earliest first (the `tickets_next_due` index).
    pub async fn due_tickets(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<TicketId>, StoreError> {
        let ids: Vec<Uuid> = ticket::Entity::find()
            .select_only()
            .column(ticket::Column::Id)
            .filter(ticket::Column::NextDueAt.lte(now))
            .order_by_asc(ticket::Column::NextDueAt)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(ids.into_iter().map(TicketId).collect())
    }

    /// The earliest due instant of all tickets, for the sweeper to sleep until.
    pub async fn earliest_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let due: Option<Option<DateTime<Utc>>> = ticket::Entity::find()
            .select_only()
            .column(ticket::Column::NextDueAt)
            .filter(ticket::Column::NextDueAt.is_not_null())
            .order_by_asc(ticket::Column::NextDueAt)
            .into_tuple()
            .one(&self.db)
            .await?;
        Ok(due.flatten())
    }

    /// A page of tickets matching `filter`, sorted by creation then id (keyset pagination: the
    /// cursor is the last row's sort key, so pages never skip or repeat rows and never use OFFSET).
    pub async fn list_tickets(
        &self,
        filter: &TicketFilter,
        limit: u64,
        cursor: Option<&str>,
    ) -> Result<Page<StoredTicket>, StoreError> {
        let rows = list_query(filter, limit, cursor)?.all(&self.db).await?;
        let more = rows.len() as u64 > limit;
        let mut items = Vec::with_capacity(rows.len());
        let mut last = None;
        for row in rows
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
        {
            last = Some(Cursor {
                created_at: row.created_at,
                id: row.id,
            });
            items.push(from_row(row)?);
        }
        Ok(Page {
            items,
            next_cursor: if more { last.map(encode_cursor) } else { None },
        })
    }

    /// A ticket's events in order.
    pub async fn events(&self, id: TicketId) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = self.event_rows(id).await?;
        rows.into_iter()
            .map(|row| {
                let mut value: Value = serde_json::from_str(&row.canonical)?;
                if let Value::Object(map) = &mut value {
                    map.remove("ticket_id");
                    map.remove("seq");
                }
                Ok(StoredEvent {
                    id: row.id,
                    seq: row.seq,
                    event: serde_json::from_value(value)?,
                    hash: row.hash,
                })
            })
            .collect()
    }

    async fn event_rows(&self, id: TicketId) -> Result<Vec<ticket_event::Model>, StoreError> {
        Ok(ticket_event::Entity::find()
            .filter(ticket_event::Column::TicketId.eq(id.0))
            .order_by_asc(ticket_event::Column::Seq)
            .all(&self.db)
            .await?)
    }

    /// The ticket's whole evidence file, verifiable offline.
    pub async fn evidence(&self, id: TicketId) -> Result<EvidenceFile, StoreError> {
        let row = ticket::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("ticket"))?;
        let events = self
            .event_rows(id)
            .await?
            .into_iter()
            .map(|e| {
                Ok(EvidenceEntry {
                    seq: e.seq,
                    event: serde_json::from_str(&e.canonical)?,
                    canonical: e.canonical,
                    prev_hash: e.prev_hash,
                    hash: e.hash,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(EvidenceFile {
            ticket_id: row.id,
            reference: row.reference,
            algorithm: chain::ALGORITHM.to_owned(),
            events,
            head: row.chain_head,
        })
    }

    /// Recomputes a ticket's chain from the stored rows; names the first broken event.
    pub async fn verify_chain(&self, id: TicketId) -> Result<Verification, StoreError> {
        let row = ticket::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("ticket"))?;
        let events = self.event_rows(id).await?;
        Ok(chain::verify(
            events.iter().map(|e| ChainLink {
                seq: e.seq,
                canonical: &e.canonical,
                prev_hash: &e.prev_hash,
                hash: &e.hash,
            }),
            row.event_count,
            &row.chain_head,
        ))
    }
}

/// Rows after a cursor in (created_at, id) order. A row-value comparison, so that the database
/// seeks the index to the cursor instead of filtering every row before it (PostgreSQL and SQLite
/// both support it).
pub(crate) fn after_cursor(
    created_at: impl sea_orm::ColumnTrait,
    id: impl sea_orm::ColumnTrait,
    cursor: &str,
) -> Result<sea_orm::sea_query::SimpleExpr, StoreError> {
    let after = decode_cursor(cursor).ok_or(StoreError::InvalidCursor)?;
    Ok(
        Expr::tuple([Expr::col(created_at), Expr::col(id)]).gt(Expr::tuple([
            Expr::val(after.created_at),
            Expr::val(after.id),
        ])),
    )
}

/// The list query: filters, then keyset pagination on (created_at, id), one row more than the page
/// to know whether another page follows. Public so that tests can check its plan.
pub fn list_query(
    filter: &TicketFilter,
    limit: u64,
    cursor: Option<&str>,
) -> Result<sea_orm::Select<ticket::Entity>, StoreError> {
    let mut condition = Condition::all();
    if let Some(state) = filter.state {
        condition = condition.add(ticket::Column::State.eq(state.name()));
    }
    if let Some(kind) = filter.kind {
        condition = condition.add(ticket::Column::Kind.eq(kind.name()));
    }
    if let Some(priority) = filter.priority {
        condition = condition.add(ticket::Column::Priority.eq(i16::from(priority.level())));
    }
    if let Some(organisation) = filter.organisation {
        condition = condition.add(ticket::Column::OrganisationId.eq(organisation.0));
    }
    if let Some(assignee) = &filter.assignee {
        condition = condition.add(ticket::Column::Assignee.eq(assignee.as_str()));
    }
    if let Some(breached) = filter.breached {
        condition = condition.add(ticket::Column::Breached.eq(breached));
    }
    if let Some(text) = &filter.text {
        let escaped = text
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        condition = condition.add(
            Expr::col(ticket::Column::TitleSearch)
                .like(sea_orm::sea_query::LikeExpr::new(format!("%{escaped}%")).escape('\\')),
        );
    }
    if let Some(from) = filter.created_from {
        condition = condition.add(ticket::Column::CreatedAt.gte(from));
    }
    if let Some(before) = filter.created_before {
        condition = condition.add(ticket::Column::CreatedAt.lt(before));
    }
    if let Some(text) = cursor {
        condition = condition.add(after_cursor(
            ticket::Column::CreatedAt,
            ticket::Column::Id,
            text,
        )?);
    }
    Ok(ticket::Entity::find()
        .filter(condition)
        .order_by_asc(ticket::Column::CreatedAt)
        .order_by_asc(ticket::Column::Id)
        .limit(limit.saturating_add(1)))
}

/// Next number of a kind's reference for the year: one atomic upsert, so two concurrent creations
/// never get the same number on either database.
pub(crate) async fn allocate_reference(
    txn: &DatabaseTransaction,
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
    let row = txn
        .query_one(&statement)
        .await?
        .ok_or(StoreError::NotFound("reference counter"))?;
    let number: i64 = row.try_get("", "last_number")?;
    u32::try_from(number).map_err(|_| StoreError::corrupt("reference counter overflow"))
}

/// Writes a decision on a ticket that has `expected_version`: the conditional update comes first,
/// so it takes the row (PostgreSQL) or the write lock (SQLite) before the chain is read and extended.
pub(crate) async fn write_decision(
    txn: &DatabaseTransaction,
    decision: &Decision,
    expected_version: i64,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<i64, StoreError> {
    let id = decision.ticket.id;
    let version = expected_version + 1;
    let current = ticket::Entity::find_by_id(id.0)
        .select_only()
        .columns([
            ticket::Column::EventCount,
            ticket::Column::ChainHead,
            ticket::Column::Version,
        ])
        .into_tuple::<(i64, String, i64)>()
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound("ticket"))?;
    let (count, head, stored_version) = current;
    if stored_version != expected_version {
        return Err(StoreError::VersionConflict {
            expected: expected_version,
            current: stored_version,
        });
    }
    // Every extension of the chain bumps the version, so if the conditional update below succeeds
    // the chain read above is still the latest one.
    let prepared = prepare_events(id, count, head.clone(), &decision.records)?;
    let new_count = count + prepared.len() as i64;
    let new_head = prepared
        .last()
        .map_or_else(|| head.clone(), |p| p.hash.clone());
    let mut row = to_row(&decision.ticket, version, new_count, new_head, policy)?;
    row.created_at = sea_orm::ActiveValue::NotSet;
    let result = ticket::Entity::update_many()
        .set(row)
        .filter(ticket::Column::Id.eq(id.0))
        .filter(ticket::Column::Version.eq(expected_version))
        .exec(txn)
        .await?;
    if result.rows_affected != 1 {
        let current = ticket::Entity::find_by_id(id.0)
            .select_only()
            .column(ticket::Column::Version)
            .into_tuple::<i64>()
            .one(txn)
            .await?
            .unwrap_or(expected_version);
        return Err(StoreError::VersionConflict {
            expected: expected_version,
            current,
        });
    }
    insert_events(txn, id, prepared, &decision.records, None, now).await?;
    sync_concerned(txn, &decision.ticket).await?;
    Ok(version)
}

pub(crate) struct PreparedEvent {
    id: Uuid,
    seq: i64,
    canonical: String,
    prev_hash: String,
    pub(crate) hash: String,
}

pub(crate) fn prepare_events(
    ticket_id: TicketId,
    count: i64,
    head: String,
    records: &[Record],
) -> Result<Vec<PreparedEvent>, StoreError> {
    let mut previous = head;
    let mut prepared = Vec::with_capacity(records.len());
    for (i, record) in records.iter().enumerate() {
        let seq = count + 1 + i as i64;
        let canonical = canonical_event(ticket_id, seq, &record.event)?;
        let hash = chain::chain_hash(&previous, &canonical);
        prepared.push(PreparedEvent {
            id: Uuid::now_v7(),
            seq,
            canonical,
            prev_hash: std::mem::replace(&mut previous, hash.clone()),
            hash,
        });
    }
    Ok(prepared)
}

pub(crate) async fn insert_events(
    txn: &DatabaseTransaction,
    ticket_id: TicketId,
    prepared: Vec<PreparedEvent>,
    records: &[Record],
    tracking_secret: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for (event, record) in prepared.into_iter().zip(records) {
        let row = ticket_event::ActiveModel {
            id: Set(event.id),
            ticket_id: Set(ticket_id.0),
            seq: Set(event.seq),
            at: Set(record.event.at),
            event_type: Set(record.event.data.type_name().to_owned()),
            visibility: Set(visibility_name(record.event.visibility).to_owned()),
            canonical: Set(event.canonical),
            prev_hash: Set(event.prev_hash),
            hash: Set(event.hash),
        };
        ticket_event::Entity::insert(row)
            .exec_without_returning(txn)
            .await?;
        outbox::enqueue(
            txn,
            ticket_id,
            event.id,
            event.seq,
            &record.notifications,
            tracking_secret,
            now,
        )
        .await?;
    }
    Ok(())
}

fn visibility_name(visibility: ticket_domain::event::Visibility) -> &'static str {
    match visibility {
        ticket_domain::event::Visibility::Public => "public",
        ticket_domain::event::Visibility::Internal => "internal",
    }
}

/// Mirrors the organisations concerned by a ticket into their table (to find a partner's cases).
pub(crate) async fn sync_concerned(
    txn: &DatabaseTransaction,
    ticket: &Ticket,
) -> Result<(), StoreError> {
    if ticket.concerned.is_empty() {
        return Ok(());
    }
    for concerned in &ticket.concerned {
        let role = serde_json::to_value(concerned.role)?;
        let row = ticket_organisation::ActiveModel {
            ticket_id: Set(ticket.id.0),
            organisation_id: Set(concerned.organisation.0),
            role: Set(role.as_str().unwrap_or_default().to_owned()),
            notified_at: Set(concerned.notified_at),
        };
        ticket_organisation::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    ticket_organisation::Column::TicketId,
                    ticket_organisation::Column::OrganisationId,
                ])
                .update_columns([
                    ticket_organisation::Column::Role,
                    ticket_organisation::Column::NotifiedAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
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
