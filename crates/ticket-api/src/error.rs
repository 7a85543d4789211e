//! The error responses of every operation, documented in the OpenAPI document, and the one
//! mapping from store and domain errors to them.

use crate::problem::{FieldError, Problem};
use poem::http::StatusCode;
use poem_openapi::ApiResponse;
use poem_openapi::payload::Json;
use ticket_domain::refusal::{Refusal, RefusalKind};
use ticket_store::StoreError;

/// Every error an operation may answer, each as `application/problem+json`.
///
/// Requests that poem-openapi rejects before a handler runs (unparsable body, wrong parameter, no
/// key, wrong media type) become the same problems in [`crate::problem::problem_response`].
#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// The request is malformed: invalid JSON, a value of the wrong type, an unknown enum value,
    /// an invalid cursor. Problem type `/problems/malformed-request` (or `/problems/invalid-cursor`).
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// No API key, or an unknown or revoked one. Problem type `/problems/unauthenticated`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(
        Json<Problem>,
        /// The authentication scheme to use: `Bearer`.
        #[oai(header = "WWW-Authenticate")]
        String,
    ),
    /// The key's role or organisation does not allow this. Problem type: the rule's name, e.g.
    /// `/problems/security-role-required`, `/problems/role-not-allowed`.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// Nothing here, or nothing this key may see. Problem type `/problems/not-found`.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// The ticket's state does not allow the command now. Problem type: the rule's name, e.g.
    /// `/problems/invalid-transition`, `/problems/closure-condition-unmet`,
    /// `/problems/reopen-window-elapsed`.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// `If-Match` names a version that is no longer current. Problem type
    /// `/problems/stale-version`.
    #[oai(status = 412, content_type = "application/problem+json")]
    PreconditionFailed(
        Json<Problem>,
        /// The ticket's current version, as a strong entity tag.
        #[oai(header = "ETag")]
        String,
    ),
    /// The body is larger than accepted. Problem type `/problems/payload-too-large`.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// The body is not of a media type the operation takes (its `requestBody`); the detail names
    /// them. Problem type `/problems/unsupported-media-type`.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// Valid JSON breaking a rule; `errors` names each field and rule. Problem type
    /// `/problems/invalid-input` or the rule's name (e.g. `/problems/priority-floor`).
    #[oai(status = 422, content_type = "application/problem+json")]
    Unprocessable(Json<Problem>),
    /// Commands need `If-Match` with the ticket's ETag. Problem type `/problems/if-match-required`.
    #[oai(status = 428, content_type = "application/problem+json")]
    PreconditionRequired(Json<Problem>),
    /// Too many requests; retry after the given number of seconds. Problem type
    /// `/problems/rate-limited`.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyRequests(
        Json<Problem>,
        /// Seconds to wait before retrying.
        #[oai(header = "Retry-After")]
        u64,
    ),
    /// A failure of the service; the cause is logged. Problem type `/problems/internal`.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
    /// The database is unreachable; retry later. Problem type `/problems/unavailable`.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(
        Json<Problem>,
        /// Seconds to wait before retrying.
        #[oai(header = "Retry-After")]
        u64,
    ),
}

