//! Webhooks for partners (issue 36): an organisation's endpoints, their delivery log, manual
//! redelivery; and what a delivery carries ([`payload`]).
//!
//! Admins manage any organisation's endpoints; a partner key manages its own organisation's (any
//! other answers 404, so that endpoints do not leak between partners). Other staff have no say.
//! A URL must be `https` (plain `http` only where the operator's policy allows it, for tests), and
//! its host must not be, nor resolve to, a loopback, private, link-local (cloud metadata),
//! unspecified, broadcast or otherwise non-global address (422 naming the rule): the service must
//! never be a partner's way into the operator's network. The dispatcher checks again at each
//! delivery, through the resolver it connects with.

use crate::ApiState;
use crate::ApiTag;
use crate::auth::{ApiKeyAuth, Principal};
use crate::commands::run::expected_version;
use crate::dto::Instant;
use crate::error::ApiError;
use crate::history::{EventView, event_view, own_words_in_full, shown_to};
use crate::problem::{FieldError, Problem};
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use std::sync::Arc;
use ticket_domain::values::OrganisationId;
use ticket_store::StoreError;
use ticket_store::tickets::{StoredEvent, StoredTicket};
use ticket_store::webhooks::{
    Endpoint, EndpointChanges, NewEndpoint, action_required, message_id, parse_message_id,
};
use ticket_webhooks::resolve::{ResolveError, resolve_checked};
use ticket_webhooks::{AddressPolicy, NameLookup, UrlRefusal, check_url};
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

/// Where webhooks may go, and how names are looked up: the operator's policy.
#[derive(Debug, Clone)]
pub struct WebhookGuard {
    pub policy: Arc<AddressPolicy>,
    pub lookup: Arc<dyn NameLookup>,
}

impl Default for WebhookGuard {
    fn default() -> Self {
        Self {
            policy: Arc::new(AddressPolicy::default()),
            lookup: Arc::new(ticket_webhooks::SystemLookup),
        }
    }
}

/// What a partner's endpoint may subscribe to: the public ticket events a partner key may see,
/// and `action_required` (a ticket the organisation reported waits for its answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum)]
#[oai(rename_all = "snake_case")]
pub enum WebhookEventType {
    Created,
    Acknowledged,
    PriorityChanged,
    Commented,
    WaitingForReporter,
    ReporterAnswered,
    Resolved,
    ResolutionConfirmed,
    ResolutionRejected,
    Qualified,
    OrganisationNotified,
    OrganisationConcerned,
    CredentialsRevoked,
    RevocationWaived,
    Closed,
    Reopened,
    Cancelled,
    Linked,
    FilesAttached,
    MailReceived,
    ActionRequired,
}

impl WebhookEventType {
    /// The wire name (snake_case), which the store's list holds too.
    fn name(self) -> String {
        poem_openapi::types::ToJSON::to_json(&self)
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    fn parse(name: &str) -> Option<Self> {
        poem_openapi::types::ParseFromJSON::parse_from_json(Some(serde_json::Value::String(
            name.to_owned(),
        )))
        .ok()
    }
}

/// A webhook endpoint, without its signing secret.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct WebhookView {
    /// Endpoint id.
    pub id: Uuid,
    /// The organisation whose tickets' events it receives.
    pub organisation_id: Uuid,
    /// Where deliveries are posted.
    pub url: String,
    /// The event types it receives.
    pub event_types: Vec<WebhookEventType>,
    /// Whether deliveries are sent (false once disabled by its owner or after failing for a day).
    pub enabled: bool,
    /// When it was disabled.
    pub disabled_at: Option<Instant>,
    /// Since when every delivery attempt failed, when the last one did.
    pub failing_since: Option<Instant>,
    /// After a rotation, until when the previous secret signs too.
    pub previous_secret_valid_until: Option<Instant>,
    /// When it was registered.
    pub created_at: Instant,
    /// When it was last changed.
    pub updated_at: Instant,
}

/// An endpoint with its signing secret, shown this once.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct WebhookWithSecret {
    /// The endpoint.
    #[oai(flatten)]
    pub endpoint: WebhookView,
    /// The signing secret (`whsec_` and the base64 of 32 random bytes), for a Standard Webhooks
    /// library to verify `webhook-signature`. Shown this once.
    pub secret: String,
}

