//! What serde cannot check in the mail configuration: addresses, the public URL, the limits; each
//! error names the key at fault.

use super::{MailConfig, TransportKind};
use lettre::message::Mailbox as MailAddress;

/// A configuration value that cannot work; `key` is its path under `mail`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration value for `{key}`: {reason}")]
pub struct MailConfigError {
    pub key: &'static str,
    pub reason: String,
}

fn invalid(key: &'static str, reason: impl Into<String>) -> MailConfigError {
    MailConfigError {
        key,
        reason: reason.into(),
    }
}

/// Parses an address as the transport will (`Name <local@domain>` or `local@domain`).
pub(crate) fn parse_address(
    key: &'static str,
    value: &str,
) -> Result<MailAddress, MailConfigError> {
    value
        .parse::<MailAddress>()
        .map_err(|e| invalid(key, format!("not an email address ({e})")))
}

impl MailConfig {
    /// Checks what serde cannot: addresses, URL, limits. The message names the key at fault.
    pub fn validate(&self) -> Result<(), MailConfigError> {
        self.validate_addresses()?;
        self.validate_links()?;
        self.validate_retry()?;
        self.validate_dispatcher()?;
        if self.transport == TransportKind::Smtp {
            self.validate_smtp()?;
        }
        if self.dispatcher.lease_seconds == 0 {
            return Err(invalid("mail.dispatcher.lease_seconds", "must be positive"));
        }
        self.validate_inbound()
    }

    fn validate_addresses(&self) -> Result<(), MailConfigError> {
        parse_address("mail.from", &self.from)?;
        for (key, value) in [
            (
                "mail.mailboxes.partner_support",
                &self.mailboxes.partner_support,
            ),
            ("mail.mailboxes.user_support", &self.mailboxes.user_support),
            ("mail.mailboxes.security", &self.mailboxes.security),
            ("mail.owners.production_lead", &self.owners.production_lead),
            ("mail.owners.product_lead", &self.owners.product_lead),
            (
                "mail.owners.partner_relations_lead",
                &self.owners.partner_relations_lead,
            ),
            ("mail.owners.supervisor", &self.owners.supervisor),
        ] {
            parse_address(key, value)?;
        }
        Ok(())
    }

    /// The public URL the links point to, and the domain of Message-IDs.
    fn validate_links(&self) -> Result<(), MailConfigError> {
        let url = self.public_url.trim();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .unwrap_or_default();
        if rest.is_empty() || rest.contains(char::is_whitespace) {
            return Err(invalid(
                "mail.public_url",
                "must be an http:// or https:// URL such as https://signalement.example.fr",
            ));
        }
        let domain = &self.message_id_domain;
        if domain.is_empty()
            || !domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            return Err(invalid(
                "mail.message_id_domain",
                "must be a domain name such as ticketd.example.fr",
            ));
        }
        Ok(())
    }

    fn validate_retry(&self) -> Result<(), MailConfigError> {
        if self.retry.max_attempts == 0 {
            return Err(invalid("mail.retry.max_attempts", "must be at least 1"));
        }
        if self.retry.initial_backoff_seconds == 0
            || self.retry.initial_backoff_seconds > self.retry.max_backoff_seconds
        {
            return Err(invalid(
                "mail.retry.initial_backoff_seconds",
                "must be positive and at most mail.retry.max_backoff_seconds",
            ));
        }
        Ok(())
    }

    fn validate_dispatcher(&self) -> Result<(), MailConfigError> {
        let d = &self.dispatcher;
        if d.poll_interval_ms == 0 {
            return Err(invalid(
                "mail.dispatcher.poll_interval_ms",
                "must be positive",
            ));
        }
        if d.batch_size == 0 {
            return Err(invalid("mail.dispatcher.batch_size", "must be at least 1"));
        }
        if d.concurrency == 0 {
            return Err(invalid("mail.dispatcher.concurrency", "must be at least 1"));
        }
        if d.resend_uncertain_after_seconds == 0 {
            return Err(invalid(
                "mail.dispatcher.resend_uncertain_after_seconds",
                "must be positive",
            ));
        }
        Ok(())
    }

    fn validate_smtp(&self) -> Result<(), MailConfigError> {
        if self.smtp.host.trim().is_empty() {
            return Err(invalid("mail.smtp.host", "must not be empty"));
        }
        if self.smtp.timeout_seconds == 0 {
            return Err(invalid("mail.smtp.timeout_seconds", "must be positive"));
        }
        if self.smtp.password.is_some() != self.smtp.username.is_some() {
            return Err(invalid(
                "mail.smtp.password",
                "mail.smtp.username and mail.smtp.password go together",
            ));
        }
        // Connect, EHLO/STARTTLS/AUTH, MAIL, RCPT, DATA and the message each have the timeout.
        if self.dispatcher.lease_seconds < 8 * self.smtp.timeout_seconds {
            return Err(invalid(
                "mail.dispatcher.lease_seconds",
                "must be at least 8 times mail.smtp.timeout_seconds, or mails still being \
                 sent would be declared uncertain",
            ));
        }
        Ok(())
    }

    fn validate_inbound(&self) -> Result<(), MailConfigError> {
        let inbound = &self.inbound;
        if let Some(base) = &inbound.reply_address {
            let secret = inbound
                .reply_secret
                .as_ref()
                .map_or_else(|| "x".repeat(32), |s| s.expose().to_owned());
            crate::reply::ReplyAddresses::new(base, &secret)?;
        }
        if inbound.flood_max == 0 || inbound.flood_window_seconds == 0 {
            return Err(invalid(
                "mail.inbound.flood_max",
                "mail.inbound.flood_max and flood_window_seconds must be positive",
            ));
        }
        if inbound.imap.poll_interval_seconds == 0 {
            return Err(invalid(
                "mail.inbound.imap.poll_interval_seconds",
                "must be positive",
            ));
        }
        Ok(())
    }
}
