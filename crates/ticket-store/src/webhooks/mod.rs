//! Webhooks for partners (issue 36): each organisation's endpoints, and the deliveries of its
//! tickets' events to them, written in the same transaction as the events (the mail outbox's
//! discipline: nothing committed is left unannounced, nothing announced was not committed).
//!
//! Which events an endpoint gets is decided when they are written: the public events of a ticket
//! its organisation may read (reporter, organisation of the ticket, identity provider concerned
//! once the report is confirmed), of the types it subscribed to. What the delivery carries is
//! rendered when it is sent, by the API's need-to-know (the change feed's).

mod dispatch;

pub use dispatch::{
    Attempt, AttemptOutcome, DeliveryState, DueDelivery, LoggedAttempt, Settled, response_head,
    retry_delay,
};

use crate::entities::{webhook_attempt, webhook_delivery, webhook_endpoint};
use crate::{Store, StoreError};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _, InsertStatement, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use ticket_domain::event::Visibility;
use ticket_domain::values::OrganisationId;
use ticket_domain::{Actor, EventData, Ticket};
use uuid::Uuid;

/// The event type an endpoint subscribes to for "the ticket waits for you": a ticket this
/// organisation reported now waits for its answer.
pub const ACTION_REQUIRED: &str = "action_required";

/// The event types a partner's endpoint may subscribe to: the ticket events a partner key may see
/// (public events; alarms, escalations, assignments and mail bookkeeping are internal), and
/// [`ACTION_REQUIRED`].
pub const EVENT_TYPES: &[&str] = &[
    "created",
    "acknowledged",
    "priority_changed",
    "commented",
    "waiting_for_reporter",
    "reporter_answered",
    "resolved",
    "resolution_confirmed",
    "resolution_rejected",
    "qualified",
    "organisation_notified",
    "organisation_concerned",
    "credentials_revoked",
    "revocation_waived",
    "closed",
    "reopened",
    "cancelled",
    "linked",
    "files_attached",
    "mail_received",
    ACTION_REQUIRED,
];

/// The longest URL an endpoint may have.
pub const MAX_URL_LENGTH: usize = 2048;

/// How many endpoints an organisation may have.
pub const MAX_ENDPOINTS_PER_ORGANISATION: u64 = 10;

/// The longest overlap of a rotation, during which the previous secret signs too.
pub const MAX_ROTATION_OVERLAP: TimeDelta = TimeDelta::days(7);

/// A new signing secret in Standard Webhooks form: `whsec_` and the base64 of 32 random bytes
/// from the operating system's CSPRNG.
pub fn new_signing_secret() -> String {
    let mut bytes = [0_u8; 32];
    rand::fill(&mut bytes);
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// The id of a delivery on the wire (`webhook-id`): the same for every retry and every endpoint
/// of the event, so that a receiver can deduplicate.
pub fn message_id(event_id: Uuid) -> String {
    format!("msg_{}", event_id.simple())
}

/// The event id a [`message_id`] names.
pub fn parse_message_id(text: &str) -> Option<Uuid> {
    let hex = text.strip_prefix("msg_")?;
    (hex.len() == 32).then_some(())?;
    Uuid::try_parse(hex).ok()
}

/// An endpoint as stored, without its secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: Uuid,
    pub organisation: OrganisationId,
    pub url: String,
    pub event_types: Vec<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Since when every attempt failed, if the last one did.
    pub failing_since: Option<DateTime<Utc>>,
    /// When it was disabled (by its owner, or after failing for a day).
    pub disabled_at: Option<DateTime<Utc>>,
    /// Until when the previous secret signs too, after a rotation.
    pub previous_valid_until: Option<DateTime<Utc>>,
}

/// The secrets that sign a delivery now: the current one, and the previous one during a
/// rotation's overlap.
#[derive(Debug, Clone)]
pub struct SigningSecrets {
    pub current: String,
    pub previous: Option<String>,
}

/// What an endpoint is made with.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    pub organisation: OrganisationId,
    pub url: String,
    pub event_types: Vec<String>,
}

/// What an update changes; `None` keeps the value.
#[derive(Debug, Clone, Default)]
pub struct EndpointChanges {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    /// `Some(true)` enables it again (and forgets its failures), `Some(false)` disables it.
    pub enabled: Option<bool>,
}

fn endpoint(row: webhook_endpoint::Model) -> Result<Endpoint, StoreError> {
    Ok(Endpoint {
        id: row.id,
        organisation: OrganisationId(row.organisation_id),
        url: row.url,
        event_types: serde_json::from_str(&row.event_types)?,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
        failing_since: row.failing_since,
        disabled_at: row.disabled_at,
        previous_valid_until: row.previous_valid_until,
    })
}

/// Who may hear of a ticket's events: the organisations that may read it. The endpoints are not
/// read beforehand: each event's deliveries are one `INSERT … SELECT` from the endpoints, part of
/// the statement that writes the event (no extra round trip, and no endpoint changed between a
/// read and the write).
#[derive(Debug, Clone, Default)]
pub(crate) struct Targets {
    readers: Vec<OrganisationId>,
}

