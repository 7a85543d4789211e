//! Tickets: creation, commands, the clock sweep, listing, history and the evidence file.

use crate::chain::{self, EvidenceEntry, EvidenceFile, Link as ChainLink, Verification};
use crate::entities::sealed_text;
use crate::entities::{
    idempotency_key, ticket, ticket_event, ticket_organisation, tracking_secret,
};
use crate::outbox;
pub use crate::page::Page;
// Kept under their former path for the modules that import them from here.
pub(crate) use crate::page::{Cursor, after_cursor, encode_cursor};
use crate::page::{decode_opaque, encode_opaque, fetch_limit};
use crate::seal::{self, SealedText};
use crate::search::{self, Search};
use crate::secrets::{new_secret, secret_hash};
use crate::{Store, StoreError};
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{Value, json};
use ticket_domain::escalation::Tier;
use ticket_domain::kind::KindData;
use ticket_domain::kind::TicketKind;
use ticket_domain::lifecycle::{Decision, Record, next_deadline, next_due};
use ticket_domain::privacy::seals_every_text;
use ticket_domain::ticket::{LinkKind, Reference};
use ticket_domain::values::{OrganisationId, ServiceId, StaffHandle, TicketId};
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

/// Filters of the ticket list; every field narrows the result, and they combine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketFilter {
    /// In any of these states (none: any state).
    pub states: Vec<State>,
    pub kind: Option<TicketKind>,
    /// Of any of these effective priorities (none: any priority).
    pub priorities: Vec<Priority>,
    pub organisation: Option<OrganisationId>,
    /// On this service of the registry (incidents).
    pub service: Option<ServiceId>,
    pub assignee: Option<AssigneeFilter>,
    pub tier: Option<Tier>,
    pub breached: Option<bool>,
    /// Waiting for the reporter (`true`) or not (`false`).
    pub waiting_reporter: Option<bool>,
    /// Whose next deadline comes before this instant.
    pub due_before: Option<DateTime<Utc>>,
    /// Full-text search, in what the caller may search.
    pub search: Option<Search>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub updated_from: Option<DateTime<Utc>>,
    pub updated_before: Option<DateTime<Utc>>,
    /// Linked to this authentication session or event id (user usurpations).
    pub session: Option<Uuid>,
}

/// Whose tickets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssigneeFilter {
    /// Assigned to this member.
    Member(StaffHandle),
    /// Assigned to nobody.
    Unassigned,
}

/// What the list is sorted on; ties are broken by id (time-ordered), in the same direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum SortKey {
    /// Effective priority level (1 = critique first when ascending).
    Priority,
    /// The next deadline of a running clock; tickets without one come after every deadline.
    Deadline,
    #[default]
    Created,
    Updated,
}

impl SortKey {
    pub const ALL: [SortKey; 4] = [
        SortKey::Priority,
        SortKey::Deadline,
        SortKey::Created,
        SortKey::Updated,
    ];

    fn tag(self) -> &'static str {
        match self {
            SortKey::Priority => "p",
            SortKey::Deadline => "d",
            SortKey::Created => "c",
            SortKey::Updated => "u",
        }
    }

    fn column(self) -> ticket::Column {
        match self {
            SortKey::Priority => ticket::Column::Priority,
            SortKey::Deadline => ticket::Column::DeadlineAt,
            SortKey::Created => ticket::Column::CreatedAt,
            SortKey::Updated => ticket::Column::UpdatedAt,
        }
    }
}

/// A sort: key and direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

