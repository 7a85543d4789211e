//! The HTTP surface: routes, the OpenAPI document, errors as problem+json.
//!
//! Handlers are thin: parse into domain input, authorise, call one store function, map the result.
//! The state ([`ApiState`]) reaches them as poem data, so the OpenAPI document can be generated
//! without a database.

// `ApiError` carries its problem document by value, as poem-openapi's response derive needs; it
// is built once per failed request, so its size costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

pub mod attachments;
pub mod auth;
pub mod changes;
pub mod commands;
pub mod contract;
pub mod dto;
pub mod error;
pub mod health;
pub mod history;
pub mod ijson;
pub mod inbound;
pub mod keys;
pub mod mail;
pub mod observe;
pub mod outage;
pub mod privacy;
pub mod problem;
pub mod public;
pub mod queues;
pub mod registry;
pub mod reports;
pub mod shape;
pub mod signin;
pub mod staff;
pub mod tickets;
pub mod transparency;
pub mod utf8;
pub mod webhooks;

use poem::{Endpoint, EndpointExt, Response, Route};
use poem_openapi::{OpenApiService, Tags};
use std::sync::Arc;
use ticket_domain::Policy;
use ticket_store::Store;
use ticket_store::clock::Clock;

/// The version of this build, as reported by `/healthz` and the OpenAPI document.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What handlers need: the store, the operator's policy and the time source.
#[derive(Debug, Clone)]
pub struct ApiState {
    pub store: Store,
    pub policy: Arc<Policy>,
    pub clock: Arc<dyn Clock>,
    /// The public form's settings, CSRF key and rate limiters.
    pub public: Arc<public::PublicState>,
    /// Where attachments' bytes go, and the upload limits.
    pub attachments: Arc<ticket_store::attachments::Attachments>,
    /// The receiving side of mail in, for mails a gateway delivers over HTTP.
    pub inbox: ticket_inbox::Inbox,
    /// Told after a command that may have queued mail committed, so that the mail dispatcher
    /// (which waits on the same signal) delivers it now rather than at its next poll.
    pub mail_queued: Arc<tokio::sync::Notify>,
    /// Staff sign-in: the OpenID Connect providers and the session policy (issue 30).
    pub signin: Arc<signin::SigninState>,
    /// Where webhooks may go (checked at registration) and how their hosts are looked up.
    pub webhooks: webhooks::WebhookGuard,
    /// Told when a delivery is queued again by hand, so that the webhook dispatcher sends it now.
    pub webhook_queued: Arc<tokio::sync::Notify>,
}

pub use problem::{FieldError, PROBLEM_JSON, Problem};

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/openapi.json";

/// Where the interactive documentation (Swagger UI) is served.
pub const DOCS_PATH: &str = "/docs";

/// Groups of operations in the OpenAPI document.
#[derive(Debug, Tags)]
pub enum ApiTag {
    /// Liveness and metadata of the service.
    Operations,
    /// Declaring, reading and listing tickets.
    Tickets,
    /// Commands of the ticket lifecycle; each needs `If-Match`.
    Commands,
    /// The trust-sphere registry: organisations, their services and designated contacts.
    Registry,
    /// API keys: staff keys with a role, partner keys with an organisation (admin only).
    Keys,
    /// What members of the public use, without a key.
    Public,
    /// The mail outbox: failed and uncertain mails, and retrying them (admin only).
    Mail,
    /// The staff directory: members, whom tickets are assigned to (admin manages, staff read).
    Staff,
    /// Personal data: the access journal, legal holds, data subjects' requests (dpo, admin).
    Privacy,
    /// Mail in: mails a gateway delivers, the inbound mails and the quarantine staff triage.
    InboundMail,
    /// Quality-of-service reports: figures per period and group, CSV and SVG charts.
    Reports,
    /// Webhooks: an organisation's endpoints, signed deliveries of its tickets' events, the
    /// delivery log (admins for any organisation, a partner key for its own).
    Webhooks,
}

/// Every OpenAPI-described operation; add new `OpenApi` impls to the tuple.
pub type Api = (
    health::HealthApi,
    tickets::TicketsApi,
    history::HistoryApi,
    attachments::AttachmentsApi,
    commands::CommandsApi,
    registry::RegistryApi,
    keys::KeysApi,
    mail::MailApi,
    public::api::PublicApi,
    staff::StaffApi,
    queues::QueuesApi,
    // Tuples have `Default` up to 12 elements: the later groups nest.
    (
        privacy::PrivacyApi,
        inbound::InboundApi,
        reports::ReportsApi,
        changes::ChangesApi,
        transparency::TransparencyApi,
        signin::audit::AuthEventsApi,
        webhooks::WebhooksApi,
    ),
);

