//! Log output, set up once from the configuration.
//!
//! Log lines must never carry personal data (names, e-mail addresses, ticket contents):
//! log identifiers and counts instead.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat};

/// Installs the global `tracing` subscriber: the configured filter, text or JSON, on stderr.
///
/// stdout is left to commands that print a result (`check-config`).
pub fn init(config: &Config) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(&config.log_filter)
        .map_err(|err| anyhow::anyhow!("invalid configuration value for `log_filter`: {err}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let installed = match config.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    installed.map_err(|err| anyhow::anyhow!("cannot install the log subscriber: {err}"))
}
