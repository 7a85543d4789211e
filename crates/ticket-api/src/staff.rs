//! The staff directory: members with a handle (how tickets name them) and an email (where mails
//! about the tickets assigned to them go). Admins manage it; every staff role reads it, to assign.

use crate::ApiState;
use crate::ApiTag;
use crate::auth::ApiKeyAuth;
use crate::dto::Instant;
use crate::error::ApiError;
use crate::problem::FieldError;
use crate::registry::{Removed, check, valid};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use ticket_domain::values::{EmailAddress, StaffHandle};
use ticket_store::staff::StaffMember;

type Result<T> = std::result::Result<T, ApiError>;

/// A member of the operator's staff.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct StaffMemberView {
    /// How tickets name the member (`assignee`, history): 1 to 100 letters, digits, spaces or
    /// `. _ @ - +`.
    pub handle: String,
    /// Where mails about the tickets assigned to the member go.
    pub email: String,
    /// When the member was added.
    pub created_at: Instant,
    /// When the member last changed.
    pub updated_at: Instant,
}

/// The staff directory.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct StaffMemberList {
    /// Every member, by handle.
    pub items: Vec<StaffMemberView>,
    /// Always absent: the directory is listed whole.
    pub next_cursor: Option<String>,
}

/// Adding a member.
#[derive(Debug, Clone, Object)]
pub struct NewStaffMemberBody {
    /// The member's handle: 1 to 100 letters, digits, spaces or `. _ @ - +`; unique.
    pub handle: String,
    /// The member's email address.
    pub email: String,
}

/// Changing a member.
#[derive(Debug, Clone, Object)]
pub struct StaffMemberChangeBody {
    /// The member's new email address.
    pub email: String,
}

/// A member.
#[derive(Debug, ApiResponse)]
pub enum StaffMemberResponse {
    /// The member.
    #[oai(status = 200)]
    Ok(Json<StaffMemberView>),
}

/// A member just added.
#[derive(Debug, ApiResponse)]
pub enum StaffMemberCreated {
    /// The member was added.
    #[oai(status = 201)]
    Created(
        Json<StaffMemberView>,
        /// Where to read the member.
        #[oai(header = "Location")]
        String,
    ),
}

/// The directory.
#[derive(Debug, ApiResponse)]
pub enum StaffMemberListResponse {
    /// The list.
    #[oai(status = 200)]
    Ok(Json<StaffMemberList>),
}

fn view(member: &StaffMember) -> StaffMemberView {
    StaffMemberView {
        handle: member.handle.as_str().to_owned(),
        email: member.email.expose().to_owned(),
        created_at: member.created_at.into(),
        updated_at: member.updated_at.into(),
    }
}

/// A handle in a path: one that cannot be a handle names no member (404).
fn path_handle(text: &str) -> Result<StaffHandle> {
    StaffHandle::parse("handle", text).map_err(|_| ApiError::not_found("staff member"))
}

fn email(value: &str, errors: &mut Vec<FieldError>) -> Option<EmailAddress> {
    check(EmailAddress::parse("email", value), errors)
}

/// Staff directory.
#[derive(Debug, Clone, Copy, Default)]
pub struct StaffApi;

#[OpenApi(tag = "ApiTag::Staff")]
impl StaffApi {
    /// List staff members
    ///
    /// Staff only. Every member of the directory, by handle: whom a ticket may be assigned to.
    #[oai(
        path = "/api/v1/staff",
        method = "get",
        operation_id = "list_staff_members"
    )]
    async fn list(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
    ) -> Result<StaffMemberListResponse> {
        auth.0.require_staff()?;
        let members = state.store.list_staff_members().await?;
        Ok(StaffMemberListResponse::Ok(Json(StaffMemberList {
            items: members.iter().map(view).collect(),
            next_cursor: None,
        })))
    }

    /// Add a staff member
    ///
    /// Admin only. A member can then be assigned tickets, receives the mails about them, and can be
    /// given API keys (`staff_member` of a new key). 409 if the handle is taken.
    #[oai(
        path = "/api/v1/staff",
        method = "post",
        operation_id = "add_staff_member"
    )]
    async fn add(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        body: Json<NewStaffMemberBody>,
    ) -> Result<StaffMemberCreated> {
        let principal = &auth.0;
        principal.require_admin()?;
        let mut errors = Vec::new();
        let handle = check(StaffHandle::parse("handle", &body.0.handle), &mut errors);
        let email = email(&body.0.email, &mut errors);
        let (handle, email) = valid(errors, handle.zip(email))?;
        let member = state
            .store
            .add_staff_member(&handle, &email, state.clock.now())
            .await?;
        tracing::info!(key = %principal.key.id, "staff member added");
        Ok(StaffMemberCreated::Created(
            Json(view(&member)),
            format!("/api/v1/staff/{}", member.handle),
        ))
    }

    /// Read a staff member
    ///
    /// Staff only.
    #[oai(
        path = "/api/v1/staff/:handle",
        method = "get",
        operation_id = "get_staff_member"
    )]
    async fn get(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// The member's handle.
        handle: Path<String>,
    ) -> Result<StaffMemberResponse> {
        auth.0.require_staff()?;
        let member = state
            .store
            .get_staff_member(&path_handle(&handle.0)?)
            .await?;
        Ok(StaffMemberResponse::Ok(Json(view(&member))))
    }

    /// Change a staff member's email
    ///
    /// Admin only. Mails not yet sent go to the new address.
    #[oai(
        path = "/api/v1/staff/:handle",
        method = "put",
        operation_id = "update_staff_member"
    )]
    async fn update(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// The member's handle.
        handle: Path<String>,
        body: Json<StaffMemberChangeBody>,
    ) -> Result<StaffMemberResponse> {
        let principal = &auth.0;
        principal.require_admin()?;
        let handle = path_handle(&handle.0)?;
        let mut errors = Vec::new();
        let email = email(&body.0.email, &mut errors);
        let email = valid(errors, email)?;
        let member = state
            .store
            .update_staff_member(&handle, &email, state.clock.now())
            .await?;
        tracing::info!(key = %principal.key.id, "staff member changed");
        Ok(StaffMemberResponse::Ok(Json(view(&member))))
    }

    /// Remove a staff member
    ///
    /// Admin only. The member's API keys are revoked in the same transaction: they stop working
    /// on every replica as soon as the removal commits (401 afterwards). Tickets assigned to the
    /// member keep the handle, as their history does.
    #[oai(
        path = "/api/v1/staff/:handle",
        method = "delete",
        operation_id = "remove_staff_member"
    )]
    async fn remove(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// The member's handle.
        handle: Path<String>,
    ) -> Result<Removed> {
        let principal = &auth.0;
        principal.require_admin()?;
        let revoked = state
            .store
            .remove_staff_member(&path_handle(&handle.0)?, state.clock.now())
            .await?;
        tracing::info!(
            key = %principal.key.id,
            keys_revoked = revoked.len(),
            "staff member removed"
        );
        Ok(Removed::NoContent)
    }
}