/// The OpenAPI service: the operations and the document that describes them.
pub fn api_service() -> OpenApiService<Api, ()> {
    OpenApiService::new(Api::default(), "ticketd", VERSION)
        // No `.summary()`: `info.summary` is OpenAPI 3.1, and poem-openapi writes a 3.0 document.
        .description(
            "Incident and identity-theft tickets for an identity federation: reporting and \
         handling of incidents and identity thefts. Errors are `application/problem+json` \
         (RFC 9457).",
        )
}

/// The whole app: the API, its document at [`OPENAPI_PATH`], the docs at [`DOCS_PATH`],
/// and problem+json for every error, unknown paths included; every request logged with its id and
/// counted ([`observe`]).
pub fn app(state: ApiState) -> impl Endpoint<Output = Response> {
    let api = api_service();
    let spec = spec_json();
    let shapes = Arc::new(shape::Shapes::from_spec(&spec));
    let docs = docs_page(&api, &spec);
    let spec_body = spec.clone();
    signin::add_routes(public::add_routes(Route::new()))
        .at(
            OPENAPI_PATH,
            poem::get(poem::endpoint::make_sync(move |_| {
                Response::builder()
                    .content_type("application/json; charset=utf-8")
                    .body(spec_body.clone())
            })),
        )
        .at(
            DOCS_PATH,
            poem::get(poem::endpoint::make_sync(move |_| {
                Response::builder()
                    .content_type("text/html; charset=utf-8")
                    .header(poem::http::header::CONTENT_SECURITY_POLICY, docs.1.clone())
                    .body(docs.0.clone())
            })),
        )
        .nest(
            "/",
            api.around(guard_body).around(signin::session::authenticate),
        )
        .around(outage::within_deadline)
        .around(note_write_failures)
        .data(state)
        .data(shapes.clone())
        .around(observe::observe)
        .catch_all_error(problem::problem_response)
        .around(move |endpoint, request| common_headers(endpoint, request, shapes.clone()))
}

/// The Swagger UI page showing the refined document, and its Content-Security-Policy: the
/// page's two inline scripts are allowed by hash, nothing is loaded from elsewhere.
fn docs_page(api: &OpenApiService<Api, ()>, spec: &str) -> (String, String) {
    use base64::Engine as _;
    use sha2::Digest as _;
    let html = api.swagger_ui_html().replacen(&api.spec(), spec, 1);
    let mut hashes = Vec::new();
    let mut rest = html.as_str();
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let (Some(open_end), Some(close)) = (after.find('>'), after.find("</script>")) else {
            break;
        };
        let script = &after[open_end + 1..close];
        hashes.push(format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script))
        ));
        rest = &after[close + "</script>".len()..];
    }
    let csp = format!(
        "default-src 'none'; script-src {}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        hashes.join(" ")
    );
    (html, csp)
}

/// Headers every response carries: `nosniff`; `no-store` on the API (its answers carry personal
/// data and secrets); `WWW-Authenticate: Bearer` on a 401; `Allow` on a 405.
async fn common_headers<E: Endpoint>(
    endpoint: Arc<E>,
    request: poem::Request,
    shapes: Arc<shape::Shapes>,
) -> poem::Result<Response> {
    use poem::IntoResponse as _;
    use poem::http::{HeaderValue, StatusCode, header};
    let path = request.uri().path().to_owned();
    let method = request.method().as_str().to_owned();
    let sent_type = request.content_type().map(str::to_owned);
    let mut response = match endpoint.call(request).await {
        Ok(response) => response.into_response(),
        Err(error) => problem::problem_response(error).await,
    };
    // A 415 for a body of a type the operation does not take (poem's own, worded generally) names
    // the types it does take; a 415 an operation gave for what the body holds (a disguised file)
    // keeps its own words.
    if response.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE {
        let accepted = shapes.media_types(&method, &path);
        let essence = sent_type
            .as_deref()
            .and_then(|t| t.split(';').next())
            .map(|t| t.trim().to_ascii_lowercase());
        let taken = essence.is_some_and(|sent| {
            accepted
                .iter()
                .any(|media| media.split(';').next().is_some_and(|m| m.trim() == sent))
        });
        if !accepted.is_empty() && !taken {
            response =
                problem::unsupported_media_type(sent_type.as_deref(), accepted).into_response();
        }
    }
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if path.starts_with("/api/") && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    match response.status() {
        StatusCode::UNAUTHORIZED => {
            // A 401 that says more (an expired key's `invalid_token`) keeps its challenge.
            response
                .headers_mut()
                .entry(header::WWW_AUTHENTICATE)
                .or_insert(HeaderValue::from_static("Bearer"));
        }
        StatusCode::METHOD_NOT_ALLOWED => {
            let allowed = shapes
                .methods_of(&path)
                .or_else(|| public::methods_of(&path).map(str::to_owned))
                .or_else(|| signin::methods_of(&path).map(str::to_owned))
                .or_else(|| {
                    [OPENAPI_PATH, DOCS_PATH]
                        .contains(&path.as_str())
                        .then(|| "GET, HEAD".to_owned())
                });
            if let Some(value) = allowed.and_then(|a| HeaderValue::from_str(&a).ok()) {
                response.headers_mut().insert(header::ALLOW, value);
            }
        }
        _ => {}
    }
    Ok(response)
}

