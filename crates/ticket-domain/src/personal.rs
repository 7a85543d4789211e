//! Personal data of users, kept out of logs by construction.
//!
//! Rule "No personal data in logs": users' identities, emails and phone numbers must never reach a log
//! line. Wrapping them in [`Personal`] makes `{:?}` print `[personal data]`, so a `tracing` field or an
//! error's `Debug` output cannot leak them by accident. Serialisation stays transparent: the store and
//! the mail templates need the real value.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A value that identifies a person: never printed by `Debug`, never `Display`ed.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Personal<T>(T);

impl<T> Personal<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The value itself, for the places that legitimately need it (storage, mail rendering).
    pub fn expose(&self) -> &T {
        &self.0
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Personal<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[personal data]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_never_appears_in_debug_output() {
        let email = Personal::new("victime@example.fr".to_string());
        let printed = format!("{email:?} {:?}", Some(&email));
        assert!(!printed.contains("victime"));
        assert!(printed.contains("[personal data]"));
    }

    #[test]
    fn personal_data_serialises_transparently_for_storage() {
        let email = Personal::new("victime@example.fr".to_string());
        assert_eq!(
            serde_json::to_string(&email).ok().as_deref(),
            Some("\"victime@example.fr\"")
        );
    }
}
