//! The trust-sphere registry: organisations, their services and designated contacts.
//!
//! Validation: the registry's own rules (roles non-empty and distinct, a positive maximum
//! unavailability) are checked by [`NewOrganisation::validate`], [`validate_roles`] and
//! [`NewService::validate`], which the API calls to answer 422 with field errors. The store checks
//! them again and refuses with [`StoreError::Refused`] (rule `invalid-input`, same field errors),
//! so no caller can write an invalid entry.
//!
//! Contacts hold personal data (email, phone): they are only ever carried in the domain's
//! [`EmailAddress`] and [`PhoneNumber`], whose `Debug` is redacted, and no error message of this
//! module contains them.

use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ticket_domain::Refusal;
use ticket_domain::values::{
    EmailAddress, FieldError, OrganisationId, PhoneNumber, ServiceId, Text,
};
use uuid::Uuid;

mod organisations;
mod rows;
mod services;

pub(crate) use rows::{RowLock, lock_organisation};

/// What an organisation is in the trust sphere (it may be several).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum OrganisationRole {
    /// Identification and/or authentication operator.
    IdentityProvider,
    /// Service operator.
    ServiceProvider,
    UserOrganisation,
}

impl OrganisationRole {
    pub const ALL: [OrganisationRole; 3] = [
        OrganisationRole::IdentityProvider,
        OrganisationRole::ServiceProvider,
        OrganisationRole::UserOrganisation,
    ];

    pub fn name(self) -> &'static str {
        self.into()
    }

    pub fn parse(name: &str) -> Option<Self> {
        name.parse().ok()
    }
}

/// Minimum identification/authentication level a service requires.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum AssuranceLevel {
    None,
    EidasLow,
    Substantial,
    High,
}

impl AssuranceLevel {
    pub const ALL: [AssuranceLevel; 4] = [
        AssuranceLevel::None,
        AssuranceLevel::EidasLow,
        AssuranceLevel::Substantial,
        AssuranceLevel::High,
    ];

    pub fn name(self) -> &'static str {
        self.into()
    }

    pub fn parse(name: &str) -> Option<Self> {
        name.parse().ok()
    }
}

/// An organisation of the trust sphere, with its services and designated contacts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub id: OrganisationId,
    pub name: String,
    /// Distinct, non-empty, in the order of [`OrganisationRole::ALL`].
    pub roles: Vec<OrganisationRole>,
    /// In the order they were added.
    pub services: Vec<Service>,
    /// In the order they were added.
    pub contacts: Vec<DesignatedContact>,
    pub created_at: DateTime<Utc>,
    /// Last change of the name or roles (services and contacts have their own rows).
    pub updated_at: DateTime<Utc>,
}

/// A service of an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub id: ServiceId,
    pub organisation: OrganisationId,
    pub name: String,
    /// Availability window, e.g. "24/7" or "office hours".
    pub availability: String,
    /// Maximum unavailability duration, in seconds (> 0), when declared.
    pub max_unavailability_seconds: Option<i64>,
    pub minimum_assurance_level: AssuranceLevel,
}

/// A designated contact of an organisation: who the mailer writes to. Email and phone are
/// personal data; their `Debug` is redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesignatedContact {
    pub id: Uuid,
    pub organisation: OrganisationId,
    /// A person's name or a team.
    pub name: String,
    pub function: String,
    pub email: EmailAddress,
    pub phone: Option<PhoneNumber>,
}

// The `New*` inputs derive no `Deserialize` on purpose: `Text` and `EmailAddress` deserialise
// without validation, so the API must build them with their `parse` functions.

/// A new organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganisation {
    pub name: Text,
    pub roles: Vec<OrganisationRole>,
}

impl NewOrganisation {
    /// The registry's rules on an organisation: at least one role, no role twice.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        validate_roles(&self.roles)
    }
}

/// Roles must be non-empty and without duplicates (field `roles`).
pub fn validate_roles(roles: &[OrganisationRole]) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if roles.is_empty() {
        errors.push(FieldError::new(
            "roles",
            "required",
            "an organisation has at least one role",
        ));
    }
    let mut seen = roles.to_vec();
    seen.sort_unstable();
    seen.dedup();
    if seen.len() != roles.len() {
        errors.push(FieldError::new(
            "roles",
            "unique_items",
            "each role may be given only once",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// A new service of an organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewService {
    pub name: Text,
    pub availability: Text,
    pub max_unavailability_seconds: Option<i64>,
    pub minimum_assurance_level: AssuranceLevel,
}

impl NewService {
    /// The maximum unavailability, when given, is a positive number of seconds.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        match self.max_unavailability_seconds {
            Some(seconds) if seconds <= 0 => Err(vec![FieldError::new(
                "max_unavailability_seconds",
                "exclusive_minimum",
                "must be a positive number of seconds",
            )]),
            _ => Ok(()),
        }
    }
}

/// A new designated contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContact {
    /// A person's name or a team.
    pub name: Text,
    pub function: Text,
    pub email: EmailAddress,
    pub phone: Option<PhoneNumber>,
}

fn refuse_invalid(errors: Vec<FieldError>) -> StoreError {
    StoreError::Refused(Refusal::invalid(errors))
}

fn roles_to_column(roles: &[OrganisationRole]) -> String {
    let mut roles = roles.to_vec();
    roles.sort_unstable();
    roles.dedup();
    roles.iter().map(|r| r.name()).collect::<Vec<_>>().join(",")
}

fn roles_from_column(id: Uuid, column: &str) -> Result<Vec<OrganisationRole>, StoreError> {
    column
        .split(',')
        .map(|name| {
            OrganisationRole::parse(name).ok_or_else(|| {
                StoreError::corrupt(format!("organisation {id}: unknown role {name:?}"))
            })
        })
        .collect()
}

impl Store {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_column_in_canonical_order() {
        let id = Uuid::now_v7();
        let column = roles_to_column(&[
            OrganisationRole::UserOrganisation,
            OrganisationRole::IdentityProvider,
        ]);
        assert_eq!(column, "identity_provider,user_organisation");
        assert_eq!(
            roles_from_column(id, &column).ok(),
            Some(vec![
                OrganisationRole::IdentityProvider,
                OrganisationRole::UserOrganisation
            ])
        );
        assert!(roles_from_column(id, "identity_provider,astronaut").is_err());
        assert!(roles_from_column(id, "").is_err());
    }

    #[test]
    fn role_and_level_names_match_their_serde_names() {
        for role in OrganisationRole::ALL {
            let json = serde_json::to_value(role).ok();
            assert_eq!(json.as_ref().and_then(|v| v.as_str()), Some(role.name()));
            assert_eq!(OrganisationRole::parse(role.name()), Some(role));
        }
        for level in AssuranceLevel::ALL {
            let json = serde_json::to_value(level).ok();
            assert_eq!(json.as_ref().and_then(|v| v.as_str()), Some(level.name()));
            assert_eq!(AssuranceLevel::parse(level.name()), Some(level));
        }
    }

    #[test]
    fn roles_must_be_present_and_distinct() {
        assert!(validate_roles(&[OrganisationRole::ServiceProvider]).is_ok());
        let empty = validate_roles(&[]).err().unwrap_or_default();
        assert_eq!(empty.first().map(|e| e.rule.as_str()), Some("required"));
        let twice = validate_roles(&[
            OrganisationRole::ServiceProvider,
            OrganisationRole::ServiceProvider,
        ])
        .err()
        .unwrap_or_default();
        assert_eq!(twice.first().map(|e| e.rule.as_str()), Some("unique_items"));
    }
}