/// A request that would write (any method but GET and HEAD) answered 503: the store could not
/// write (a full disk, the database away). The store remembers it, and `/readyz` says not ready
/// until a write goes through again. A 500 met while the database's storage fails is answered
/// 503 ([`outage::storage_outage`]).
async fn note_write_failures<E: Endpoint>(
    endpoint: Arc<E>,
    request: poem::Request,
) -> poem::Result<Response> {
    use poem::IntoResponse;
    let writes = !matches!(
        *request.method(),
        poem::http::Method::GET | poem::http::Method::HEAD
    );
    let store = request.data::<ApiState>().map(|state| state.store.clone());
    let path = request.uri().path().to_owned();
    let result = endpoint
        .call(request)
        .await
        .map(IntoResponse::into_response);
    let Some(store) = store else {
        return result;
    };
    let status = match &result {
        Ok(response) => response.status(),
        Err(error) => error.status(),
    };
    if status == poem::http::StatusCode::INTERNAL_SERVER_ERROR
        && let Some(why) = store.storage_failure().await
    {
        let response = match result {
            Ok(response) => response,
            Err(error) => problem::problem_response(error).await,
        };
        store.note_write_failure();
        return Ok(outage::storage_outage(&path, response, &why));
    }
    if writes && status == poem::http::StatusCode::SERVICE_UNAVAILABLE {
        store.note_write_failure();
    }
    result
}