/// A new endpoint.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct NewWebhookBody {
    /// The organisation; a partner key may omit it (its own) or name its own only. Required for
    /// an admin.
    pub organisation_id: Option<Uuid>,
    /// An `https` URL whose host is a global address (or resolves only to global addresses).
    #[oai(validator(min_length = 1, max_length = 2048))]
    pub url: String,
    /// The event types to receive, at least one, each once.
    #[oai(validator(min_items = 1, max_items = 21, unique_items))]
    pub event_types: Vec<WebhookEventType>,
}

/// Changes to an endpoint; give at least one field.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct WebhookChanges {
    /// A new URL (checked as at registration).
    #[oai(validator(min_length = 1, max_length = 2048))]
    pub url: Option<String>,
    /// The event types to receive from now on.
    #[oai(validator(min_items = 1, max_items = 21, unique_items))]
    pub event_types: Option<Vec<WebhookEventType>>,
    /// `false` disables it; `true` enables it again and forgets its failures.
    pub enabled: Option<bool>,
}

fn default_overlap() -> u64 {
    86_400
}

/// A rotation of the signing secret.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct RotateWebhookSecretBody {
    /// How long the previous secret keeps signing beside the new one, in seconds, 0 to 604800
    /// (7 days); one day by default.
    #[oai(
        default = "default_overlap",
        validator(minimum(value = "0"), maximum(value = "604800"))
    )]
    pub overlap_seconds: u64,
}

/// The endpoints.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct WebhookList {
    /// Oldest first.
    pub items: Vec<WebhookView>,
    /// Always absent: an organisation has at most 10 endpoints.
    pub next_cursor: Option<String>,
}

/// One attempt of a delivery.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct WebhookAttemptView {
    /// Attempt id.
    pub id: Uuid,
    /// The delivery's `webhook-id` (the same on every attempt).
    pub message_id: String,
    /// Which attempt of the delivery, from 1.
    pub attempt: i32,
    /// When it was made.
    pub at: Instant,
    /// The endpoint's HTTP status; absent when there was no answer.
    pub status_code: Option<i32>,
    /// How long the attempt took, in milliseconds.
    pub latency_ms: i64,
    /// The answer's first bytes (at most 1024).
    pub response_head: String,
    /// Why there was no answer (address refused, connection, timeout).
    pub error: Option<String>,
}

/// An endpoint's delivery log.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct WebhookAttemptList {
    /// Newest first.
    pub items: Vec<WebhookAttemptView>,
    /// Pass it as `cursor` for older attempts; absent on the last page.
    pub next_cursor: Option<String>,
}

/// A delivery and its state.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct WebhookDeliveryView {
    /// The delivery's `webhook-id`.
    pub message_id: String,
    /// The ticket.
    pub ticket_id: Uuid,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    /// Attempts made.
    pub attempts: i32,
    /// When the next attempt is due (pending deliveries).
    pub next_attempt_at: Option<Instant>,
    /// When it was delivered or given up.
    pub settled_at: Option<Instant>,
    /// The last attempt's HTTP status.
    pub last_status: Option<i32>,
}

/// An endpoint's deliveries.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct WebhookDeliveryList {
    /// Newest event first, at most 200.
    pub items: Vec<WebhookDeliveryView>,
    /// Always absent.
    pub next_cursor: Option<String>,
}

/// An endpoint and its ETag.
#[derive(Debug, ApiResponse)]
pub enum WebhookResponse {
    /// The endpoint; its `ETag` goes in `If-Match` of changes.
    #[oai(status = 200)]
    Ok(
        Json<WebhookView>,
        /// The endpoint's version, as a strong entity tag.
        #[oai(header = "ETag")]
        String,
    ),
}

/// An endpoint just registered, or given a new secret.
#[derive(Debug, ApiResponse)]
pub enum WebhookSecretResponse {
    /// Registered.
    #[oai(status = 201)]
    Created(
        Json<WebhookWithSecret>,
        /// The endpoint's version, as a strong entity tag.
        #[oai(header = "ETag")]
        String,
        /// Where to read it.
        #[oai(header = "Location")]
        String,
    ),
    /// The new secret.
    #[oai(status = 200)]
    Rotated(
        Json<WebhookWithSecret>,
        /// The endpoint's version, as a strong entity tag.
        #[oai(header = "ETag")]
        String,
    ),
}

