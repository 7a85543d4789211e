//! Errors as `application/problem+json` (RFC 9457), the one error shape of every endpoint.
//!
//! Handlers return [`Problem`] (it is a poem `ResponseError`, so `?` works in a handler
//! returning `poem::Result`), and [`problem_response`] turns every other error that reaches
//! the edge of the app — unknown path, wrong method, unparsable request — into one as well.

use poem::error::ResponseError;
use poem::http::StatusCode;
use poem::http::header::{CONTENT_TYPE, RETRY_AFTER};
use poem::{IntoResponse, Response};
use poem_openapi::Object;
use serde::{Deserialize, Serialize};

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Problem types are URI references under this path of the service itself, one per kind of
/// error (`/problems/not-found`), so the type names stay stable whatever host serves them.
pub const PROBLEM_TYPE_BASE: &str = "/problems/";

/// The `Retry-After` of every 503: the database is away or cannot write; a few seconds is how
/// long a pool takes to notice it is back.
pub const UNAVAILABLE_RETRY_AFTER_SECONDS: u64 = 5;

/// An RFC 9457 problem document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error, Object)]
#[oai(skip_serializing_if_is_none)]
#[error("{status} {title}: {detail}")]
pub struct Problem {
    /// A URI reference naming the kind of error; stable, meant for programs.
    #[serde(rename = "type")]
    #[oai(rename = "type")]
    pub problem_type: String,
    /// A short summary of the kind of error, the same for every occurrence.
    pub title: String,
    /// The HTTP status code of the response.
    pub status: u16,
    /// What went wrong this time, in plain words; never internals or personal data.
    pub detail: String,
    /// For invalid input: one entry per field that broke a rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[oai(default, skip_serializing_if_is_empty)]
    pub errors: Vec<FieldError>,
}

/// One broken rule of an invalid input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct FieldError {
    /// The field, as named in the request body or query.
    pub field: String,
    /// The name of the rule it broke.
    pub rule: String,
    /// The rule, explained.
    pub message: String,
}

impl Problem {
    /// A problem of kind `slug` (the last segment of its type URI).
    pub fn new(
        status: StatusCode,
        slug: &str,
        title: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            problem_type: format!("{PROBLEM_TYPE_BASE}{slug}"),
            title: title.into(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    /// A problem that says no more than its status: type and title follow the status phrase.
    pub fn from_status(status: StatusCode, detail: impl Into<String>) -> Self {
        let title = status.canonical_reason().unwrap_or("Error");
        let slug = title.to_ascii_lowercase().replace([' ', '\''], "-");
        Self::new(status, &slug, title, detail)
    }

    /// 404: nothing here, or nothing the caller may see.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not Found", detail)
    }

    /// 405: the path exists, the method does not.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method Not Allowed",
            "This address does not accept this HTTP method.",
        )
    }

    /// 500: the cause is logged, not shown.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal Server Error",
            "The service failed to handle the request; the failure was logged.",
        )
    }

    /// Adds the broken rules of an invalid input.
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    /// The status as a `StatusCode` (500 if the stored number is not a valid status).
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl ResponseError for Problem {
    fn status(&self) -> StatusCode {
        self.status_code()
    }

    fn as_response(&self) -> Response {
        // Serialising a struct of strings cannot fail; if it ever did, the status still holds.
        let body = serde_json::to_vec(self).unwrap_or_default();
        let mut response = Response::builder()
            .status(self.status_code())
            .header(CONTENT_TYPE, PROBLEM_JSON);
        if self.status_code() == StatusCode::SERVICE_UNAVAILABLE {
            // A dependency is down: tell clients when to try again, whichever path answered.
            response = response.header(RETRY_AFTER, UNAVAILABLE_RETRY_AFTER_SECONDS);
        }
        response.body(body)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        self.as_response()
    }
}

/// Turns any error that reaches the edge of the app into a problem+json response: unknown path,
/// wrong method, and whatever poem-openapi rejects before a handler runs (unparsable body, a wrong
/// parameter, no API key, a wrong media type, a body too large).
///
/// Client errors keep poem's message as the detail (it says which field or parameter failed to
/// parse); server errors are logged and answered with a generic detail.
pub async fn problem_response(error: poem::Error) -> Response {
    if error.is::<Problem>() {
        return error.into_response();
    }
    let status = error.status();
    let message = error.to_string();
    let response = error.into_response();
    if response.content_type() == Some(PROBLEM_JSON) {
        return response;
    }
    problem_for(status, &message).into_response()
}

/// 415 for a body sent as `sent` (the request's `Content-Type`, if any) to an operation that takes
/// the `accepted` media types.
pub fn unsupported_media_type(sent: Option<&str>, accepted: &[String]) -> Problem {
    let accepted = accepted
        .iter()
        .map(|media| format!("`{media}`"))
        .collect::<Vec<_>>()
        .join(" or ");
    let sent = sent.map_or_else(
        || "no `Content-Type`".to_owned(),
        |media| format!("`Content-Type: {media}`"),
    );
    Problem::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
        "Unsupported media type",
        format!("The body was sent with {sent}; this operation takes {accepted}."),
    )
}

/// The problem that stands for an error poem reports with `status` and `message`.
pub fn problem_for(status: StatusCode, message: &str) -> Problem {
    match status {
        StatusCode::NOT_FOUND => Problem::not_found("There is nothing at this address."),
        StatusCode::METHOD_NOT_ALLOWED => Problem::method_not_allowed(),
        StatusCode::UNAUTHORIZED => Problem::new(
            status,
            "unauthenticated",
            "Unauthenticated",
            "Send an API key as `Authorization: Bearer <key>`; this one is missing, unknown or revoked.",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Problem::new(
            status,
            "unsupported-media-type",
            "Unsupported media type",
            format!("{message}. Send the body as `application/json`."),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => Problem::new(
            status,
            "payload-too-large",
            "Payload too large",
            "The request body is larger than this service accepts.",
        ),
        s if s.is_server_error() => {
            tracing::error!(%status, error = %message, "request failed");
            Problem::internal()
        }
        s if s.is_client_error() => Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed-request",
            "Malformed request",
            message.to_owned(),
        ),
        _ => Problem::from_status(status, message.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn serialises_the_rfc_9457_members() {
        let problem = Problem::not_found("No ticket INC-2026-000042.");
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "type": "/problems/not-found",
                "title": "Not Found",
                "status": 404,
                "detail": "No ticket INC-2026-000042.",
            })
        );
    }

    #[test]
    fn field_errors_are_listed_when_present() {
        let problem = Problem::from_status(StatusCode::UNPROCESSABLE_ENTITY, "Invalid input.")
            .with_errors(vec![FieldError {
                field: "email".into(),
                rule: "email".into(),
                message: "not an e-mail address".into(),
            }]);
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(json["type"], "/problems/unprocessable-entity");
        assert_eq!(json["errors"][0]["field"], "email");
    }

    #[tokio::test]
    async fn response_has_problem_media_type_and_status() {
        let response = Problem::method_not_allowed().into_response();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.content_type(), Some(PROBLEM_JSON));
        let body = response.into_body().into_json::<Problem>().await.unwrap();
        assert_eq!(body, Problem::method_not_allowed());
    }

    #[tokio::test]
    async fn server_errors_hide_their_cause() {
        let error = poem::Error::from_string("disk on fire", StatusCode::INTERNAL_SERVER_ERROR);
        let response = problem_response(error).await;
        let body = response.into_body().into_string().await.unwrap();
        assert!(!body.contains("disk on fire"), "{body}");
        assert!(body.contains("/problems/internal"), "{body}");
    }
}
