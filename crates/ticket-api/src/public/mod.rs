//! The public side: the identity-theft report form (`/signalement`, `/en/report`), the
//! confirmation and private tracking pages (`/suivi/{secret}`, `/en/tracking/{secret}`), and
//! `POST /api/v1/public/identity-theft-reports` for partners' own forms.
//!
//! Anti-abuse: a signed double-submit CSRF token, a honeypot field, a body size limit, and rate
//! limits per IP address and per email address (configurable), answered 429 with a readable page.

pub mod api;
pub mod copy;
pub mod csrf;
pub mod pages;
pub mod rate;
pub mod report;

use crate::ApiState;
use chrono::{DateTime, Utc};
use copy::{Copy, copy};
use csrf::{CSRF_NAME, Csrf, CsrfError};
use pages::{Choice, FormValues, HistoryLine, Tracking};
use poem::http::{StatusCode, header};
use poem::web::{Data, Path, Query};
use poem::{Body, Request, Response, Route, get, handler};
use rate::{Limit, RateLimiter};
use report::PublicReport;
use serde::{Deserialize, Serialize};
use ticket_domain::event::Visibility;
use ticket_domain::values::{LONG_TEXT, OrganisationId, Text};
use ticket_domain::{Actor, Command, EventData, Language};
use ticket_store::StoreError;
use ticket_store::attachments::{AttachmentLimits, AttachmentRefusal, Upload, check_uploads};
use ticket_store::registry::OrganisationRole;
use ticket_store::tickets::{StoredTicket, TicketKey};

/// The largest form body accepted.
pub const MAX_FORM_BYTES: usize = 16 * 1024;

/// Settings of the public pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PublicConfig {
    /// Absolute address of this service as the public reaches it, for the links in pages and mails.
    pub base_url: String,
    /// Key signing the forms' CSRF tokens (at least 32 characters); random per process when absent,
    /// so set it when several replicas serve the forms.
    pub csrf_key: Option<String>,
    /// Reports accepted per client IP address.
    pub per_ip: Limit,
    /// Reports accepted per email address.
    pub per_email: Limit,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    /// How many proxies in front of this service append to `X-Forwarded-For` (1 to 10): the
    /// client address is the entry that many places from the right, the last one no trusted
    /// proxy added (entries further left are the client's own and never trusted).
    pub trusted_proxy_hops: usize,
}

impl Default for PublicConfig {
    fn default() -> Self {
        Self {
            base_url: "http://127.0.0.1:8080".to_owned(),
            csrf_key: None,
            per_ip: Limit {
                max: 10,
                window_seconds: 3600,
            },
            per_email: Limit {
                max: 3,
                window_seconds: 86_400,
            },
            trust_forwarded_for: false,
            trusted_proxy_hops: 1,
        }
    }
}

/// The public side's state: its settings, the CSRF key and the rate limiters.
#[derive(Debug)]
pub struct PublicState {
    pub config: PublicConfig,
    pub csrf: Csrf,
    pub per_ip: RateLimiter,
    pub per_email: RateLimiter,
}

impl PublicState {
    /// Rate limits kept in memory: one process (SQLite).
    pub fn new(config: PublicConfig) -> Self {
        Self {
            csrf: Csrf::new(config.csrf_key.as_deref().map(str::as_bytes)),
            per_ip: RateLimiter::new(config.per_ip),
            per_email: RateLimiter::new(config.per_email),
            config,
        }
    }

    /// Rate limits kept in `store`'s database, shared by the replicas on it (PostgreSQL);
    /// `key` (shared by the replicas too) keys the hashes stored in place of the addresses.
    pub fn shared(config: PublicConfig, store: &ticket_store::Store, key: &[u8]) -> Self {
        Self {
            csrf: Csrf::new(config.csrf_key.as_deref().map(str::as_bytes)),
            per_ip: RateLimiter::shared(config.per_ip, store.clone(), "ip", key),
            per_email: RateLimiter::shared(config.per_email, store.clone(), "email", key),
            config,
        }
    }

    fn base_url(&self) -> &str {
        self.config.base_url.trim_end_matches('/')
    }

    fn secure_cookie(&self) -> bool {
        self.config.base_url.starts_with("https://")
    }
}