/// Answers without a body.
#[derive(Debug, ApiResponse)]
pub enum WebhookDone {
    /// Done.
    #[oai(status = 204)]
    NoContent,
    /// The delivery is queued again, due now.
    #[oai(status = 202)]
    Accepted,
}

/// Lists.
#[derive(Debug, ApiResponse)]
pub enum WebhookListResponse {
    /// The endpoints.
    #[oai(status = 200)]
    Ok(Json<WebhookList>),
}

/// The delivery log.
#[derive(Debug, ApiResponse)]
pub enum WebhookAttemptsResponse {
    /// The attempts.
    #[oai(status = 200)]
    Ok(Json<WebhookAttemptList>),
}

/// The deliveries.
#[derive(Debug, ApiResponse)]
pub enum WebhookDeliveriesResponse {
    /// The deliveries.
    #[oai(status = 200)]
    Ok(Json<WebhookDeliveryList>),
}

fn view(endpoint: &Endpoint) -> WebhookView {
    WebhookView {
        id: endpoint.id,
        organisation_id: endpoint.organisation.0,
        url: endpoint.url.clone(),
        event_types: endpoint
            .event_types
            .iter()
            .filter_map(|t| WebhookEventType::parse(t))
            .collect(),
        enabled: endpoint.disabled_at.is_none(),
        disabled_at: endpoint.disabled_at.map(Instant),
        failing_since: endpoint.failing_since.map(Instant),
        previous_secret_valid_until: endpoint.previous_valid_until.map(Instant),
        created_at: Instant(endpoint.created_at),
        updated_at: Instant(endpoint.updated_at),
    }
}

fn etag(endpoint: &Endpoint) -> String {
    format!("\"{}\"", endpoint.version)
}

/// Admins act on any organisation; a partner key on its own; other staff on none.
fn manager(principal: &Principal) -> Result<Option<OrganisationId>> {
    match principal.organisation() {
        Some(own) => Ok(Some(own)),
        None => {
            principal.require_admin()?;
            Ok(None)
        }
    }
}

/// The endpoint if the caller manages it; 404 otherwise (for a partner, another's endpoint).
async fn managed(state: &ApiState, principal: &Principal, id: Uuid) -> Result<Endpoint> {
    let own = manager(principal)?;
    let endpoint = state.store.get_webhook_endpoint(id).await?;
    if own.is_some_and(|own| own != endpoint.organisation) {
        return Err(ApiError::not_found("webhook endpoint"));
    }
    Ok(endpoint)
}

/// 422 naming the rule the URL breaks.
fn url_refused(rule: &str, detail: String) -> ApiError {
    ApiError::from_problem(
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            rule,
            "Webhook URL refused",
            detail.clone(),
        )
        .with_errors(vec![FieldError {
            field: "url".to_owned(),
            rule: rule.to_owned(),
            message: detail,
        }]),
    )
}

/// The URL if its form and every address of its host are allowed.
pub async fn check_webhook_url(guard: &WebhookGuard, url: &str) -> Result<String> {
    let parsed = check_url(url, &guard.policy)
        .map_err(|refusal: UrlRefusal| url_refused(refusal.rule(), refusal.to_string()))?;
    if let Some(host) = parsed.domain() {
        resolve_checked(guard.lookup.as_ref(), host, &guard.policy)
            .await
            .map_err(|error| match error {
                ResolveError::Unresolvable => url_refused("host-unresolvable", error.to_string()),
                ResolveError::Refused { rule, .. } => url_refused(rule.name(), error.to_string()),
            })?;
    }
    Ok(parsed.to_string())
}

fn type_names(types: &[WebhookEventType]) -> Vec<String> {
    let mut names: Vec<String> = types.iter().map(|t| t.name()).collect();
    names.dedup();
    names
}

/// Webhook endpoints and their deliveries.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebhooksApi;

