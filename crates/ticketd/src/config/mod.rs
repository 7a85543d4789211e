//! The daemon's configuration: defaults, then an optional TOML file, then `TICKETD_*` variables.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};

mod database_url;
mod deadlines;

pub use database_url::{DatabaseUrl, EmptyDatabaseUrl};
pub use deadlines::DeadlinesConfig;

/// Prefix of the environment variables that set configuration keys (`TICKETD_LISTEN`, ...).
pub const ENV_PREFIX: &str = "TICKETD_";

/// The embedded default database: a SQLite file under `./data/`, created on first use.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/ticketd.db?mode=rwc";

/// sqlx logs every statement at INFO; that is noise at best and personal data at worst.
pub const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn";

const MASK: &str = "********";

/// Everything ticketd reads at startup.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Socket address the HTTP server binds to; port 0 asks the system for a free port.
    pub listen: SocketAddr,
    /// Where tickets are stored: `sqlite://…?mode=rwc` or `postgres://…`.
    pub database_url: DatabaseUrl,
    /// How long a request waits for a PostgreSQL connection before it is answered 503 with
    /// `Retry-After` (the database is away or overloaded), in milliseconds, 100 to 60000. SQLite
    /// connections wait for the one writer instead.
    pub database_acquire_timeout_ms: u64,
    /// The most PostgreSQL connections this process opens, 1 to 1000 (every replica opens its
    /// own: their sum must stay under the server's `max_connections`). SQLite uses 4.
    pub database_max_connections: u32,
    /// How log lines are written to standard error.
    pub log_format: LogFormat,
    /// A `tracing` env-filter directive, e.g. `info,ticketd=debug`.
    pub log_filter: String,
    /// The operator's rules: priority table, calendars, targets, waiting and reopening windows.
    /// Every value defaults to the annexes' (see the ticket-domain crate).
    #[serde(default)]
    pub policy: ticket_domain::Policy,
    /// The clock sweeper: how often it wakes at least, how many due tickets per batch.
    #[serde(default)]
    pub sweeper: crate::sweeper::SweeperConfig,
    /// The public identity-theft form: its address, CSRF key and rate limits.
    #[serde(default)]
    pub public: ticket_api::public::PublicConfig,
    /// Mail: sender, mailboxes, owners, transport (files or SMTP), retries, the outbox dispatcher.
    #[serde(default)]
    pub mail: ticket_mail::MailConfig,
    /// `/metrics`: on `listen`, or on an address of its own.
    #[serde(default)]
    pub metrics: crate::metrics::MetricsConfig,
    /// The anonymiser (retention of personal data): whether it runs, how often, batch size.
    #[serde(default)]
    pub anonymiser: crate::anonymiser::AnonymiserConfig,
    /// Attachments: storage (folder or S3-compatible) and upload limits.
    #[serde(default)]
    pub attachments: crate::attachments::AttachmentsConfig,
    /// The operator's replacements for the words of the pages and mails: a Fluent file per
    /// language whose messages replace the shipped ones by id.
    #[serde(default)]
    pub wording: ticket_wording::WordingConfig,
    // -- Issue 27: bounds on waiting for PostgreSQL (kept apart: see config/deadlines.rs). --
    /// How long a request and a statement may wait on PostgreSQL before the answer is 503.
    #[serde(default)]
    pub deadlines: DeadlinesConfig,

    // --- Staff sign-in and API keys (issue 30) ---
    /// How long API keys live: default and maximum lifetime, rotation grace, "expiring soon".
    #[serde(default)]
    pub keys: ticket_store::key_policy::KeyPolicy,

    // --- The transparency log (issue 33) ---
    /// The signing key, names and pace of the transparency log of chain heads.
    #[serde(default)]
    pub transparency: crate::transparency::TransparencyConfig,
    /// Staff sign-in through OpenID Connect providers: the providers, session timeouts.
    #[serde(default)]
    pub signin: ticket_api::signin::SigninConfig,
    // --- Webhooks for partners (issue 36) ---
    /// Where webhooks may go (address rules, allowed networks, fixed host addresses) and how the
    /// dispatcher sends them.
    #[serde(default)]
    pub webhooks: crate::webhooks::WebhooksConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)),
            database_url: DatabaseUrl(DEFAULT_DATABASE_URL.into()),
            database_acquire_timeout_ms: 1500,
            database_max_connections: ticket_store::DEFAULT_POSTGRES_CONNECTIONS,
            log_format: LogFormat::Text,
            log_filter: DEFAULT_LOG_FILTER.to_owned(),
            policy: ticket_domain::Policy::default(),
            sweeper: crate::sweeper::SweeperConfig::default(),
            public: ticket_api::public::PublicConfig::default(),
            mail: ticket_mail::MailConfig::default(),
            metrics: crate::metrics::MetricsConfig::default(),
            anonymiser: crate::anonymiser::AnonymiserConfig::default(),
            wording: ticket_wording::WordingConfig::default(),
            attachments: crate::attachments::AttachmentsConfig::default(),
            deadlines: DeadlinesConfig::default(),
            keys: ticket_store::key_policy::KeyPolicy::default(),
            transparency: crate::transparency::TransparencyConfig::default(),
            signin: ticket_api::signin::SigninConfig::default(),
            webhooks: crate::webhooks::WebhooksConfig::default(),
        }
    }
}

