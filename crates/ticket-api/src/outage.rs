//! Answers that stay true when the database or its storage fails: a deadline per request, so that
//! a database that stopped answering (a frozen server, a partition) gives a 503 within seconds
//! rather than a request that hangs; and a 500 met while the storage fails turned into the 503 it
//! is.

use poem::error::ResponseError as _;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Endpoint, IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;

use crate::problem::{Problem, UNAVAILABLE_RETRY_AFTER_SECONDS};

/// How long a request may take before it is answered 503 (poem data the daemon adds; without it,
/// requests have no deadline). Requests that carry files or build large answers (uploads, mail
/// delivered by a gateway, evidence archives, the journal's verification, data subjects'
/// requests, downloads) have the `long` one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestDeadline {
    pub regular: Duration,
    pub long: Duration,
}

/// Whether a request may legitimately take long: it carries files or gathers much.
fn is_long(request: &poem::Request) -> bool {
    let path = request.uri().path();
    let multipart = request
        .content_type()
        .is_some_and(|t| t.starts_with("multipart/"));
    multipart
        || path.contains("/attachments")
        || path.starts_with(crate::inbound::INBOUND_MAILS_PATH)
        || path.ends_with("/evidence/archive")
        || path.starts_with("/api/v1/access-journal")
        || path.starts_with("/api/v1/data-subject-requests")
}

/// Answers 503 (problem `unavailable`, with `Retry-After`) a request still running at its
/// deadline. The work is dropped where it stands: a transaction not committed is rolled back; one
/// whose commit was under way may have gone through, so the answer says the outcome is unknown
/// and a retry with the same `Idempotency-Key` tells.
pub(crate) async fn within_deadline<E: Endpoint>(
    endpoint: Arc<E>,
    request: poem::Request,
) -> poem::Result<Response> {
    let Some(deadline) = request.data::<RequestDeadline>().copied() else {
        return endpoint
            .call(request)
            .await
            .map(IntoResponse::into_response);
    };
    let limit = if is_long(&request) {
        deadline.long
    } else {
        deadline.regular
    };
    match tokio::time::timeout(limit, endpoint.call(request)).await {
        Ok(result) => result.map(IntoResponse::into_response),
        Err(_) => {
            tracing::warn!(
                deadline_ms = limit.as_millis() as u64,
                "request past its deadline: the database did not answer in time"
            );
            Ok(Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                "The database did not answer in time. If this request changed something, its \
                 outcome is unknown: retry it with the same Idempotency-Key.",
            )
            .as_response())
        }
    }
}

/// A 500 answered while the database's storage fails (an I/O error, a full disk, the server not
/// answering; [`ticket_store::Store::storage_failure`]) is an outage, not a bug: SQLite reports
/// reads that failed as corruption. It becomes a 503 with `Retry-After` (problem `unavailable` on
/// the API; other pages keep their body). A 500 while the storage works stays a 500 — real
/// corruption is not hidden.
pub(crate) fn storage_outage(path: &str, response: Response, why: &str) -> Response {
    tracing::warn!(
        why,
        "a request failed while the database's storage fails: answered 503"
    );
    if path.starts_with("/api/") {
        return Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            "The database's storage fails now; retry in a few seconds.",
        )
        .as_response();
    }
    let mut response = response;
    response.set_status(StatusCode::SERVICE_UNAVAILABLE);
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(UNAVAILABLE_RETRY_AFTER_SECONDS),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, path: &str, content_type: Option<&str>) -> poem::Request {
        let mut builder = poem::Request::builder()
            .method(method.parse().unwrap_or(poem::http::Method::GET))
            .uri(path.parse().unwrap_or_default());
        if let Some(t) = content_type {
            builder = builder.content_type(t);
        }
        builder.finish()
    }

    #[test]
    fn requests_with_files_or_large_answers_have_the_long_deadline() {
        for (method, path, content_type) in [
            (
                "POST",
                "/api/v1/tickets/x/attachments",
                Some("multipart/form-data; boundary=b"),
            ),
            ("GET", "/api/v1/tickets/x/attachments/y", None),
            ("POST", "/api/v1/inbound-mails", Some("message/rfc822")),
            ("GET", "/api/v1/tickets/x/evidence/archive", None),
            ("GET", "/api/v1/access-journal/verification", None),
            ("POST", "/api/v1/data-subject-requests/access", None),
            (
                "POST",
                "/signalement",
                Some("multipart/form-data; boundary=b"),
            ),
        ] {
            assert!(is_long(&request(method, path, content_type)), "{path}");
        }
        for (method, path) in [
            ("POST", "/api/v1/incidents"),
            ("GET", "/api/v1/tickets/x"),
            ("POST", "/api/v1/tickets/x/acknowledge"),
            ("GET", "/readyz"),
        ] {
            assert!(
                !is_long(&request(method, path, Some("application/json"))),
                "{path}"
            );
        }
    }

    #[tokio::test]
    async fn a_request_past_its_deadline_is_answered_503_with_retry_after() {
        let slow = poem::endpoint::make(|_| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "late"
        });
        let app = poem::EndpointExt::data(
            poem::EndpointExt::around(slow, within_deadline),
            RequestDeadline {
                regular: Duration::from_millis(200),
                long: Duration::from_secs(60),
            },
        );
        let started = std::time::Instant::now();
        let response = app
            .call(request(
                "POST",
                "/api/v1/incidents",
                Some("application/json"),
            ))
            .await
            .map(IntoResponse::into_response)
            .unwrap_or_else(|e| e.into_response());
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response.headers().get(header::RETRY_AFTER),
            Some(&HeaderValue::from(UNAVAILABLE_RETRY_AFTER_SECONDS))
        );
    }
}
