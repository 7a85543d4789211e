//! Request logging and request metrics: one log line per request, a request id on every line the
//! request causes, and request counts and latencies per route and status.
//!
//! The log line names the method, the route template (`/api/v1/tickets/:id`, never the path that
//! was asked for, which can carry a tracking secret), the status and the latency. It never carries
//! a query string or a body: both can hold personal data.

use std::sync::Arc;
use std::time::Instant;

use poem::PathPattern;
use poem::http::HeaderValue;
use poem::{Endpoint, IntoResponse, Request, Response};
use tracing::Instrument as _;

/// The header a request id is read from and echoed in.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Name of the counter of answered requests (labels: method, route, status).
pub const REQUESTS_METRIC: &str = "ticketd_http_requests_total";

/// Name of the histogram of request latencies in seconds (labels: method, route, status).
pub const LATENCY_METRIC: &str = "ticketd_http_request_duration_seconds";

/// The route label of a request that matched no route (a 404): one value, so that scanners do not
/// make a label per path.
pub const UNMATCHED_ROUTE: &str = "(unmatched)";

/// The longest request id taken from a client; a longer one is replaced by a generated one.
const MAX_REQUEST_ID: usize = 64;

/// The client's request id if it is short and made of letters, digits, `-`, `_` and `.` only (so
/// it can neither forge log lines nor carry an email address); a new UUID otherwise.
pub fn request_id(request: &Request) -> String {
    request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|id| {
            !id.is_empty()
                && id.len() <= MAX_REQUEST_ID
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

/// The middleware: runs the request inside a `request` span carrying its id, then writes the
/// request's line, counts it and echoes the id in `X-Request-Id`. Errors are answered here as
/// problem+json (as the app's catch-all would), so that their route and status are known.
pub async fn observe<E: Endpoint>(endpoint: Arc<E>, request: Request) -> poem::Result<Response> {
    let started = Instant::now();
    let id = request_id(&request);
    let method = request.method().as_str().to_owned();
    let span = tracing::info_span!("request", request_id = %id);
    let result = endpoint.call(request).instrument(span.clone()).await;
    // The router leaves the matched route on the response, or on the error; an error becomes its
    // problem+json answer here, where its route is still known.
    let (mut response, pattern) = match result {
        Ok(response) => {
            let response = response.into_response();
            let pattern = response.data::<PathPattern>().cloned();
            (response, pattern)
        }
        Err(error) => {
            let pattern = error.data::<PathPattern>().cloned();
            (crate::problem::problem_response(error).await, pattern)
        }
    };
    let latency = started.elapsed();
    let route = pattern.map_or_else(|| UNMATCHED_ROUTE.to_owned(), |p| p.0.to_string());
    let status = response.status().as_u16();
    span.in_scope(|| {
        tracing::info!(
            target: "ticketd::request",
            request_id = %id,
            method = %method,
            route = %route,
            status,
            latency_ms = latency.as_secs_f64() * 1000.0,
            "request"
        );
    });
    let labels = [
        ("method", method),
        ("route", route),
        ("status", status.to_string()),
    ];
    metrics::counter!(REQUESTS_METRIC, &labels).increment(1);
    metrics::histogram!(LATENCY_METRIC, &labels).record(latency.as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_header(value: &str) -> Request {
        Request::builder().header(REQUEST_ID_HEADER, value).finish()
    }

    #[test]
    fn a_well_formed_client_id_is_kept() {
        assert_eq!(request_id(&with_header("abc-123_x.y")), "abc-123_x.y");
    }

    #[test]
    fn a_missing_or_suspicious_id_is_replaced_by_a_uuid() {
        for request in [
            Request::builder().finish(),
            with_header(""),
            with_header("jean.dupont@example.fr"),
            with_header("a b"),
            with_header(&"x".repeat(65)),
        ] {
            let id = request_id(&request);
            assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
        }
    }
}