/// The largest request body accepted (413 beyond): a ticket is text, never a file.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Reads request bodies up to [`MAX_BODY_BYTES`] (413 beyond, whether announced by
/// `Content-Length` or sent chunked), refuses query parameters the operation does not declare and
/// header values outside their alphabet, then checks the shape of JSON bodies against the
/// operation's schema (400 naming each field and rule) before the operation parses them.
/// Authentication comes first: a request without a valid key is answered 401 whatever its body.
async fn guard_body<E: Endpoint>(
    endpoint: Arc<E>,
    mut request: poem::Request,
) -> poem::Result<Response> {
    use poem::IntoResponse as _;
    let announced = request
        .headers()
        .get(poem::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let limit = body_limit(&request);
    if announced.is_some_and(|length| length > limit) {
        return Ok(too_large());
    }
    let shapes = request.data::<Arc<shape::Shapes>>().cloned();
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let mut errors = Vec::new();
    // Only operations of the API: any other method or path is answered 404 or 405 by the router.
    if let Some(shapes) = shapes.as_ref().filter(|s| s.knows(&method, &path)) {
        errors.extend(shapes.check_query(&method, &path, request.uri().query().unwrap_or("")));
        errors.extend(check_headers(&request));
    }
    let json = request
        .content_type()
        .is_some_and(|t| t.starts_with("application/json"));
    let chunked = announced.is_none()
        && request
            .headers()
            .contains_key(poem::http::header::TRANSFER_ENCODING);
    if json || chunked {
        let bytes = match request.take_body().into_bytes_limit(limit).await {
            Ok(bytes) => bytes,
            Err(_) => return Ok(too_large()),
        };
        if json && let Some(shapes) = &shapes {
            errors.extend(shapes.check(&method, &path, &bytes));
        }
        request.set_body(bytes);
    }
    if !errors.is_empty() {
        // Answered before the operation's own route: its template goes on the response for the
        // request's log line and metrics (the router would label it with the nest's "").
        let route = shapes.as_ref().and_then(|s| s.route_of(&method, &path));
        let mut response = if shapes.is_some_and(|s| s.is_secured(&method, &path))
            && !authenticated(&request).await
        {
            problem::problem_for(poem::http::StatusCode::UNAUTHORIZED, "").into_response()
        } else {
            error::ApiError::malformed(errors).into_response()
        };
        if let Some(route) = route {
            response.set_data(poem::PathPattern(route.into()));
        }
        return Ok(response);
    }
    endpoint
        .call(request)
        .await
        .map(poem::IntoResponse::into_response)
}

/// 413 for a body refused before it was read: `Connection: close`, as the rest of the body is
/// never read (a client that reused the connection would see it closed under its next request).
fn too_large() -> Response {
    use poem::IntoResponse as _;
    let mut response =
        problem::problem_for(poem::http::StatusCode::PAYLOAD_TOO_LARGE, "").into_response();
    response.headers_mut().insert(
        poem::http::header::CONNECTION,
        poem::http::HeaderValue::from_static("close"),
    );
    response
}

/// The body limit of a request: [`MAX_BODY_BYTES`], but for an upload of attachments as many
/// files of the largest size as one upload may hold, plus room for the multipart framing, and for
/// a mail delivered by a gateway the largest mail taken (`mail.inbound.max_bytes`).
fn body_limit(request: &poem::Request) -> usize {
    let delivery = request.method() == poem::http::Method::POST
        && request.uri().path() == inbound::INBOUND_MAILS_PATH;
    if delivery && let Some(state) = request.data::<ApiState>() {
        return state.inbox.max_bytes().max(MAX_BODY_BYTES);
    }
    let upload = request.method() == poem::http::Method::POST
        && request.uri().path().starts_with("/api/v1/tickets/")
        && request.uri().path().ends_with("/attachments");
    match request.data::<ApiState>() {
        Some(state) if upload => {
            let limits = state.attachments.limits;
            usize::try_from(limits.max_file_bytes)
                .unwrap_or(usize::MAX)
                .saturating_mul(limits.max_files_per_upload as usize)
                .saturating_add(MAX_BODY_BYTES)
        }
        _ => MAX_BODY_BYTES,
    }
}

/// `Idempotency-Key` and `If-Match` in their alphabet (visible ASCII): a value the server would
/// otherwise fail to read is refused, never taken as absent.
fn check_headers(request: &poem::Request) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (name, rule, message) in [
        (
            "Idempotency-Key",
            "idempotency_key",
            "must be 1 to 200 visible ASCII characters, e.g. a UUID",
        ),
        (
            "If-Match",
            "etag",
            "must be the ticket's strong ETag, e.g. \"3\"",
        ),
    ] {
        if let Some(value) = request.headers().get(name)
            && (value.is_empty() || !value.as_bytes().iter().all(|b| (0x20..0x7f).contains(b)))
        {
            errors.push(FieldError {
                field: name.to_owned(),
                rule: rule.to_owned(),
                message: message.to_owned(),
            });
        }
    }
    errors
}

/// Whether the request carries a key the store knows (used only before refusing a malformed
/// request, so that an unauthenticated caller learns nothing of the API's rules).
async fn authenticated(request: &poem::Request) -> bool {
    let Some(state) = request.data::<ApiState>() else {
        return false;
    };
    if request
        .data::<signin::session::SessionPrincipal>()
        .is_some()
    {
        return true;
    }
    let Some(token) = request
        .headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    matches!(
        state
            .store
            .authenticate(token.trim(), state.clock.now())
            .await,
        Ok(Some(_))
    )
}

/// The OpenAPI document as served and committed: poem-openapi's, refined ([`contract`]).
pub fn spec_value() -> serde_json::Value {
    let generated = serde_json::from_str(&api_service().spec()).unwrap_or_default();
    contract::refine(generated)
}

/// The served document (`/openapi.json`, committed as `openapi/openapi.json`).
pub fn spec_json() -> String {
    serde_json::to_string_pretty(&spec_value()).unwrap_or_default()
}

/// The committed OpenAPI document (`openapi/openapi.yaml`), generated from the code.
pub fn spec_yaml() -> String {
    serde_yaml::to_string(&spec_value()).unwrap_or_default()
}
