//! Mail configuration: who writes, to which addresses, through which transport, how often it
//! retries. Every field has a default that runs without an SMTP server (mails become `.eml` files).

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

mod inbound;
mod validate;

pub use inbound::{ImapAccount, ImapConfig, ImapSecurity, InboundConfig};
pub use validate::MailConfigError;
pub(crate) use validate::parse_address;

const MASK: &str = "********";

/// The `mail` section of ticketd's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// `From` of every mail, e.g. `ticketd <ne-pas-repondre@example.fr>`.
    pub from: String,
    /// Base URL of the public pages, for the tracking link (`{public_url}/suivi/{secret}`).
    /// Not a key of its own: ticketd fills it from `public.base_url`, the one public address.
    #[serde(skip)]
    pub public_url: String,
    /// Domain part of the Message-IDs (`<ticket.seq.hash@domain>`): a domain the operator owns.
    pub message_id_domain: String,
    /// The operator's shared mailboxes.
    pub mailboxes: Mailboxes,
    /// The owners of the priority table, told at escalation.
    pub owners: Owners,
    /// `files` (one `.eml` per mail, the default) or `smtp`.
    pub transport: TransportKind,
    pub files: FilesConfig,
    pub smtp: SmtpConfig,
    pub retry: RetryPolicy,
    pub dispatcher: DispatcherConfig,
    /// Mail in: signed reply addresses, whom to believe, IMAP mailboxes.
    pub inbound: InboundConfig,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            from: "ticketd <ne-pas-repondre@ticketd.localhost>".to_owned(),
            public_url: "http://127.0.0.1:8080".to_owned(),
            message_id_domain: "ticketd.localhost".to_owned(),
            mailboxes: Mailboxes::default(),
            owners: Owners::default(),
            transport: TransportKind::Files,
            files: FilesConfig::default(),
            smtp: SmtpConfig::default(),
            retry: RetryPolicy::default(),
            dispatcher: DispatcherConfig::default(),
            inbound: InboundConfig::default(),
        }
    }
}

/// Addresses of the operator's mailboxes (rule "Notifications (email)").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mailboxes {
    pub partner_support: String,
    pub user_support: String,
    pub security: String,
    /// The engineers' team mailbox (level-3 support): told of 75 % warnings at their tier.
    pub engineering: String,
}

impl Default for Mailboxes {
    fn default() -> Self {
        Self {
            partner_support: "support.partenaires@ticketd.localhost".to_owned(),
            user_support: "support.usagers@ticketd.localhost".to_owned(),
            security: "support.securite@ticketd.localhost".to_owned(),
            engineering: "support.ingenierie@ticketd.localhost".to_owned(),
        }
    }
}

/// Addresses of the owners of the priority table (rule "Lifecycle": set in configuration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Owners {
    pub production_lead: String,
    pub product_lead: String,
    pub partner_relations_lead: String,
    pub supervisor: String,
}

impl Default for Owners {
    fn default() -> Self {
        Self {
            production_lead: "production@ticketd.localhost".to_owned(),
            product_lead: "produit@ticketd.localhost".to_owned(),
            partner_relations_lead: "relations.partenaires@ticketd.localhost".to_owned(),
            supervisor: "supervision@ticketd.localhost".to_owned(),
        }
    }
}

/// How mails leave.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportKind {
    /// One `.eml` file per mail under `files.dir`: the embedded default, no server needed.
    #[default]
    Files,
    /// An SMTP relay (`smtp.*`).
    Smtp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FilesConfig {
    /// Folder of the `.eml` files; created when the first mail is written.
    pub dir: PathBuf,
}

impl Default for FilesConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("./data/mail"),
        }
    }
}

/// Transport security of the SMTP connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// Plain text: only for a relay on the same host or a trusted network.
    Off,
    /// Plain connection upgraded with STARTTLS, which is required (usually port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    /// Defaults by security: 25 (`off`), 587 (`starttls`), 465 (`tls`).
    pub port: Option<u16>,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    /// Masked by `ticketd check-config` and in `Debug` output.
    pub password: Option<SmtpPassword>,
    /// Limit of each step: connecting, each command, handing the message over.
    pub timeout_seconds: u64,
    /// Connections kept open between mails.
    pub max_idle_connections: usize,
    /// An idle connection older than this is closed rather than reused.
    pub idle_timeout_seconds: u64,
    /// Name sent in EHLO; the host name by default.
    pub hello_name: Option<String>,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: "localhost".to_owned(),
            port: None,
            security: SmtpSecurity::default(),
            username: None,
            password: None,
            timeout_seconds: 30,
            max_idle_connections: 4,
            idle_timeout_seconds: 60,
            hello_name: None,
        }
    }
}

impl SmtpConfig {
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            SmtpSecurity::Off => 25,
            SmtpSecurity::Starttls => 587,
            SmtpSecurity::Tls => 465,
        })
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_seconds)
    }
}

/// A secret of the mail configuration (the SMTP and IMAP passwords, the reply-address key): a
/// [`SecretString`], zeroed when dropped, that `Debug` redacts; [`SmtpPassword::expose`] gives it
/// to its one user. It serialises as itself: a configuration is serialised once
/// [`MailConfig::redacted`].
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct SmtpPassword(SecretString);

