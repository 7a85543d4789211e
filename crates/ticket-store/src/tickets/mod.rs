//! Tickets: creation, commands, the clock sweep, listing, history and the evidence file.

use crate::entities::{ticket, tracking_secret};
pub use crate::page::Page;
// Kept under their former path for the modules that import them from here.
pub(crate) use crate::page::{Cursor, after_cursor, encode_cursor};
use crate::search::{self};
use crate::secrets::secret_hash;
use crate::{Store, StoreError};
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use ticket_domain::audience::Audience;
use ticket_domain::kind::KindData;
use ticket_domain::lifecycle::{next_deadline, next_due};
use ticket_domain::ticket::Reference;
use ticket_domain::values::TicketId;
use ticket_domain::{Actor, Command, Policy, Ticket};
use uuid::Uuid;

mod create;
#[cfg(feature = "testkit")]
mod generated;
mod history;
mod list;
mod write;

pub(crate) use create::{allocate_reference, insert_opened};
pub(crate) use history::stored_event;
pub use list::{AssigneeFilter, Sort, SortKey, TicketFilter, list_query, no_deadline};
pub(crate) use write::{append_service_event, write_decision};

/// A ticket with its versions: the internal one (raised by every write) and those clients hold,
/// which commands name in `If-Match` (see [`ticket_domain::audience`]). All three count in the
/// same numbers: an audience's version is the internal version of the last write it can see, so
/// `public_version <= staff_version <= version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTicket {
    pub ticket: Ticket,
    pub version: i64,
    /// The last write staff can see.
    pub staff_version: i64,
    /// The last write partners and the public reporter can see.
    pub public_version: i64,
}

impl StoredTicket {
    /// The version `audience` holds: its ETag.
    pub fn version_for(&self, audience: Audience) -> i64 {
        match audience {
            Audience::Staff => self.staff_version,
            Audience::Public => self.public_version,
        }
    }

    /// Whether a client of `audience` holding `version` has seen the ticket as it is now: it read
    /// it at or after the last write it can see (an ETag handed on by a reader who sees more —
    /// staff's to a partner — is one of those).
    pub fn is_current_for(&self, audience: Audience, version: i64) -> bool {
        (self.version_for(audience)..=self.version).contains(&version)
    }

    /// The ticket's versions, as a write returns them.
    pub(crate) fn with_versions(ticket: Ticket, versions: Versions) -> Self {
        StoredTicket {
            ticket,
            version: versions.internal,
            staff_version: versions.staff,
            public_version: versions.public,
        }
    }
}

/// A ticket's versions after a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Versions {
    pub(crate) internal: i64,
    pub(crate) staff: i64,
    pub(crate) public: i64,
}

impl Versions {
    pub(crate) const FIRST: Versions = Versions {
        internal: 1,
        staff: 1,
        public: 1,
    };
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
        staff_version: Set(version),
        public_version: Set(version),
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
        staff_version: row.staff_version,
        public_version: row.public_version,
    })
}

impl Store {
    pub async fn get_ticket(&self, key: TicketKey) -> Result<StoredTicket, StoreError> {
        let query = match key {
            TicketKey::Id(id) => ticket::Entity::find_by_id(id.0),
            TicketKey::Reference(reference) => {
                ticket::Entity::find().filter(ticket::Column::Reference.eq(reference.to_string()))
            }
        };
        // The document and the version only, the document as text: decoded once, straight into
        // the ticket (not into a JSON value first, nor the other columns, which copy it).
        let (document, version, staff_version, public_version) = query
            .select_only()
            .column_as(
                Expr::col(ticket::Column::Document).cast_as("text"),
                "document",
            )
            .column(ticket::Column::Version)
            .column(ticket::Column::StaffVersion)
            .column(ticket::Column::PublicVersion)
            .into_tuple::<(String, i64, i64, i64)>()
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("ticket"))?;
        Ok(StoredTicket {
            ticket: serde_json::from_str(&document)?,
            version,
            staff_version,
            public_version,
        })
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

    /// Applies a command on the version the client saw: `expected_version` is the version of the
    /// actor's audience (its ETag). A stale version is a conflict, never an overwrite; a refusal
    /// of the domain changes nothing.
    ///
    /// The decision is made on the ticket as it is now and written conditionally on its internal
    /// version, so nothing another writer did in between is lost. When only bookkeeping the
    /// client cannot see (a mail delivered, an alarm) came in between, the command is decided
    /// again on the newer ticket; when something the client can see did, it is a conflict.
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
        let audience = Audience::of(actor);
        let mut attempts = 0;
        loop {
            attempts += 1;
            let current = self.get_ticket(key).await?;
            if !current.is_current_for(audience, expected_version) {
                return Err(StoreError::VersionConflict {
                    expected: expected_version,
                    current: current.version_for(audience),
                });
            }
            let decision =
                ticket_domain::decide(&current.ticket, command.clone(), actor, now, policy)?;
            let txn = self.write_transaction().await?;
            match write_decision(&txn, &decision, current.version, now, policy).await {
                Ok(versions) => {
                    self.commit(txn).await?;
                    return Ok(StoredTicket::with_versions(decision.ticket, versions));
                }
                // Written by someone else since it was read: look again (a bounded number of times:
                // under a stream of bookkeeping writes, the client retries).
                Err(StoreError::VersionConflict { .. }) if attempts < 5 => {}
                Err(StoreError::VersionConflict { .. }) => {
                    let current = self.get_ticket(key).await?;
                    return Err(StoreError::VersionConflict {
                        expected: expected_version,
                        current: current.version_for(audience),
                    });
                }
                Err(error) => return Err(error),
            }
        }
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
            Ok(versions) => {
                self.commit(txn).await?;
                Ok(Some(StoredTicket::with_versions(decision.ticket, versions)))
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
}