/// Adds the routes of the public pages to `route`.
pub fn add_routes(route: Route) -> Route {
    route
        .at("/public.css", get(style))
        .at("/signalement", get(form_fr).post(submit_fr))
        .at("/en/report", get(form_en).post(submit_en))
        .at("/suivi/:secret", get(tracking_fr))
        .at("/en/tracking/:secret", get(tracking_en))
        .at("/suivi/:secret/confirmation", get(confirmation_fr))
        .at("/en/tracking/:secret/confirmation", get(confirmation_en))
        .at("/suivi/:secret/information", poem::post(information_fr))
        .at(
            "/en/tracking/:secret/information",
            poem::post(information_en),
        )
        .at("/suivi/:secret/fichiers", poem::post(files_fr))
        .at("/en/tracking/:secret/files", poem::post(files_en))
        .at("/suivi/:secret/fichiers/:id", get(download_fr))
        .at("/en/tracking/:secret/files/:id", get(download_en))
        .at("/suivi/:secret/resolution", poem::post(resolution_fr))
        .at("/en/tracking/:secret/resolution", poem::post(resolution_en))
}

/// The methods the public pages answer at `path` (for `Allow` on a 405), as [`add_routes`]
/// routes them.
pub fn methods_of(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["public.css"] | ["suivi", _] | ["en", "tracking", _] => Some("GET"),
        ["signalement"] | ["en", "report"] => Some("GET, POST"),
        ["suivi", _, "confirmation"] | ["en", "tracking", _, "confirmation"] => Some("GET"),
        ["suivi", _, "information" | "resolution" | "fichiers"]
        | ["en", "tracking", _, "information" | "resolution" | "files"] => Some("POST"),
        ["suivi", _, "fichiers", _] | ["en", "tracking", _, "files", _] => Some("GET"),
        _ => None,
    }
}

/// Every public page: no script, no framing, no referrer (the tracking secret is in the address).
fn html(status: StatusCode, body: String) -> Response {
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

fn redirect(location: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, location)
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::REFERRER_POLICY, "no-referrer")
        .finish()
}

fn message(
    language: Language,
    status: StatusCode,
    title: &str,
    text: &str,
    back: bool,
) -> Response {
    html(status, pages::message_page(language, title, text, back))
}

