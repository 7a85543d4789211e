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
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use ticket_domain::values::{OrganisationId, StaffHandle, Text};
use ticket_store::StoreError;
use ticket_store::keys::{ApiKey, Expiry, KeyScope, MAX_KEY_NAME, NewKey};
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
    /// When the key stops working (401 `api-key-expired` afterwards); absent only on a machine
    /// key made non-expiring.
    pub expires_at: Option<Instant>,
    /// The key serves a program, not a person.
    pub machine: bool,
    /// When the key was last given a new secret.
    pub rotated_at: Option<Instant>,
    /// Until when the secret the key had before its last rotation still works.
    pub previous_valid_until: Option<Instant>,
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
    /// Every key, revoked ones included, newest first; with `expiring_within_days`, the active
    /// keys expiring within that many days (or already expired), the soonest first.
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
    /// caller then acts as that member (`assignee=me`, history). Required for a staff key unless
    /// it is a `machine` key.
    pub staff_member: Option<String>,
    /// The key serves a program (a monitoring probe, a partner's system), not a person. Only a
    /// machine key may be `non_expiring`, and only a machine staff key may belong to no member.
    #[oai(default)]
    pub machine: bool,
    /// A machine key that never expires. Not with `expires_at`.
    #[oai(default)]
    pub non_expiring: bool,
    /// When the key stops working: in the future, at most the policy's maximum lifetime
    /// (`keys.max_lifetime_days`) from now. Default: the policy's lifetime
    /// (`keys.default_lifetime_days`) from now.
    pub expires_at: Option<Instant>,
}

/// Rotating an API key.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RotateApiKeyBody {
    /// How long the key's current secret keeps working, in seconds (0 ends it now), at most the
    /// policy's `keys.max_rotation_grace_seconds`, and never past the key's current expiry.
    /// Default: `keys.rotation_grace_seconds`. A secret replaced by an earlier rotation stops
    /// working at once. At most 30 days, the largest maximum a policy may set.
    #[oai(validator(maximum(value = "2592000")))]
    pub grace_seconds: Option<u32>,
    /// When the key stops working from now on (same rules as at creation). Default: the policy's
    /// lifetime from now; a non-expiring machine key stays non-expiring.
    pub expires_at: Option<Instant>,
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

/// An API key given a new secret.
#[derive(Debug, ApiResponse)]
pub enum ApiKeyRotated {
    /// The key with its new `secret`, shown this once; the old one works until
    /// `previous_valid_until`.
    #[oai(status = 200)]
    Ok(
        Json<CreatedApiKeyView>,
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
        expires_at: key.expires_at.map(Into::into),
        machine: key.machine,
        rotated_at: key.rotated_at.map(Into::into),
        previous_valid_until: key.previous_valid_until.map(Into::into),
    }
}

/// The expiry asked for by a creation or a rotation, or the field errors it makes.
fn requested_expiry(
    non_expiring: bool,
    machine: bool,
    expires_at: Option<&Instant>,
    errors: &mut Vec<FieldError>,
) -> Expiry {
    match (non_expiring, expires_at) {
        (true, Some(_)) => {
            errors.push(FieldError {
                field: "expires_at".to_owned(),
                rule: "key_expiry".to_owned(),
                message: "a non-expiring key has no `expires_at`".to_owned(),
            });
            Expiry::Never
        }
        (true, None) => {
            if !machine {
                errors.push(FieldError {
                    field: "non_expiring".to_owned(),
                    rule: "machine_key".to_owned(),
                    message: "only a machine key (`machine: true`) may be non-expiring".to_owned(),
                });
            }
            Expiry::Never
        }
        (false, Some(at)) => Expiry::At(at.0),
        (false, None) => Expiry::Policy,
    }
}

