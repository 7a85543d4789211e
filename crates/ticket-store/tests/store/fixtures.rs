//! Fixtures shared by the store tests (on top of `ticket_domain::testkit`).

// ---- The registry and API keys (registry.rs, keys.rs) ----

use ticket_domain::values::{EmailAddress, PhoneNumber, Text};
use ticket_store::Store;
use ticket_store::registry::{
    AssuranceLevel, NewContact, NewOrganisation, NewService, Organisation, OrganisationRole,
};

/// An email address of a designated contact.
pub fn email(value: &str) -> EmailAddress {
    EmailAddress::parse("email", value).unwrap()
}

pub fn phone(value: &str) -> PhoneNumber {
    PhoneNumber::parse("phone", value).unwrap()
}

/// Registers an organisation with these roles, at 2026-11-23T09:00:00Z.
pub async fn register(store: &Store, name: &str, roles: &[OrganisationRole]) -> Organisation {
    store
        .create_organisation(
            NewOrganisation {
                name: Text::parse("name", name, 200).unwrap(),
                roles: roles.to_vec(),
            },
            ticket_domain::testkit::at("2026-11-23T09:00:00Z"),
        )
        .await
        .unwrap()
}

/// A service available 24/7, requiring a substantial level.
pub fn new_service(name: &str, max_unavailability_seconds: Option<i64>) -> NewService {
    NewService {
        name: Text::parse("name", name, 200).unwrap(),
        availability: Text::parse("availability", "24/7", 200).unwrap(),
        max_unavailability_seconds,
        minimum_assurance_level: AssuranceLevel::Substantial,
    }
}

pub fn new_contact(name: &str, address: &str, telephone: Option<&str>) -> NewContact {
    NewContact {
        name: Text::parse("name", name, 200).unwrap(),
        function: Text::parse("function", "Responsable sécurité", 200).unwrap(),
        email: email(address),
        phone: telephone.map(phone),
    }
}
