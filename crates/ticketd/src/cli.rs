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
#[derive(Debug, Clone, Default, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Run the HTTP server until Ctrl-C or SIGTERM (the default).
    #[default]
    Serve,
    /// Print the effective configuration as TOML, secrets masked, and exit.
    CheckConfig,
    /// Apply pending database migrations and exit (`serve` also applies them at start-up).
    Migrate,
    /// Receive one mail (RFC 5322) on standard input, as an MTA's `pipe` delivers it; exit 0 when
    /// taken, 65 when it is not a mail or too large, 75 when the database is unavailable.
    MailIn,
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Ask the ticketd serving this configuration's `listen` address for a page (`/healthz` by
    /// default) and exit 0 when it answers 200: a container health check needing no curl.
    Probe {
        /// The path to ask for, e.g. `/readyz`.
        #[arg(long, default_value = "/healthz")]
        path: String,
    },
}

/// `ticketd keys …`
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print it once: it is stored only as a hash.
    Create {
        /// Who or what holds the key, e.g. `alice` or `partner-main`.
        #[arg(long)]
        name: String,
        /// A staff role: agent, engineer, security, supervisor, admin.
        #[arg(
            long,
            conflicts_with = "organisation",
            required_unless_present = "organisation"
        )]
        role: Option<String>,
        /// A partner organisation's id (from the registry) instead of a role.
        #[arg(long)]
        organisation: Option<uuid::Uuid>,
    },
    /// List keys (never their secrets).
    List,
    /// Revoke a key by id.
    Revoke {
        /// The key's id, as listed.
        id: uuid::Uuid,
    },
}

impl Cli {
    /// The subcommand to run, `serve` when none was given.
    pub fn subcommand(&self) -> Command {
        self.command.clone().unwrap_or_default()
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

    #[test]
    fn keys_create_takes_a_role_or_an_organisation() {
        let cli = Cli::try_parse_from([
            "ticketd", "keys", "create", "--role", "admin", "--name", "root",
        ])
        .unwrap();
        assert_eq!(
            cli.subcommand(),
            Command::Keys(KeysCommand::Create {
                name: "root".into(),
                role: Some("admin".into()),
                organisation: None
            })
        );
        assert!(Cli::try_parse_from(["ticketd", "keys", "create", "--name", "x"]).is_err());
    }
}
