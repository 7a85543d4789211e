//! The public side: the identity-theft report form (`/signalement`, `/en/report`), the
//! confirmation and private tracking pages (`/suivi/{secret}`, `/en/tracking/{secret}`), and
//! `POST /api/v1/public/identity-theft-reports` for partners' own forms.
//!
//! Anti-abuse: a signed double-submit CSRF token, a honeypot field, a body size limit, and rate
//! limits per IP address and per email address (configurable), answered 429 with a readable page.

pub mod api;
pub mod csrf;
pub mod pages;
pub mod rate;
pub mod report;
mod tracking;

use crate::ApiState;
use chrono::{DateTime, Utc};
use csrf::{CSRF_NAME, Csrf, CsrfError};
use pages::{Choice, FormValues};
use poem::http::{StatusCode, header};
use poem::web::Data;
use poem::{Body, Request, Response, Route, get, handler};
use rate::{Limit, RateLimiter};
use report::PublicReport;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use ticket_domain::values::OrganisationId;
use ticket_domain::{Actor, Language};
use ticket_store::StoreError;
use ticket_store::attachments::{AttachmentLimits, AttachmentRefusal, Upload, check_uploads};
use ticket_store::registry::OrganisationRole;
use ticket_store::tickets::TicketKey;
use ticket_wording::{Arg, Wording, Words};
use tracking::{
    confirmation_en, confirmation_fr, download_en, download_fr, files_en, files_fr, information_en,
    information_fr, resolution_en, resolution_fr, tracking_en, tracking_fr,
};

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
    /// Who runs the service, named at the foot of every public page.
    pub operator_name: String,
    /// The operator's postal address, shown under its name (none when empty).
    pub operator_address: String,
    /// The operator's privacy notice, linked from every public page.
    pub privacy_url: String,
    /// The online pre-complaint service, linked from the confirmation page.
    pub pre_complaint_url: String,
    /// The THESEE online complaint service for internet scams, linked from the confirmation page.
    pub thesee_url: String,
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
            operator_name: "l'opérateur de la fédération d'identité".to_owned(),
            operator_address: String::new(),
            privacy_url:
                "https://www.cnil.fr/fr/les-droits-pour-maitriser-vos-donnees-personnelles"
                    .to_owned(),
            pre_complaint_url: "https://www.pre-plainte-en-ligne.gouv.fr/".to_owned(),
            thesee_url: "https://www.service-public.fr/particuliers/vosdroits/R63156".to_owned(),
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
    /// The words of the pages (the shipped catalogue, or the operator's).
    pub wording: Arc<Wording>,
}

impl PublicState {
    /// Rate limits kept in memory: one process (SQLite).
    pub fn new(config: PublicConfig) -> Self {
        Self {
            csrf: Csrf::new(config.csrf_key.as_deref().map(str::as_bytes)),
            per_ip: RateLimiter::new(config.per_ip),
            per_email: RateLimiter::new(config.per_email),
            wording: Arc::new(Wording::shipped()),
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
            wording: Arc::new(Wording::shipped()),
            config,
        }
    }

    /// Writes the pages with `wording` (the operator's) instead of the shipped words.
    #[must_use]
    pub fn with_wording(mut self, wording: Arc<Wording>) -> Self {
        self.wording = wording;
        self
    }

    fn words(&self, language: Language) -> Words<'_> {
        self.wording.language(language)
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

/// A page that only says something: `title` and `text` are catalogue ids.
fn message(
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

fn too_many(state: &ApiState, language: Language, retry_after: u64) -> Response {
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

fn unavailable(state: &ApiState, language: Language, error: &StoreError) -> Response {
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

async fn choices(
    state: &ApiState,
    values: &FormValues,
) -> Result<(Vec<Choice>, Vec<Choice>), StoreError> {
    let organisations = state.store.list_organisations().await?;
    let pick = |role: OrganisationRole| {
        organisations
            .iter()
            .filter(|o| o.roles.contains(&role))
            .map(|o| {
                let id = o.id.to_string();
                Choice {
                    chosen: values.identity_provider == id
                        || values.service_providers.contains(&id),
                    id,
                    name: o.name.clone(),
                }
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
    let (identity_providers, service_providers) = match choices(state, values).await {
        Ok(choices) => choices,
        Err(error) => return unavailable(state, language, &error),
    };
    let public = &state.public;
    let w = public.words(language);
    with_token(public, state.clock.now(), |token| {
        let context = pages::FormContext {
            w,
            policy: &state.policy,
            frame: pages::Frame::new(w, &public.config, &state.policy, None),
            csrf: token.to_owned(),
            identity_providers,
            service_providers,
            notice: notice.map(|id| w.t(id)).unwrap_or_default(),
        };
        html(
            status,
            pages::render(&pages::FormPage::new(context, values, errors)),
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

fn csrf_refusal(state: &ApiState, language: Language, error: CsrfError) -> Response {
    tracing::warn!(?error, "public form refused: CSRF token");
    message(
        state,
        language,
        StatusCode::BAD_REQUEST,
        ("page-refused-title", "page-refused"),
        true,
    )
}

async fn submit(state: &ApiState, request: &Request, body: Body, language: Language) -> Response {
    let public = &state.public;
    let now = state.clock.now();
    let limits = public_limits(state);
    let Some((form, files)) = read_submission(request, body, &limits).await else {
        return message(
            state,
            language,
            StatusCode::PAYLOAD_TOO_LARGE,
            ("page-too-large-title", "page-too-large"),
            true,
        );
    };
    if form.get("website").is_some_and(|v| !v.is_empty()) {
        tracing::warn!("public form refused: honeypot field filled");
        return message(
            state,
            language,
            StatusCode::BAD_REQUEST,
            ("page-refused-title", "page-refused"),
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
                Some("page-expired"),
            )
            .await;
        }
        Err(error) => return csrf_refusal(state, language, error),
    }
    if let Err(wait) = public.per_ip.check(&client_ip(request, public), now).await {
        tracing::warn!("public form refused: rate limit per address");
        return too_many(state, language, wait);
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
        Err(error) => return unavailable(state, language, &error),
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
        return too_many(state, language, wait);
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
            redirect(&format!("{}/confirmation", language.tracking_path(&secret)))
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
        Err(error) => unavailable(state, language, &error),
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

/// Used by the JSON endpoint too.
pub(crate) fn client_address(request: &Request, public: &PublicState) -> String {
    client_ip(request, public)
}
