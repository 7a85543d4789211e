//! The daemon's configuration: defaults, then an optional TOML file, then `TICKETD_*` variables.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Prefix of the environment variables that set configuration keys (`TICKETD_LISTEN`, ...).
pub const ENV_PREFIX: &str = "TICKETD_";

/// The embedded default database: a SQLite file under `./data/`, created on first use.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/ticketd.db?mode=rwc";

/// sqlx logs every statement at INFO; that is noise at best and personal data at worst.
pub const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn";

const MASK: &str = "********";

/// Everything ticketd reads at startup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)),
            database_url: DatabaseUrl(DEFAULT_DATABASE_URL.to_owned()),
            database_acquire_timeout_ms: 1500,
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
        self.sweeper.validate()?;
        self.anonymiser.validate()?;
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
        Self {
            database_url: DatabaseUrl(self.database_url.redacted()),
            public,
            mail: self.mail.redacted(),
            attachments: self.attachments.redacted(),
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

/// A database connection URL. It may carry a password, so `Debug` masks it and there is no
/// `Display`: use [`DatabaseUrl::expose`] to connect and [`DatabaseUrl::redacted`] to show it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// Accepts any non-blank URL; the store checks the scheme when it connects.
    pub fn parse(url: impl Into<String>) -> Result<Self, EmptyDatabaseUrl> {
        let url = url.into();
        if url.trim().is_empty() {
            return Err(EmptyDatabaseUrl);
        }
        Ok(Self(url))
    }

    /// The URL with its password, for connecting only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with any password (in the user info or a `password=` query parameter) masked.
    ///
    /// ```
    /// # use ticketd::config::DatabaseUrl;
    /// let url = DatabaseUrl::parse("postgres://ticketd:s3cret@db/tickets")?;
    /// assert_eq!(url.redacted(), "postgres://ticketd:********@db/tickets");
    /// # Ok::<(), ticketd::config::EmptyDatabaseUrl>(())
    /// ```
    pub fn redacted(&self) -> String {
        redact_url(&self.0)
    }

    /// Refuses a URL of a database ticketd cannot serve: only `sqlite:` and `postgres://`
    /// (`postgresql://`) are.
    pub fn check_scheme(&self) -> Result<(), ConfigError> {
        let url = self.0.trim();
        if ["sqlite:", "postgres://", "postgresql://"]
            .iter()
            .any(|scheme| url.starts_with(scheme))
        {
            return Ok(());
        }
        let scheme = url.split_once(':').map_or(url, |(scheme, _)| scheme);
        let scheme: String = scheme.chars().take(20).collect();
        Err(ConfigError::Invalid {
            key: "database_url",
            reason: format!(
                "`{scheme}` databases are not supported: use sqlite://… or postgres://…"
            ),
        })
    }

    /// The file behind a `sqlite:` URL, or `None` for other databases and in-memory SQLite.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        let rest = self.0.strip_prefix("sqlite:")?;
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let path = rest.split(['?', '#']).next().unwrap_or_default();
        if path.is_empty() || path == ":memory:" {
            return None;
        }
        Some(PathBuf::from(path))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DatabaseUrl")
            .field(&self.redacted())
            .finish()
    }
}

impl TryFrom<String> for DatabaseUrl {
    type Error = EmptyDatabaseUrl;

    fn try_from(url: String) -> Result<Self, Self::Error> {
        Self::parse(url)
    }
}

impl From<DatabaseUrl> for String {
    fn from(url: DatabaseUrl) -> Self {
        url.0
    }
}

/// The database URL was empty or blank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must not be empty")]
pub struct EmptyDatabaseUrl;

fn redact_url(url: &str) -> String {
    let (before_query, query) = match url.split_once('?') {
        Some((head, query)) => (head, Some(query)),
        None => (url, None),
    };
    let mut redacted = redact_user_info(before_query);
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((name, _)) if name.eq_ignore_ascii_case("password") => {
                    format!("{name}={MASK}")
                }
                _ => param.to_owned(),
            })
            .collect();
        redacted.push('?');
        redacted.push_str(&params.join("&"));
    }
    redacted
}