/// What `deadline_at` holds for a ticket without a running deadline: the end of time, so that the
/// deadline sort and its keyset need no NULL handling and put such tickets last (ascending).
pub fn no_deadline() -> DateTime<Utc> {
    // 9999-12-31T23:59:59Z: representable on both databases.
    DateTime::from_timestamp(253_402_300_799, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The sort key of the last row of a page, and its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortValue {
    Level(i16),
    Instant(DateTime<Utc>),
}

/// A ticket list cursor: the sort it belongs to and the last row's (key, id). Opaque to clients
/// (base64url); a cursor of another sort is refused rather than misread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TicketCursor {
    sort: Sort,
    value: SortValue,
    id: Uuid,
}

impl TicketCursor {
    fn of(sort: Sort, row: &ticket::Model) -> Self {
        let value = match sort.key {
            SortKey::Priority => SortValue::Level(row.priority),
            SortKey::Deadline => SortValue::Instant(row.deadline_at.unwrap_or_else(no_deadline)),
            SortKey::Created => SortValue::Instant(row.created_at),
            SortKey::Updated => SortValue::Instant(row.updated_at),
        };
        Self {
            sort,
            value,
            id: row.id,
        }
    }

    fn encode(&self) -> String {
        let value = match self.value {
            SortValue::Level(level) => level.to_string(),
            SortValue::Instant(at) => at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        };
        let direction = if self.sort.descending { "-" } else { "+" };
        encode_opaque(&format!(
            "t1|{}{direction}|{value}|{}",
            self.sort.key.tag(),
            self.id
        ))
    }

    fn decode(text: &str, sort: Sort) -> Option<Self> {
        let raw = decode_opaque(text)?;
        let mut parts = raw.splitn(4, '|');
        let (version, which, value, id) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let direction = if sort.descending { "-" } else { "+" };
        if version != "t1" || which != format!("{}{direction}", sort.key.tag()) {
            return None;
        }
        let value = match sort.key {
            SortKey::Priority => SortValue::Level(value.parse().ok()?),
            _ => SortValue::Instant(
                DateTime::parse_from_rfc3339(value)
                    .ok()?
                    .with_timezone(&Utc),
            ),
        };
        Some(Self {
            sort,
            value,
            id: Uuid::parse_str(id).ok()?,
        })
    }
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
        deadline_at: Set(Some(
            next_deadline(ticket, policy).unwrap_or_else(no_deadline),
        )),
        service_id: Set(service_of(ticket)),
        created_at: Set(ticket.created_at),
        updated_at: Set(ticket.updated_at),
        version: Set(version),
        event_count: Set(event_count),
        chain_head: Set(chain_head),
        document: Set(serde_json::to_value(ticket)?),
        anonymised_at: sea_orm::ActiveValue::NotSet,
    })
}

/// The registry service an incident is on: what the `service` filter matches.
fn service_of(ticket: &Ticket) -> Option<Uuid> {
    match &ticket.data {
        KindData::Incident(incident) => incident.service.as_ref().map(|s| s.id.0),
        _ => None,
    }
}

pub(crate) fn from_row(row: ticket::Model) -> Result<StoredTicket, StoreError> {
    let ticket: Ticket = serde_json::from_value(row.document)?;
    Ok(StoredTicket {
        ticket,
        version: row.version,
    })
}

