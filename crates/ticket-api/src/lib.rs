//! The HTTP surface: routes, the OpenAPI document, errors as problem+json.
//!
//! Handlers are thin: parse into domain input, authorise, call one store function, map the result.
//! The state ([`ApiState`]) reaches them as poem data, so the OpenAPI document can be generated
//! without a database.

pub mod health;
pub mod problem;

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
}

/// Every OpenAPI-described operation; add new `OpenApi` impls to the tuple.
pub type Api = health::HealthApi;

/// The OpenAPI service: the operations and the document that describes them.
pub fn api_service() -> OpenApiService<Api, ()> {
    OpenApiService::new(health::HealthApi, "ticketd", VERSION)
        .summary("Incident and identity-theft tickets for an identity federation")
        .description(
            "Reporting and handling of incidents and identity thefts in an identity \
             federation. Errors are `application/problem+json` (RFC 9457).",
        )
}

/// The whole app: the API, its document at [`OPENAPI_PATH`], the docs at [`DOCS_PATH`],
/// and problem+json for every error, unknown paths included.
pub fn app(state: ApiState) -> impl Endpoint<Output = Response> {
    let api = api_service();
    let spec = api.spec_endpoint();
    let docs = api.swagger_ui();
    Route::new()
        .at(OPENAPI_PATH, spec)
        .nest(DOCS_PATH, docs)
        .nest("/", api)
        .data(state)
        .catch_all_error(problem::problem_response)
}
