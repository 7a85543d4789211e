//! Mail in (`mail.inbound.*`): signed reply addresses, the flood limits, the IMAP mailboxes.

use super::SmtpPassword;
use serde::{Deserialize, Serialize};

/// Mail in (channel "e-mail"): replies and new mails landing on tickets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InboundConfig {
    /// The plain address replies go to (`support@ticketd.example.fr`); every mail about a ticket
    /// carries `Reply-To: support+{reference}.{tag}@…`, which must reach one of the fetched mailboxes
    /// (or the MTA pipe). Unset: no `Reply-To`.
    pub reply_address: Option<String>,
    /// Key of the reply tags (at least 32 characters). Unset: generated once and kept in the
    /// database, shared by every replica.
    pub reply_secret: Option<SmtpPassword>,
    /// The `authserv-id` of the receiving MTA whose `Authentication-Results` are believed
    /// (`dmarc=pass` makes the sender address believed). Unset: no sender is believed, every mail
    /// goes to quarantine.
    pub trusted_authserv_id: Option<String>,
    /// Words that make a new mail from a partner an incident rather than a support request.
    pub incident_keywords: Vec<String>,
    /// More mails than this from one sender within `flood_window_seconds` are kept, not commented.
    pub flood_max: u32,
    pub flood_window_seconds: u64,
    /// Larger messages are refused.
    pub max_bytes: usize,
    /// IMAP mailboxes fetched by the background worker.
    pub imap: ImapConfig,
}

impl Default for InboundConfig {
    fn default() -> Self {
        Self {
            reply_address: None,
            reply_secret: None,
            trusted_authserv_id: None,
            incident_keywords: ["incident", "panne", "indisponible", "outage", "down"]
                .map(str::to_owned)
                .to_vec(),
            flood_max: 20,
            flood_window_seconds: 3600,
            max_bytes: 25 * 1024 * 1024,
            imap: ImapConfig::default(),
        }
    }
}

/// The IMAP fetcher: one account per operator mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImapConfig {
    /// Whether this process fetches (replicas may all do it: Message-IDs are stored once).
    pub enabled: bool,
    /// Pause between two looks when the server offers no IDLE (and the longest IDLE).
    pub poll_interval_seconds: u64,
    pub partner_support: Option<ImapAccount>,
    pub user_support: Option<ImapAccount>,
    pub security: Option<ImapAccount>,
}

impl Default for ImapConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            poll_interval_seconds: 60,
            partner_support: None,
            user_support: None,
            security: None,
        }
    }
}

/// How the IMAP connection is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImapSecurity {
    /// Plain text: a server on the same host only.
    Off,
    /// TLS from the first byte (port 993).
    #[default]
    Tls,
}

/// One IMAP account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImapAccount {
    pub host: String,
    /// Defaults by security: 143 (`off`), 993 (`tls`).
    pub port: Option<u16>,
    pub security: ImapSecurity,
    pub username: String,
    pub password: Option<SmtpPassword>,
    /// The folder fetched.
    pub folder: String,
    /// Where a committed message is moved; unset: it is flagged `\Seen` and left in place.
    pub done_folder: Option<String>,
}

impl Default for ImapAccount {
    fn default() -> Self {
        Self {
            host: "localhost".to_owned(),
            port: None,
            security: ImapSecurity::Tls,
            username: String::new(),
            password: None,
            folder: "INBOX".to_owned(),
            done_folder: None,
        }
    }
}

impl ImapAccount {
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            ImapSecurity::Off => 143,
            ImapSecurity::Tls => 993,
        })
    }
}