impl Targets {
    /// The organisations that may read `ticket` as decided.
    pub(crate) fn of(ticket: &Ticket) -> Self {
        Self {
            readers: readers(ticket),
        }
    }

    /// The deliveries of one event to the enabled endpoints that want it, if any may.
    pub(crate) fn deliveries(
        &self,
        ticket: &Ticket,
        event_id: Uuid,
        event: &ticket_domain::Event,
        now: DateTime<Utc>,
    ) -> Option<InsertStatement> {
        if event.visibility != Visibility::Public || self.readers.is_empty() {
            return None;
        }
        let subscribed = |type_name: &str| {
            // The stored list is a JSON array of names: `"name"` with its quotes matches one
            // entry (no type name differs from another only where `_` stands).
            Expr::col(webhook_endpoint::Column::EventTypes).like(format!("%\"{type_name}\"%"))
        };
        let readers: Vec<Uuid> = self.readers.iter().map(|o| o.0).collect();
        let mut wanted = Condition::any().add(
            Condition::all()
                .add(Expr::col(webhook_endpoint::Column::OrganisationId).is_in(readers))
                .add(subscribed(event.data.type_name())),
        );
        let acting: Vec<Uuid> = self
            .readers
            .iter()
            .filter(|o| action_required(ticket, **o, &event.data))
            .map(|o| o.0)
            .collect();
        if !acting.is_empty() {
            wanted = wanted.add(
                Condition::all()
                    .add(Expr::col(webhook_endpoint::Column::OrganisationId).is_in(acting))
                    .add(subscribed(ACTION_REQUIRED)),
            );
        }
        let now = crate::tickets::normalise(now);
        let mut select = Query::select();
        select
            .column(webhook_endpoint::Column::Id)
            .expr(Expr::val(event_id))
            .expr(Expr::val(ticket.id.0))
            .expr(Expr::val(dispatch::PENDING))
            .expr(Expr::val(0_i32))
            .expr(Expr::val(now))
            .expr(Expr::val(now))
            .from(webhook_endpoint::Entity)
            .and_where(Expr::col(webhook_endpoint::Column::DisabledAt).is_null())
            .cond_where(wanted);
        let mut insert = Query::insert();
        insert
            .into_table(webhook_delivery::Entity)
            .columns([
                webhook_delivery::Column::EndpointId,
                webhook_delivery::Column::EventId,
                webhook_delivery::Column::TicketId,
                webhook_delivery::Column::State,
                webhook_delivery::Column::Attempts,
                webhook_delivery::Column::NextAttemptAt,
                webhook_delivery::Column::CreatedAt,
            ])
            .select_from(select)
            .ok()?;
        Some(insert.to_owned())
    }
}

/// Whether `event` asks `organisation` to act: the ticket it reported now waits for its answer.
pub fn action_required(ticket: &Ticket, organisation: OrganisationId, event: &EventData) -> bool {
    matches!(event, EventData::WaitingForReporter { .. })
        && ticket.reporter.is(&partner(organisation))
}

fn partner(organisation: OrganisationId) -> Actor {
    Actor::Partner {
        organisation,
        key_name: String::new(),
    }
}

/// The organisations that may read `ticket` (its partner readers).
pub fn readers(ticket: &Ticket) -> Vec<OrganisationId> {
    let mut candidates = Vec::new();
    candidates.extend(ticket.organisation);
    if let ticket_domain::ticket::ReporterOrigin::Partner { organisation } = &ticket.reporter.origin
    {
        candidates.push(*organisation);
    }
    if let Some(data) = ticket.data.user_usurpation() {
        candidates.extend(data.identity_provider);
    }
    candidates.sort_by_key(|o| o.0);
    candidates.dedup();
    candidates
        .into_iter()
        .filter(|o| ticket.is_visible_to(&partner(*o)))
        .collect()
}

impl Store {
    /// Registers an endpoint; answers it and its signing secret (shown once).
    pub async fn create_webhook_endpoint(
        &self,
        new: NewEndpoint,
        now: DateTime<Utc>,
    ) -> Result<(Endpoint, String), StoreError> {
        let now = crate::tickets::normalise(now);
        let txn = self.write_transaction().await?;
        let count = webhook_endpoint::Entity::find()
            .filter(webhook_endpoint::Column::OrganisationId.eq(new.organisation.0))
            .count(&txn)
            .await?;
        if count >= MAX_ENDPOINTS_PER_ORGANISATION {
            return Err(StoreError::Refused(ticket_domain::Refusal::invalid(vec![
                ticket_domain::values::FieldError::new(
                    "url",
                    "endpoints_per_organisation",
                    format!(
                        "an organisation has at most {MAX_ENDPOINTS_PER_ORGANISATION} endpoints"
                    ),
                ),
            ])));
        }
        let secret = new_signing_secret();
        let row = webhook_endpoint::ActiveModel {
            id: Set(Uuid::now_v7()),
            organisation_id: Set(new.organisation.0),
            url: Set(new.url),
            event_types: Set(serde_json::to_string(&new.event_types)?),
            secret: Set(secret.clone()),
            previous_secret: Set(None),
            previous_valid_until: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            failing_since: Set(None),
            disabled_at: Set(None),
        }
        .insert(&txn)
        .await?;
        self.commit(txn).await?;
        Ok((endpoint(row)?, secret))
    }

