//! The session cookie on the API: a request without `Authorization` but with the session cookie
//! acts as the session's member with the session's role, exactly as a key of that member and
//! role would (same operations, same need-to-know). A state-changing request (any method but
//! GET, HEAD, OPTIONS) must carry the session's CSRF token in `X-CSRF-Token`: 403 otherwise.

use super::{CSRF_HEADER, SESSION_COOKIE, cookie};
use crate::ApiState;
use crate::auth::Principal;
use crate::problem::Problem;
use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Endpoint, IntoResponse as _, Request, Response};
use sha2::{Digest as _, Sha256};
use std::sync::Arc;
use ticket_store::StoreError;
use ticket_store::signin::{Session, SessionCheck};

/// What the middleware found: the session's principal, read by the key checker.
#[derive(Debug, Clone)]
pub struct SessionPrincipal(pub Principal);

/// Stands in the `Authorization` header of a request the session authenticated, so that the
/// operations' bearer scheme runs; the checker takes the principal from the request's data, which
/// only this middleware sets (the same header sent by a client is an unknown key).
pub const SESSION_BEARER: &str = "Bearer session-cookie";

/// The session of a request's cookie, valid now; `None` without one (or ended).
pub async fn of_request(
    request: &Request,
    state: &ApiState,
) -> Result<Option<Session>, StoreError> {
    let Some(token) = cookie(request, SESSION_COOKIE).filter(|t| !t.is_empty() && t.len() <= 100)
    else {
        return Ok(None);
    };
    match state
        .store
        .check_session(&token, state.signin.config.limits(), state.clock.now())
        .await?
    {
        SessionCheck::Valid(session) => Ok(Some(session)),
        SessionCheck::Expired(_) | SessionCheck::Unknown => Ok(None),
    }
}

/// Whether `sent` is the session's CSRF token (compared by hash: no timing to learn from).
pub fn csrf_matches(session: &Session, sent: Option<&str>) -> bool {
    sent.is_some_and(|sent| {
        Sha256::digest(sent.as_bytes()) == Sha256::digest(session.csrf_token.as_bytes())
    })
}

fn unsafe_method(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The middleware around the API (see the module's documentation).
pub async fn authenticate<E: Endpoint>(
    endpoint: Arc<E>,
    mut request: Request,
) -> poem::Result<Response> {
    let has_bearer = request.headers().contains_key(header::AUTHORIZATION);
    let state = request.data::<ApiState>().cloned();
    // Only the authenticated API: the public endpoints and `/healthz` ignore a staff cookie.
    let path = request.uri().path();
    let authenticated_api = path.starts_with("/api/") && !path.starts_with("/api/v1/public/");
    if has_bearer || !authenticated_api || cookie(&request, SESSION_COOKIE).is_none() {
        return endpoint.call(request).await.map(|r| r.into_response());
    }
    let Some(state) = state else {
        return Err(Problem::internal().into());
    };
    let session = match of_request(&request, &state).await {
        Ok(Some(session)) => session,
        Ok(None) => {
            return Ok(Problem::new(
                StatusCode::UNAUTHORIZED,
                "session-ended",
                "Session ended",
                "This session has ended (signed out, timed out, or the member was removed): sign \
                 in again.",
            )
            .into_response());
        }
        Err(error) => return Err(crate::error::ApiError::from(error).into()),
    };
    if unsafe_method(request.method()) {
        let sent = request
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if !csrf_matches(&session, sent.as_deref()) {
            return Ok(Problem::new(
                StatusCode::FORBIDDEN,
                "csrf-token-required",
                "CSRF token required",
                "A state-changing request of a browser session must carry the session's CSRF \
                 token in the X-CSRF-Token header.",
            )
            .into_response());
        }
    }
    request.set_data(SessionPrincipal(Principal::of_session(&session)));
    request.headers_mut().insert(
        header::AUTHORIZATION,
        HeaderValue::from_static(SESSION_BEARER),
    );
    endpoint.call(request).await.map(|r| r.into_response())
}
