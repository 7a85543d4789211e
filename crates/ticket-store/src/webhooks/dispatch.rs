//! Sending the deliveries: which are due (per endpoint, the oldest pending one only, in the change
//! feed's order), claims under a lease (several replicas are safe; a replica killed during an
//! attempt only delays it until the lease ends), the settlement of each attempt and its log,
//! retries, and the endpoints disabled after failing for a day.
//!
//! At least once: a delivery is settled after its answer, so one sent by a replica that died
//! before settling is sent again, with the same `webhook-id`.

use super::Endpoint;
use crate::entities::{
    sealed_text, ticket_event, webhook_attempt, webhook_delivery, webhook_endpoint,
};
use crate::tickets::{StoredEvent, normalise, stored_event};
use crate::{Store, StoreError};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DbBackend, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, Statement, TransactionTrait, Value,
};
use std::time::Duration;
use uuid::Uuid;

pub(crate) const PENDING: &str = "pending";
const DELIVERED: &str = "delivered";
const FAILED: &str = "failed";

/// How long a delivery is retried before it is failed.
pub const RETRY_FOR: TimeDelta = TimeDelta::days(3);

/// How long an endpoint may fail every attempt before it is disabled.
pub const DISABLE_AFTER: TimeDelta = TimeDelta::days(1);

/// The first retry's delay; each next one doubles, up to [`MAX_RETRY_DELAY`].
const FIRST_RETRY: Duration = Duration::from_secs(10);

/// The longest delay between two attempts.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(6 * 3600);

/// How many bytes of an answer the log keeps.
pub const RESPONSE_HEAD_BYTES: usize = 1024;

/// The delay before the attempt after `attempts` failed ones: exponential, capped, with a jitter of
/// ±25 % (`jitter` in [0, 1)) so that endpoints back up together do not retry together.
pub fn retry_delay(attempts: i32, jitter: f64) -> TimeDelta {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let base = FIRST_RETRY
        .saturating_mul(2_u32.saturating_pow(doublings))
        .min(MAX_RETRY_DELAY);
    let factor = 0.75 + 0.5 * jitter.clamp(0.0, 1.0);
    TimeDelta::from_std(base.mul_f64(factor)).unwrap_or(TimeDelta::hours(6))
}

/// A delivery whose turn it is: the oldest pending one of its endpoint, due.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct DueDelivery {
    pub endpoint_id: Uuid,
    pub event_id: Uuid,
    pub ticket_id: Uuid,
    pub attempts: i32,
}

/// What one attempt gave.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    pub latency: Duration,
    pub outcome: AttemptOutcome,
}

/// How an attempt ended.
#[derive(Debug, Clone)]
pub enum AttemptOutcome {
    /// The endpoint answered: 2xx is a delivery, anything else a failure.
    Answered { status: u16, head: String },
    /// No answer: refused address, connection, timeout (a short reason, no personal data).
    NoAnswer { error: String },
    /// The event is no longer the endpoint's to hear (e.g. its organisation may not read the
    /// ticket any more): settled without a request.
    Withheld,
}

impl AttemptOutcome {
    fn succeeded(&self) -> bool {
        matches!(self, AttemptOutcome::Answered { status, .. } if (200..300).contains(status))
    }
}

/// What a settlement did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    Delivered,
    /// Tried again at this instant.
    Retry(DateTime<Utc>),
    /// Given up after [`RETRY_FOR`].
    Failed,
    /// The lease was lost (another replica took the delivery): nothing recorded.
    LeaseLost,
}

/// One entry of an endpoint's delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedAttempt {
    pub id: Uuid,
    pub event_id: Uuid,
    pub attempt: i32,
    pub at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    pub response_head: String,
    pub error: Option<String>,
}

/// A delivery's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryState {
    pub event_id: Uuid,
    pub ticket_id: Uuid,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub settled_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
}

/// The first `RESPONSE_HEAD_BYTES` of an answer, cut on a character boundary.
pub fn response_head(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(RESPONSE_HEAD_BYTES)]);
    let mut head = text.into_owned();
    while head.len() > RESPONSE_HEAD_BYTES {
        head.pop();
    }
    head
}