fn too_many(language: Language, retry_after: u64) -> Response {
    let c = copy(language);
    let minutes = retry_after.div_ceil(60).max(1).to_string();
    let mut response = message(
        language,
        StatusCode::TOO_MANY_REQUESTS,
        c.too_many_title,
        &c.too_many.replace("{minutes}", &minutes),
        false,
    );
    if let Ok(value) = retry_after.to_string().parse() {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn unavailable(language: Language, error: &StoreError) -> Response {
    tracing::error!(error = %error, "public page failed");
    let c = copy(language);
    let mut response = message(
        language,
        StatusCode::SERVICE_UNAVAILABLE,
        c.unavailable_title,
        c.unavailable,
        true,
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("30"));
    response
}

#[handler]
fn style() -> Response {
    Response::builder()
        .content_type("text/css; charset=utf-8")
        .header(header::CACHE_CONTROL, "public, max-age=3600")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(pages::STYLE)
}

/// The client's address, for the per-IP limit.
fn client_ip(request: &Request, public: &PublicState) -> String {
    if public.config.trust_forwarded_for
        && let Some(client) = forwarded_client(
            request
                .headers()
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok()),
            public.config.trusted_proxy_hops,
        )
    {
        return client;
    }
    request
        .remote_addr()
        .as_socket_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The client address in `X-Forwarded-For` behind `hops` trusted proxies: each proxy appends the
/// address it received the request from, so the entry `hops` places from the right is what the
/// outermost trusted proxy saw. With fewer entries than hops, the left-most one.
pub fn forwarded_client<'a>(headers: impl Iterator<Item = &'a str>, hops: usize) -> Option<String> {
    let entries: Vec<&str> = headers
        .flat_map(|h| h.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    let index = entries.len().saturating_sub(hops.max(1));
    entries.get(index).map(|e| (*e).to_owned())
}

fn cookie_value(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A page with a fresh CSRF token, set as a cookie too.
fn with_token(
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

async fn choices(state: &ApiState) -> Result<(Vec<Choice>, Vec<Choice>), StoreError> {
    let organisations = state.store.list_organisations().await?;
    let pick = |role: OrganisationRole| {
        organisations
            .iter()
            .filter(|o| o.roles.contains(&role))
            .map(|o| Choice {
                id: o.id.to_string(),
                name: o.name.clone(),
            })
            .collect::<Vec<_>>()
    };
    Ok((
        pick(OrganisationRole::IdentityProvider),
        pick(OrganisationRole::ServiceProvider),
    ))
}

async fn show_form(
    state: &ApiState,
    language: Language,
    status: StatusCode,
    values: &FormValues,
    errors: &[crate::problem::FieldError],
    notice: Option<&str>,
) -> Response {
    let (identity_providers, service_providers) = match choices(state).await {
        Ok(choices) => choices,
        Err(error) => return unavailable(language, &error),
    };
    let public = &state.public;
    with_token(public, state.clock.now(), |token| {
        html(
            status,
            pages::form_page(
                language,
                values,
                errors,
                token,
                &identity_providers,
                &service_providers,
                notice,
            ),
        )
    })
}

#[handler]
async fn form_fr(state: Data<&ApiState>) -> Response {
    show_form(
        &state,
        Language::Fr,
        StatusCode::OK,
        &FormValues::default(),
        &[],
        None,
    )
    .await
}

#[handler]
async fn form_en(state: Data<&ApiState>) -> Response {
    show_form(
        &state,
        Language::En,
        StatusCode::OK,
        &FormValues::default(),
        &[],
        None,
    )
    .await
}

/// A form body: every field, repeated ones kept in order.
struct FormBody(Vec<(String, String)>);

impl FormBody {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_owned()
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// The most files the public form and the tracking page take at once ("a few").
pub const PUBLIC_MAX_FILES: u32 = 3;

/// The public pages' file limits: the service's, with at most [`PUBLIC_MAX_FILES`] at once.
fn public_limits(state: &ApiState) -> AttachmentLimits {
    let limits = state.attachments.limits;
    AttachmentLimits {
        max_files_per_upload: limits.max_files_per_upload.min(PUBLIC_MAX_FILES),
        ..limits
    }
}

/// Reads a form: URL-encoded (up to [`MAX_FORM_BYTES`]), or `multipart/form-data` with files (up
/// to the files' limits). File inputs left empty are dropped. `None` when too large or unreadable.
async fn read_submission(
    request: &Request,
    body: Body,
    limits: &AttachmentLimits,
) -> Option<(FormBody, Vec<Upload>)> {
    let content_type = request.content_type().unwrap_or_default().to_owned();
    if !content_type.starts_with("multipart/form-data") {
        return read_form(body).await.map(|form| (form, Vec::new()));
    }
    let limit = usize::try_from(limits.max_file_bytes)
        .unwrap_or(usize::MAX)
        .saturating_mul(limits.max_files_per_upload as usize)
        .saturating_add(MAX_FORM_BYTES + 16 * 1024);
    let bytes = body.into_bytes_limit(limit).await.ok()?;
    let boundary = multer::parse_boundary(&content_type).ok()?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(bytes) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut fields = Vec::new();
    let mut files = Vec::new();
    while let Some(field) = multipart.next_field().await.ok()? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let data = field.bytes().await.ok()?;
        match file_name {
            Some(file_name) if file_name.is_empty() && data.is_empty() => {}
            Some(file_name) => files.push(Upload {
                name: file_name,
                bytes: data,
            }),
            None => fields.push((name, String::from_utf8(data.to_vec()).ok()?)),
        }
    }
    Some((FormBody(fields), files))
}

/// The form error of refused files (`files` field, the refusal's kind as rule).
fn files_error(refusal: &AttachmentRefusal) -> crate::problem::FieldError {
    let rule = match refusal {
        AttachmentRefusal::TooLarge { .. } => "too_large",
        AttachmentRefusal::TooMany { .. } => "too_many",
        AttachmentRefusal::Unsupported { .. } => "type",
        AttachmentRefusal::Empty { .. } | AttachmentRefusal::NoFile => "required",
    };
    crate::problem::FieldError {
        field: "files".to_owned(),
        rule: rule.to_owned(),
        message: refusal.to_string(),
    }
}

/// Reads a form body up to [`MAX_FORM_BYTES`]; `None` when larger.
async fn read_form(body: Body) -> Option<FormBody> {
    let bytes = body.into_bytes_limit(MAX_FORM_BYTES).await.ok()?;
    Some(FormBody(
        form_urlencoded::parse(&bytes).into_owned().collect(),
    ))
}

fn csrf_refusal(language: Language, error: CsrfError) -> Response {
    tracing::warn!(?error, "public form refused: CSRF token");
    let c = copy(language);
    message(
        language,
        StatusCode::BAD_REQUEST,
        c.refused_title,
        c.refused,
        true,
    )
}

async fn submit(state: &ApiState, request: &Request, body: Body, language: Language) -> Response {
    let c: &Copy = copy(language);
    let public = &state.public;
    let now = state.clock.now();
    let limits = public_limits(state);
    let Some((form, files)) = read_submission(request, body, &limits).await else {
        return message(
            language,
            StatusCode::PAYLOAD_TOO_LARGE,
            c.too_large_title,
            c.too_large,
            true,
        );
    };
    if form.get("website").is_some_and(|v| !v.is_empty()) {
        tracing::warn!("public form refused: honeypot field filled");
        return message(
            language,
            StatusCode::BAD_REQUEST,
            c.refused_title,
            c.refused,
            true,
        );
    }
    let values = FormValues {
        session_id: form.text("session_id"),
        connection_date: form.text("connection_date"),
        identity_provider: form.text("identity_provider"),
        service_providers: form.all("service_providers"),
        birth_names: form.text("birth_names"),
        first_names: form.text("first_names"),
        birth_date: form.text("birth_date"),
        birth_place: form.text("birth_place"),
        email: form.text("email"),
        phone: form.text("phone"),
        description: form.text("description"),
        consent: form.get("consent").is_some(),
    };
    match public.csrf.check(
        form.get(CSRF_NAME),
        cookie_value(request, CSRF_NAME).as_deref(),
        now,
    ) {
        Ok(()) => {}
        Err(CsrfError::Expired) => {
            return show_form(
                state,
                language,
                StatusCode::BAD_REQUEST,
                &values,
                &[],
                Some(c.expired),
            )
            .await;
        }
        Err(error) => return csrf_refusal(language, error),
    }
    if let Err(wait) = public.per_ip.check(&client_ip(request, public), now).await {
        tracing::warn!("public form refused: rate limit per address");
        return too_many(language, wait);
    }
    let (report, mut errors) = parse_values(&values, language);
    if let Err(refusal) = check_uploads(&files, &limits)
        && !files.is_empty()
    {
        errors.push(files_error(&refusal));
    }
    let known = match state.store.list_organisations().await {
        Ok(list) => list
            .into_iter()
            .map(|o| o.id)
            .collect::<Vec<OrganisationId>>(),
        Err(error) => return unavailable(language, &error),
    };
    let new = match report.validate(now, &state.policy, &known) {
        Ok(new) if errors.is_empty() => new,
        Ok(_) => {
            return show_form(
                state,
                language,
                StatusCode::UNPROCESSABLE_ENTITY,
                &values,
                &errors,
                None,
            )
            .await;
        }
        Err(more) => {
            errors.extend(more);
            errors.sort_by_key(|e| {
                FIELD_ORDER
                    .iter()
                    .position(|f| *f == e.field)
                    .unwrap_or(usize::MAX)
            });
            errors.dedup_by(|a, b| a.field == b.field);
            return show_form(
                state,
                language,
                StatusCode::UNPROCESSABLE_ENTITY,
                &values,
                &errors,
                None,
            )
            .await;
        }
    };
    if let Err(wait) = public
        .per_email
        .check(&values.email.trim().to_lowercase(), now)
        .await
    {
        tracing::warn!("public form refused: rate limit per email address");
        return too_many(language, wait);
    }
    match state
        .store
        .create_ticket(new, &Actor::PublicReporter, now, &state.policy, None, true)
        .await
    {
        Ok(created) => {
            if !files.is_empty() {
                // Checked above: only the storage or the database can fail here, and the report
                // stands without its files (the reporter can add them from the tracking page).
                if let Err(error) = state
                    .store
                    .attach_files(
                        &state.attachments,
                        TicketKey::Id(created.ticket.ticket.id),
                        None,
                        files,
                        false,
                        &Actor::PublicReporter,
                        now,
                        &state.policy,
                    )
                    .await
                {
                    tracing::warn!(%error, "the files of a public report could not be attached");
                }
            }
            let secret = created.tracking_secret.unwrap_or_default();
            redirect(&format!("{}/{secret}/confirmation", c.tracking_path))
        }
        Err(StoreError::Refused(refusal)) => {
            let errors = refusal
                .errors
                .into_iter()
                .map(|e| crate::problem::FieldError {
                    field: if e.field == "suspicious_connection_at" {
                        "connection_date".into()
                    } else {
                        e.field
                    },
                    rule: e.rule,
                    message: e.message,
                })
                .collect::<Vec<_>>();
            show_form(
                state,
                language,
                StatusCode::UNPROCESSABLE_ENTITY,
                &values,
                &errors,
                None,
            )
            .await
        }
        Err(error) => unavailable(language, &error),
    }
}

/// The order of the form's fields, for the error summary.
const FIELD_ORDER: [&str; 13] = [
    "session_id",
    "connection_date",
    "identity_provider",
    "service_providers",
    "birth_names",
    "first_names",
    "birth_date",
    "birth_place",
    "email",
    "phone",
    "description",
    "files",
    "consent",
];

/// Typed values from the form's text; the errors of fields that do not parse.
fn parse_values(
    values: &FormValues,
    language: Language,
) -> (PublicReport, Vec<crate::problem::FieldError>) {
    let mut errors = Vec::new();
    let mut format_error = |field: &str| {
        errors.push(crate::problem::FieldError {
            field: field.to_owned(),
            rule: "format".to_owned(),
            message: "has not the expected format".to_owned(),
        });
    };
    let session_id = match values.session_id.trim() {
        "" => None,
        text => uuid::Uuid::parse_str(text)
            .map_err(|_| format_error("session_id"))
            .ok(),
    };
    let connection_date = match values.connection_date.trim() {
        "" => None,
        text => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| format_error("connection_date"))
            .ok(),
    };
    let birth_date = match values.birth_date.trim() {
        "" => None,
        text => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| format_error("birth_date"))
            .ok(),
    };
    let identity_provider = match values.identity_provider.trim() {
        "" => None,
        text => uuid::Uuid::parse_str(text)
            .map(OrganisationId)
            .map_err(|_| format_error("identity_provider"))
            .ok(),
    };
    let mut service_providers = Vec::new();
    for text in &values.service_providers {
        match uuid::Uuid::parse_str(text.trim()) {
            Ok(id) => service_providers.push(OrganisationId(id)),
            Err(_) => format_error("service_providers"),
        }
    }
    let report = PublicReport {
        session_id,
        connection_date,
        identity_provider,
        service_providers,
        birth_names: values.birth_names.clone(),
        first_names: values.first_names.clone(),
        birth_date,
        birth_place: values.birth_place.clone(),
        email: values.email.clone(),
        phone: values.phone.clone(),
        description: values.description.clone(),
        consent: values.consent,
        language,
    };
    // A date that did not parse is reported once, as a format error, not also as missing.
    (report, errors)
}

#[handler]
async fn submit_fr(state: Data<&ApiState>, request: &Request, body: Body) -> Response {
    submit(&state, request, body, Language::Fr).await
}

#[handler]
async fn submit_en(state: Data<&ApiState>, request: &Request, body: Body) -> Response {
    submit(&state, request, body, Language::En).await
}

/// The ticket a tracking secret opens, or the reporter's 404 page.
async fn tracked(
    state: &ApiState,
    secret: &str,
    language: Language,
) -> Result<StoredTicket, Response> {
    let c = copy(language);
    let not_found = || {
        message(
            language,
            StatusCode::NOT_FOUND,
            c.not_found_title,
            c.not_found,
            false,
        )
    };
    if secret.len() < 32 || secret.len() > 64 {
        return Err(not_found());
    }
    match state.store.ticket_by_tracking_secret(secret).await {
        Ok(stored) => Ok(stored),
        Err(StoreError::NotFound(_)) => Err(not_found()),
        Err(error) => Err(unavailable(language, &error)),
    }
}

async fn confirmation(state: &ApiState, secret: &str, language: Language) -> Response {
    let stored = match tracked(state, secret, language).await {
        Ok(stored) => stored,
        Err(response) => return response,
    };
    let c = copy(language);
    let path = format!("{}/{secret}", c.tracking_path);
    let url = format!("{}{path}", state.public.base_url());
    html(
        StatusCode::OK,
        pages::confirmation_page(language, &stored.ticket.reference.to_string(), &url, &path),
    )
}

#[handler]
async fn confirmation_fr(state: Data<&ApiState>, Path(secret): Path<String>) -> Response {
    confirmation(&state, &secret, Language::Fr).await
}

#[handler]
async fn confirmation_en(state: Data<&ApiState>, Path(secret): Path<String>) -> Response {
    confirmation(&state, &secret, Language::En).await
}

fn history_line(language: Language, event: &ticket_domain::Event) -> Option<HistoryLine> {
    let fr = language == Language::Fr;
    let c = copy(language);
    if event.visibility != Visibility::Public {
        return None;
    }
    let who = match event.actor {
        Actor::PublicReporter => c.you.to_owned(),
        _ => c.team.to_owned(),
    };
    let text = match &event.data {
        EventData::Created { .. } => if fr {
            "Signalement reçu."
        } else {
            "Report received."
        }
        .to_owned(),
        EventData::Acknowledged { .. } => if fr {
            "Signalement pris en charge par l'équipe sécurité."
        } else {
            "Report taken in hand by the security team."
        }
        .to_owned(),
        EventData::Commented { body } | EventData::ReporterAnswered { body } => {
            body.as_str().to_owned()
        }
        EventData::WaitingForReporter { question } => format!(
            "{} {}",
            if fr { "Question :" } else { "Question:" },
            question.as_str()
        ),
        EventData::Resolved { summary } => format!(
            "{} {}",
            if fr {
                "Résolution proposée :"
            } else {
                "Proposed resolution:"
            },
            summary.as_str()
        ),
        EventData::Qualified { qualification } => match qualification {
            ticket_domain::kind::Qualification::Confirmed => if fr {
                "Usurpation confirmée : les organismes concernés ont été prévenus."
            } else {
                "Identity theft confirmed: the organisations concerned were told."
            }
            .to_owned(),
            ticket_domain::kind::Qualification::Unfounded { explanation } => format!(
                "{} {}",
                if fr {
                    "Signalement non fondé :"
                } else {
                    "Report found unfounded:"
                },
                explanation.as_str()
            ),
        },
        EventData::ResolutionConfirmed => if fr {
            "Résolution confirmée."
        } else {
            "Resolution confirmed."
        }
        .to_owned(),
        EventData::ResolutionRejected { reason } => format!(
            "{} {}",
            if fr { "Non résolu :" } else { "Not resolved:" },
            reason.as_str()
        ),
        EventData::Closed { .. } => if fr { "Dossier clos." } else { "Case closed." }.to_owned(),
        EventData::Reopened { .. } => if fr {
            "Dossier rouvert."
        } else {
            "Case reopened."
        }
        .to_owned(),
        EventData::ReminderSent { .. } => if fr {
            "Rappel envoyé : nous attendons votre réponse."
        } else {
            "Reminder sent: we are waiting for your answer."
        }
        .to_owned(),
        EventData::Cancelled { .. } => if fr {
            "Dossier annulé."
        } else {
            "Case cancelled."
        }
        .to_owned(),
        EventData::FilesAttached { files } => {
            if fr {
                format!("Fichier(s) joint(s) : {}.", files.len())
            } else {
                format!("File(s) attached: {}.", files.len())
            }
        }
        _ => return None,
    };
    let paris = event.at.with_timezone(&chrono_tz::Europe::Paris);
    Some(HistoryLine {
        at: paris.format("%Y-%m-%d %H:%M").to_string(),
        who,
        text,
    })
}

fn closure_words(language: Language, stored: &StoredTicket) -> Option<String> {
    use ticket_domain::ClosureReason::*;
    let fr = language == Language::Fr;
    let reason = stored.ticket.closure.as_ref()?.reason;
    Some(
        match (reason, fr) {
            (ResolvedConfirmed, true) => "Motif : vous avez confirmé la résolution.",
            (ResolvedConfirmed, false) => "Reason: you confirmed the resolution.",
            (MutualAgreement, true) => "Motif : clôture d'un commun accord.",
            (MutualAgreement, false) => "Reason: closed by mutual agreement.",
            (ReporterUnresponsive, true) => {
                "Motif : sans réponse de votre part malgré notre relance."
            }
            (ReporterUnresponsive, false) => "Reason: no answer from you despite our reminder.",
            (ResolvedByOperator, true) => "Motif : résolu par l'équipe, qui vous en a informé.",
            (ResolvedByOperator, false) => "Reason: resolved by the team, who told you.",
        }
        .to_owned(),
    )
}

#[derive(Debug, Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn tracking(
    state: &ApiState,
    secret: &str,
    language: Language,
    notice: Option<&str>,
    status: StatusCode,
    errors: Vec<crate::problem::FieldError>,
) -> Response {
    let stored = match tracked(state, secret, language).await {
        Ok(stored) => stored,
        Err(response) => return response,
    };
    let events = match state.store.events(stored.ticket.id).await {
        Ok(events) => events,
        Err(error) => return unavailable(language, &error),
    };
    let c = copy(language);
    let notice = notice.and_then(|n| match n {
        "added" => Some(c.notice_added),
        "confirmed" => Some(c.notice_confirmed),
        "rejected" => Some(c.notice_rejected),
        "conflict" => Some(c.notice_conflict),
        "files" => Some(match language {
            Language::Fr => "Vos fichiers ont été joints au dossier.",
            Language::En => "Your files were attached to the case.",
        }),
        _ => None,
    });
    let history: Vec<HistoryLine> = events
        .iter()
        .rev()
        .filter_map(|e| history_line(language, &e.event))
        .collect();
    let action_base = format!("{}/{secret}", c.tracking_path);
    let other = match language {
        Language::Fr => format!("/en/tracking/{secret}"),
        Language::En => format!("/suivi/{secret}"),
    };
    let attachments = match state.store.attachments(stored.ticket.id.0).await {
        Ok(attachments) => attachments,
        Err(error) => return unavailable(language, &error),
    };
    let files_segment = match language {
        Language::Fr => "fichiers",
        Language::En => "files",
    };
    let files = attachments
        .into_iter()
        .filter(|a| a.visibility == Visibility::Public && a.erased_at.is_none())
        .map(|a| pages::TrackedFile {
            name: a.display_name(),
            size: a.size,
            href: format!("{action_base}/{files_segment}/{}", a.id),
        })
        .collect();
    let reference = stored.ticket.reference.to_string();
    let closure = closure_words(language, &stored);
    with_token(&state.public, state.clock.now(), |token| {
        html(
            status,
            pages::tracking_page(
                language,
                &Tracking {
                    reference: &reference,
                    state: stored.ticket.state,
                    closure_words: closure,
                    history,
                    files,
                    files_action: &format!("{action_base}/{files_segment}"),
                    version: stored.version,
                    csrf: token,
                    action_base: &action_base,
                    other_language_href: &other,
                    notice,
                    errors,
                },
            ),
        )
    })
}

#[handler]
async fn tracking_fr(
    state: Data<&ApiState>,
    Path(secret): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    tracking(
        &state,
        &secret,
        Language::Fr,
        query.notice.as_deref(),
        StatusCode::OK,
        Vec::new(),
    )
    .await
}

#[handler]
async fn tracking_en(
    state: Data<&ApiState>,
    Path(secret): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    tracking(
        &state,
        &secret,
        Language::En,
        query.notice.as_deref(),
        StatusCode::OK,
        Vec::new(),
    )
    .await
}

/// What the reporter does from the tracking page.
enum Action {
    Information,
    Resolution,
    Files,
}

async fn act(
    state: &ApiState,
    request: &Request,
    body: Body,
    secret: &str,
    language: Language,
    action: Action,
) -> Response {
    let c = copy(language);
    let limits = public_limits(state);
    let Some((form, files)) = read_submission(request, body, &limits).await else {
        return message(
            language,
            StatusCode::PAYLOAD_TOO_LARGE,
            c.too_large_title,
            c.too_large,
            false,
        );
    };
    let now = state.clock.now();
    if let Err(error) = state.public.csrf.check(
        form.get(CSRF_NAME),
        cookie_value(request, CSRF_NAME).as_deref(),
        now,
    ) {
        return csrf_refusal(language, error);
    }
    let stored = match tracked(state, secret, language).await {
        Ok(stored) => stored,
        Err(response) => return response,
    };
    let version = form
        .get("version")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(stored.version);
    let base = format!("{}/{secret}", c.tracking_path);
    let field_error = |field: &str| {
        vec![crate::problem::FieldError {
            field: field.to_owned(),
            rule: "required".to_owned(),
            message: "must not be empty".to_owned(),
        }]
    };
    let (command, done) = match action {
        Action::Files => {
            let refused = match check_uploads(&files, &limits) {
                Err(refusal) => Some(files_error(&refusal)),
                Ok(()) => None,
            };
            if let Some(error) = refused {
                return tracking(
                    state,
                    secret,
                    language,
                    None,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    vec![error],
                )
                .await;
            }
            return match state
                .store
                .attach_files(
                    &state.attachments,
                    TicketKey::Id(stored.ticket.id),
                    None,
                    files,
                    false,
                    &Actor::PublicReporter,
                    now,
                    &state.policy,
                )
                .await
            {
                Ok(_) => redirect(&format!("{base}?notice=files")),
                Err(StoreError::Refused(_)) => redirect(&format!("{base}?notice=conflict")),
                Err(StoreError::Attachment(refusal)) => {
                    tracking(
                        state,
                        secret,
                        language,
                        None,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        vec![files_error(&refusal)],
                    )
                    .await
                }
                Err(error) => unavailable(language, &error),
            };
        }
        Action::Information => match Text::parse("message", &form.text("message"), LONG_TEXT) {
            Ok(body) => (
                Command::Comment {
                    body,
                    internal: false,
                },
                "added",
            ),
            Err(_) => {
                return tracking(
                    state,
                    secret,
                    language,
                    None,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    field_error("message"),
                )
                .await;
            }
        },
        Action::Resolution => match form.get("answer") {
            Some("confirm") => (Command::ConfirmResolution, "confirmed"),
            Some("reject") => match Text::parse("reason", &form.text("reason"), LONG_TEXT) {
                Ok(reason) => (Command::RejectResolution { reason }, "rejected"),
                Err(_) => {
                    return tracking(
                        state,
                        secret,
                        language,
                        None,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        field_error("reason"),
                    )
                    .await;
                }
            },
            _ => {
                return message(
                    language,
                    StatusCode::BAD_REQUEST,
                    c.refused_title,
                    c.refused,
                    false,
                );
            }
        },
    };
    match state
        .store
        .execute(
            TicketKey::Id(stored.ticket.id),
            version,
            command,
            &Actor::PublicReporter,
            now,
            &state.policy,
        )
        .await
    {
        Ok(_) => redirect(&format!("{base}?notice={done}")),
        Err(StoreError::VersionConflict { .. } | StoreError::Refused(_)) => {
            redirect(&format!("{base}?notice=conflict"))
        }
        Err(error) => unavailable(language, &error),
    }
}

#[handler]
async fn files_fr(
    state: Data<&ApiState>,
    request: &Request,
    Path(secret): Path<String>,
    body: Body,
) -> Response {
    act(&state, request, body, &secret, Language::Fr, Action::Files).await
}

#[handler]
async fn files_en(
    state: Data<&ApiState>,
    request: &Request,
    Path(secret): Path<String>,
    body: Body,
) -> Response {
    act(&state, request, body, &secret, Language::En, Action::Files).await
}

/// A public file of the ticket, downloaded by its reporter: the API's download headers, and the
/// tracking page's (no referrer).
async fn download(state: &ApiState, secret: &str, id: &str, language: Language) -> Response {
    let stored = match tracked(state, secret, language).await {
        Ok(stored) => stored,
        Err(response) => return response,
    };
    let c = copy(language);
    let not_found = || {
        message(
            language,
            StatusCode::NOT_FOUND,
            c.not_found_title,
            c.not_found,
            false,
        )
    };
    let Ok(id) = uuid::Uuid::parse_str(id) else {
        return not_found();
    };
    let attachment = match state.store.attachment(stored.ticket.id.0, id).await {
        Ok(a) if a.visibility == Visibility::Public && a.erased_at.is_none() => a,
        Ok(_) | Err(StoreError::NotFound(_)) => return not_found(),
        Err(error) => return unavailable(language, &error),
    };
    match state
        .store
        .attachment_bytes(&state.attachments.blobs, &attachment)
        .await
    {
        Ok(bytes) => Response::builder()
            .status(StatusCode::OK)
            .content_type("application/octet-stream")
            .header(
                header::CONTENT_DISPOSITION,
                crate::attachments::content_disposition(&attachment.display_name()),
            )
            .header(
                header::CONTENT_SECURITY_POLICY,
                crate::attachments::DOWNLOAD_CSP,
            )
            .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
            .header(header::REFERRER_POLICY, "no-referrer")
            .header(header::CACHE_CONTROL, "no-store")
            .body(bytes.to_vec()),
        Err(error) => unavailable(language, &error),
    }
}

#[handler]
async fn download_fr(
    state: Data<&ApiState>,
    Path((secret, id)): Path<(String, String)>,
) -> Response {
    download(&state, &secret, &id, Language::Fr).await
}

#[handler]
async fn download_en(
    state: Data<&ApiState>,
    Path((secret, id)): Path<(String, String)>,
) -> Response {
    download(&state, &secret, &id, Language::En).await
}

#[handler]
async fn information_fr(
    state: Data<&ApiState>,
    request: &Request,
    body: Body,
    Path(secret): Path<String>,
) -> Response {
    act(
        &state,
        request,
        body,
        &secret,
        Language::Fr,
        Action::Information,
    )
    .await
}

#[handler]
async fn information_en(
    state: Data<&ApiState>,
    request: &Request,
    body: Body,
    Path(secret): Path<String>,
) -> Response {
    act(
        &state,
        request,
        body,
        &secret,
        Language::En,
        Action::Information,
    )
    .await
}

#[handler]
async fn resolution_fr(
    state: Data<&ApiState>,
    request: &Request,
    body: Body,
    Path(secret): Path<String>,
) -> Response {
    act(
        &state,
        request,
        body,
        &secret,
        Language::Fr,
        Action::Resolution,
    )
    .await
}

#[handler]
async fn resolution_en(
    state: Data<&ApiState>,
    request: &Request,
    body: Body,
    Path(secret): Path<String>,
) -> Response {
    act(
        &state,
        request,
        body,
        &secret,
        Language::En,
        Action::Resolution,
    )
    .await
}

/// Used by the JSON endpoint too.
pub(crate) fn client_address(request: &Request, public: &PublicState) -> String {
    client_ip(request, public)
}