impl Config {
    /// Loads the configuration: defaults, then `file` if given (it must exist), then the
    /// `TICKETD_*` environment variables.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        if let Some(path) = file
            && !path.is_file()
        {
            return Err(ConfigError::FileNotFound(path.to_path_buf()));
        }
        check_variables(std::env::vars_os().map(|(name, _)| name.to_string_lossy().into_owned()))?;
        Self::from_figment(&Self::figment(file))
    }

    /// The layered sources behind [`Config::load`], without the file-exists check.
    pub fn figment(file: Option<&Path>) -> Figment {
        let mut figment = Figment::from(Serialized::defaults(Self::default()));
        if let Some(path) = file {
            figment = figment.merge(Toml::file_exact(path));
        }
        figment.merge(env_provider())
    }

    /// Extracts and validates a configuration from any set of sources.
    pub fn from_figment(figment: &Figment) -> Result<Self, ConfigError> {
        let config: Self = figment
            .extract()
            .map_err(|err| ConfigError::Load(Box::new(err)))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what serde cannot: values that parse but cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        tracing_subscriber::EnvFilter::try_new(&self.log_filter).map_err(|err| {
            ConfigError::Invalid {
                key: "log_filter",
                reason: err.to_string(),
            }
        })?;
        self.database_url.check_scheme()?;
        if !(100..=60_000).contains(&self.database_acquire_timeout_ms) {
            return Err(ConfigError::Invalid {
                key: "database_acquire_timeout_ms",
                reason: "must be between 100 and 60000".to_owned(),
            });
        }
        if !(1..=1000).contains(&self.database_max_connections) {
            return Err(ConfigError::Invalid {
                key: "database_max_connections",
                reason: "must be between 1 and 1000".to_owned(),
            });
        }
        self.sweeper.validate()?;
        self.anonymiser.validate()?;
        self.transparency.validate()?;
        self.policy.validate().map_err(|err| ConfigError::Invalid {
            key: "policy",
            reason: err.to_string(),
        })?;
        self.mail.validate().map_err(|err| ConfigError::Invalid {
            key: err.key,
            reason: err.reason,
        })?;
        let base = self.public.base_url.trim();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ConfigError::Invalid {
                key: "public.base_url",
                reason: "must be an absolute http:// or https:// address".to_owned(),
            });
        }
        if self.public.csrf_key.as_ref().is_some_and(|k| k.len() < 32) {
            return Err(ConfigError::Invalid {
                key: "public.csrf_key",
                reason: "must be at least 32 characters".to_owned(),
            });
        }
        for (key, limit) in [
            ("public.per_ip", self.public.per_ip),
            ("public.per_email", self.public.per_email),
        ] {
            if limit.max == 0 || limit.window_seconds <= 0 {
                return Err(ConfigError::Invalid {
                    key,
                    reason: "max and window_seconds must be positive".to_owned(),
                });
            }
        }
        self.attachments
            .validate()
            .map_err(|(key, reason)| ConfigError::Invalid { key, reason })?;
        self.deadlines
            .validate()
            .map_err(|(key, reason)| ConfigError::Invalid { key, reason })?;
        // Staff sign-in and API keys (issue 30).
        self.keys
            .validate()
            .map_err(|(key, reason)| ConfigError::Invalid { key, reason })?;
        self.signin
            .validate()
            .map_err(|(key, reason)| ConfigError::Invalid { key, reason })?;
        if !(1..=10).contains(&self.public.trusted_proxy_hops) {
            return Err(ConfigError::Invalid {
                key: "public.trusted_proxy_hops",
                reason: "must be 1 to 10".to_owned(),
            });
        }
        Ok(())
    }

    /// The same configuration with secrets (database password) masked, fit to print or log.
    pub fn redacted(&self) -> Self {
        let mut public = self.public.clone();
        if public.csrf_key.is_some() {
            public.csrf_key = Some(MASK.to_owned());
        }
        let mut transparency = self.transparency.clone();
        if transparency.signing_key.is_some() {
            transparency.signing_key = Some(SecretString::from(MASK));
        }
        Self {
            database_url: DatabaseUrl(self.database_url.redacted().into()),
            public,
            transparency,
            mail: self.mail.redacted(),
            attachments: self.attachments.redacted(),
            signin: self.signin.redacted(),
            ..self.clone()
        }
    }

    /// The configuration as a TOML document, secrets masked: what `ticketd check-config` prints.
    pub fn to_redacted_toml(&self) -> Result<String, ConfigError> {
        toml::to_string(&self.redacted()).map_err(|err| ConfigError::Invalid {
            key: "(all)",
            reason: err.to_string(),
        })
    }
}