/// A refusal of the store on a key's expiry or grace as 422 naming the field.
fn store_refusal(error: StoreError) -> ApiError {
    match error {
        StoreError::Refused(refusal) if !refusal.errors.is_empty() => ApiError::invalid(
            refusal
                .errors
                .into_iter()
                .map(|e| FieldError {
                    field: e.field,
                    rule: e.rule,
                    message: e.message,
                })
                .collect(),
        ),
        other => other.into(),
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
) -> Result<(String, KeyScope, Option<StaffHandle>, Expiry)> {
    let mut errors = Vec::new();
    let expiry = requested_expiry(
        body.non_expiring,
        body.machine,
        body.expires_at.as_ref(),
        &mut errors,
    );
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
    // A person's staff key belongs to their entry in the directory, so that removing them
    // disables it; a staff key of no one is a program's, and says so.
    if body.staff_member.is_none()
        && !body.machine
        && body.role.is_some_and(|role| role != RoleDto::MailGateway)
    {
        errors.push(FieldError {
            field: "staff_member".to_owned(),
            rule: "member_or_machine".to_owned(),
            message: "a staff key belongs to a member of the staff directory (`staff_member`), \
                      or is a program's (`machine: true`)"
                .to_owned(),
        });
    }
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
    valid(errors, checked).map(|(name, scope)| (name, scope, member, expiry))
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
    /// recognise it; never a secret. The list is whole: `next_cursor` is always absent. With
    /// `expiring_within_days`, only the keys to renew: active keys expiring within that many days
    /// or already expired, the soonest first.
    #[oai(
        path = "/api/v1/api-keys",
        method = "get",
        operation_id = "list_api_keys"
    )]
    async fn list_api_keys(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Only the active keys expiring within this many days (or already expired), soonest
        /// first; 0 lists those already expired.
        #[oai(validator(minimum(value = "0"), maximum(value = "3650")))]
        expiring_within_days: Query<Option<u32>>,
    ) -> Result<ApiKeyListResponse> {
        auth.0.require_admin()?;
        let keys = match expiring_within_days.0 {
            Some(days) => {
                state
                    .store
                    .list_expiring_api_keys(
                        chrono::TimeDelta::days(i64::from(days)),
                        state.clock.now(),
                    )
                    .await?
            }
            None => state.store.list_api_keys().await?,
        };
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
        let (name, scope, member, expiry) = parse_new_key(&state, &body.0).await?;
        let created = state
            .store
            .create_key(
                NewKey {
                    name: &name,
                    scope,
                    member: member.as_ref(),
                    machine: body.0.machine,
                    expiry,
                },
                state.clock.now(),
            )
            .await;
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
            Err(other) => return Err(store_refusal(other)),
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

    /// Rotate an API key
    ///
    /// Admin only. Gives the key a new secret, answered this once, and a new expiry. The old
    /// secret keeps working for a grace period (`grace_seconds`), so the program or person holding
    /// it can switch without an outage; past it, the old secret is 401 `api-key-replaced`. A
    /// revoked key cannot be rotated (409).
    #[oai(
        path = "/api/v1/api-keys/:id/rotate",
        method = "post",
        operation_id = "rotate_api_key"
    )]
    async fn rotate_api_key(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// API key id.
        id: Path<Uuid>,
        body: Json<RotateApiKeyBody>,
    ) -> Result<ApiKeyRotated> {
        let principal = &auth.0;
        principal.require_admin()?;
        let mut errors = Vec::new();
        let expiry = requested_expiry(false, false, body.0.expires_at.as_ref(), &mut errors);
        valid(errors, Some(()))?;
        let grace = body
            .0
            .grace_seconds
            .map(|s| chrono::TimeDelta::seconds(i64::from(s)));
        let rotated = state
            .store
            .rotate_api_key(id.0, grace, expiry, state.clock.now())
            .await;
        let (key, secret) = match rotated {
            Ok(rotated) => rotated,
            Err(StoreError::InUse(_)) => {
                return Err(ApiError::from_problem(crate::problem::Problem::new(
                    poem::http::StatusCode::CONFLICT,
                    "api-key-revoked",
                    "Revoked",
                    "This key was revoked: a revocation is final. Create a new key.",
                )));
            }
            Err(other) => return Err(store_refusal(other)),
        };
        tracing::info!(api_key = %key.id, by = %principal.key.id, "api key rotated");
        Ok(ApiKeyRotated::Ok(
            Json(CreatedApiKeyView {
                key: key_view(&key),
                secret,
            }),
            "no-store".to_owned(),
        ))
    }
}
