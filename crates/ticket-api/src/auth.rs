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
use ticket_store::keys::{ApiKey, KeyCheck, KeyScope};

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
            // Never reaches an operation but mail delivery ([`check_key`]), which acts as no
            // one: the inbox decides who a mail speaks for.
            KeyScope::MailGateway => Actor::System,
        };
        Self { key, actor }
    }

    /// A browser session's member, acting with the session's role (issue 30): the same as a key
    /// of that member and role. The session's id stands where a key's id is recorded.
    pub fn of_session(session: &ticket_store::signin::Session) -> Self {
        Self::new(ApiKey {
            id: session.id,
            name: session.handle.as_str().to_owned(),
            prefix: "session".to_owned(),
            scope: KeyScope::Staff { role: session.role },
            created_at: session.created_at,
            revoked_at: None,
            last_used_at: Some(session.last_seen_at),
            staff_member: Some(session.handle.as_str().to_owned()),
            expires_at: None,
            machine: false,
            rotated_at: None,
            previous_valid_until: None,
        })
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

    /// A receiving MTA's key (`mail_gateway`).
    pub fn require_mail_gateway(&self) -> Result<(), ApiError> {
        if self.is_mail_gateway() {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "mail-gateway-key-required",
                "Only a mail gateway key (role `mail_gateway`) may deliver mails.",
            ))
        }
    }

    pub fn is_mail_gateway(&self) -> bool {
        self.key.scope == KeyScope::MailGateway
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
    // A browser session the session middleware checked (its CSRF token included).
    if let Some(session) = request.data::<crate::signin::session::SessionPrincipal>() {
        return Ok(session.0.clone());
    }
    match state
        .store
        .check_key(&bearer.token, state.clock.now())
        .await
    {
        Ok(KeyCheck::Valid(key))
            if key.scope == KeyScope::MailGateway && !delivers_mail(request) =>
        {
            Err(Problem::new(
                StatusCode::FORBIDDEN,
                "mail-gateway-key",
                "Forbidden",
                "A mail gateway key may only deliver mails (POST /api/v1/inbound-mails).",
            )
            .into())
        }
        Ok(KeyCheck::Valid(key)) => Ok(Principal::new(key)),
        Ok(KeyCheck::Expired { at }) => Err(invalid_token(
            "api-key-expired",
            "API key expired",
            format!(
                "This API key expired at {}: ask an admin to rotate it (a new secret) or for a new \
                 key.",
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        )),
        Ok(KeyCheck::Replaced { at }) => Err(invalid_token(
            "api-key-replaced",
            "API key replaced",
            format!(
                "This secret was replaced by a rotation of its key; it worked until {}. Use the \
                 key's new secret.",
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        )),
        Ok(KeyCheck::Unknown) => Err(Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Unauthenticated",
            "This API key is unknown or revoked.",
        )
        .into()),
        Err(error) => Err(poem::Error::from(problem_of(error))),
    }
}

/// A 401 for a key that exists but no longer works, saying why in the body and in
/// `WWW-Authenticate` (RFC 6750 `invalid_token`).
fn invalid_token(slug: &str, title: &str, detail: String) -> poem::Error {
    use poem::IntoResponse as _;
    let mut response = Problem::new(StatusCode::UNAUTHORIZED, slug, title, detail).into_response();
    let challenge = format!("Bearer error=\"invalid_token\", error_description=\"{title}\"");
    if let Ok(value) = poem::http::HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(poem::http::header::WWW_AUTHENTICATE, value);
    }
    poem::Error::from_response(response)
}

/// Whether the request is the one a mail gateway key may make.
fn delivers_mail(request: &Request) -> bool {
    request.method() == poem::http::Method::POST
        && request.uri().path() == crate::inbound::INBOUND_MAILS_PATH
}

fn problem_of(error: ticket_store::StoreError) -> Problem {
    match ApiError::from(error) {
        ApiError::Unavailable(problem, _) => problem.0,
        _ => Problem::internal(),
    }
}
