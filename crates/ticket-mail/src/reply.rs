//! Signed reply addresses (channel "e-mail"): every mail about a ticket carries a `Reply-To` such as
//! `support+INC-2026-000042.3f2a9c0d1e4b5a6c@ticketd.example.fr`, whose tag is a truncated
//! HMAC-SHA256 of the reference under the operator's secret. A reply that reaches the mailbox by
//! that address lands on the ticket; a tag that does not verify (a reference typed by someone who
//! never received a mail of the ticket) sends the mail to quarantine.

use crate::config::MailConfigError;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use ticket_domain::ticket::Reference;

/// Hex characters of the tag: 64 bits, enough against guessing (a wrong guess is quarantined).
const TAG_LEN: usize = 16;

/// Signs and checks reply addresses.
#[derive(Clone)]
pub struct ReplyAddresses {
    local: String,
    domain: String,
    key: Vec<u8>,
}

impl fmt::Debug for ReplyAddresses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyAddresses")
            .field("local", &self.local)
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

/// What a recipient address says about threading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyTag {
    /// Not one of our reply addresses.
    NotOurs,
    /// Our reply address with a reference whose tag verifies.
    Signed(Reference),
    /// Our reply address with a reference (or something) whose tag does not verify.
    Forged,
}

impl ReplyAddresses {
    /// `base` is the plain address (`support@ticketd.example.fr`); `secret` the signing key.
    pub fn new(base: &str, secret: &str) -> Result<Self, MailConfigError> {
        let (local, domain) = base.trim().rsplit_once('@').ok_or(MailConfigError {
            key: "mail.inbound.reply_address",
            reason: "must be an address such as support@ticketd.example.fr".to_owned(),
        })?;
        if local.is_empty() || local.contains('+') || domain.is_empty() {
            return Err(MailConfigError {
                key: "mail.inbound.reply_address",
                reason: "must be a plain address (no +tag) such as support@ticketd.example.fr"
                    .to_owned(),
            });
        }
        if secret.len() < 32 {
            return Err(MailConfigError {
                key: "mail.inbound.reply_secret",
                reason: "must be at least 32 characters".to_owned(),
            });
        }
        Ok(Self {
            local: local.to_owned(),
            domain: domain.to_ascii_lowercase(),
            key: secret.as_bytes().to_vec(),
        })
    }

    fn tag(&self, reference: &str) -> String {
        // A key of any length is accepted by HMAC; the fallback is never taken.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return String::new();
        };
        mac.update(b"reply-address:");
        mac.update(reference.as_bytes());
        let digest = hex::encode(mac.finalize().into_bytes());
        digest[..TAG_LEN].to_owned()
    }

    /// The reply address of a ticket.
    pub fn for_ticket(&self, reference: &Reference) -> String {
        let reference = reference.to_string();
        format!(
            "{}+{reference}.{}@{}",
            self.local,
            self.tag(&reference),
            self.domain
        )
    }

    /// Reads a recipient address (case-insensitively: mail systems may change the case).
    pub fn check(&self, address: &str) -> ReplyTag {
        let Some((local, domain)) = address.trim().rsplit_once('@') else {
            return ReplyTag::NotOurs;
        };
        if !domain.eq_ignore_ascii_case(&self.domain) {
            return ReplyTag::NotOurs;
        }
        let Some((base, detail)) = local.split_once('+') else {
            return ReplyTag::NotOurs;
        };
        if !base.eq_ignore_ascii_case(&self.local) {
            return ReplyTag::NotOurs;
        }
        let Some((reference, tag)) = detail.rsplit_once('.') else {
            return ReplyTag::Forged;
        };
        let Some(reference) = Reference::parse(&reference.to_ascii_uppercase()) else {
            return ReplyTag::Forged;
        };
        let expected = self.tag(&reference.to_string());
        // Constant-time comparison: the tag is a secret's output.
        let given = tag.to_ascii_lowercase();
        let same = given.len() == expected.len()
            && given
                .bytes()
                .zip(expected.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if same {
            ReplyTag::Signed(reference)
        } else {
            ReplyTag::Forged
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_address_verifies_and_a_forged_one_does_not() {
        let replies = ReplyAddresses::new("support@Ticketd.example.fr", &"k".repeat(32)).unwrap();
        let reference = Reference::parse("INC-2026-000042").unwrap();
        let address = replies.for_ticket(&reference);
        assert!(address.starts_with("support+INC-2026-000042."));
        assert!(address.ends_with("@ticketd.example.fr"));
        assert_eq!(replies.check(&address), ReplyTag::Signed(reference));
        assert_eq!(
            replies.check(&address.to_lowercase()),
            ReplyTag::Signed(reference)
        );
        let other = Reference::parse("INC-2026-000043").unwrap();
        let forged = address.replace("000042", "000043");
        assert_eq!(replies.check(&forged), ReplyTag::Forged);
        assert_ne!(replies.check(&replies.for_ticket(&other)), ReplyTag::Forged);
        assert_eq!(
            replies.check("support@ticketd.example.fr"),
            ReplyTag::NotOurs
        );
        assert_eq!(replies.check("someone@example.org"), ReplyTag::NotOurs);
        let other_key = ReplyAddresses::new("support@ticketd.example.fr", &"x".repeat(32)).unwrap();
        assert_eq!(
            replies.check(&other_key.for_ticket(&reference)),
            ReplyTag::Forged
        );
    }
}
