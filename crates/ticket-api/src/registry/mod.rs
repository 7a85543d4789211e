//! The trust-sphere registry: organisations, their services and their designated contacts.
//!
//! Staff read the whole registry (they declare incidents on any organisation's services); a partner
//! key reads only its own organisation, and any other answers 404 so that the registry's membership
//! does not leak between partners. Only admins change it. Contacts' emails and phones are personal
//! data: shown to staff and to the organisation's own keys, never logged.

mod views;

pub use views::{
    ContactCreated, ContactView, NewContactBody, NewOrganisationBody, NewServiceBody,
    OrganisationChanges, OrganisationCreated, OrganisationList, OrganisationListResponse,
    OrganisationResponse, OrganisationView, Removed, ServiceCreated, ServiceView,
};

use crate::ApiState;
use crate::ApiTag;
use crate::auth::{ApiKeyAuth, Principal};
use crate::dto::OrganisationRoleDto;
use crate::error::ApiError;
use crate::problem::FieldError;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use ticket_domain::values::{
    EmailAddress, OrganisationId, PhoneNumber, SHORT_TEXT, ServiceId, Text,
};
use ticket_store::registry::{
    NewContact, NewOrganisation, NewService, Organisation, OrganisationRole, validate_roles,
};
use uuid::Uuid;
use views::{contact_view, organisation_view, service_view};

type Result<T> = std::result::Result<T, ApiError>;

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
