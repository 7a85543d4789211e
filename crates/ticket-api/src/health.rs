//! `GET /healthz`: is the process up, and which version is it.

use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

use super::ApiTag;

/// The liveness report.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct Health {
    /// `ok` whenever the process answers HTTP requests.
    pub status: HealthStatus,
    /// The version of the running ticketd.
    pub version: String,
}

/// Liveness of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum HealthStatus {
    /// The process is up and serving HTTP.
    Ok,
}

/// Answers of `GET /healthz`.
#[derive(Debug, ApiResponse)]
pub enum HealthResponse {
    /// The process is up.
    #[oai(status = 200)]
    Ok(Json<Health>),
}

/// Operations endpoints: what a load balancer or an orchestrator probes.
#[derive(Debug, Clone, Copy, Default)]
pub struct HealthApi;

#[OpenApi(tag = "ApiTag::Operations")]
impl HealthApi {
    /// Liveness check
    ///
    /// Answers 200 as long as the process serves HTTP. It does not check the database,
    /// so an orchestrator does not restart the service because the database is down.
    #[oai(path = "/healthz", method = "get", operation_id = "healthz")]
    async fn healthz(&self) -> HealthResponse {
        HealthResponse::Ok(Json(Health {
            status: HealthStatus::Ok,
            version: crate::VERSION.to_owned(),
        }))
    }
}