/// The canonical JSON of an event at its place in a ticket's chain, its free texts sealed (see
/// [`crate::seal`]) when they may hold personal data; and the texts taken out.
fn canonical_event(
    ticket_id: TicketId,
    seq: i64,
    event: &ticket_domain::Event,
    seal_all: bool,
) -> Result<(String, Vec<SealedText>), StoreError> {
    let mut value = serde_json::to_value(event)?;
    let sealed = seal::seal(&mut value, seal_all);
    if let Value::Object(map) = &mut value {
        map.insert("ticket_id".into(), json!(ticket_id));
        map.insert("seq".into(), json!(seq));
    }
    Ok((chain::canonical_json(&value), sealed))
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
        let events: Vec<&ticket_domain::Event> =
            decision.records.iter().map(|r| &r.event).collect();
        search::index(&txn, &decision.ticket, &events).await?;
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

    /// A page of tickets matching `filter`, in `sort` order then id (keyset pagination: the
    /// cursor is the last row's sort key and id, so pages never skip or repeat rows, even while
    /// tickets are created, and never use OFFSET).
    pub async fn list_tickets(
        &self,
        filter: &TicketFilter,
        sort: Sort,
        limit: u64,
        cursor: Option<&str>,
    ) -> Result<Page<StoredTicket>, StoreError> {
        let hits = match &filter.search {
            Some(search) => crate::search::sparse_hits(&self.db, search).await?,
            None => None,
        };
        let rows =
            narrowed_list_query(self.backend(), filter, hits.as_deref(), sort, limit, cursor)?
                .all(&self.db)
                .await?;
        Page::from_rows(
            rows,
            limit,
            |row| TicketCursor::of(sort, row).encode(),
            from_row,
        )
    }

    /// Fills the triage columns (next deadline, service) and the search text of tickets written
    /// before they existed;
    /// run at start-up, after the migrations. Returns how many tickets it filled.
    pub async fn backfill_triage_columns(&self, policy: &Policy) -> Result<u64, StoreError> {
        let mut filled = 0;
        loop {
            let rows = ticket::Entity::find()
                .filter(ticket::Column::DeadlineAt.is_null())
                .limit(500)
                .all(&self.db)
                .await?;
            if rows.is_empty() {
                return Ok(filled);
            }
            for row in rows {
                let stored = from_row(row)?;
                let ticket = &stored.ticket;
                let deadline = next_deadline(ticket, policy).unwrap_or_else(no_deadline);
                let history = self.events(ticket.id).await?;
                let events: Vec<&ticket_domain::Event> = history.iter().map(|e| &e.event).collect();
                let txn = self.write_transaction().await?;
                search::index(&txn, ticket, &events).await?;
                ticket::Entity::update_many()
                    .col_expr(ticket::Column::DeadlineAt, Expr::value(deadline))
                    .col_expr(ticket::Column::ServiceId, Expr::value(service_of(ticket)))
                    .filter(ticket::Column::Id.eq(ticket.id.0))
                    .exec(&txn)
                    .await?;
                self.commit(txn).await?;
                filled += 1;
            }
        }
    }

    /// A ticket's events in order.
    pub async fn events(&self, id: TicketId) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = self.event_rows(id).await?;
        let sealed = self.sealed_texts(id).await?;
        rows.into_iter()
            .map(|row| {
                let mut value: Value = serde_json::from_str(&row.canonical)?;
                if let Value::Object(map) = &mut value {
                    map.remove("ticket_id");
                    map.remove("seq");
                }
                seal::unseal(&mut value, |pointer| {
                    sealed
                        .iter()
                        .find(|t| t.event_id == row.id && t.pointer == pointer)
                        .map(|t| t.value.clone())
                });
                Ok(StoredEvent {
                    id: row.id,
                    seq: row.seq,
                    event: serde_json::from_value(value)?,
                    hash: row.hash,
                })
            })
            .collect()
    }

    /// The sealed free texts of a ticket's events still held (the anonymiser erases them).
    pub async fn sealed_texts(&self, id: TicketId) -> Result<Vec<sealed_text::Model>, StoreError> {
        Ok(sealed_text::Entity::find()
            .filter(sealed_text::Column::TicketId.eq(id.0))
            .all(&self.db)
            .await?)
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
        let rows = self.event_rows(id).await?;
        let sealed_texts = self
            .sealed_texts(id)
            .await?
            .into_iter()
            .filter_map(|t| {
                let seq = rows.iter().find(|e| e.id == t.event_id)?.seq;
                Some(chain::SealedEntry {
                    seq,
                    pointer: t.pointer,
                    salt: t.salt,
                    value: t.value,
                })
            })
            .collect();
        let events = rows
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
            sealed_texts,
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

/// The list query: filters, then keyset pagination on (sort key, id), one row more than the page
/// to know whether another page follows. Public so that tests and the benchmark can check its plan.
pub fn list_query(
    backend: sea_orm::DbBackend,
    filter: &TicketFilter,
    sort: Sort,
    limit: u64,
    cursor: Option<&str>,
) -> Result<sea_orm::Select<ticket::Entity>, StoreError> {
    narrowed_list_query(backend, filter, None, sort, limit, cursor)
}

/// [`list_query`], with the search's hits already found when they are few (see
/// `search::sparse_hits`).
fn narrowed_list_query(
    backend: sea_orm::DbBackend,
    filter: &TicketFilter,
    hits: Option<&[Uuid]>,
    sort: Sort,
    limit: u64,
    cursor: Option<&str>,
) -> Result<sea_orm::Select<ticket::Entity>, StoreError> {
    let mut condition = Condition::all();
    if !filter.states.is_empty() {
        condition =
            condition.add(ticket::Column::State.is_in(filter.states.iter().map(|s| s.name())));
    }
    if let Some(kind) = filter.kind {
        condition = condition.add(ticket::Column::Kind.eq(kind.name()));
    }
    if !filter.priorities.is_empty() {
        condition = condition.add(
            ticket::Column::Priority.is_in(filter.priorities.iter().map(|p| i16::from(p.level()))),
        );
    }
    if let Some(organisation) = filter.organisation {
        condition = condition.add(ticket::Column::OrganisationId.eq(organisation.0));
    }
    if let Some(service) = filter.service {
        condition = condition.add(ticket::Column::ServiceId.eq(service.0));
    }
    match &filter.assignee {
        Some(AssigneeFilter::Member(handle)) => {
            condition = condition.add(ticket::Column::Assignee.eq(handle.as_str()));
        }
        Some(AssigneeFilter::Unassigned) => {
            condition = condition.add(ticket::Column::Assignee.is_null());
        }
        None => {}
    }
    if let Some(tier) = filter.tier {
        condition = condition.add(ticket::Column::Tier.eq(tier.name()));
    }
    if let Some(breached) = filter.breached {
        condition = condition.add(ticket::Column::Breached.eq(breached));
    }
    match filter.waiting_reporter {
        Some(true) => {
            condition = condition.add(ticket::Column::State.eq(State::WaitingReporter.name()));
        }
        Some(false) => {
            condition = condition.add(ticket::Column::State.ne(State::WaitingReporter.name()));
        }
        None => {}
    }
    if let Some(before) = filter.due_before {
        condition = condition.add(ticket::Column::DeadlineAt.lt(before));
    }
    if let Some(search) = &filter.search {
        condition = condition.add(match hits {
            Some(ids) => ticket::Column::Id.is_in(ids.iter().copied()),
            None => crate::search::matches(search, backend),
        });
    }
    if let Some(from) = filter.created_from {
        condition = condition.add(ticket::Column::CreatedAt.gte(from));
    }
    if let Some(before) = filter.created_before {
        condition = condition.add(ticket::Column::CreatedAt.lt(before));
    }
    if let Some(from) = filter.updated_from {
        condition = condition.add(ticket::Column::UpdatedAt.gte(from));
    }
    if let Some(before) = filter.updated_before {
        condition = condition.add(ticket::Column::UpdatedAt.lt(before));
    }
    if let Some(session) = filter.session {
        condition = condition.add(ticket::Column::SessionId.eq(session));
    }
    let column = sort.key.column();
    if let Some(text) = cursor {
        let after = TicketCursor::decode(text, sort).ok_or(StoreError::InvalidCursor)?;
        let value = match after.value {
            SortValue::Level(level) => Expr::val(level),
            SortValue::Instant(at) => Expr::val(at),
        };
        // A row-value comparison, so that the database seeks the (key, id) index to the cursor
        // instead of filtering every row before it (PostgreSQL and SQLite both support it).
        let row = Expr::tuple([Expr::col(column), Expr::col(ticket::Column::Id)]);
        let key = Expr::tuple([value, Expr::val(after.id)]);
        condition = condition.add(if sort.descending {
            row.lt(key)
        } else {
            row.gt(key)
        });
    }
    let order = if sort.descending {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    Ok(ticket::Entity::find()
        .filter(condition)
        .order_by(column, order.clone())
        .order_by(ticket::Column::Id, order)
        .limit(fetch_limit(limit)))
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
    let prepared = prepare_events(
        id,
        count,
        head.clone(),
        &decision.records,
        seals_every_text(&decision.ticket),
    )?;
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
    let events: Vec<&ticket_domain::Event> = decision.records.iter().map(|r| &r.event).collect();
    search::index(txn, &decision.ticket, &events).await?;
    Ok(version)
}

pub(crate) struct PreparedEvent {
    id: Uuid,
    seq: i64,
    canonical: String,
    prev_hash: String,
    pub(crate) hash: String,
    sealed: Vec<SealedText>,
}

pub(crate) fn prepare_events(
    ticket_id: TicketId,
    count: i64,
    head: String,
    records: &[Record],
    seal_all: bool,
) -> Result<Vec<PreparedEvent>, StoreError> {
    let mut previous = head;
    let mut prepared = Vec::with_capacity(records.len());
    for (i, record) in records.iter().enumerate() {
        let seq = count + 1 + i as i64;
        let (canonical, sealed) = canonical_event(ticket_id, seq, &record.event, seal_all)?;
        let hash = chain::chain_hash(&previous, &canonical);
        prepared.push(PreparedEvent {
            id: Uuid::now_v7(),
            seq,
            canonical,
            prev_hash: std::mem::replace(&mut previous, hash.clone()),
            hash,
            sealed,
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
        for text in &event.sealed {
            sealed_text::Entity::insert(sealed_text::ActiveModel {
                event_id: Set(event.id),
                pointer: Set(text.pointer.clone()),
                ticket_id: Set(ticket_id.0),
                salt: Set(text.salt.clone()),
                value: Set(text.value.clone()),
            })
            .exec_without_returning(txn)
            .await?;
        }
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
