//! CSRF protection of the public forms: a double-submit token, signed.
//!
//! The page sets a cookie and a hidden field with the same token: `issued_at.nonce.signature`,
//! where the signature is HMAC-SHA256 over `issued_at.nonce` with the service's key. A submission
//! is accepted only if the field equals the cookie, the signature holds and the token is younger
//! than its lifetime. A cross-site form cannot read the cookie, and a forged token fails the
//! signature.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Name of the cookie and of the hidden field.
pub const CSRF_NAME: &str = "csrf_token";

/// How long a form stays valid after it was shown.
pub const LIFETIME: TimeDelta = TimeDelta::hours(4);

/// Issues and checks tokens with one key.
#[derive(Clone)]
pub struct Csrf {
    key: Vec<u8>,
}

impl std::fmt::Debug for Csrf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Csrf { key: [hidden] }")
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsrfError {
    Missing,
    Mismatch,
    Forged,
    Expired,
}

impl Csrf {
    /// A key of at least 32 bytes; `None` makes a random one (tokens then die with the process).
    pub fn new(key: Option<&[u8]>) -> Self {
        let key = match key {
            Some(key) if key.len() >= 32 => key.to_vec(),
            _ => {
                let mut key = vec![0_u8; 32];
                rand::fill(key.as_mut_slice());
                key
            }
        };
        Self { key }
    }

    fn sign(&self, payload: &str) -> String {
        // HMAC accepts keys of any length; construction cannot fail.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.key) {
            Ok(mac) => mac,
            Err(_) => return String::new(),
        };
        mac.update(payload.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    pub fn issue(&self, now: DateTime<Utc>) -> String {
        let mut nonce = [0_u8; 16];
        rand::fill(&mut nonce);
        let payload = format!("{}.{}", now.timestamp(), URL_SAFE_NO_PAD.encode(nonce));
        let signature = self.sign(&payload);
        format!("{payload}.{signature}")
    }

    pub fn check(
        &self,
        field: Option<&str>,
        cookie: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), CsrfError> {
        let (Some(field), Some(cookie)) = (
            field.filter(|f| !f.is_empty()),
            cookie.filter(|c| !c.is_empty()),
        ) else {
            return Err(CsrfError::Missing);
        };
        if !constant_time_eq(field.as_bytes(), cookie.as_bytes()) {
            return Err(CsrfError::Mismatch);
        }
        let Some((payload, signature)) = field.rsplit_once('.') else {
            return Err(CsrfError::Forged);
        };
        if !constant_time_eq(self.sign(payload).as_bytes(), signature.as_bytes()) {
            return Err(CsrfError::Forged);
        }
        let issued = payload
            .split_once('.')
            .and_then(|(ts, _)| ts.parse::<i64>().ok())
            .and_then(|ts| DateTime::from_timestamp(ts, 0))
            .ok_or(CsrfError::Forged)?;
        if now - issued > LIFETIME || issued - now > TimeDelta::minutes(5) {
            return Err(CsrfError::Expired);
        }
        Ok(())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default()
    }

    #[test]
    fn a_token_is_accepted_when_field_and_cookie_match_and_the_signature_holds() {
        let csrf = Csrf::new(None);
        let token = csrf.issue(now());
        assert_eq!(csrf.check(Some(&token), Some(&token), now()), Ok(()));
    }

    #[test]
    fn missing_mismatched_forged_and_expired_tokens_are_refused() {
        let csrf = Csrf::new(None);
        let token = csrf.issue(now());
        assert_eq!(
            csrf.check(None, Some(&token), now()),
            Err(CsrfError::Missing)
        );
        assert_eq!(
            csrf.check(Some(&token), None, now()),
            Err(CsrfError::Missing)
        );
        let other = csrf.issue(now());
        assert_eq!(
            csrf.check(Some(&token), Some(&other), now()),
            Err(CsrfError::Mismatch)
        );
        let forged = format!(
            "{}.AAAA",
            token.rsplit_once('.').map(|(p, _)| p).unwrap_or_default()
        );
        assert_eq!(
            csrf.check(Some(&forged), Some(&forged), now()),
            Err(CsrfError::Forged)
        );
        let foreign = Csrf::new(None).issue(now());
        assert_eq!(
            csrf.check(Some(&foreign), Some(&foreign), now()),
            Err(CsrfError::Forged)
        );
        assert_eq!(
            csrf.check(
                Some(&token),
                Some(&token),
                now() + LIFETIME + TimeDelta::seconds(1)
            ),
            Err(CsrfError::Expired)
        );
    }
}
