//! How long API keys live: the `keys` section of the configuration (issue 30).
//!
//! A person's key always expires: by default `default_lifetime_days` after its creation (or its
//! last rotation), at most `max_lifetime_days`. Only a key an admin marks as a machine's may be
//! made non-expiring. A rotated key's old secret keeps working for a grace period, so that the
//! program holding it can be given the new one without an outage.

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

/// The `keys` section of the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeyPolicy {
    /// Lifetime of a key created or rotated without an explicit `expires_at`, in days.
    pub default_lifetime_days: u32,
    /// The latest `expires_at` a key may be given, in days from its creation or rotation.
    pub max_lifetime_days: u32,
    /// How long a rotated key's old secret keeps working when the rotation names no grace, in
    /// seconds.
    pub rotation_grace_seconds: u32,
    /// The longest grace a rotation may ask for, in seconds.
    pub max_rotation_grace_seconds: u32,
    /// What "expiring soon" means for the list of keys to renew, in days.
    pub expiring_soon_days: u32,
}

impl Default for KeyPolicy {
    fn default() -> Self {
        Self {
            default_lifetime_days: 365,
            max_lifetime_days: 365,
            rotation_grace_seconds: 86_400,
            max_rotation_grace_seconds: 7 * 86_400,
            expiring_soon_days: 14,
        }
    }
}

impl KeyPolicy {
    pub fn default_lifetime(&self) -> TimeDelta {
        TimeDelta::days(i64::from(self.default_lifetime_days))
    }

    pub fn max_lifetime(&self) -> TimeDelta {
        TimeDelta::days(i64::from(self.max_lifetime_days))
    }

    pub fn rotation_grace(&self) -> TimeDelta {
        TimeDelta::seconds(i64::from(self.rotation_grace_seconds))
    }

    pub fn max_rotation_grace(&self) -> TimeDelta {
        TimeDelta::seconds(i64::from(self.max_rotation_grace_seconds))
    }

    pub fn expiring_soon(&self) -> TimeDelta {
        TimeDelta::days(i64::from(self.expiring_soon_days))
    }

    /// Checks what serde cannot; the error names the key (`keys.…`) and why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(1..=3650).contains(&self.max_lifetime_days) {
            return Err((
                "keys.max_lifetime_days",
                "must be between 1 and 3650".to_owned(),
            ));
        }
        if !(1..=self.max_lifetime_days).contains(&self.default_lifetime_days) {
            return Err((
                "keys.default_lifetime_days",
                "must be between 1 and keys.max_lifetime_days".to_owned(),
            ));
        }
        if !(1..=30 * 86_400).contains(&self.max_rotation_grace_seconds) {
            return Err((
                "keys.max_rotation_grace_seconds",
                "must be between 1 and 2592000 (30 days)".to_owned(),
            ));
        }
        if self.rotation_grace_seconds > self.max_rotation_grace_seconds {
            return Err((
                "keys.rotation_grace_seconds",
                "must be at most keys.max_rotation_grace_seconds".to_owned(),
            ));
        }
        if !(1..=self.max_lifetime_days).contains(&self.expiring_soon_days) {
            return Err((
                "keys.expiring_soon_days",
                "must be between 1 and keys.max_lifetime_days".to_owned(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_is_valid_and_a_default_above_the_maximum_is_not() {
        assert_eq!(KeyPolicy::default().validate(), Ok(()));
        let policy = KeyPolicy {
            default_lifetime_days: 400,
            ..KeyPolicy::default()
        };
        assert_eq!(
            policy.validate().map_err(|(key, _)| key),
            Err("keys.default_lifetime_days")
        );
    }

    /// DOMAIN.md, "Staff identity and sessions": API keys expire after 1 year by default.
    #[test]
    fn a_key_lives_one_year_by_default() {
        assert_eq!(
            KeyPolicy::default().default_lifetime(),
            TimeDelta::days(365)
        );
    }
}