/// `TICKETD_*` variables that are not configuration keys: the file's path, and switches of the
/// test and fault scripts. Any other `TICKETD_*` variable must name a key.
pub const OTHER_VARIABLES: [&str; 4] = [
    "TICKETD_CONFIG",
    "TICKETD_REQUIRE_POSTGRES",
    "TICKETD_TEST_PYTHON",
    "TICKETD_BIN",
];

/// Refuses, by name, a `TICKETD_*` variable that sets no key (a misspelt one would otherwise be
/// ignored, and the default used in its place without a word).
pub fn check_variables(names: impl IntoIterator<Item = String>) -> Result<(), ConfigError> {
    let defaults = serde_json::to_value(Config::default()).unwrap_or_default();
    let mut unknown: Vec<String> = names
        .into_iter()
        .filter(|name| name.starts_with(ENV_PREFIX) && !OTHER_VARIABLES.contains(&name.as_str()))
        .filter(|name| !names_a_key(&defaults, &name[ENV_PREFIX.len()..]))
        .collect();
    unknown.sort();
    match unknown.first() {
        None => Ok(()),
        Some(_) => Err(ConfigError::UnknownVariables(unknown)),
    }
}

/// Whether `rest` (`PUBLIC__PER_IP__MAX`) walks down `defaults` to a key. A key whose default is
/// empty (`null`, an empty table) may hold anything below it.
fn names_a_key(defaults: &serde_json::Value, rest: &str) -> bool {
    let mut value = defaults;
    for part in rest.split("__") {
        match value {
            serde_json::Value::Object(map) if map.is_empty() => return true,
            serde_json::Value::Object(map) => {
                match map.iter().find(|(key, _)| key.eq_ignore_ascii_case(part)) {
                    Some((_, below)) => value = below,
                    None => return false,
                }
            }
            serde_json::Value::Null => return true,
            _ => return false,
        }
    }
    true
}

/// `TICKETD_*` variables, restricted to the keys `Config` has.
///
/// Other `TICKETD_*` variables (`TICKETD_CONFIG`, test switches such as
/// `TICKETD_REQUIRE_POSTGRES`) are not configuration keys and must not trip
/// `deny_unknown_fields`, which is there to catch typos in the TOML file.
/// `TICKETD_LISTEN` sets `listen`; `__` reaches into a section: `TICKETD_PUBLIC__PER_IP__MAX`
/// sets `public.per_ip.max`. Variables whose first part is not a key of the configuration
/// (`TICKETD_CONFIG`, `TICKETD_REQUIRE_POSTGRES`) are not configuration and are left alone.
fn env_provider() -> Env {
    let keys = config_keys();
    Env::prefixed(ENV_PREFIX)
        .filter(move |key| {
            let top = key.as_str().split("__").next().unwrap_or_default();
            keys.iter().any(|known| top.eq_ignore_ascii_case(known))
        })
        .split("__")
}

/// The top-level keys of `Config`, read off its serialised default so the list cannot drift.
fn config_keys() -> Vec<String> {
    match serde_json::to_value(Config::default()) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// Output format of the log lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines, for a terminal.
    #[default]
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

/// Serialises a secret as itself, for the configuration's fields: a configuration is serialised
/// once [`Config::redacted`].
pub(crate) fn serialize_secret<S: serde::Serializer>(
    secret: &SecretString,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(secret.expose_secret())
}

/// Why the configuration could not be used. Every message names the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `--config` or `TICKETD_CONFIG` named a file that is not there.
    #[error("configuration file {} not found", .0.display())]
    FileNotFound(PathBuf),
    /// A source could not be read or a value did not parse.
    #[error("{}", describe_figment_error(.0))]
    Load(Box<figment::Error>),
    /// `TICKETD_*` variables that set no configuration key (misspelt?).
    #[error(
        "unknown variable{} {}: not a configuration key (see `ticketd check-config` for the keys)",
        if .0.len() > 1 { "s" } else { "" },
        .0.join(", ")
    )]
    UnknownVariables(Vec<String>),
    /// A value parsed but cannot work.
    #[error("invalid configuration value for `{key}`: {reason}")]
    Invalid {
        /// The configuration key at fault.
        key: &'static str,
        /// What is wrong with its value.
        reason: String,
    },
}

/// One line per error: the key as written in the TOML file, what is wrong, and which source
/// set it (`TICKETD_` variables or the file), so the message reads the same for every source.
fn describe_figment_error(error: &figment::Error) -> String {
    error
        .clone()
        .into_iter()
        .map(|error| {
            let key = error.path.join(".");
            let origin = match &error.metadata {
                Some(metadata) => match &metadata.source {
                    Some(source) => format!(" (set by {} {source})", metadata.name),
                    None => format!(" (set by {})", metadata.name),
                },
                None => String::new(),
            };
            if key.is_empty() || matches!(error.kind, figment::error::Kind::UnknownField(..)) {
                format!("invalid configuration: {}{origin}", error.kind)
            } else {
                format!(
                    "invalid configuration value for `{key}`: {}{origin}",
                    error.kind
                )
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests;
