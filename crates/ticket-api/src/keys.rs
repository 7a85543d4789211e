//! API keys, managed by admins: a staff key carries a role, a partner key an organisation.
//!
//! A key's secret is shown once, in the answer to its creation; the store keeps only its SHA-256
//! and its first characters (`prefix`), which is all a list or a read shows.

use crate::ApiState;
use crate::ApiTag;
use crate::auth::ApiKeyAuth;
use crate::dto::Instant;
use crate::dto::RoleDto;
use crate::error::ApiError;
use crate::problem::FieldError;
use crate::registry::{check, valid};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use ticket_domain::values::{OrganisationId, StaffHandle, Text};
use ticket_store::StoreError;
use ticket_store::keys::{ApiKey, KeyScope, MAX_KEY_NAME};
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

/// An API key, without its secret.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ApiKeyView {
    /// Key id.
    pub id: Uuid,
    /// Who holds the key. For a staff key, the staff member's handle, as tickets' history
    /// records it.
    pub name: String,
    /// The key's first 12 characters (`tkd_` and 8 more), to recognise it; not enough to use it.
    pub prefix: String,
    /// A staff key's role; absent for a partner key.
    pub role: Option<RoleDto>,
    /// A partner key's organisation; absent for a staff key.
    pub organisation_id: Option<Uuid>,
    /// When the key was created.
    pub created_at: Instant,
    /// When the key was revoked; absent while it is active.
    pub revoked_at: Option<Instant>,
    /// When the key last authenticated, to the minute; absent if it never did.
    pub last_used_at: Option<Instant>,
    /// The staff member a staff key belongs to: the caller acts as that member.
    pub staff_member: Option<String>,
}

/// An API key just created, with its secret.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CreatedApiKeyView {
    /// The key.
    #[oai(flatten)]
    pub key: ApiKeyView,
    /// The key itself, to send as `Authorization: Bearer <secret>`. Shown this once: the service
    /// keeps only its SHA-256 and cannot show it again.
    pub secret: String,
}

/// The API keys.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ApiKeyList {
    /// Every key, revoked ones included, newest first.
    pub items: Vec<ApiKeyView>,
    /// Always absent: the keys are few and listed whole.
    pub next_cursor: Option<String>,
}

/// Creating an API key: give `role` for a staff key or `organisation_id` for a partner key,
/// exactly one of them.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct NewApiKeyBody {
    /// Who holds the key. For a staff key, the staff member's handle as tickets' history will
    /// record it: 1 to 100 letters, digits, spaces or `. _ @ - +`. For a partner key, 1 to 100
    /// characters.
    pub name: String,
    /// The role of a staff key.
    pub role: Option<RoleDto>,
    /// The organisation of a partner key.
    pub organisation_id: Option<Uuid>,
    /// A staff key only: the member of the staff directory it belongs to (their handle). The
    /// caller then acts as that member (`assignee=me`, history).
    pub staff_member: Option<String>,
}

/// An API key.
#[derive(Debug, ApiResponse)]
pub enum ApiKeyResponse {
    /// The key, without its secret.
    #[oai(status = 200)]
    Ok(Json<ApiKeyView>),
}

