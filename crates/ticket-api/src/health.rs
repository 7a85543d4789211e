//! `GET /healthz` (is the process up, which version) and `GET /readyz` (does the database answer,
//! at the schema version this build expects).

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

/// How long `/readyz` waits for the database before it says not ready.
const READY_WITHIN: std::time::Duration = std::time::Duration::from_millis(900);

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
    /// Answers within a second: 200 when the database answers, its schema has every migration of
    /// this build applied and, if a write failed since the last successful one (a full disk, say),
    /// takes a write again; 503 (problem `unavailable`,
    /// with `Retry-After`) otherwise: a load balancer stops sending traffic without restarting the
    /// process, and sends it again once the database is back.
    #[oai(path = "/readyz", method = "get", operation_id = "readyz")]
    async fn readyz(&self, state: Data<&ApiState>) -> Result<ReadyResponse, ApiError> {
        // Within a second, whatever the database does: a probe that hangs is an answer too.
        let ready = tokio::time::timeout(READY_WITHIN, async {
            state.store.ready().await?;
            state.store.schema_state().await
        })
        .await;
        let why = match ready {
            Ok(Ok(schema)) if !schema.pending.is_empty() => {
                tracing::warn!(pending = ?schema.pending, "database not ready: migrations pending");
                Some(
                    "The database schema is older than this ticketd expects: migrations are \
                     pending (run `ticketd migrate`).",
                )
            }
            Ok(Ok(schema)) => {
                if !schema.unknown.is_empty() {
                    // A newer ticketd migrated the database (a rolling upgrade): migrations are
                    // additive, so this one keeps serving until it is replaced.
                    tracing::warn!(unknown = ?schema.unknown, "database schema is newer than this ticketd");
                }
                None
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, "database not ready");
                Some("The database cannot be reached, or it cannot write.")
            }
            Err(_) => {
                tracing::warn!("database not ready: no answer within a second");
                Some("The database did not answer within a second.")
            }
        };
        if let Some(why) = why {
            return Err(ApiError::from_problem(Problem::new(
                poem::http::StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                why,
            )));
        }
        Ok(ReadyResponse::Ready(Json(Health {
            status: HealthStatus::Ok,
            version: crate::VERSION.to_owned(),
        })))
    }
}
