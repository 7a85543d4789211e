//! The HTTP surface: routes, the OpenAPI document, errors as problem+json.
//!
//! Nothing here depends on how the daemon starts or is configured, so this module can
//! become the `ticket-api` crate unchanged.

pub mod health;
pub mod problem;

use poem::{Endpoint, EndpointExt, Response, Route};
use poem_openapi::{OpenApiService, Tags};

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
    OpenApiService::new(health::HealthApi, "ticketd", crate::VERSION)
        .summary("Incident and identity-theft tickets for an identity federation")
        .description(
            "Reporting and handling of incidents and identity thefts in an identity \
             federation. Errors are `application/problem+json` (RFC 9457).",
        )
}

/// The whole app: the API, its document at [`OPENAPI_PATH`], the docs at [`DOCS_PATH`],
/// and problem+json for every error, unknown paths included.
pub fn app() -> impl Endpoint<Output = Response> {
    let api = api_service();
    let spec = api.spec_endpoint();
    let docs = api.swagger_ui();
    Route::new()
        .at(OPENAPI_PATH, spec)
        .nest(DOCS_PATH, docs)
        .nest("/", api)
        .catch_all_error(problem::problem_response)
}
