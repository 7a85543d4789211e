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
    /// Manage the staff directory (members whom tickets are assigned to).
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Run one pass of the anonymiser now (retention: anonymise the personal data of cases ended
    /// longer ago than `policy.personal_data_retention_months`, erase their mail files) and exit.
    Anonymise,
    /// The access journal.
    #[command(subcommand)]
    Journal(JournalCommand),
    /// A data subject's request, answered by a data-protection officer.
    #[command(subcommand)]
    Subject(SubjectCommand),
    /// Ask the ticketd serving this configuration's `listen` address for a page (`/healthz` by
    /// default) and exit 0 when it answers 200: a container health check needing no curl.
    Probe {
        /// The path to ask for, e.g. `/readyz`.
        #[arg(long, default_value = "/healthz")]
        path: String,
    },
    /// Evidence archives.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// Attachments' bytes: backup to a folder, restore from it, check against the database.
    #[command(subcommand)]
    Files(FilesCommand),
}

/// `ticketd files …` (see deploy/RUNBOOK.md, "Backups and restore").
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum FilesCommand {
    /// Copy every file of the attachments' store (`attachments.*`) missing in FOLDER into it, each
    /// checked against its hash (files are named by their hash: nothing is copied twice).
    Backup {
        /// The backup folder (created if missing).
        #[arg(long, value_name = "FOLDER")]
        to: PathBuf,
    },
    /// Copy every file of FOLDER (a `files backup`) missing in the attachments' store into it.
    Restore {
        /// The backup folder.
        #[arg(long, value_name = "FOLDER")]
        from: PathBuf,
    },
    /// Check that every attachment the database names (not erased) has its bytes in the
    /// attachments' store, matching its hash; exit non-zero naming the missing ones.
    Check,
}

/// `ticketd evidence …`
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum EvidenceCommand {
    /// Verify an evidence archive offline (the chain of events, every file against its hash, the
    /// manifest); names the first broken event or file and exits non-zero if there is one.
    Verify {
        /// The archive, as exported by `GET /api/v1/tickets/{id}/evidence/archive`.
        file: PathBuf,
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
        /// A staff role: agent, engineer, security, supervisor, admin, dpo; or `mail_gateway`, a
        /// receiving MTA's key that may only deliver mails (`POST /api/v1/inbound-mails`).
        #[arg(
            long,
            conflicts_with = "organisation",
            required_unless_present = "organisation"
        )]
        role: Option<String>,
        /// A partner organisation's id (from the registry) instead of a role.
        #[arg(long)]
        organisation: Option<uuid::Uuid>,
        /// With `--role`: the staff member (handle) the key belongs to; its holder acts as them.
        #[arg(long, requires = "role")]
        member: Option<String>,
        /// The key serves a program, not a person (it may then be `--non-expiring`).
        #[arg(long)]
        machine: bool,
        /// A machine key that never expires.
        #[arg(long, requires = "machine", conflicts_with = "expires_in_days")]
        non_expiring: bool,
        /// Days until the key expires (default: `keys.default_lifetime_days`, at most
        /// `keys.max_lifetime_days`).
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// List keys (never their secrets).
    List {
        /// Only the active keys expiring within `keys.expiring_soon_days` (or already expired), the
        /// soonest first.
        #[arg(long)]
        expiring: bool,
    },
    /// Revoke a key by id.
    Revoke {
        /// The key's id, as listed.
        id: uuid::Uuid,
    },
    /// Give a key a new secret (printed once); the old one works for a grace period.
    Rotate {
        /// The key's id, as listed.
        id: uuid::Uuid,
        /// Seconds the old secret keeps working (default: `keys.rotation_grace_seconds`).
        #[arg(long)]
        grace_seconds: Option<u32>,
    },
}

/// `ticketd staff …`
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum StaffCommand {
    /// Add a member.
    Add {
        /// The member's handle, as tickets name them (`assignee`).
        #[arg(long)]
        handle: String,
        /// Where mails about the tickets assigned to them go.
        #[arg(long)]
        email: String,
    },
    /// List members.
    List,
    /// Remove a member (refused while an active key belongs to them).
    Remove {
        /// The member's handle.
        handle: String,
    },
}

/// `ticketd journal …`
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum JournalCommand {
    /// Recompute the journal's hash chain; exit non-zero naming the first broken entry.
    Verify,
}

/// `ticketd subject …`: recorded in the access journal under the operator's name, as `dpo`.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum SubjectCommand {
    /// Write everything held about the person at this address as JSON (standard output, or
    /// `--output`).
    Export {
        /// The person's email address.
        #[arg(long)]
        email: String,
        /// Who answers the request (recorded in the journal).
        #[arg(long)]
        operator: String,
        /// File to write instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Erase the person's data from every ticket naming them, except those under a legal hold.
    Erase {
        /// The person's email address.
        #[arg(long)]
        email: String,
        /// Who answers the request (recorded in the journal).
        #[arg(long)]
        operator: String,
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
                organisation: None,
                member: None,
                machine: false,
                non_expiring: false,
                expires_in_days: None,
            })
        );
        assert!(Cli::try_parse_from(["ticketd", "keys", "create", "--name", "x"]).is_err());
    }

    #[test]
    fn staff_add_takes_a_handle_and_an_email() {
        let cli = Cli::try_parse_from([
            "ticketd",
            "staff",
            "add",
            "--handle",
            "alice",
            "--email",
            "alice@example.fr",
        ])
        .unwrap();
        assert_eq!(
            cli.subcommand(),
            Command::Staff(StaffCommand::Add {
                handle: "alice".into(),
                email: "alice@example.fr".into(),
            })
        );
        assert!(Cli::try_parse_from(["ticketd", "staff", "add", "--handle", "x"]).is_err());
    }
}
