//! Authentication by `Authorization: Bearer <key>`: the key names a staff role or a partner
//! organisation, and becomes the domain's [`Actor`].

use crate::ApiState;
use crate::error::ApiError;
use crate::problem::Problem;
use poem::Request;
use poem::http::StatusCode;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;
use ticket_domain::actor::{Actor, Role};
use ticket_domain::values::{OrganisationId, StaffHandle};
use ticket_store::keys::{ApiKey, KeyScope};

/// Who is calling: the key and the actor it stands for.
#[derive(Debug, Clone)]
pub struct Principal {
    pub key: ApiKey,
    pub actor: Actor,
}

impl Principal {
    fn new(key: ApiKey) -> Self {
        let actor = match &key.scope {
            KeyScope::Staff { role } => Actor::Staff {
                // A key of a member acts as that member; other staff key names are checked as
                // handles when the key is created.
                handle: StaffHandle::sanitised(key.staff_member.as_deref().unwrap_or(&key.name)),
                role: *role,
            },
            KeyScope::Partner { organisation } => Actor::Partner {
                organisation: *organisation,
                key_name: key.name.clone(),
            },
        };
        Self { key, actor }
    }

    pub fn role(&self) -> Option<Role> {
        self.actor.role()
    }

    /// The staff member the key belongs to, if any (`assignee=me`).
    pub fn member(&self) -> Option<StaffHandle> {
        self.key
            .staff_member
            .as_deref()
            .and_then(|m| StaffHandle::parse("staff_member", m).ok())
    }

    pub fn is_staff(&self) -> bool {
        matches!(self.actor, Actor::Staff { .. })
    }

    pub fn organisation(&self) -> Option<OrganisationId> {
        self.actor.organisation()
    }

    /// Admins manage keys and the registry.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.role() == Some(Role::Admin) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "admin-role-required",
                "Only an admin key may do this.",
            ))
        }
    }

    /// Staff of any role (not partners).
    pub fn require_staff(&self) -> Result<(), ApiError> {
        if self.is_staff() {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "staff-only",
                "Only the operator's staff may do this.",
            ))
        }
    }
}

/// An API key, sent as `Authorization: Bearer <key>`.
#[derive(Debug, SecurityScheme)]
#[oai(ty = "bearer", checker = "check_key")]
pub struct ApiKeyAuth(pub Principal);

async fn check_key(request: &Request, bearer: Bearer) -> poem::Result<Principal> {
    let state = request.data::<ApiState>().ok_or_else(|| {
        tracing::error!("the API state is missing from the request");
        poem::Error::from(Problem::internal())
    })?;
    match state
        .store
        .authenticate(&bearer.token, state.clock.now())
        .await
    {
        Ok(Some(key)) => Ok(Principal::new(key)),
        Ok(None) => Err(Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Unauthenticated",
            "This API key is unknown or revoked.",
        )
        .into()),
        Err(error) => Err(poem::Error::from(problem_of(error))),
    }
}

fn problem_of(error: ticket_store::StoreError) -> Problem {
    match ApiError::from(error) {
        ApiError::Unavailable(problem, _) => problem.0,
        _ => Problem::internal(),
    }
}