/// `scheme://user:secret@host/db` → `scheme://user:********@host/db`.
fn redact_user_info(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let Some((user_info, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    match user_info.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:{MASK}@{host}{path}"),
        None => url.to_owned(),
    }
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
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    // `Jail` closures return figment's own (large) error type.
    #![allow(clippy::result_large_err)]

    use super::*;
    use figment::Jail;

    fn load_in(jail: &Jail, file: Option<&str>) -> Result<Config, ConfigError> {
        let path = file.map(|name| jail.directory().join(name));
        Config::load(path.as_deref())
    }

    #[test]
    fn defaults_apply_without_any_source() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            let config = load_in(jail, None).unwrap();
            assert_eq!(config, Config::default());
            assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
            assert_eq!(config.database_url.expose(), DEFAULT_DATABASE_URL);
            assert_eq!(config.log_format, LogFormat::Text);
            Ok(())
        });
    }

    #[test]
    fn environment_overrides_file_which_overrides_defaults() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.create_file(
                "ticketd.toml",
                "listen = \"127.0.0.1:9000\"\nlog_format = \"json\"\n",
            )?;
            jail.set_env("TICKETD_LISTEN", "127.0.0.1:9001");
            jail.set_env("TICKETD_DATABASE_URL", "postgres://db.internal/tickets");
            let config = load_in(jail, Some("ticketd.toml")).unwrap();
            assert_eq!(config.listen.to_string(), "127.0.0.1:9001");
            assert_eq!(config.log_format, LogFormat::Json);
            assert_eq!(
                config.database_url.expose(),
                "postgres://db.internal/tickets"
            );
            assert_eq!(config.log_filter, DEFAULT_LOG_FILTER);
            Ok(())
        });
    }

    #[test]
    fn unrelated_ticketd_variables_are_not_configuration() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("TICKETD_CONFIG", "/nowhere.toml");
            jail.set_env("TICKETD_REQUIRE_POSTGRES", "1");
            assert_eq!(load_in(jail, None).unwrap(), Config::default());
            Ok(())
        });
    }

    #[test]
    fn an_unknown_ticketd_variable_is_refused_by_name() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("TICKETD_LISTN", "127.0.0.1:9000");
            jail.set_env("TICKETD_MAIL__SMTP__HOTS", "smtp.example.fr");
            let message = load_in(jail, None).unwrap_err().to_string();
            assert!(message.contains("TICKETD_LISTN"), "{message}");
            assert!(message.contains("TICKETD_MAIL__SMTP__HOTS"), "{message}");
            Ok(())
        });
    }

    #[test]
    fn every_documented_kind_of_variable_is_accepted() {
        let names = [
            "TICKETD_LISTEN",
            "TICKETD_PUBLIC__PER_IP__MAX",
            "TICKETD_MAIL__SMTP__PASSWORD",
            "TICKETD_MAIL__SMTP__PORT",
            "TICKETD_METRICS__LISTEN",
            "TICKETD_CONFIG",
            "TICKETD_REQUIRE_POSTGRES",
            "PATH",
        ];
        check_variables(names.map(str::to_owned)).unwrap();
    }

    #[test]
    fn a_database_it_cannot_serve_is_refused() {
        for url in ["mysql://u:p@db/t", "mongodb://db", "/var/lib/t.db"] {
            let config = Config {
                database_url: DatabaseUrl::parse(url).unwrap(),
                ..Config::default()
            };
            let message = config.validate().unwrap_err().to_string();
            assert!(message.contains("`database_url`"), "{message}");
            assert!(!message.contains("p@db"), "{message}");
        }
        for url in ["postgresql://db/t", "postgres://db/t", "sqlite::memory:"] {
            let config = Config {
                database_url: DatabaseUrl::parse(url).unwrap(),
                ..Config::default()
            };
            config.validate().unwrap();
        }
    }

    #[test]
    fn bad_listen_address_names_the_key() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("TICKETD_LISTEN", "not-an-address");
            let message = load_in(jail, None).unwrap_err().to_string();
            assert!(message.contains("`listen`"), "{message}");
            assert!(message.contains("TICKETD_"), "{message}");
            Ok(())
        });
    }

    #[test]
    fn the_acquire_timeout_and_the_uncertain_mail_policy_are_read_and_checked() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("TICKETD_DATABASE_ACQUIRE_TIMEOUT_MS", "800");
            jail.set_env("TICKETD_MAIL__DISPATCHER__UNCERTAIN", "resend");
            jail.set_env(
                "TICKETD_MAIL__DISPATCHER__RESEND_UNCERTAIN_AFTER_SECONDS",
                "120",
            );
            let config = load_in(jail, None).unwrap();
            assert_eq!(config.database_acquire_timeout_ms, 800);
            assert_eq!(
                config.mail.dispatcher.uncertain,
                ticket_mail::UncertainPolicy::Resend
            );
            assert_eq!(config.mail.dispatcher.resend_uncertain_after_seconds, 120);
            jail.set_env("TICKETD_DATABASE_ACQUIRE_TIMEOUT_MS", "5");
            let message = load_in(jail, None).unwrap_err().to_string();
            assert!(
                message.contains("`database_acquire_timeout_ms`"),
                "{message}"
            );
            jail.set_env("TICKETD_DATABASE_ACQUIRE_TIMEOUT_MS", "800");
            jail.set_env("TICKETD_MAIL__DISPATCHER__UNCERTAIN", "forget");
            assert!(load_in(jail, None).is_err(), "an unknown policy is refused");
            Ok(())
        });
    }

    #[test]
    fn empty_database_url_is_refused() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("TICKETD_DATABASE_URL", " ");
            let message = load_in(jail, None).unwrap_err().to_string();
            assert!(message.contains("`database_url`"), "{message}");
            assert!(message.contains("must not be empty"), "{message}");
            Ok(())
        });
    }

    #[test]
    fn unknown_log_format_names_the_key() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("TICKETD_LOG_FORMAT", "xml");
            let message = load_in(jail, None).unwrap_err().to_string();
            assert!(message.contains("`log_format`"), "{message}");
            Ok(())
        });
    }

    #[test]
    fn invalid_log_filter_is_refused() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("TICKETD_LOG_FILTER", "ticketd=loud");
            let message = load_in(jail, None).unwrap_err().to_string();
            assert!(message.contains("`log_filter`"), "{message}");
            Ok(())
        });
    }

    #[test]
    fn typo_in_file_is_refused() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.create_file("ticketd.toml", "lisen = \"127.0.0.1:9000\"\n")?;
            let message = load_in(jail, Some("ticketd.toml")).unwrap_err().to_string();
            assert!(message.contains("lisen"), "{message}");
            assert!(message.contains("ticketd.toml"), "{message}");
            Ok(())
        });
    }

    #[test]
    fn missing_file_is_refused() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            let error = load_in(jail, Some("absent.toml")).unwrap_err();
            assert!(matches!(error, ConfigError::FileNotFound(_)), "{error}");
            Ok(())
        });
    }

    #[test]
    fn passwords_are_masked() {
        let url = DatabaseUrl::parse("postgres://ticketd:s3cret@db:5432/tickets?sslmode=require")
            .unwrap();
        assert_eq!(
            url.redacted(),
            "postgres://ticketd:********@db:5432/tickets?sslmode=require"
        );
        assert!(!format!("{url:?}").contains("s3cret"));

        let url = DatabaseUrl::parse("postgres://db/tickets?user=t&password=s3cret").unwrap();
        assert_eq!(
            url.redacted(),
            "postgres://db/tickets?user=t&password=********"
        );

        let url = DatabaseUrl::parse(DEFAULT_DATABASE_URL).unwrap();
        assert_eq!(url.redacted(), DEFAULT_DATABASE_URL);
    }

    #[test]
    fn redacted_toml_hides_the_password() {
        let config = Config {
            database_url: DatabaseUrl::parse("postgres://u:s3cret@db/t").unwrap(),
            ..Config::default()
        };
        let toml = config.to_redacted_toml().unwrap();
        assert!(!toml.contains("s3cret"), "{toml}");
        assert!(toml.contains("listen = \"127.0.0.1:8080\""), "{toml}");
    }

    #[test]
    fn mail_is_configured_from_nested_variables_and_its_password_is_masked() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("TICKETD_MAIL__TRANSPORT", "smtp");
            jail.set_env("TICKETD_MAIL__SMTP__HOST", "smtp.example.fr");
            jail.set_env("TICKETD_MAIL__SMTP__PORT", "2525");
            jail.set_env("TICKETD_MAIL__SMTP__SECURITY", "tls");
            jail.set_env("TICKETD_MAIL__SMTP__USERNAME", "ticketd");
            jail.set_env("TICKETD_MAIL__SMTP__PASSWORD", "s3cret-smtp");
            jail.set_env("TICKETD_MAIL__MAILBOXES__SECURITY", "cert@example.fr");
            let config = load_in(jail, None).unwrap();
            assert_eq!(
                config.mail.transport,
                ticket_mail::config::TransportKind::Smtp
            );
            assert_eq!(config.mail.smtp.host, "smtp.example.fr");
            assert_eq!(config.mail.smtp.effective_port(), 2525);
            assert_eq!(
                config.mail.smtp.security,
                ticket_mail::config::SmtpSecurity::Tls
            );
            assert_eq!(config.mail.mailboxes.security, "cert@example.fr");
            assert_eq!(
                config.mail.smtp.password.as_ref().map(|p| p.expose()),
                Some("s3cret-smtp")
            );
            let toml = config.to_redacted_toml().unwrap();
            assert!(!toml.contains("s3cret-smtp"), "{toml}");
            assert!(toml.contains("password = \"********\""), "{toml}");
            assert!(!format!("{config:?}").contains("s3cret-smtp"));
            Ok(())
        });
    }

    #[test]
    fn a_bad_mail_address_names_its_key() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("TICKETD_MAIL__OWNERS__SUPERVISOR", "not an address");
            let message = load_in(jail, None).unwrap_err().to_string();
            assert!(message.contains("`mail.owners.supervisor`"), "{message}");
            Ok(())
        });
    }

    #[test]
    fn sqlite_file_is_found_in_the_url() {
        let file = |url: &str| DatabaseUrl::parse(url).unwrap().sqlite_file();
        assert_eq!(
            file(DEFAULT_DATABASE_URL),
            Some(PathBuf::from("./data/ticketd.db"))
        );
        assert_eq!(
            file("sqlite:///var/lib/ticketd/t.db"),
            Some(PathBuf::from("/var/lib/ticketd/t.db"))
        );
        assert_eq!(file("sqlite::memory:"), None);
        assert_eq!(file("postgres://db/t"), None);
    }
}
