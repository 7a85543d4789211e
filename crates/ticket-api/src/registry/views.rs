//! The registry's wire types: an organisation with its services and contacts (their personal data
//! shown only to staff and the organisation's own keys), the bodies that change it, the answers.

use crate::auth::Principal;
use crate::dto::{AssuranceLevelDto, Instant, OrganisationRoleDto};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};
use ticket_domain::values::OrganisationId;
use ticket_store::registry::{DesignatedContact, Organisation, Service};
use uuid::Uuid;

/// A service of an organisation.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ServiceView {
    /// Service id; incidents name the impacted service by it (`service_id`).
    pub id: Uuid,
    /// The organisation that runs the service.
    pub organisation_id: Uuid,
    /// Name of the service.
    pub name: String,
    /// Availability window, e.g. `24/7` or `office hours`.
    pub availability: String,
    /// Maximum unavailability, in seconds, when the service declares one: a duration on the
    /// service's own availability window (a 24/7 service: elapsed time; otherwise support hours).
    /// An incident on the service is due at the earlier of this deadline and its priority's.
    pub max_unavailability_seconds: Option<i64>,
    /// Minimum identification/authentication level the service requires.
    pub minimum_assurance_level: AssuranceLevelDto,
}

/// A designated contact: whom the service writes to about the organisation.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ContactView {
    /// Contact id.
    pub id: Uuid,
    /// A person's name or a team.
    pub name: String,
    /// Their function, e.g. `RSSI` or `support de niveau 2`.
    pub function: String,
    /// Email address. Personal data: present for staff and the organisation's own keys only.
    pub email: Option<String>,
    /// Phone number, when one was given. Personal data: present for staff and the organisation's
    /// own keys only.
    pub phone: Option<String>,
}

/// An organisation of the trust sphere.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct OrganisationView {
    /// Organisation id; tickets name the organisation they affect by it (`organisation_id`).
    pub id: Uuid,
    /// Name, unique in the registry.
    pub name: String,
    /// What the organisation is in the trust sphere: one or more roles.
    pub roles: Vec<OrganisationRoleDto>,
    /// Its services, in the order they were added.
    pub services: Vec<ServiceView>,
    /// Its designated contacts, in the order they were designated.
    pub contacts: Vec<ContactView>,
    /// When it was registered.
    pub created_at: Instant,
    /// When its name or roles last changed.
    pub updated_at: Instant,
}

/// The organisations a key may see.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct OrganisationList {
    /// Staff: every organisation; a partner: its own. Sorted by name, case-insensitively.
    pub items: Vec<OrganisationView>,
    /// Always absent: the registry is small and listed whole.
    pub next_cursor: Option<String>,
}

/// Registering an organisation.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct NewOrganisationBody {
    /// Name, unique in the registry (1 to 200 characters; case and accents count).
    pub name: String,
    /// What the organisation is in the trust sphere: at least one role, each at most once.
    pub roles: Vec<OrganisationRoleDto>,
}

/// Changes to an organisation: `name`, `roles` or both.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct OrganisationChanges {
    /// The new name, unique in the registry (1 to 200 characters).
    pub name: Option<String>,
    /// The new roles, replacing the current ones: at least one, each at most once.
    pub roles: Option<Vec<OrganisationRoleDto>>,
}

/// Adding a service to an organisation.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct NewServiceBody {
    /// Name of the service (1 to 200 characters).
    pub name: String,
    /// Availability window, e.g. `24/7` or `office hours` (1 to 200 characters).
    pub availability: String,
    /// Maximum unavailability, in seconds (more than 0), when the service declares one: counted on
    /// its availability window (`24/7`, `24h/24`, `7j/7`: elapsed time; otherwise support hours).
    pub max_unavailability_seconds: Option<i64>,
    /// Minimum identification/authentication level the service requires.
    pub minimum_assurance_level: AssuranceLevelDto,
}

/// Designating a contact of an organisation.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct NewContactBody {
    /// A person's name or a team (1 to 200 characters).
    pub name: String,
    /// Their function, e.g. `RSSI` (1 to 200 characters).
    pub function: String,
    /// Email address the service writes to.
    pub email: String,
    /// Phone number, e.g. `+33 1 23 45 67 89`.
    pub phone: Option<String>,
}

/// An organisation.
#[derive(Debug, ApiResponse)]
pub enum OrganisationResponse {
    /// The organisation, with its services and contacts.
    #[oai(status = 200)]
    Ok(Json<OrganisationView>),
}

/// An organisation just registered.
#[derive(Debug, ApiResponse)]
pub enum OrganisationCreated {
    /// The organisation was registered.
    #[oai(status = 201)]
    Created(
        Json<OrganisationView>,
        /// Where to read the organisation.
        #[oai(header = "Location")]
        String,
    ),
}

/// The organisations a key may see.
#[derive(Debug, ApiResponse)]
pub enum OrganisationListResponse {
    /// The list.
    #[oai(status = 200)]
    Ok(Json<OrganisationList>),
}

/// A service just added.
#[derive(Debug, ApiResponse)]
pub enum ServiceCreated {
    /// The service was added; the organisation's view lists it.
    #[oai(status = 201)]
    Created(Json<ServiceView>),
}

/// A contact just designated.
#[derive(Debug, ApiResponse)]
pub enum ContactCreated {
    /// The contact was designated; the organisation's view lists it.
    #[oai(status = 201)]
    Created(Json<ContactView>),
}

/// Something removed from the registry.
#[derive(Debug, ApiResponse)]
pub enum Removed {
    /// Removed.
    #[oai(status = 204)]
    NoContent,
}

/// Whether the caller may see the contacts' personal data: staff, or the organisation's own keys.
fn sees_contacts(principal: &Principal, organisation: OrganisationId) -> bool {
    principal.is_staff() || principal.organisation() == Some(organisation)
}

pub(super) fn service_view(service: &Service) -> ServiceView {
    ServiceView {
        id: service.id.0,
        organisation_id: service.organisation.0,
        name: service.name.clone(),
        availability: service.availability.clone(),
        max_unavailability_seconds: service.max_unavailability_seconds,
        minimum_assurance_level: service.minimum_assurance_level.into(),
    }
}

pub(super) fn contact_view(contact: &DesignatedContact, personal: bool) -> ContactView {
    ContactView {
        id: contact.id,
        name: contact.name.clone(),
        function: contact.function.clone(),
        email: personal.then(|| contact.email.expose().to_owned()),
        phone: contact
            .phone
            .as_ref()
            .filter(|_| personal)
            .map(|p| p.expose().to_owned()),
    }
}

pub(super) fn organisation_view(
    organisation: &Organisation,
    principal: &Principal,
) -> OrganisationView {
    let personal = sees_contacts(principal, organisation.id);
    OrganisationView {
        id: organisation.id.0,
        name: organisation.name.clone(),
        roles: organisation.roles.iter().map(|r| (*r).into()).collect(),
        services: organisation.services.iter().map(service_view).collect(),
        contacts: organisation
            .contacts
            .iter()
            .map(|c| contact_view(c, personal))
            .collect(),
        created_at: organisation.created_at.into(),
        updated_at: organisation.updated_at.into(),
    }
}
