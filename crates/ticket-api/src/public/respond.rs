//! The answers of the public pages: an HTML page with the headers every public page carries, a
//! redirection, a page that only says something (refused, too many, unavailable), the style sheet,
//! and a page carrying a fresh CSRF token.

use super::PublicState;
use super::csrf::{self, CSRF_NAME, CsrfError};
use super::pages;
use crate::ApiState;
use chrono::{DateTime, Utc};
use poem::http::{StatusCode, header};
use poem::{Response, handler};
use ticket_domain::Language;
use ticket_store::StoreError;
use ticket_wording::Arg;

/// Every public page: no script, no framing, no referrer (the tracking secret is in the address).
pub(super) fn html(status: StatusCode, body: String) -> Response {
    Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        )
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::REFERRER_POLICY, "no-referrer")
        .header(header::X_FRAME_OPTIONS, "DENY")
        .header(header::CACHE_CONTROL, "no-store")
        .body(body)
}

pub(super) fn redirect(location: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, location)
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::REFERRER_POLICY, "no-referrer")
        .finish()
}

/// A page that only says something: `title` and `text` are catalogue ids.
pub(super) fn message(
    state: &ApiState,
    language: Language,
    status: StatusCode,
    (title, text): (&str, &str),
    back: bool,
) -> Response {
    let w = state.public.words(language);
    message_text(state, language, status, title, w.t(text), back)
}

fn message_text(
    state: &ApiState,
    language: Language,
    status: StatusCode,
    title: &str,
    text: String,
    back: bool,
) -> Response {
    let w = state.public.words(language);
    let page = pages::MessagePage {
        w,
        frame: pages::Frame::new(w, &state.public.config, &state.policy, None),
        title: w.t(title),
        text,
        back,
    };
    html(status, pages::render(&page))
}

pub(super) fn too_many(state: &ApiState, language: Language, retry_after: u64) -> Response {
    let minutes = u32::try_from(retry_after.div_ceil(60).max(1)).unwrap_or(u32::MAX);
    let text = state
        .public
        .words(language)
        .with("page-too-many", &[("minutes", Arg::number(minutes))]);
    let mut response = message_text(
        state,
        language,
        StatusCode::TOO_MANY_REQUESTS,
        "page-too-many-title",
        text,
        false,
    );
    if let Ok(value) = retry_after.to_string().parse() {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

pub(super) fn unavailable(state: &ApiState, language: Language, error: &StoreError) -> Response {
    tracing::error!(error = %error, "public page failed");
    let mut response = message(
        state,
        language,
        StatusCode::SERVICE_UNAVAILABLE,
        ("page-unavailable-title", "page-unavailable"),
        true,
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("30"));
    response
}

#[handler]
pub(super) fn style() -> Response {
    Response::builder()
        .content_type("text/css; charset=utf-8")
        .header(header::CACHE_CONTROL, "public, max-age=3600")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(pages::STYLE)
}

/// A page with a fresh CSRF token, set as a cookie too.
pub(super) fn with_token(
    public: &PublicState,
    now: DateTime<Utc>,
    render: impl FnOnce(&str) -> Response,
) -> Response {
    let token = public.csrf.issue(now);
    let mut response = render(&token);
    let cookie = format!(
        "{CSRF_NAME}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        csrf::LIFETIME.num_seconds(),
        if public.secure_cookie() {
            "; Secure"
        } else {
            ""
        }
    );
    if let Ok(value) = cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

pub(super) fn csrf_refusal(state: &ApiState, language: Language, error: CsrfError) -> Response {
    tracing::warn!(?error, "public form refused: CSRF token");
    message(
        state,
        language,
        StatusCode::BAD_REQUEST,
        ("page-refused-title", "page-refused"),
        true,
    )
}
