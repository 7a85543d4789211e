//! The trust-sphere registry: organisations, their services and their designated contacts.
//!
//! Staff read the whole registry (they declare incidents on any organisation's services); a partner
//! key reads only its own organisation, and any other answers 404 so that the registry's membership
//! does not leak between partners. Only admins change it. Contacts' emails and phones are personal
//! data: shown to staff and to the organisation's own keys, never logged.

use crate::ApiState;
use crate::ApiTag;
use crate::auth::{ApiKeyAuth, Principal};
use crate::dto::Instant;
use crate::dto::{AssuranceLevelDto, OrganisationRoleDto};
use crate::error::ApiError;
use crate::problem::FieldError;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use ticket_domain::values::{
    EmailAddress, OrganisationId, PhoneNumber, SHORT_TEXT, ServiceId, Text,
};
use ticket_store::registry::{
    DesignatedContact, NewContact, NewOrganisation, NewService, Organisation, OrganisationRole,
    Service, validate_roles,
};
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

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

/// Keeps a parsed value, or records why it is invalid, so that one answer names every invalid
/// field.
pub(crate) fn check<T>(
    result: std::result::Result<T, ticket_domain::values::FieldError>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    result.map_err(|error| errors.push(error.into())).ok()
}

/// 422 naming every invalid field, or the values when there is none.
pub(crate) fn valid<T>(errors: Vec<FieldError>, values: Option<T>) -> Result<T> {
    match values {
        Some(values) if errors.is_empty() => Ok(values),
        _ => Err(ApiError::invalid(errors)),
    }
}

fn roles(roles: &[OrganisationRoleDto]) -> Vec<OrganisationRole> {
    roles.iter().map(|r| OrganisationRole::from(*r)).collect()
}

fn check_roles(roles: &[OrganisationRole], errors: &mut Vec<FieldError>) {
    if let Err(broken) = validate_roles(roles) {
        errors.extend(broken.into_iter().map(FieldError::from));
    }
}

/// Whether the caller may see the contacts' personal data: staff, or the organisation's own keys.
fn sees_contacts(principal: &Principal, organisation: OrganisationId) -> bool {
    principal.is_staff() || principal.organisation() == Some(organisation)
}

fn service_view(service: &Service) -> ServiceView {
    ServiceView {
        id: service.id.0,
        organisation_id: service.organisation.0,
        name: service.name.clone(),
        availability: service.availability.clone(),
        max_unavailability_seconds: service.max_unavailability_seconds,
        minimum_assurance_level: service.minimum_assurance_level.into(),
    }
}

