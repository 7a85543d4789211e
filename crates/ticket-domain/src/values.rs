//! Validated values: a handler that holds one of these cannot hold an invalid one.
//!
//! Each `parse` returns a [`FieldError`] naming the field, the rule and a message in plain words; the
//! API turns a list of them into the `errors` array of a problem+json body.

use crate::personal::Personal;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// One invalid input: which field, which rule, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub rule: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, rule: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            rule: rule.to_owned(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.field, self.message, self.rule)
    }
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered id (UUID v7) so that ids sort by creation.
            pub fn new_v7() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(
    /// A ticket's stable id.
    TicketId
);
uuid_id!(
    /// An organisation of the trust sphere.
    OrganisationId
);
uuid_id!(
    /// A service of an organisation.
    ServiceId
);
uuid_id!(
    /// An event in a ticket's history.
    EventId
);

/// Trimmed text between 1 and `max` characters, without control characters other than newlines.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Text(String);

impl Text {
    pub fn parse(field: &str, value: &str, max: usize) -> Result<Self, FieldError> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new(field, "required", "must not be empty"));
        }
        let length = trimmed.chars().count();
        if length > max {
            return Err(FieldError::new(
                field,
                "max_length",
                format!("must be at most {max} characters (got {length})"),
            ));
        }
        if trimmed
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(FieldError::new(
                field,
                "no_control_characters",
                "must not contain control characters",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What stands in place of a text erased by the anonymiser.
    pub fn anonymised() -> Self {
        Self(ANONYMISED.to_owned())
    }
}

/// The words that replace anonymised free text.
pub const ANONYMISED: &str = "[anonymised]";

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Short free text such as a title or a name.
pub const SHORT_TEXT: usize = 200;
/// Long free text such as a description or a comment.
pub const LONG_TEXT: usize = 10_000;

/// An email address, checked for shape (one `@`, a dotted domain, no spaces, at most 254 characters).
/// Deliverability is the mail server's business, not ours.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EmailAddress(Personal<String>);

impl EmailAddress {
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        let value = value.trim();
        let invalid = || {
            FieldError::new(
                field,
                "email",
                "must be an email address such as nom@example.fr",
            )
        };
        if value.is_empty()
            || value.len() > 254
            || value.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid());
        }
        let (local, domain) = value.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(Personal::new(value.to_owned())))
    }

    /// The address, for the mail transport.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// The domain only: what may appear in a log line.
    pub fn domain(&self) -> &str {
        self.0.expose().rsplit_once('@').map_or("", |(_, d)| d)
    }
}

/// A phone number as people write it: digits with optional `+`, spaces, dots, dashes, parentheses;
/// between 6 and 20 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PhoneNumber(Personal<String>);

impl PhoneNumber {
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        let value = value.trim();
        let allowed = value
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || " .-()".contains(c) || (c == '+' && i == 0));
        let digits = value.chars().filter(char::is_ascii_digit).count();
        if !allowed || !(6..=20).contains(&digits) {
            return Err(FieldError::new(
                field,
                "phone",
                "must be a phone number such as +33 6 12 34 56 78",
            ));
        }
        Ok(Self(Personal::new(value.to_owned())))
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

/// Who a staff member is (the name of their API key's holder, or an SSO handle later).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StaffHandle(String);

impl StaffHandle {
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        let value = value.trim();
        let ok = !value.is_empty()
            && value.len() <= 100
            && value
                .chars()
                .all(|c| c.is_alphanumeric() || "._@-+ ".contains(c));
        if !ok {
            return Err(FieldError::new(
                field,
                "staff_handle",
                "must be 1 to 100 letters, digits, spaces or . _ @ - +",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// A handle made from any name by keeping only the allowed characters (`staff` if none is
    /// left): for names recorded before they were checked.
    pub fn sanitised(value: &str) -> Self {
        let kept: String = value
            .trim()
            .chars()
            .filter(|c| c.is_alphanumeric() || "._@-+ ".contains(*c))
            .take(100)
            .collect();
        let kept = kept.trim();
        Self(if kept.is_empty() {
            "staff".to_owned()
        } else {
            kept.to_owned()
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StaffHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(
            Text::parse("title", "  Panne  ", 10).unwrap().as_str(),
            "Panne"
        );
        assert_eq!(
            Text::parse("title", "   ", 10).unwrap_err().rule,
            "required"
        );
        assert_eq!(
            Text::parse("title", "abcdefghijk", 10).unwrap_err().rule,
            "max_length"
        );
        assert_eq!(
            Text::parse("title", "a\u{0}b", 10).unwrap_err().rule,
            "no_control_characters"
        );
    }

    #[test]
    fn email_shape_is_checked() {
        assert!(EmailAddress::parse("email", "jean.dupont@example.fr").is_ok());
        for bad in [
            "",
            "jean",
            "jean@",
            "@example.fr",
            "jean@example",
            "je an@example.fr",
            "a@b..fr",
        ] {
            assert_eq!(
                EmailAddress::parse("email", bad).unwrap_err().rule,
                "email",
                "{bad}"
            );
        }
        assert_eq!(
            EmailAddress::parse("email", "jean@example.fr")
                .unwrap()
                .domain(),
            "example.fr"
        );
    }

    #[test]
    fn phone_numbers_as_people_write_them() {
        for ok in ["+33 6 12 34 56 78", "06.12.34.56.78", "(01) 23-45-67-89"] {
            assert!(PhoneNumber::parse("phone", ok).is_ok(), "{ok}");
        }
        for bad in ["12345", "06 12 ab 56 78", "33+612345678"] {
            assert!(PhoneNumber::parse("phone", bad).is_err(), "{bad}");
        }
    }
}
