//! ticketd: the daemon of the incident and identity-theft ticketing service.
//!
//! [`Config`] is loaded from defaults, an optional TOML file and `TICKETD_*` variables;
//! [`Application::build`] binds the listener and [`Application::run_until_stopped`] serves
//! the HTTP app until a shutdown future completes.

pub mod anonymiser;
pub mod attachments;
pub mod cli;
pub mod config;
pub mod file_backup;
pub mod inbound;
pub mod metrics;
pub mod probe;
pub mod qos_metrics;
pub mod replicas;
pub mod session_sweep;
pub mod startup;
pub mod sweeper;
pub mod telemetry;
pub mod transparency;
pub mod webhooks;
pub mod workers;

pub use config::Config;
pub use startup::Application;

/// The HTTP surface lives in its own crate; re-exported for tests and tools.
pub use ticket_api as http;

/// The version of this build, as reported by `/healthz` and the OpenAPI document.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