#[OpenApi(tag = "ApiTag::Webhooks")]
impl WebhooksApi {
    /// Register a webhook endpoint
    ///
    /// Admins for any organisation, a partner key for its own. The answer holds the signing
    /// secret, shown this once. Deliveries start with the events committed after it.
    #[oai(
        path = "/api/v1/webhooks",
        method = "post",
        operation_id = "create_webhook"
    )]
    async fn create(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        body: Json<NewWebhookBody>,
    ) -> Result<WebhookSecretResponse> {
        let principal = &auth.0;
        let own = manager(principal)?;
        let body = body.0;
        let organisation = match (own, body.organisation_id) {
            (Some(own), Some(named)) if named != own.0 => {
                return Err(ApiError::forbidden(
                    "partner-scope",
                    "A partner key registers endpoints for its own organisation only.",
                ));
            }
            (Some(own), _) => own,
            (None, Some(named)) => {
                state
                    .store
                    .get_organisation(OrganisationId(named))
                    .await
                    .map_err(|error| match error {
                        StoreError::NotFound(_) => ApiError::invalid(vec![FieldError {
                            field: "organisation_id".to_owned(),
                            rule: "unknown-organisation".to_owned(),
                            message: "no such organisation".to_owned(),
                        }]),
                        other => other.into(),
                    })?
                    .id
            }
            (None, None) => {
                return Err(ApiError::invalid(vec![FieldError {
                    field: "organisation_id".to_owned(),
                    rule: "required".to_owned(),
                    message: "an admin names the organisation".to_owned(),
                }]));
            }
        };
        let url = check_webhook_url(&state.webhooks, &body.url).await?;
        let (endpoint, secret) = state
            .store
            .create_webhook_endpoint(
                NewEndpoint {
                    organisation,
                    url,
                    event_types: type_names(&body.event_types),
                },
                state.clock.now(),
            )
            .await?;
        tracing::info!(endpoint = %endpoint.id, organisation = %organisation, key = %principal.key.id, "webhook endpoint registered");
        Ok(WebhookSecretResponse::Created(
            Json(WebhookWithSecret {
                endpoint: view(&endpoint),
                secret,
            }),
            etag(&endpoint),
            format!("/api/v1/webhooks/{}", endpoint.id),
        ))
    }

    /// List webhook endpoints
    ///
    /// A partner key lists its organisation's; an admin every organisation's, or one's with
    /// `organisation_id`.
    #[oai(
        path = "/api/v1/webhooks",
        method = "get",
        operation_id = "list_webhooks"
    )]
    async fn list(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Only this organisation's endpoints.
        organisation_id: Query<Option<Uuid>>,
    ) -> Result<WebhookListResponse> {
        let own = manager(&auth.0)?;
        let organisation = match (own, organisation_id.0) {
            (Some(own), Some(named)) if named != own.0 => None,
            (Some(own), _) => Some(Some(own)),
            (None, named) => Some(named.map(OrganisationId)),
        };
        let items = match organisation {
            None => Vec::new(),
            Some(organisation) => state
                .store
                .list_webhook_endpoints(organisation)
                .await?
                .iter()
                .map(view)
                .collect(),
        };
        Ok(WebhookListResponse::Ok(Json(WebhookList {
            items,
            next_cursor: None,
        })))
    }

    /// Read a webhook endpoint
    ///
    /// Its `ETag` goes in `If-Match` of a change, a rotation or a deletion.
    #[oai(
        path = "/api/v1/webhooks/:id",
        method = "get",
        operation_id = "get_webhook"
    )]
    async fn get(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Endpoint id.
        id: Path<Uuid>,
    ) -> Result<WebhookResponse> {
        let endpoint = managed(&state, &auth.0, id.0).await?;
        Ok(WebhookResponse::Ok(Json(view(&endpoint)), etag(&endpoint)))
    }

    /// Change a webhook endpoint
    ///
    /// Its URL (checked as at registration), its event types, or whether it is enabled (enabling
    /// it again forgets its failures). Needs `If-Match`.
    #[oai(
        path = "/api/v1/webhooks/:id",
        method = "patch",
        operation_id = "update_webhook"
    )]
    async fn update(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Endpoint id.
        id: Path<Uuid>,
        /// The endpoint's ETag, as read.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<WebhookChanges>,
    ) -> Result<WebhookResponse> {
        let endpoint = managed(&state, &auth.0, id.0).await?;
        let version = expected_version(if_match.0.as_deref())?;
        let changes = body.0;
        if changes.url.is_none() && changes.event_types.is_none() && changes.enabled.is_none() {
            return Err(ApiError::invalid(vec![FieldError {
                field: "body".to_owned(),
                rule: "min_properties".to_owned(),
                message: "give `url`, `event_types` or `enabled`".to_owned(),
            }]));
        }
        let url = match changes.url {
            Some(url) => Some(check_webhook_url(&state.webhooks, &url).await?),
            None => None,
        };
        let updated = state
            .store
            .update_webhook_endpoint(
                endpoint.id,
                version,
                EndpointChanges {
                    url,
                    event_types: changes.event_types.as_deref().map(type_names),
                    enabled: changes.enabled,
                },
                state.clock.now(),
            )
            .await?;
        Ok(WebhookResponse::Ok(Json(view(&updated)), etag(&updated)))
    }

    /// Delete a webhook endpoint
    ///
    /// With its pending deliveries and its log. Needs `If-Match`.
    #[oai(
        path = "/api/v1/webhooks/:id",
        method = "delete",
        operation_id = "delete_webhook"
    )]
    async fn delete(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Endpoint id.
        id: Path<Uuid>,
        /// The endpoint's ETag, as read.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
    ) -> Result<WebhookDone> {
        let endpoint = managed(&state, &auth.0, id.0).await?;
        let version = expected_version(if_match.0.as_deref())?;
        state
            .store
            .delete_webhook_endpoint(endpoint.id, version)
            .await?;
        Ok(WebhookDone::NoContent)
    }

    /// Rotate a webhook endpoint's signing secret
    ///
    /// A new secret, shown this once; the previous one keeps signing beside it (two `v1,`
    /// signatures in `webhook-signature`) for `overlap_seconds`, so that the receiver can switch
    /// without losing a delivery. Needs `If-Match`.
    #[oai(
        path = "/api/v1/webhooks/:id/rotate-secret",
        method = "post",
        operation_id = "rotate_webhook_secret"
    )]
    async fn rotate(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Endpoint id.
        id: Path<Uuid>,
        /// The endpoint's ETag, as read.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Json<RotateWebhookSecretBody>,
    ) -> Result<WebhookSecretResponse> {
        let endpoint = managed(&state, &auth.0, id.0).await?;
        let version = expected_version(if_match.0.as_deref())?;
        let overlap = chrono::TimeDelta::seconds(
            i64::try_from(body.0.overlap_seconds.min(604_800)).unwrap_or(604_800),
        );
        let (endpoint, secret) = state
            .store
            .rotate_webhook_secret(endpoint.id, version, overlap, state.clock.now())
            .await?;
        Ok(WebhookSecretResponse::Rotated(
            Json(WebhookWithSecret {
                endpoint: view(&endpoint),
                secret,
            }),
            etag(&endpoint),
        ))
    }

    /// A webhook endpoint's delivery log
    ///
    /// Every attempt, newest first: the status, the latency, the answer's first bytes.
    #[oai(
        path = "/api/v1/webhooks/:id/attempts",
        method = "get",
        operation_id = "list_webhook_attempts"
    )]
    async fn attempts(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Endpoint id.
        id: Path<Uuid>,
        /// At most this many attempts, 1 to 200; 50 by default.
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "200"))
        )]
        limit: Query<u64>,
        /// The `next_cursor` of the previous page.
        #[oai(validator(min_length = 1, max_length = 100))]
        cursor: Query<Option<String>>,
    ) -> Result<WebhookAttemptsResponse> {
        let endpoint = managed(&state, &auth.0, id.0).await?;
        let before = match cursor.0.as_deref() {
            None => None,
            Some(text) => Some(Uuid::try_parse(text).map_err(|_| StoreError::InvalidCursor)?),
        };
        let mut attempts = state
            .store
            .webhook_attempts(endpoint.id, before, limit.0 + 1)
            .await?;
        let more = attempts.len() as u64 > limit.0;
        attempts.truncate(usize::try_from(limit.0).unwrap_or(200));
        let next_cursor = more
            .then(|| attempts.last().map(|a| a.id.to_string()))
            .flatten();
        Ok(WebhookAttemptsResponse::Ok(Json(WebhookAttemptList {
            items: attempts
                .into_iter()
                .map(|a| WebhookAttemptView {
                    id: a.id,
                    message_id: message_id(a.event_id),
                    attempt: a.attempt,
                    at: Instant(a.at),
                    status_code: a.status_code,
                    latency_ms: a.latency_ms,
                    response_head: a.response_head,
                    error: a.error,
                })
                .collect(),
            next_cursor,
        })))
    }

    /// A webhook endpoint's deliveries
    ///
    /// The newest 200 at most, with their state.
    #[oai(
        path = "/api/v1/webhooks/:id/deliveries",
        method = "get",
        operation_id = "list_webhook_deliveries"
    )]
    async fn deliveries(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Endpoint id.
        id: Path<Uuid>,
    ) -> Result<WebhookDeliveriesResponse> {
        let endpoint = managed(&state, &auth.0, id.0).await?;
        let deliveries = state.store.webhook_deliveries(endpoint.id, 200).await?;
        Ok(WebhookDeliveriesResponse::Ok(Json(WebhookDeliveryList {
            items: deliveries
                .into_iter()
                .map(|d| WebhookDeliveryView {
                    message_id: message_id(d.event_id),
                    ticket_id: d.ticket_id,
                    next_attempt_at: (d.state == "pending").then_some(Instant(d.next_attempt_at)),
                    state: d.state,
                    attempts: d.attempts,
                    settled_at: d.settled_at.map(Instant),
                    last_status: d.last_status,
                })
                .collect(),
            next_cursor: None,
        })))
    }

    /// Send a delivery again
    ///
    /// Queues it again, due now, under the same `webhook-id`; it keeps its place in the
    /// endpoint's order.
    #[oai(
        path = "/api/v1/webhooks/:id/deliveries/:message_id/redeliver",
        method = "post",
        operation_id = "redeliver_webhook"
    )]
    async fn redeliver(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Endpoint id.
        id: Path<Uuid>,
        /// The delivery's `webhook-id` (`msg_` and 32 hexadecimal digits).
        #[oai(validator(min_length = 36, max_length = 36, pattern = "^msg_[0-9a-f]{32}$"))]
        message_id: Path<String>,
    ) -> Result<WebhookDone> {
        let endpoint = managed(&state, &auth.0, id.0).await?;
        let event = parse_message_id(&message_id.0).ok_or(StoreError::NotFound("delivery"))?;
        state
            .store
            .redeliver_webhook(endpoint.id, event, state.clock.now())
            .await?;
        state.webhook_queued.notify_one();
        Ok(WebhookDone::Accepted)
    }
}

