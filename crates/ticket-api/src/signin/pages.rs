//! The sign-in pages: small, without script, in French or English (`Accept-Language`), their
//! words from the Fluent catalogue. The console (its own crate) replaces the page of the session.

use super::{CSRF_FIELD, SIGNIN_PATH, SIGNOUT_PATH};
use crate::ApiState;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use poem::http::{StatusCode, header};
use poem::{Request, Response};
use ticket_domain::Language;
use ticket_store::signin::Session;
use ticket_wording::{Arg, Words};

/// Why a sign-in is refused, as the person reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotInDirectory,
    NoRole,
    Token,
    StaleRequest,
    Cancelled,
    UnknownProvider,
    Unavailable,
    Csrf,
}

impl Refusal {
    fn message(self) -> &'static str {
        match self {
            Self::NotInDirectory => "signin-refused-not-in-directory",
            Self::NoRole => "signin-refused-no-role",
            Self::Token => "signin-refused-token",
            Self::StaleRequest => "signin-refused-stale",
            Self::Cancelled => "signin-refused-cancelled",
            Self::UnknownProvider => "signin-refused-unknown-provider",
            Self::Unavailable => "signin-refused-unavailable",
            Self::Csrf => "signin-refused-csrf",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Self::NotInDirectory | Self::NoRole | Self::Token | Self::Cancelled | Self::Csrf => {
                StatusCode::FORBIDDEN
            }
            Self::StaleRequest => StatusCode::BAD_REQUEST,
            Self::UnknownProvider => StatusCode::NOT_FOUND,
            // The provider or the database cannot be reached: a dependency is down.
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// French unless the browser prefers English (the first of `fr`/`en` in `Accept-Language`).
pub fn language_of(request: &Request) -> Language {
    let accepted = request
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for range in accepted.split(',') {
        let tag = range
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if tag.starts_with("en") {
            return Language::En;
        }
        if tag.starts_with("fr") {
            return Language::Fr;
        }
    }
    Language::Fr
}

fn words(state: &ApiState, language: Language) -> Words<'_> {
    state.public.wording.language(language)
}

fn page(language: Language, title: &str, body: &str) -> String {
    let lang = match language {
        Language::Fr => "fr",
        Language::En => "en",
    };
    format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/public.css\"></head>\
         <body><main><h1>{title}</h1>\n{body}\n</main></body></html>\n",
        title = text(title)
    )
}

fn html(status: StatusCode, body: String) -> Response {
    Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .header(
            header::CONTENT_SECURITY_POLICY,
            // The page's own API calls (`connect-src 'self'`); the log-out form goes on to the
            // provider's end-session address.
            "default-src 'none'; style-src 'self'; connect-src 'self'; form-action 'self' https: http:; frame-ancestors 'none'; base-uri 'none'",
        )
        .header(header::REFERRER_POLICY, "no-referrer")
        .header(header::X_FRAME_OPTIONS, "DENY")
        .header(header::CACHE_CONTROL, "no-store")
        .body(body)
}

pub fn missing_state() -> Response {
    tracing::error!("the API state is missing from the request");
    Response::builder()
        .status(StatusCode::INTERNAL_SERVER_ERROR)
        .finish()
}

/// The providers to sign in with.
pub fn choose(state: &ApiState, language: Language) -> Response {
    let w = words(state, language);
    let providers = state.signin.relying_party.providers();
    let body = if providers.is_empty() {
        format!("<p>{}</p>", text(&w.t("signin-none")))
    } else {
        let links: String = providers
            .iter()
            .map(|p| {
                let label = if p.config.label.is_empty() {
                    &p.config.name
                } else {
                    &p.config.label
                };
                format!(
                    "<li><a href=\"{}\">{}</a></li>",
                    attr(&format!("{SIGNIN_PATH}/{}", p.config.name)),
                    text(&w.with1("signin-with", "provider", label))
                )
            })
            .collect();
        format!("<ul>{links}</ul>")
    };
    html(StatusCode::OK, page(language, &w.t("signin-title"), &body))
}

/// A refused sign-in: what happened and how to try again.
pub fn refusal(state: &ApiState, language: Language, refusal: Refusal) -> Response {
    let w = words(state, language);
    let body = format!(
        "<p id=\"refusal\" data-reason=\"{}\">{}</p><p><a href=\"{SIGNIN_PATH}\">{}</a></p>",
        attr(refusal.message()),
        text(&w.t(refusal.message())),
        text(&w.t("signin-again"))
    );
    let mut response = html(
        refusal.status(),
        page(language, &w.t("signin-refused-title"), &body),
    );
    if refusal == Refusal::Unavailable {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            poem::http::HeaderValue::from_static("30"),
        );
    }
    response
}

/// The session's page: who, with which role, and the log-out form. The session's CSRF token is in
/// the form and in `<meta name="csrf-token">` (for the console's own API calls).
pub fn me(state: &ApiState, language: Language, session: &Session) -> Response {
    let w = words(state, language);
    let name = session
        .display_name
        .clone()
        .unwrap_or_else(|| session.handle.as_str().to_owned());
    let body = format!(
        "<meta name=\"csrf-token\" content=\"{csrf}\">\
         <p id=\"who\">{who}</p><p id=\"handle\">{handle}</p><p id=\"role\" data-role=\"{role_name}\">{role}</p>\
         <form method=\"post\" action=\"{SIGNOUT_PATH}\">\
         <input type=\"hidden\" name=\"{CSRF_FIELD}\" value=\"{csrf}\">\
         <button type=\"submit\" id=\"signout\">{signout}</button></form>",
        csrf = attr(&session.csrf_token),
        who = text(&w.with("me-signed-in", &[("name", Arg::text(&name))])),
        handle = text(&w.with1("me-handle", "handle", session.handle.as_str())),
        role_name = attr(session.role.name()),
        role = text(&w.with1("me-role", "role", session.role.name())),
        signout = text(&w.t("me-signout")),
    );
    html(StatusCode::OK, page(language, &w.t("me-title"), &body))
}

/// After log-out, when the provider has no end-session address.
pub fn signed_out(state: &ApiState, language: Language) -> Response {
    let w = words(state, language);
    let body = format!(
        "<p id=\"signed-out\">{}</p><p><a href=\"{SIGNIN_PATH}\">{}</a></p>",
        text(&w.t("signout-done")),
        text(&w.t("signin-again"))
    );
    html(StatusCode::OK, page(language, &w.t("signout-title"), &body))
}