impl SmtpPassword {
    pub fn new(password: impl Into<String>) -> Self {
        Self(SecretString::from(password.into()))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl PartialEq for SmtpPassword {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for SmtpPassword {}

impl Serialize for SmtpPassword {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

/// When a temporarily failed mail is tried again: exponential backoff with jitter, and a limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryPolicy {
    /// After this many attempts a temporary failure is final (`failed`).
    pub max_attempts: u32,
    /// Delay after the first failure; doubled after each further one.
    pub initial_backoff_seconds: u64,
    /// The delay never grows beyond this.
    pub max_backoff_seconds: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            initial_backoff_seconds: 60,
            max_backoff_seconds: 3600,
        }
    }
}

/// The outbox dispatcher: how often it looks, how much it takes at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DispatcherConfig {
    /// `false` leaves the outbox alone (another process delivers it).
    pub enabled: bool,
    /// Time between two looks at the outbox when it is idle.
    pub poll_interval_ms: u64,
    /// Rows claimed at once.
    pub batch_size: u64,
    /// Mails handed to the transport at the same time.
    pub concurrency: usize,
    /// How long a claim lasts. A row still `sending` after it belonged to a worker that died: back
    /// to `pending` if its handover to the mail server had not begun, `uncertain` otherwise. Must
    /// exceed the time one mail can take (several SMTP timeouts).
    pub lease_seconds: u64,
    /// What an `uncertain` mail (it may have been delivered) becomes: `hold` keeps it for staff
    /// to check and retry; `resend` sends it again after `resend_uncertain_after_seconds`, under the
    /// same Message-ID, while attempts are left.
    pub uncertain: UncertainPolicy,
    /// With `uncertain = "resend"`: how long an uncertain mail waits before it is sent again.
    pub resend_uncertain_after_seconds: u64,
}

/// What becomes of a mail that may or may not have been delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UncertainPolicy {
    /// Staff check and retry it (one by one or all at once): never a silent duplicate.
    Hold,
    /// Sent again after a delay under the same Message-ID: never a silent loss.
    Resend,
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            poll_interval_ms: 1000,
            batch_size: 50,
            concurrency: 4,
            lease_seconds: 600,
            uncertain: UncertainPolicy::Hold,
            resend_uncertain_after_seconds: 3600,
        }
    }
}

impl MailConfig {
    /// The same configuration with the SMTP password masked, fit to print or log.
    pub fn redacted(&self) -> Self {
        let mut copy = self.clone();
        if copy.inbound.reply_secret.is_some() {
            copy.inbound.reply_secret = Some(SmtpPassword::new(MASK));
        }
        for account in [
            &mut copy.inbound.imap.partner_support,
            &mut copy.inbound.imap.user_support,
            &mut copy.inbound.imap.security,
        ]
        .into_iter()
        .flatten()
        {
            if account.password.is_some() {
                account.password = Some(SmtpPassword::new(MASK));
            }
        }
        if copy.smtp.password.is_some() {
            copy.smtp.password = Some(SmtpPassword::new(MASK));
        }
        copy
    }

    /// The public URL without a trailing slash.
    pub fn public_url(&self) -> &str {
        self.public_url.trim().trim_end_matches('/')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_write_files() {
        let config = MailConfig::default();
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.transport, TransportKind::Files);
        assert_eq!(config.files.dir, PathBuf::from("./data/mail"));
        assert_eq!(config.retry.max_attempts, 8);
    }

    #[test]
    fn bad_values_name_their_key() {
        let mut config = MailConfig::default();
        config.mailboxes.security = "not an address".into();
        assert_eq!(
            config.validate().map_err(|e| e.key),
            Err("mail.mailboxes.security")
        );
        let config = MailConfig {
            public_url: "ftp://example.fr".into(),
            ..MailConfig::default()
        };
        assert_eq!(config.validate().map_err(|e| e.key), Err("mail.public_url"));
        let mut config = MailConfig {
            transport: TransportKind::Smtp,
            ..MailConfig::default()
        };
        config.smtp.timeout_seconds = 600;
        assert_eq!(
            config.validate().map_err(|e| e.key),
            Err("mail.dispatcher.lease_seconds")
        );
    }

    #[test]
    fn inbound_secrets_are_masked() {
        let mut config = MailConfig::default();
        config.inbound.reply_secret = Some(SmtpPassword::new("r".repeat(40)));
        config.inbound.imap.security = Some(ImapAccount {
            password: Some(SmtpPassword::new("imap-s3cret")),
            ..ImapAccount::default()
        });
        let redacted = config.redacted();
        let printed = format!(
            "{redacted:?} {}",
            serde_json::to_string(&redacted).unwrap_or_default()
        );
        assert!(!printed.contains("rrrr") && !printed.contains("imap-s3cret"));
        config.inbound.reply_secret = Some(SmtpPassword::new("short"));
        config.inbound.reply_address = Some("support@ticketd.example.fr".into());
        assert_eq!(
            config.validate().err().map(|e| e.key),
            Some("mail.inbound.reply_secret")
        );
    }

    #[test]
    fn the_password_is_masked() {
        let mut config = MailConfig::default();
        config.smtp.username = Some("ticketd".into());
        config.smtp.password = Some(SmtpPassword::new("s3cret"));
        assert!(!format!("{config:?}").contains("s3cret"));
        let redacted = config.redacted();
        assert_eq!(
            redacted.smtp.password.as_ref().map(SmtpPassword::expose),
            Some(MASK)
        );
        assert_eq!(config.redacted().smtp.username.as_deref(), Some("ticketd"));
    }

    #[test]
    fn ports_follow_the_security_setting() {
        let mut smtp = SmtpConfig::default();
        assert_eq!(smtp.effective_port(), 587);
        smtp.security = SmtpSecurity::Tls;
        assert_eq!(smtp.effective_port(), 465);
        smtp.security = SmtpSecurity::Off;
        assert_eq!(smtp.effective_port(), 25);
        smtp.port = Some(2525);
        assert_eq!(smtp.effective_port(), 2525);
    }
}