fn default_limit() -> u64 {
    50
}

/// A delivery's body.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct WebhookPayload {
    /// The event type, as subscribed (`ticket.` and the event's type).
    #[oai(rename = "type")]
    pub payload_type: String,
    /// When the event happened.
    pub timestamp: Instant,
    /// The event, as the organisation's key reads it.
    pub data: WebhookPayloadData,
}

/// What a delivery says.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct WebhookPayloadData {
    /// The ticket.
    pub ticket_id: Uuid,
    /// Its reference.
    pub reference: String,
    /// Whether the ticket now waits for this organisation's answer.
    pub action_required: bool,
    /// The event, as `GET /api/v1/tickets/{id}/events` shows it to the organisation's key.
    pub event: EventView,
}

/// What an organisation's key may read of `event` on `ticket`, as a delivery's body; `None` when
/// it may read nothing of it now (the ticket is no longer visible to it, or the event is
/// internal). The second member says whether the victim's own words are shown (to journal).
pub fn payload(
    ticket: &StoredTicket,
    event: StoredEvent,
    organisation: OrganisationId,
) -> Option<(WebhookPayload, bool)> {
    let actor = ticket_domain::Actor::Partner {
        organisation,
        key_name: "webhook".to_owned(),
    };
    if !ticket.ticket.is_visible_to(&actor) || !shown_to(false, &event) {
        return None;
    }
    let required = action_required(&ticket.ticket, organisation, &event.event.data);
    let at = event.event.at;
    let words = own_words_in_full(&actor, &ticket.ticket);
    let (view, shown) = event_view(event, words);
    let type_name = view.event_type.clone();
    Some((
        WebhookPayload {
            payload_type: format!("ticket.{type_name}"),
            timestamp: Instant(at),
            data: WebhookPayloadData {
                ticket_id: ticket.ticket.id.0,
                reference: ticket.ticket.reference.to_string(),
                action_required: required,
                event: view,
            },
        },
        shown,
    ))
}
