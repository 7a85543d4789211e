//! `database_url`: a connection URL that may carry a password, kept as a secret and shown masked.

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

use super::{ConfigError, MASK};

/// A database connection URL. It may carry a password, so `Debug` masks it and there is no
/// `Display`: use [`DatabaseUrl::expose`] to connect and [`DatabaseUrl::redacted`] to show it.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DatabaseUrl(pub(super) SecretString);

impl DatabaseUrl {
    /// Accepts any non-blank URL; the store checks the scheme when it connects.
    pub fn parse(url: impl Into<String>) -> Result<Self, EmptyDatabaseUrl> {
        let url = url.into();
        if url.trim().is_empty() {
            return Err(EmptyDatabaseUrl);
        }
        Ok(Self(url.into()))
    }

    /// The URL with its password, for connecting only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
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
        redact_url(self.expose())
    }

    /// Refuses a URL of a database ticketd cannot serve: only `sqlite:` and `postgres://`
    /// (`postgresql://`) are.
    pub fn check_scheme(&self) -> Result<(), ConfigError> {
        let url = self.expose().trim();
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
        let rest = self.expose().strip_prefix("sqlite:")?;
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
        url.expose().to_owned()
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
    // The user information ends at the last `@`: a password written without percent-encoding
    // may hold `@`, `/` or `:` itself (`ticketd:p@ss/w:rd@db`), and must be hidden whole.
    let Some((user_info, host_and_path)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match user_info.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:{MASK}@{host_and_path}"),
        None => url.to_owned(),
    }
}
