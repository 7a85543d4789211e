//! `GET /healthz` (is the process up, which version) and `GET /readyz` (does the database answer).

use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

use super::ApiTag;
use crate::ApiState;
use crate::error::ApiError;
use crate::problem::Problem;
use poem::web::Data;

/// The liveness report.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(skip_serializing_if_is_none)]
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

/// Answers of `GET /readyz`.
#[derive(Debug, ApiResponse)]
pub enum ReadyResponse {
    /// The database answers: the service can take requests.
    #[oai(status = 200)]
    Ready(Json<Health>),
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

    /// Readiness check
    ///
    /// Answers 200 when the database answers, 503 (problem `unavailable`, with `Retry-After`)
    /// when it does not: a load balancer stops sending traffic without restarting the process.
    #[oai(path = "/readyz", method = "get", operation_id = "readyz")]
    async fn readyz(&self, state: Data<&ApiState>) -> Result<ReadyResponse, ApiError> {
        state.store.ping().await.map_err(|error| {
            tracing::warn!(%error, "database not ready");
            ApiError::from_problem(Problem::new(
                poem::http::StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                "The database cannot be reached.",
            ))
        })?;
        Ok(ReadyResponse::Ready(Json(Health {
            status: HealthStatus::Ok,
            version: crate::VERSION.to_owned(),
        })))
    }
}
