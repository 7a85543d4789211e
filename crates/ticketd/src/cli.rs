//! Command line: `ticketd [--config PATH] [serve | check-config]`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// The incident and identity-theft ticketing service of an identity federation.
#[derive(Debug, Parser)]
#[command(name = "ticketd", version)]
pub struct Cli {
    /// TOML configuration file; `TICKETD_*` environment variables override it.
    #[arg(
        long,
        short = 'c',
        env = "TICKETD_CONFIG",
        value_name = "PATH",
        global = true
    )]
    pub config: Option<PathBuf>,

    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Run the HTTP server until Ctrl-C or SIGTERM (the default).
    #[default]
    Serve,
    /// Print the effective configuration as TOML, secrets masked, and exit.
    CheckConfig,
    /// Apply pending database migrations and exit (`serve` also applies them at start-up).
    Migrate,
}

impl Cli {
    /// The subcommand to run, `serve` when none was given.
    pub fn subcommand(&self) -> Command {
        self.command.unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_is_the_default() {
        let cli = Cli::try_parse_from(["ticketd"]).unwrap();
        assert_eq!(cli.subcommand(), Command::Serve);
        let cli = Cli::try_parse_from(["ticketd", "check-config", "--config", "x.toml"]).unwrap();
        assert_eq!(cli.subcommand(), Command::CheckConfig);
        assert_eq!(cli.config, Some(PathBuf::from("x.toml")));
    }
}