fn contact_view(contact: &DesignatedContact, personal: bool) -> ContactView {
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

fn organisation_view(organisation: &Organisation, principal: &Principal) -> OrganisationView {
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

/// The organisation if the caller may see it: staff see all, a partner its own; 404 otherwise.
async fn visible_organisation(
    state: &ApiState,
    principal: &Principal,
    id: Uuid,
) -> Result<Organisation> {
    let id = OrganisationId(id);
    if principal.organisation().is_some_and(|own| own != id) {
        return Err(ApiError::not_found("organisation"));
    }
    Ok(state.store.get_organisation(id).await?)
}

/// The trust-sphere registry.
#[derive(Debug, Clone, Copy, Default)]
pub struct RegistryApi;

#[OpenApi(tag = "ApiTag::Registry")]
impl RegistryApi {
    /// List organisations
    ///
    /// Staff see every organisation of the trust sphere; a partner key sees its own. Each comes
    /// with its services and designated contacts. The list is whole: `next_cursor` is always
    /// absent.
    #[oai(
        path = "/api/v1/organisations",
        method = "get",
        operation_id = "list_organisations"
    )]
    async fn list_organisations(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
    ) -> Result<OrganisationListResponse> {
        let principal = &auth.0;
        let organisations = match principal.organisation() {
            Some(own) => vec![state.store.get_organisation(own).await?],
            None => {
                principal.require_staff()?;
                state.store.list_organisations().await?
            }
        };
        Ok(OrganisationListResponse::Ok(Json(OrganisationList {
            items: organisations
                .iter()
                .map(|o| organisation_view(o, principal))
                .collect(),
            next_cursor: None,
        })))
    }

    /// Register an organisation
    ///
    /// Admin only. The name is unique in the registry (409 `duplicate` otherwise); services and
    /// contacts are added afterwards.
    #[oai(
        path = "/api/v1/organisations",
        method = "post",
        operation_id = "create_organisation"
    )]
    async fn create_organisation(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        body: Json<NewOrganisationBody>,
    ) -> Result<OrganisationCreated> {
        let principal = &auth.0;
        principal.require_admin()?;
        let mut errors = Vec::new();
        let name = check(Text::parse("name", &body.0.name, SHORT_TEXT), &mut errors);
        let roles = roles(&body.0.roles);
        check_roles(&roles, &mut errors);
        let name = valid(errors, name)?;
        let created = state
            .store
            .create_organisation(NewOrganisation { name, roles }, state.clock.now())
            .await?;
        tracing::info!(
            organisation = %created.id, key = %principal.key.id,
            "organisation registered"
        );
        Ok(OrganisationCreated::Created(
            Json(organisation_view(&created, principal)),
            format!("/api/v1/organisations/{}", created.id),
        ))
    }

    /// Read an organisation
    ///
    /// With its services and designated contacts. Staff read any organisation; a partner key reads
    /// its own, and gets 404 for any other.
    #[oai(
        path = "/api/v1/organisations/:id",
        method = "get",
        operation_id = "get_organisation"
    )]
    async fn get_organisation(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Organisation id.
        id: Path<Uuid>,
    ) -> Result<OrganisationResponse> {
        let organisation = visible_organisation(&state, &auth.0, id.0).await?;
        Ok(OrganisationResponse::Ok(Json(organisation_view(
            &organisation,
            &auth.0,
        ))))
    }

    /// Change an organisation
    ///
    /// Admin only. Renames it and/or replaces its roles; give at least one of `name` and `roles`.
    /// Services and contacts have their own operations.
    #[oai(
        path = "/api/v1/organisations/:id",
        method = "patch",
        operation_id = "update_organisation"
    )]
    async fn update_organisation(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Organisation id.
        id: Path<Uuid>,
        body: Json<OrganisationChanges>,
    ) -> Result<OrganisationResponse> {
        let principal = &auth.0;
        principal.require_admin()?;
        let changes = body.0;
        let mut errors = Vec::new();
        if changes.name.is_none() && changes.roles.is_none() {
            errors.push(FieldError {
                field: "body".to_owned(),
                rule: "min_properties".to_owned(),
                message: "give `name`, `roles` or both".to_owned(),
            });
        }
        // `Some(None)`: the name is kept; `None`: the new name is invalid.
        let name = match changes.name.as_deref() {
            Some(name) => check(Text::parse("name", name, SHORT_TEXT), &mut errors).map(Some),
            None => Some(None),
        };
        let roles = changes.roles.as_deref().map(roles);
        if let Some(roles) = &roles {
            check_roles(roles, &mut errors);
        }
        let name = valid(errors, name)?;
        let updated = state
            .store
            .update_organisation(OrganisationId(id.0), name, roles, state.clock.now())
            .await?;
        tracing::info!(organisation = %updated.id, key = %principal.key.id, "organisation changed");
        Ok(OrganisationResponse::Ok(Json(organisation_view(
            &updated, principal,
        ))))
    }

    /// Remove an organisation
    ///
    /// Admin only. Removes it with its services and contacts. Refused with 409 `in-use` while
    /// tickets concern it (they are evidence) or while an active API key is scoped to it (revoke
    /// the key first).
    #[oai(
        path = "/api/v1/organisations/:id",
        method = "delete",
        operation_id = "delete_organisation"
    )]
    async fn delete_organisation(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Organisation id.
        id: Path<Uuid>,
    ) -> Result<Removed> {
        let principal = &auth.0;
        principal.require_admin()?;
        state
            .store
            .delete_organisation(OrganisationId(id.0))
            .await?;
        tracing::info!(organisation = %id.0, key = %principal.key.id, "organisation removed");
        Ok(Removed::NoContent)
    }

    /// Add a service
    ///
    /// Admin only. A service has an availability window, optionally a maximum unavailability (in
    /// seconds, more than 0), and the minimum identification/authentication level it requires.
    #[oai(
        path = "/api/v1/organisations/:id/services",
        method = "post",
        operation_id = "add_service"
    )]
    async fn add_service(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Organisation id.
        id: Path<Uuid>,
        body: Json<NewServiceBody>,
    ) -> Result<ServiceCreated> {
        let principal = &auth.0;
        principal.require_admin()?;
        let request = body.0;
        let mut errors = Vec::new();
        let name = check(Text::parse("name", &request.name, SHORT_TEXT), &mut errors);
        let availability = check(
            Text::parse("availability", &request.availability, SHORT_TEXT),
            &mut errors,
        );
        let new = name
            .zip(availability)
            .map(|(name, availability)| NewService {
                name,
                availability,
                max_unavailability_seconds: request.max_unavailability_seconds,
                minimum_assurance_level: request.minimum_assurance_level.into(),
            });
        if let Some(Err(broken)) = new.as_ref().map(NewService::validate) {
            errors.extend(broken.into_iter().map(FieldError::from));
        }
        let new = valid(errors, new)?;
        let service = state
            .store
            .add_service(OrganisationId(id.0), new, state.clock.now())
            .await?;
        tracing::info!(
            organisation = %id.0, service = %service.id, key = %principal.key.id,
            "service added"
        );
        Ok(ServiceCreated::Created(Json(service_view(&service))))
    }

    /// Remove a service
    ///
    /// Admin only. Tickets already opened on the service keep what they recorded of it.
    #[oai(
        path = "/api/v1/organisations/:id/services/:service_id",
        method = "delete",
        operation_id = "remove_service"
    )]
    async fn remove_service(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Organisation id.
        id: Path<Uuid>,
        /// Service id.
        service_id: Path<Uuid>,
    ) -> Result<Removed> {
        let principal = &auth.0;
        principal.require_admin()?;
        state
            .store
            .remove_service(OrganisationId(id.0), ServiceId(service_id.0))
            .await?;
        tracing::info!(
            organisation = %id.0, service = %service_id.0, key = %principal.key.id,
            "service removed"
        );
        Ok(Removed::NoContent)
    }

    /// Designate a contact
    ///
    /// Admin only. The service writes to the organisation's designated contacts (a person or a
    /// team, with a function, an email and optionally a phone).
    #[oai(
        path = "/api/v1/organisations/:id/contacts",
        method = "post",
        operation_id = "add_contact"
    )]
    async fn add_contact(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Organisation id.
        id: Path<Uuid>,
        body: Json<NewContactBody>,
    ) -> Result<ContactCreated> {
        let principal = &auth.0;
        principal.require_admin()?;
        let request = body.0;
        let mut errors = Vec::new();
        let name = check(Text::parse("name", &request.name, SHORT_TEXT), &mut errors);
        let function = check(
            Text::parse("function", &request.function, SHORT_TEXT),
            &mut errors,
        );
        let email = check(EmailAddress::parse("email", &request.email), &mut errors);
        let phone = match request.phone.as_deref() {
            Some(phone) => check(PhoneNumber::parse("phone", phone), &mut errors).map(Some),
            None => Some(None),
        };
        let new = valid(
            errors,
            name.zip(function)
                .zip(email)
                .zip(phone)
                .map(|(((name, function), email), phone)| NewContact {
                    name,
                    function,
                    email,
                    phone,
                }),
        )?;
        let contact = state
            .store
            .add_contact(OrganisationId(id.0), new, state.clock.now())
            .await?;
        tracing::info!(
            organisation = %id.0, contact = %contact.id, key = %principal.key.id,
            "contact designated"
        );
        Ok(ContactCreated::Created(Json(contact_view(&contact, true))))
    }

    /// Remove a contact
    ///
    /// Admin only. The service no longer writes to this contact.
    #[oai(
        path = "/api/v1/organisations/:id/contacts/:contact_id",
        method = "delete",
        operation_id = "remove_contact"
    )]
    async fn remove_contact(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Organisation id.
        id: Path<Uuid>,
        /// Contact id.
        contact_id: Path<Uuid>,
    ) -> Result<Removed> {
        let principal = &auth.0;
        principal.require_admin()?;
        state
            .store
            .remove_contact(OrganisationId(id.0), contact_id.0)
            .await?;
        tracing::info!(
            organisation = %id.0, contact = %contact_id.0, key = %principal.key.id,
            "contact removed"
        );
        Ok(Removed::NoContent)
    }
}