/// An API key just created.
#[derive(Debug, ApiResponse)]
pub enum ApiKeyCreated {
    /// The key was created; `secret` is shown this once.
    #[oai(status = 201)]
    Created(
        Json<CreatedApiKeyView>,
        /// Where to read the key (without its secret).
        #[oai(header = "Location")]
        String,
        /// `no-store`: the body holds a secret that no cache may keep.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

/// The API keys.
#[derive(Debug, ApiResponse)]
pub enum ApiKeyListResponse {
    /// The list.
    #[oai(status = 200)]
    Ok(Json<ApiKeyList>),
}

fn key_view(key: &ApiKey) -> ApiKeyView {
    let (role, organisation_id) = match key.scope {
        KeyScope::Staff { role } => (Some(role.into()), None),
        KeyScope::Partner { organisation } => (None, Some(organisation.0)),
        KeyScope::MailGateway => (Some(RoleDto::MailGateway), None),
    };
    ApiKeyView {
        id: key.id,
        name: key.name.clone(),
        prefix: key.prefix.clone(),
        role,
        organisation_id,
        created_at: key.created_at.into(),
        revoked_at: key.revoked_at.map(Into::into),
        last_used_at: key.last_used_at.map(Into::into),
        staff_member: key.staff_member.clone(),
    }
}

fn unregistered_organisation() -> FieldError {
    FieldError {
        field: "organisation_id".to_owned(),
        rule: "registered_organisation".to_owned(),
        message: "no organisation of the registry has this id".to_owned(),
    }
}

/// The key's name and scope, or 422 naming every invalid field.
async fn parse_new_key(
    state: &ApiState,
    body: &NewApiKeyBody,
) -> Result<(String, KeyScope, Option<StaffHandle>)> {
    let mut errors = Vec::new();
    let member = match (&body.staff_member, body.role) {
        (None, _) => None,
        (Some(_), Some(RoleDto::MailGateway)) => {
            errors.push(FieldError {
                field: "staff_member".to_owned(),
                rule: "staff_key".to_owned(),
                message: "a mail gateway key belongs to no staff member".to_owned(),
            });
            None
        }
        (Some(handle), Some(_)) => {
            let handle = StaffHandle::parse("staff_member", handle).ok();
            let known = match &handle {
                Some(h) => match state.store.get_staff_member(h).await {
                    Ok(_) => true,
                    Err(StoreError::NotFound(_)) => false,
                    Err(other) => return Err(other.into()),
                },
                None => false,
            };
            if !known {
                errors.push(unknown_member());
            }
            handle
        }
        (Some(_), None) => {
            errors.push(FieldError {
                field: "staff_member".to_owned(),
                rule: "staff_key".to_owned(),
                message: "only a staff key (with a `role`) belongs to a staff member".to_owned(),
            });
            None
        }
    };
    let checked = match (body.role, body.organisation_id) {
        (Some(role), None) => check(StaffHandle::parse("name", &body.name), &mut errors)
            .map(|handle| (handle.as_str().to_owned(), role.scope())),
        (None, Some(organisation)) => {
            let name = check(Text::parse("name", &body.name, MAX_KEY_NAME), &mut errors);
            let organisation = OrganisationId(organisation);
            match state.store.get_organisation(organisation).await {
                Ok(_) => {}
                Err(StoreError::NotFound(_)) => errors.push(unregistered_organisation()),
                Err(other) => return Err(other.into()),
            }
            name.map(|name| (name.as_str().to_owned(), KeyScope::Partner { organisation }))
        }
        _ => {
            for field in ["role", "organisation_id"] {
                errors.push(FieldError {
                    field: field.to_owned(),
                    rule: "exactly_one".to_owned(),
                    message: "give exactly one of `role` (a staff key) and `organisation_id` \
                              (a partner key)"
                        .to_owned(),
                });
            }
            None
        }
    };
    valid(errors, checked).map(|(name, scope)| (name, scope, member))
}

fn unknown_member() -> FieldError {
    FieldError {
        field: "staff_member".to_owned(),
        rule: "staff_member".to_owned(),
        message: "no member of the staff directory has this handle".to_owned(),
    }
}

/// API keys.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeysApi;

#[OpenApi(tag = "ApiTag::Keys")]
impl KeysApi {
    /// List API keys
    ///
    /// Admin only. Every key, revoked ones included, newest first, each with its `prefix` to
    /// recognise it; never a secret. The list is whole: `next_cursor` is always absent.
    #[oai(
        path = "/api/v1/api-keys",
        method = "get",
        operation_id = "list_api_keys"
    )]
    async fn list_api_keys(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
    ) -> Result<ApiKeyListResponse> {
        auth.0.require_admin()?;
        let keys = state.store.list_api_keys().await?;
        Ok(ApiKeyListResponse::Ok(Json(ApiKeyList {
            items: keys.iter().map(key_view).collect(),
            next_cursor: None,
        })))
    }

    /// Create an API key
    ///
    /// Admin only. `{name, role}` makes a staff key (its name is the staff member's handle in
    /// tickets' history); `{name, organisation_id}` makes a partner key, which acts for that
    /// organisation only. The answer holds the key's `secret`, shown this once.
    #[oai(
        path = "/api/v1/api-keys",
        method = "post",
        operation_id = "create_api_key"
    )]
    async fn create_api_key(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        body: Json<NewApiKeyBody>,
    ) -> Result<ApiKeyCreated> {
        let principal = &auth.0;
        principal.require_admin()?;
        let (name, scope, member) = parse_new_key(&state, &body.0).await?;
        let created = match (&member, scope) {
            (Some(member), KeyScope::Staff { role }) => {
                state
                    .store
                    .create_member_api_key(&name, member, role, state.clock.now())
                    .await
            }
            _ => {
                state
                    .store
                    .create_api_key(&name, scope, state.clock.now())
                    .await
            }
        };
        let (key, secret) = match created {
            Ok(created) => created,
            // The member was removed since it was checked.
            Err(StoreError::NotFound("staff member")) => {
                return Err(ApiError::invalid(vec![unknown_member()]));
            }
            // The organisation was removed since it was checked.
            Err(StoreError::NotFound(_)) => {
                return Err(ApiError::invalid(vec![unregistered_organisation()]));
            }
            Err(other) => return Err(other.into()),
        };
        tracing::info!(api_key = %key.id, by = %principal.key.id, "api key created");
        Ok(ApiKeyCreated::Created(
            Json(CreatedApiKeyView {
                key: key_view(&key),
                secret,
            }),
            format!("/api/v1/api-keys/{}", key.id),
            "no-store".to_owned(),
        ))
    }

    /// Read an API key
    ///
    /// Admin only. The key with its `prefix`, never its secret.
    #[oai(
        path = "/api/v1/api-keys/:id",
        method = "get",
        operation_id = "get_api_key"
    )]
    async fn get_api_key(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// API key id.
        id: Path<Uuid>,
    ) -> Result<ApiKeyResponse> {
        auth.0.require_admin()?;
        let key = state.store.get_api_key(id.0).await?;
        Ok(ApiKeyResponse::Ok(Json(key_view(&key))))
    }

    /// Revoke an API key
    ///
    /// Admin only. The key no longer authenticates (401). Idempotent: revoking a revoked key
    /// answers it unchanged, with its first revocation instant.
    #[oai(
        path = "/api/v1/api-keys/:id/revoke",
        method = "post",
        operation_id = "revoke_api_key"
    )]
    async fn revoke_api_key(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// API key id.
        id: Path<Uuid>,
    ) -> Result<ApiKeyResponse> {
        let principal = &auth.0;
        principal.require_admin()?;
        let key = state.store.revoke_api_key(id.0, state.clock.now()).await?;
        tracing::info!(api_key = %key.id, by = %principal.key.id, "api key revoked");
        Ok(ApiKeyResponse::Ok(Json(key_view(&key))))
    }
}
