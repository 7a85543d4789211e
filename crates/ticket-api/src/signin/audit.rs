//! `GET /api/v1/auth-events`: the audit list of staff sign-in (admin only): sign-ins, refused
//! sign-ins and why, log-outs, sessions ended by a timeout, a removal or the provider.

use crate::ApiState;
use crate::ApiTag;
use crate::auth::ApiKeyAuth;
use crate::dto::Instant;
use crate::error::ApiError;
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use ticket_store::signin::AuthEvent;
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum AuthEventKindDto {
    /// A member signed in: a session opened.
    SignIn,
    /// A sign-in was refused (`reason` says why).
    SignInRefused,
    /// A member signed out.
    SignOut,
    /// A session ended after too long without a request.
    SessionIdleTimeout,
    /// A session reached its longest life.
    SessionAbsoluteTimeout,
    /// A session ended because its member was removed from the directory.
    SessionMemberRemoved,
    /// The provider ended the session (back-channel log-out).
    SessionBackchannelLogout,
}

impl AuthEventKindDto {
    fn of(name: &str) -> Option<Self> {
        Some(match name {
            "sign_in" => Self::SignIn,
            "sign_in_refused" => Self::SignInRefused,
            "sign_out" => Self::SignOut,
            "session_idle_timeout" => Self::SessionIdleTimeout,
            "session_absolute_timeout" => Self::SessionAbsoluteTimeout,
            "session_member_removed" => Self::SessionMemberRemoved,
            "session_backchannel_logout" => Self::SessionBackchannelLogout,
            _ => return None,
        })
    }
}

/// One audit event of staff sign-in. It holds no secret, token or email.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AuthEventView {
    /// Event id.
    pub id: Uuid,
    /// When it happened (the service's clock).
    pub at: Instant,
    /// What happened.
    pub kind: AuthEventKindDto,
    /// The member's handle in the staff directory, when known.
    #[oai(validator(max_length = 100))]
    pub handle: Option<String>,
    /// The provider's configured name.
    #[oai(validator(max_length = 100))]
    pub provider: Option<String>,
    /// Why a sign-in was refused, e.g. `not-in-directory`, `no-role`, `id-token-expired`,
    /// `id-token-signature`, `id-token-audience`, `state-unknown`.
    #[oai(validator(max_length = 100))]
    pub reason: Option<String>,
    /// The session concerned.
    pub session_id: Option<Uuid>,
}

impl AuthEventView {
    fn of(event: AuthEvent) -> Option<Self> {
        Some(Self {
            id: event.id,
            at: event.at.into(),
            kind: AuthEventKindDto::of(&event.kind)?,
            handle: event.handle,
            provider: event.provider,
            reason: event.reason,
            session_id: event.session_id,
        })
    }
}

/// A page of audit events.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AuthEventPage {
    /// The events of this page, oldest first.
    pub items: Vec<AuthEventView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Answers of the audit list.
#[derive(Debug, ApiResponse)]
pub enum AuthEventPageResponse {
    /// The page.
    #[oai(status = 200)]
    Ok(Json<AuthEventPage>),
}

fn default_limit() -> u64 {
    50
}

#[derive(Debug, Clone, Copy, Default)]
pub struct AuthEventsApi;

#[OpenApi(tag = "ApiTag::Staff")]
impl AuthEventsApi {
    /// List sign-in audit events
    ///
    /// Staff sign-in through the operator's identity provider: sign-ins, refused sign-ins with
    /// the reason, log-outs, sessions ended by the idle or absolute timeout, by the member's
    /// removal or by the provider's back-channel log-out. Admin only. Oldest first.
    #[oai(
        path = "/api/v1/auth-events",
        method = "get",
        operation_id = "list_auth_events"
    )]
    async fn list(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// Page size, 1 to 200; 50 by default.
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "200"))
        )]
        limit: Query<u64>,
        /// The `next_cursor` of the previous page.
        #[oai(validator(min_length = 1, max_length = 1000))]
        cursor: Query<Option<String>>,
    ) -> Result<AuthEventPageResponse> {
        auth.0.require_admin()?;
        let page = state
            .store
            .list_auth_events(limit.0, cursor.0.as_deref())
            .await?;
        Ok(AuthEventPageResponse::Ok(Json(AuthEventPage {
            items: page
                .items
                .into_iter()
                .filter_map(AuthEventView::of)
                .collect(),
            next_cursor: page.next_cursor,
        })))
    }
}