impl Store {
    /// The deliveries whose turn it is at `now`, at most `limit` (one per endpoint): per enabled
    /// endpoint, its oldest pending delivery in the change feed's order if it is due and not
    /// leased. On PostgreSQL only events below the oldest transaction in progress are considered,
    /// so a delivery committed late is never overtaken by a later one (see [`crate::changes`]).
    pub async fn due_webhook_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let now = normalise(now);
        let limit = i64::try_from(limit.clamp(1, 1000)).unwrap_or(1000);
        let backend = self.backend();
        let (horizon, p) = match backend {
            DbBackend::Postgres => (
                "AND e.feed_position < pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
                ["$1", "$2", "$3"],
            ),
            _ => ("", ["?", "?", "?"]),
        };
        let sql = format!(
            "SELECT endpoint_id, event_id, ticket_id, attempts FROM (
                 SELECT d.endpoint_id, d.event_id, d.ticket_id, d.attempts, d.next_attempt_at,
                        d.lease_until,
                        ROW_NUMBER() OVER (PARTITION BY d.endpoint_id
                                           ORDER BY e.feed_position, e.ticket_id, e.seq) AS turn
                 FROM webhook_deliveries d
                 JOIN ticket_events e ON e.id = d.event_id
                 JOIN webhook_endpoints w ON w.id = d.endpoint_id
                 WHERE d.state = 'pending' AND w.disabled_at IS NULL {horizon}
             ) heads
             WHERE turn = 1 AND next_attempt_at <= {} AND (lease_until IS NULL OR lease_until <= {})
             ORDER BY endpoint_id
             LIMIT {}",
            p[0], p[1], p[2]
        );
        let statement = Statement::from_sql_and_values(
            backend,
            sql,
            [Value::from(now), Value::from(now), Value::from(limit)],
        );
        Ok(DueDelivery::find_by_statement(statement)
            .all(&self.db)
            .await?)
    }

    /// Claims a delivery for `owner` until `until`, if it is still pending and free at `now`.
    pub async fn claim_webhook_delivery(
        &self,
        delivery: &DueDelivery,
        owner: Uuid,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let now = normalise(now);
        let result = webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::LeaseOwner, Expr::value(owner))
            .col_expr(
                webhook_delivery::Column::LeaseUntil,
                Expr::value(normalise(until)),
            )
            .filter(webhook_delivery::Column::EndpointId.eq(delivery.endpoint_id))
            .filter(webhook_delivery::Column::EventId.eq(delivery.event_id))
            .filter(webhook_delivery::Column::State.eq(PENDING))
            .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
            .filter(
                Condition::any()
                    .add(webhook_delivery::Column::LeaseUntil.is_null())
                    .add(webhook_delivery::Column::LeaseUntil.lte(now)),
            )
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// One event of a ticket, as its history reads it.
    pub async fn event_by_id(&self, event_id: Uuid) -> Result<StoredEvent, StoreError> {
        let row = ticket_event::Entity::find_by_id(event_id)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("event"))?;
        let sealed = sealed_text::Entity::find()
            .filter(sealed_text::Column::EventId.eq(event_id))
            .all(&self.db)
            .await?;
        stored_event(row, &sealed)
    }

    /// Records an attempt of a delivery `owner` holds, and settles it: delivered on a 2xx (or
    /// withheld), else retried after [`retry_delay`] until [`RETRY_FOR`] has passed since it was
    /// written, then failed. The endpoint's failures are counted from its first failed attempt
    /// since its last success; failing for [`DISABLE_AFTER`], it is disabled (the answer's
    /// second member says so, for its contacts to be told).
    pub async fn settle_webhook_delivery(
        &self,
        delivery: &DueDelivery,
        owner: Uuid,
        attempt: Attempt,
        jitter: f64,
    ) -> Result<(Settled, Option<Endpoint>), StoreError> {
        let now = normalise(attempt.at);
        let txn = self.write_transaction().await?;
        let Some(row) =
            webhook_delivery::Entity::find_by_id((delivery.endpoint_id, delivery.event_id))
                .one(&txn)
                .await?
                .filter(|row| row.lease_owner == Some(owner) && row.state == PENDING)
        else {
            txn.rollback().await?;
            return Ok((Settled::LeaseLost, None));
        };
        let attempts = row.attempts + 1;
        let succeeded =
            attempt.outcome.succeeded() || matches!(attempt.outcome, AttemptOutcome::Withheld);
        let (status_code, head, error) = match &attempt.outcome {
            AttemptOutcome::Answered { status, head } => (
                Some(i32::from(*status)),
                response_head(head.as_bytes()),
                None,
            ),
            AttemptOutcome::NoAnswer { error } => {
                (None, String::new(), Some(error.chars().take(200).collect()))
            }
            AttemptOutcome::Withheld => (None, String::new(), Some("withheld".to_owned())),
        };
        if !matches!(attempt.outcome, AttemptOutcome::Withheld) {
            webhook_attempt::Entity::insert(webhook_attempt::ActiveModel {
                id: Set(Uuid::now_v7()),
                endpoint_id: Set(row.endpoint_id),
                event_id: Set(row.event_id),
                attempt: Set(attempts),
                at: Set(now),
                status_code: Set(status_code),
                latency_ms: Set(i64::try_from(attempt.latency.as_millis()).unwrap_or(i64::MAX)),
                response_head: Set(head),
                error: Set(error),
            })
            .exec(&txn)
            .await?;
        }
        let settled = if succeeded {
            Settled::Delivered
        } else if now - row.created_at >= RETRY_FOR {
            Settled::Failed
        } else {
            Settled::Retry(now + retry_delay(attempts, jitter))
        };
        let mut update = webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::Attempts, Expr::value(attempts))
            .col_expr(
                webhook_delivery::Column::LeaseOwner,
                Expr::value(Option::<Uuid>::None),
            )
            .col_expr(
                webhook_delivery::Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                webhook_delivery::Column::LastStatus,
                Expr::value(status_code),
            );
        update = match &settled {
            Settled::Retry(at) => {
                update.col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(*at))
            }
            Settled::Delivered => update
                .col_expr(webhook_delivery::Column::State, Expr::value(DELIVERED))
                .col_expr(webhook_delivery::Column::SettledAt, Expr::value(Some(now))),
            _ => update
                .col_expr(webhook_delivery::Column::State, Expr::value(FAILED))
                .col_expr(webhook_delivery::Column::SettledAt, Expr::value(Some(now))),
        };
        update
            .filter(webhook_delivery::Column::EndpointId.eq(row.endpoint_id))
            .filter(webhook_delivery::Column::EventId.eq(row.event_id))
            .exec(&txn)
            .await?;
        let mut disabled = None;
        // A withheld delivery says nothing of the endpoint's health.
        let requested = !matches!(attempt.outcome, AttemptOutcome::Withheld);
        if let Some(endpoint) = webhook_endpoint::Entity::find_by_id(row.endpoint_id)
            .one(&txn)
            .await?
            && requested
        {
            {
                if succeeded {
                    if endpoint.failing_since.is_some() {
                        webhook_endpoint::Entity::update_many()
                            .col_expr(
                                webhook_endpoint::Column::FailingSince,
                                Expr::value(Option::<DateTime<Utc>>::None),
                            )
                            .filter(webhook_endpoint::Column::Id.eq(endpoint.id))
                            .exec(&txn)
                            .await?;
                    }
                } else {
                    let since = endpoint.failing_since.unwrap_or(now);
                    let disable = endpoint.disabled_at.is_none() && now - since >= DISABLE_AFTER;
                    let mut update = webhook_endpoint::Entity::update_many().col_expr(
                        webhook_endpoint::Column::FailingSince,
                        Expr::value(Some(since)),
                    );
                    if disable {
                        update = update
                            .col_expr(webhook_endpoint::Column::DisabledAt, Expr::value(Some(now)));
                    }
                    update
                        .filter(webhook_endpoint::Column::Id.eq(endpoint.id))
                        .exec(&txn)
                        .await?;
                    if disable {
                        let mut endpoint = super::endpoint(endpoint)?;
                        endpoint.disabled_at = Some(now);
                        endpoint.failing_since = Some(since);
                        disabled = Some(endpoint);
                    }
                }
            }
        }
        self.commit(txn).await?;
        Ok((settled, disabled))
    }

    /// An endpoint's delivery log, newest first: at most `limit` attempts before `before` (an
    /// attempt id, for the next page).
    pub async fn webhook_attempts(
        &self,
        endpoint_id: Uuid,
        before: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<LoggedAttempt>, StoreError> {
        let mut query = webhook_attempt::Entity::find()
            .filter(webhook_attempt::Column::EndpointId.eq(endpoint_id))
            .order_by_desc(webhook_attempt::Column::Id)
            .limit(limit);
        if let Some(before) = before {
            query = query.filter(webhook_attempt::Column::Id.lt(before));
        }
        Ok(query
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| LoggedAttempt {
                id: row.id,
                event_id: row.event_id,
                attempt: row.attempt,
                at: row.at,
                status_code: row.status_code,
                latency_ms: row.latency_ms,
                response_head: row.response_head,
                error: row.error,
            })
            .collect())
    }

    /// The state of an endpoint's deliveries, newest event first: at most `limit`.
    pub async fn webhook_deliveries(
        &self,
        endpoint_id: Uuid,
        limit: u64,
    ) -> Result<Vec<DeliveryState>, StoreError> {
        Ok(webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id))
            .order_by_desc(webhook_delivery::Column::EventId)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| DeliveryState {
                event_id: row.event_id,
                ticket_id: row.ticket_id,
                state: row.state,
                attempts: row.attempts,
                next_attempt_at: row.next_attempt_at,
                created_at: row.created_at,
                settled_at: row.settled_at,
                last_status: row.last_status,
            })
            .collect())
    }

    /// Sends a delivery again (manual redelivery): pending, due `now`, retried for
    /// [`RETRY_FOR`] from now, under the same id.
    pub async fn redeliver_webhook(
        &self,
        endpoint_id: Uuid,
        event_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = normalise(now);
        let txn = self.db.begin().await?;
        let result = webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::State, Expr::value(PENDING))
            .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(now))
            .col_expr(webhook_delivery::Column::CreatedAt, Expr::value(now))
            .col_expr(
                webhook_delivery::Column::SettledAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id))
            .filter(webhook_delivery::Column::EventId.eq(event_id))
            .exec(&txn)
            .await?;
        if result.rows_affected != 1 {
            txn.rollback().await?;
            return Err(StoreError::NotFound("delivery"));
        }
        txn.commit().await?;
        Ok(())
    }
}
