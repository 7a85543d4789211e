//! The HTTP surface: routes, the OpenAPI document, errors as problem+json.
//!
//! Handlers are thin: parse into domain input, authorise, call one store function, map the result.
//! The state ([`ApiState`]) reaches them as poem data, so the OpenAPI document can be generated
//! without a database.

// `ApiError` carries its problem document by value, as poem-openapi's response derive needs; it
// is built once per failed request, so its size costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

pub mod auth;
pub mod commands;
pub mod dto;
pub mod error;
pub mod health;
pub mod history;
pub mod keys;
pub mod mail;
pub mod observe;
pub mod problem;
pub mod public;
pub mod registry;
pub mod shape;
pub mod tickets;

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
}

/// Every OpenAPI-described operation; add new `OpenApi` impls to the tuple.
pub type Api = (
    health::HealthApi,
    tickets::TicketsApi,
    history::HistoryApi,
    commands::CommandsApi,
    registry::RegistryApi,
    keys::KeysApi,
    mail::MailApi,
    public::api::PublicApi,
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
    let shapes = Arc::new(shape::Shapes::from_spec(&api.spec()));
    let spec = api.spec_endpoint();
    let docs = api.swagger_ui();
    public::add_routes(Route::new())
        .at(OPENAPI_PATH, spec)
        .nest(DOCS_PATH, docs)
        .nest("/", api.around(guard_body))
        .around(note_write_failures)
        .data(state)
        .data(shapes)
        .around(observe::observe)
        .catch_all_error(problem::problem_response)
}

/// A request that would write (any method but GET and HEAD) answered 503: the store could not
/// write (a full disk, the database away). The store remembers it, and `/readyz` says not ready
/// until a write goes through again.
async fn note_write_failures<E: Endpoint>(
    endpoint: Arc<E>,
    request: poem::Request,
) -> poem::Result<Response> {
    use poem::IntoResponse;
    let writes = !matches!(
        *request.method(),
        poem::http::Method::GET | poem::http::Method::HEAD
    );
    let store = writes
        .then(|| request.data::<ApiState>().map(|state| state.store.clone()))
        .flatten();
    let result = endpoint
        .call(request)
        .await
        .map(IntoResponse::into_response);
    let status = match &result {
        Ok(response) => response.status(),
        Err(error) => error.status(),
    };
    if status == poem::http::StatusCode::SERVICE_UNAVAILABLE
        && let Some(store) = store
    {
        store.note_write_failure();
    }
    result
}

/// The largest request body accepted (413 beyond): a ticket is text, never a file.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Reads request bodies up to [`MAX_BODY_BYTES`] (413 beyond, whether announced by
/// `Content-Length` or sent chunked), then checks the shape of JSON bodies against the operation's
/// schema (400 naming each field and rule) before the operation parses them.
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
    if announced.is_some_and(|length| length > MAX_BODY_BYTES) {
        return Ok(
            problem::problem_for(poem::http::StatusCode::PAYLOAD_TOO_LARGE, "").into_response(),
        );
    }
    let json = request
        .content_type()
        .is_some_and(|t| t.starts_with("application/json"));
    let chunked = announced.is_none()
        && request
            .headers()
            .contains_key(poem::http::header::TRANSFER_ENCODING);
    if json || chunked {
        let bytes = match request.take_body().into_bytes_limit(MAX_BODY_BYTES).await {
            Ok(bytes) => bytes,
            Err(_) => {
                return Ok(
                    problem::problem_for(poem::http::StatusCode::PAYLOAD_TOO_LARGE, "")
                        .into_response(),
                );
            }
        };
        if json {
            let shapes = request.data::<Arc<shape::Shapes>>().cloned();
            if let Some(shapes) = shapes {
                let errors = shapes.check(request.method().as_str(), request.uri().path(), &bytes);
                if !errors.is_empty() {
                    return Ok(error::ApiError::malformed(errors).into_response());
                }
            }
        }
        request.set_body(bytes);
    }
    endpoint
        .call(request)
        .await
        .map(poem::IntoResponse::into_response)
}

/// The committed OpenAPI document (`openapi/openapi.yaml`), generated from the code.
pub fn spec_yaml() -> String {
    api_service().spec_yaml()
}