    /// The endpoints of one organisation, or of all, oldest first.
    pub async fn list_webhook_endpoints(
        &self,
        organisation: Option<OrganisationId>,
    ) -> Result<Vec<Endpoint>, StoreError> {
        let mut query = webhook_endpoint::Entity::find()
            .order_by_asc(webhook_endpoint::Column::CreatedAt)
            .order_by_asc(webhook_endpoint::Column::Id);
        if let Some(organisation) = organisation {
            query = query.filter(webhook_endpoint::Column::OrganisationId.eq(organisation.0));
        }
        query
            .all(&self.db)
            .await?
            .into_iter()
            .map(endpoint)
            .collect()
    }

    /// One endpoint.
    pub async fn get_webhook_endpoint(&self, id: Uuid) -> Result<Endpoint, StoreError> {
        endpoint(self.endpoint_row(id).await?)
    }

    async fn endpoint_row(&self, id: Uuid) -> Result<webhook_endpoint::Model, StoreError> {
        webhook_endpoint::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("webhook endpoint"))
    }

    /// The secrets that sign deliveries to an endpoint at `now`.
    pub async fn webhook_signing_secrets(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<SigningSecrets, StoreError> {
        let row = self.endpoint_row(id).await?;
        let previous = row
            .previous_secret
            .filter(|_| row.previous_valid_until.is_some_and(|until| until > now));
        Ok(SigningSecrets {
            current: row.secret,
            previous,
        })
    }

    /// Changes an endpoint at `expected_version`.
    pub async fn update_webhook_endpoint(
        &self,
        id: Uuid,
        expected_version: i64,
        changes: EndpointChanges,
        now: DateTime<Utc>,
    ) -> Result<Endpoint, StoreError> {
        let now = crate::tickets::normalise(now);
        let txn = self.write_transaction().await?;
        let row = conditional(&txn, id, expected_version).await?;
        let mut active = row.clone().into_active_model();
        if let Some(url) = changes.url {
            active.url = Set(url);
        }
        if let Some(types) = changes.event_types {
            active.event_types = Set(serde_json::to_string(&types)?);
        }
        match changes.enabled {
            Some(true) => {
                active.disabled_at = Set(None);
                active.failing_since = Set(None);
            }
            Some(false) if row.disabled_at.is_none() => active.disabled_at = Set(Some(now)),
            _ => {}
        }
        active.version = Set(row.version + 1);
        active.updated_at = Set(now);
        let row = active.update(&txn).await?;
        self.commit(txn).await?;
        endpoint(row)
    }

    /// Gives an endpoint a new signing secret; the previous one signs too for `overlap`.
    pub async fn rotate_webhook_secret(
        &self,
        id: Uuid,
        expected_version: i64,
        overlap: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<(Endpoint, String), StoreError> {
        let now = crate::tickets::normalise(now);
        let txn = self.write_transaction().await?;
        let row = conditional(&txn, id, expected_version).await?;
        let secret = new_signing_secret();
        let mut active = row.clone().into_active_model();
        active.previous_secret = Set(Some(row.secret));
        active.previous_valid_until = Set(Some(now + overlap.min(MAX_ROTATION_OVERLAP)));
        active.secret = Set(secret.clone());
        active.version = Set(row.version + 1);
        active.updated_at = Set(now);
        let row = active.update(&txn).await?;
        self.commit(txn).await?;
        Ok((endpoint(row)?, secret))
    }

    /// Deletes an endpoint at `expected_version`, with its deliveries and their log.
    pub async fn delete_webhook_endpoint(
        &self,
        id: Uuid,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let txn = self.write_transaction().await?;
        conditional(&txn, id, expected_version).await?;
        webhook_attempt::Entity::delete_many()
            .filter(webhook_attempt::Column::EndpointId.eq(id))
            .exec(&txn)
            .await?;
        webhook_delivery::Entity::delete_many()
            .filter(webhook_delivery::Column::EndpointId.eq(id))
            .exec(&txn)
            .await?;
        webhook_endpoint::Entity::delete_by_id(id)
            .exec(&txn)
            .await?;
        self.commit(txn).await
    }
}

/// The endpoint if it is at `expected_version` (412 otherwise), read in `txn` (which holds the
/// write lock on SQLite; on PostgreSQL the update's version check is repeated by the row lock).
async fn conditional<C: ConnectionTrait>(
    txn: &C,
    id: Uuid,
    expected_version: i64,
) -> Result<webhook_endpoint::Model, StoreError> {
    let mut query = webhook_endpoint::Entity::find_by_id(id);
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    let row = query
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound("webhook endpoint"))?;
    if row.version != expected_version {
        return Err(StoreError::VersionConflict {
            expected: expected_version,
            current: row.version,
        });
    }
    Ok(row)
}