impl ApiError {
    /// Any problem, answered with its own status.
    pub fn from_problem(problem: Problem) -> Self {
        match problem.status {
            400 => ApiError::BadRequest(Json(problem)),
            401 => ApiError::Unauthorized(Json(problem), "Bearer".to_owned()),
            403 => ApiError::Forbidden(Json(problem)),
            404 => ApiError::NotFound(Json(problem)),
            409 => ApiError::Conflict(Json(problem)),
            412 => ApiError::PreconditionFailed(Json(problem), String::new()),
            413 => ApiError::PayloadTooLarge(Json(problem)),
            415 => ApiError::UnsupportedMediaType(Json(problem)),
            422 => ApiError::Unprocessable(Json(problem)),
            428 => ApiError::PreconditionRequired(Json(problem)),
            429 => ApiError::TooManyRequests(Json(problem), 60),
            503 => ApiError::Unavailable(
                Json(problem),
                crate::problem::UNAVAILABLE_RETRY_AFTER_SECONDS,
            ),
            _ => ApiError::Internal(Json(Problem::internal())),
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::from_problem(Problem::not_found(format!(
            "No {what} here, or none this key may see."
        )))
    }

    pub fn forbidden(rule: &str, detail: impl Into<String>) -> Self {
        Self::from_problem(Problem::new(
            StatusCode::FORBIDDEN,
            rule,
            "Forbidden",
            detail,
        ))
    }

    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields are invalid; see `errors`.", many.len()),
        };
        Self::from_problem(
            Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-input",
                "Invalid input",
                detail,
            )
            .with_errors(errors),
        )
    }

    /// 400: the body does not have the shape of the request; `errors` names each field and rule.
    pub fn malformed(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields are malformed; see `errors`.", many.len()),
        };
        Self::from_problem(
            Problem::new(
                StatusCode::BAD_REQUEST,
                "malformed-request",
                "Malformed request",
                detail,
            )
            .with_errors(errors),
        )
    }

    pub fn bad_request(slug: &str, detail: impl Into<String>) -> Self {
        Self::from_problem(Problem::new(
            StatusCode::BAD_REQUEST,
            slug,
            "Malformed request",
            detail,
        ))
    }

    pub fn status(&self) -> StatusCode {
        let problem = match self {
            ApiError::BadRequest(p)
            | ApiError::Unauthorized(p, _)
            | ApiError::Forbidden(p)
            | ApiError::NotFound(p)
            | ApiError::Conflict(p)
            | ApiError::PreconditionFailed(p, _)
            | ApiError::PayloadTooLarge(p)
            | ApiError::UnsupportedMediaType(p)
            | ApiError::Unprocessable(p)
            | ApiError::PreconditionRequired(p)
            | ApiError::TooManyRequests(p, _)
            | ApiError::Internal(p)
            | ApiError::Unavailable(p, _) => p,
        };
        problem.0.status_code()
    }
}

impl From<ticket_domain::values::FieldError> for FieldError {
    fn from(error: ticket_domain::values::FieldError) -> Self {
        FieldError {
            field: error.field,
            rule: error.rule,
            message: error.message,
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        let (status, title) = match refusal.kind() {
            RefusalKind::Forbidden => (StatusCode::FORBIDDEN, "Forbidden"),
            RefusalKind::Invalid => (StatusCode::UNPROCESSABLE_ENTITY, "Invalid input"),
            RefusalKind::Conflict => (StatusCode::CONFLICT, "Not allowed in this state"),
        };
        let errors = refusal.errors.into_iter().map(FieldError::from).collect();
        ApiError::from_problem(
            Problem::new(status, refusal.rule.name(), title, refusal.detail).with_errors(errors),
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => ApiError::not_found(what),
            StoreError::VersionConflict { current, .. } => ApiError::PreconditionFailed(
                Json(Problem::new(
                    StatusCode::PRECONDITION_FAILED,
                    "stale-version",
                    "Stale version",
                    format!(
                        "The ticket was changed since you read it; its current ETag is \"{current}\". Read it again, then retry."
                    ),
                )),
                format!("\"{current}\""),
            ),
            StoreError::Refused(refusal) => refusal.into(),
            StoreError::IdempotencyKeyReused => ApiError::from_problem(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency key reused",
                "This Idempotency-Key was already used with a different request body; use a new key for a new request.",
            )),
            StoreError::Duplicate(what) => ApiError::from_problem(Problem::new(
                StatusCode::CONFLICT,
                "duplicate",
                "Already exists",
                format!("{what} already exists."),
            )),
            StoreError::InUse(what) => ApiError::from_problem(Problem::new(
                StatusCode::CONFLICT,
                "in-use",
                "In use",
                format!("{what}: it cannot be removed."),
            )),
            StoreError::AlreadyAnonymised => ApiError::from_problem(Problem::new(
                StatusCode::CONFLICT,
                "already-anonymised",
                "Already anonymised",
                "The ticket's personal data was anonymised: there is nothing left to hold.",
            )),
            StoreError::Attachment(refusal) => {
                ApiError::from_problem(crate::attachments::refusal_problem(&refusal))
            }
            StoreError::InvalidCursor => ApiError::bad_request(
                "invalid-cursor",
                "The cursor is not one this service produced; start again without a cursor.",
            ),
            ref unavailable if unavailable.is_unavailable() => {
                tracing::warn!(error = %unavailable, "database unavailable");
                ApiError::from_problem(Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Service unavailable",
                    "The database cannot be reached or cannot write now; nothing was changed. Retry in a few seconds.",
                ))
            }
            other => {
                tracing::error!(error = %other, "request failed");
                ApiError::from_problem(Problem::internal())
            }
        }
    }
}
