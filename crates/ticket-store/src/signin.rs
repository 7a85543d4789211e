//! Staff sign-in (issue 30): sign-ins under way, who a provider's subject is in the directory,
//! browser sessions, and the audit events of it all.
//!
//! A session lives in the database so that every replica sees it, and is checked there on each
//! request: ending it (log-out, the provider's back-channel log-out, the member's removal, a
//! timeout) takes effect everywhere at once. Only the SHA-256 of its token is stored.

use crate::entities::{
    api_key, auth_event, signin_attempt, staff_identity, staff_member, staff_session,
};
use crate::page::{Page, decode_opaque, encode_opaque, fetch_limit};
use crate::secrets::{new_secret, secret_hash};
use crate::tickets::normalise;
use crate::{Store, StoreError};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use ticket_domain::actor::Role;
use ticket_domain::values::StaffHandle;
use uuid::Uuid;

/// How long a sign-in may take at the provider: the state, nonce and PKCE verifier are kept
/// that long.
pub const SIGNIN_LIFETIME: TimeDelta = TimeDelta::minutes(10);

/// A session's last-seen instant is written at most this often (a read is not a write each time).
pub const LAST_SEEN_RESOLUTION: TimeDelta = TimeDelta::seconds(30);

/// The roles a member's keys may carry, the one that may do the most first: the directory's role
/// of a member holding several.
const ROLE_ORDER: [Role; 6] = [
    Role::Admin,
    Role::Security,
    Role::Supervisor,
    Role::Agent,
    Role::Engineer,
    Role::Dpo,
];

/// What happened, as an admin reads it in the audit list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter)]
pub enum AuthEventKind {
    SignIn,
    SignInRefused,
    SignOut,
    IdleTimeout,
    AbsoluteTimeout,
    MemberRemoved,
    BackChannelLogout,
}

impl AuthEventKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::SignInRefused => "sign_in_refused",
            Self::SignOut => "sign_out",
            Self::IdleTimeout => "session_idle_timeout",
            Self::AbsoluteTimeout => "session_absolute_timeout",
            Self::MemberRemoved => "session_member_removed",
            Self::BackChannelLogout => "session_backchannel_logout",
        }
    }
}

/// One audit event. No secret, no token, no email: the member's handle at most.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthEvent {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub handle: Option<String>,
    pub provider: Option<String>,
    /// Why a sign-in was refused (a short rule name).
    pub reason: Option<String>,
    pub session_id: Option<Uuid>,
}

impl From<auth_event::Model> for AuthEvent {
    fn from(row: auth_event::Model) -> Self {
        Self {
            id: row.id,
            at: row.at,
            kind: row.kind,
            handle: row.handle,
            provider: row.provider,
            reason: row.reason,
            session_id: row.session_id,
        }
    }
}

/// A sign-in under way, taken back when the provider sends the person back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSignin {
    pub provider: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// How long sessions live: without a request (idle) and at most (absolute).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub idle: TimeDelta,
    pub absolute: TimeDelta,
}

/// What a new session is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub handle: StaffHandle,
    pub role: Role,
    pub provider: String,
    pub subject: String,
    pub sid: Option<String>,
    pub id_token: Option<String>,
    /// What the provider calls the person (the configured name claim).
    pub display_name: Option<String>,
}

/// An open session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: Uuid,
    pub handle: StaffHandle,
    pub role: Role,
    pub provider: String,
    /// The token a state-changing request of this session must carry (`X-CSRF-Token`).
    pub csrf_token: String,
    pub id_token: Option<String>,
    pub display_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// A session's cookie value with the session: shown once.
#[derive(Debug, Clone)]
pub struct OpenedSession {
    pub token: String,
    pub session: Session,
}

/// What a session cookie is worth now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionCheck {
    Valid(Session),
    /// It was open, and just ended by a timeout.
    Expired(AuthEventKind),
    Unknown,
}

fn session_of(row: staff_session::Model) -> Result<Session, StoreError> {
    Ok(Session {
        id: row.id,
        handle: StaffHandle::parse("handle", &row.handle)
            .map_err(|_| StoreError::corrupt("a session's stored handle is not a handle"))?,
        role: Role::parse(&row.role)
            .ok_or_else(|| StoreError::corrupt("a session's stored role is not a role"))?,
        provider: row.provider,
        csrf_token: row.csrf_token,
        id_token: row.id_token,
        display_name: row.display_name,
        created_at: row.created_at,
        last_seen_at: row.last_seen_at,
    })
}

/// Records an audit event within `txn`.
pub(crate) async fn record<C: ConnectionTrait>(
    txn: &C,
    kind: AuthEventKind,
    handle: Option<&str>,
    provider: Option<&str>,
    reason: Option<&str>,
    session_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    auth_event::ActiveModel::from(auth_event::Model {
        id: Uuid::now_v7(),
        at: normalise(now),
        kind: kind.name().to_owned(),
        handle: handle.map(str::to_owned),
        provider: provider.map(str::to_owned),
        reason: reason.map(str::to_owned),
        session_id,
    })
    .insert(txn)
    .await?;
    Ok(())
}

/// Ends every session of a member and forgets their bound identities, within the transaction that
/// removes them from the directory.
pub(crate) async fn end_member_sessions<C: ConnectionTrait>(
    txn: &C,
    handle: &StaffHandle,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let rows = staff_session::Entity::find()
        .filter(staff_session::Column::Handle.eq(handle.as_str()))
        .all(txn)
        .await?;
    for row in rows {
        staff_session::Entity::delete_by_id(row.id)
            .exec(txn)
            .await?;
        record(
            txn,
            AuthEventKind::MemberRemoved,
            Some(&row.handle),
            Some(&row.provider),
            None,
            Some(row.id),
            now,
        )
        .await?;
    }
    staff_identity::Entity::delete_many()
        .filter(staff_identity::Column::Handle.eq(handle.as_str()))
        .exec(txn)
        .await?;
    Ok(())
}

impl Store {
    /// Keeps a sign-in under way until `SIGNIN_LIFETIME` after `now`, under the hash of its
    /// `state`; sign-ins left unfinished are deleted on the way.
    pub async fn start_signin(
        &self,
        state: &str,
        pending: &PendingSignin,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = normalise(now);
        let txn = self.write_transaction().await?;
        signin_attempt::Entity::delete_many()
            .filter(signin_attempt::Column::ExpiresAt.lte(now))
            .exec(&txn)
            .await?;
        signin_attempt::ActiveModel::from(signin_attempt::Model {
            state_hash: secret_hash(state),
            provider: pending.provider.clone(),
            nonce: pending.nonce.clone(),
            pkce_verifier: pending.pkce_verifier.clone(),
            expires_at: now + SIGNIN_LIFETIME,
        })
        .insert(&txn)
        .await?;
        self.commit(txn).await
    }

    /// Takes back the sign-in of `state` (once: it is deleted); `None` for a state this service
    /// did not send, already used, or older than `SIGNIN_LIFETIME`.
    pub async fn take_signin(
        &self,
        state: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingSignin>, StoreError> {
        let hash = secret_hash(state);
        let txn = self.write_transaction().await?;
        let row = signin_attempt::Entity::find_by_id(hash.clone())
            .one(&txn)
            .await?;
        let deleted = signin_attempt::Entity::delete_by_id(hash)
            .exec(&txn)
            .await?;
        self.commit(txn).await?;
        Ok(row
            .filter(|row| deleted.rows_affected == 1 && normalise(now) < row.expires_at)
            .map(|row| PendingSignin {
                provider: row.provider,
                nonce: row.nonce,
                pkce_verifier: row.pkce_verifier,
            }))
    }

    /// The member a provider's subject is: the one bound to (`provider`, `subject`), else — the
    /// first time — the one member whose email is `verified_email` (case-insensitive), then bound
    /// to the subject. `None` when the directory does not know the person.
    pub async fn signin_member(
        &self,
        provider: &str,
        subject: &str,
        verified_email: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<StaffHandle>, StoreError> {
        let handle_of = |handle: &str| {
            StaffHandle::parse("handle", handle)
                .map_err(|_| StoreError::corrupt("a stored identity's handle is not a handle"))
        };
        if let Some(bound) =
            staff_identity::Entity::find_by_id((provider.to_owned(), subject.to_owned()))
                .one(&self.db)
                .await?
        {
            return handle_of(&bound.handle).map(Some);
        }
        let Some(email) = verified_email else {
            return Ok(None);
        };
        let rows = staff_member::Entity::find()
            .filter(
                Expr::expr(Func::lower(Expr::col(staff_member::Column::Email)))
                    .eq(email.to_lowercase()),
            )
            .all(&self.db)
            .await?;
        // Two members sharing an address: nobody can tell which one this is.
        let [member] = rows.as_slice() else {
            return Ok(None);
        };
        // A member already bound to another subject at this provider is not taken over by a
        // second account that shows the same address.
        let taken = staff_identity::Entity::find()
            .filter(staff_identity::Column::Provider.eq(provider))
            .filter(staff_identity::Column::Handle.eq(member.handle.as_str()))
            .one(&self.db)
            .await?;
        if taken.is_some() {
            return Ok(None);
        }
        let txn = self.write_transaction().await?;
        let inserted = staff_identity::ActiveModel::from(staff_identity::Model {
            provider: provider.to_owned(),
            subject: subject.to_owned(),
            handle: member.handle.clone(),
            created_at: normalise(now),
        })
        .insert(&txn)
        .await
        .map_err(StoreError::from);
        match inserted {
            Err(error) if error.is_unique_violation() => return Ok(None),
            other => other?,
        };
        self.commit(txn).await?;
        handle_of(&member.handle).map(Some)
    }

    /// The directory's role of a member: the role of their active staff keys (neither revoked nor
    /// expired at `now`), admin first when they hold several; `None` without one.
    pub async fn directory_role(
        &self,
        handle: &StaffHandle,
        now: DateTime<Utc>,
    ) -> Result<Option<Role>, StoreError> {
        let roles: Vec<Option<String>> = api_key::Entity::find()
            .select_only()
            .column(api_key::Column::Role)
            .filter(api_key::Column::StaffMember.eq(handle.as_str()))
            .filter(api_key::Column::RevokedAt.is_null())
            .filter(
                Condition::any()
                    .add(api_key::Column::ExpiresAt.is_null())
                    .add(api_key::Column::ExpiresAt.gt(normalise(now))),
            )
            .into_tuple()
            .all(&self.db)
            .await?;
        let held: Vec<Role> = roles
            .iter()
            .flatten()
            .filter_map(|r| Role::parse(r))
            .collect();
        Ok(ROLE_ORDER.into_iter().find(|role| held.contains(role)))
    }

    /// Opens a session (a new id and token: a sign-in never reuses one) and records the sign-in.
    pub async fn open_session(
        &self,
        new: NewSession,
        now: DateTime<Utc>,
    ) -> Result<OpenedSession, StoreError> {
        let now = normalise(now);
        let token = new_secret();
        let row = staff_session::Model {
            id: Uuid::now_v7(),
            token_hash: secret_hash(&token),
            csrf_token: new_secret(),
            handle: new.handle.as_str().to_owned(),
            role: new.role.name().to_owned(),
            provider: new.provider,
            subject: new.subject,
            display_name: new.display_name.map(|n| n.chars().take(255).collect()),
            sid: new.sid,
            id_token: new.id_token,
            created_at: now,
            last_seen_at: now,
        };
        let txn = self.write_transaction().await?;
        staff_session::ActiveModel::from(row.clone())
            .insert(&txn)
            .await?;
        record(
            &txn,
            AuthEventKind::SignIn,
            Some(&row.handle),
            Some(&row.provider),
            None,
            Some(row.id),
            now,
        )
        .await?;
        self.commit(txn).await?;
        Ok(OpenedSession {
            token,
            session: session_of(row)?,
        })
    }

    /// The session of a cookie's `token` at `now`: valid (and seen now), or just ended by a
    /// timeout (recorded), or unknown (never opened, ended, or its member removed).
    pub async fn check_session(
        &self,
        token: &str,
        limits: SessionLimits,
        now: DateTime<Utc>,
    ) -> Result<SessionCheck, StoreError> {
        let now = normalise(now);
        let Some(row) = staff_session::Entity::find()
            .filter(staff_session::Column::TokenHash.eq(secret_hash(token)))
            .one(&self.db)
            .await?
        else {
            return Ok(SessionCheck::Unknown);
        };
        let ended = if now - row.created_at >= limits.absolute {
            Some(AuthEventKind::AbsoluteTimeout)
        } else if now - row.last_seen_at >= limits.idle {
            Some(AuthEventKind::IdleTimeout)
        } else {
            None
        };
        if let Some(kind) = ended {
            return Ok(match self.end_session(row.id, kind, now).await? {
                Some(_) => SessionCheck::Expired(kind),
                None => SessionCheck::Unknown,
            });
        }
        let mut session = session_of(row)?;
        if now - session.last_seen_at >= LAST_SEEN_RESOLUTION {
            let txn = self.write_transaction().await?;
            staff_session::Entity::update_many()
                .col_expr(staff_session::Column::LastSeenAt, Expr::value(now))
                .filter(staff_session::Column::Id.eq(session.id))
                .exec(&txn)
                .await?;
            self.commit(txn).await?;
            session.last_seen_at = now;
        }
        Ok(SessionCheck::Valid(session))
    }

    /// Ends a session, recording why; `None` when it had already ended.
    pub async fn end_session(
        &self,
        id: Uuid,
        kind: AuthEventKind,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError> {
        let txn = self.write_transaction().await?;
        let Some(row) = staff_session::Entity::find_by_id(id).one(&txn).await? else {
            return Ok(None);
        };
        let deleted = staff_session::Entity::delete_by_id(id).exec(&txn).await?;
        if deleted.rows_affected != 1 {
            return Ok(None);
        }
        record(
            &txn,
            kind,
            Some(&row.handle),
            Some(&row.provider),
            None,
            Some(row.id),
            now,
        )
        .await?;
        self.commit(txn).await?;
        session_of(row).map(Some)
    }

    /// Ends the sessions past a timeout at `now` that nobody used since (a session that is used
    /// again meets its timeout in [`Store::check_session`]): each ended and recorded, idle or
    /// absolute. Returns how many ended.
    pub async fn end_stale_sessions(
        &self,
        limits: SessionLimits,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let now = normalise(now);
        let rows: Vec<(Uuid, DateTime<Utc>)> = staff_session::Entity::find()
            .select_only()
            .column(staff_session::Column::Id)
            .column(staff_session::Column::CreatedAt)
            .filter(
                Condition::any()
                    .add(staff_session::Column::CreatedAt.lte(now - limits.absolute))
                    .add(staff_session::Column::LastSeenAt.lte(now - limits.idle)),
            )
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut ended = 0;
        for (id, created_at) in rows {
            let kind = if now - created_at >= limits.absolute {
                AuthEventKind::AbsoluteTimeout
            } else {
                AuthEventKind::IdleTimeout
            };
            if self.end_session(id, kind, now).await?.is_some() {
                ended += 1;
            }
        }
        Ok(ended)
    }

    /// Ends the sessions a provider's back-channel log-out names: those of its session `sid`
    /// when given, else every session of `subject`. Returns how many ended.
    pub async fn end_provider_sessions(
        &self,
        provider: &str,
        subject: Option<&str>,
        sid: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let mut condition = Condition::all().add(staff_session::Column::Provider.eq(provider));
        if let Some(sid) = sid {
            condition = condition.add(staff_session::Column::Sid.eq(sid));
        }
        if let Some(subject) = subject {
            condition = condition.add(staff_session::Column::Subject.eq(subject));
        }
        if sid.is_none() && subject.is_none() {
            return Ok(0);
        }
        let ids: Vec<Uuid> = staff_session::Entity::find()
            .select_only()
            .column(staff_session::Column::Id)
            .filter(condition)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut ended = 0;
        for id in ids {
            if self
                .end_session(id, AuthEventKind::BackChannelLogout, now)
                .await?
                .is_some()
            {
                ended += 1;
            }
        }
        Ok(ended)
    }

    /// Records a refused sign-in: the provider and a short reason, never who tried.
    pub async fn record_refused_signin(
        &self,
        provider: Option<&str>,
        reason: &str,
        handle: Option<&StaffHandle>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let txn = self.write_transaction().await?;
        record(
            &txn,
            AuthEventKind::SignInRefused,
            handle.map(StaffHandle::as_str),
            provider,
            Some(reason),
            None,
            now,
        )
        .await?;
        self.commit(txn).await
    }

    /// A page of the audit events, oldest first.
    pub async fn list_auth_events(
        &self,
        limit: u64,
        cursor: Option<&str>,
    ) -> Result<Page<AuthEvent>, StoreError> {
        let mut query = auth_event::Entity::find();
        if let Some(text) = cursor {
            let after = decode_opaque(text)
                .and_then(|id| Uuid::parse_str(&id).ok())
                .ok_or(StoreError::InvalidCursor)?;
            query = query.filter(auth_event::Column::Id.gt(after));
        }
        let rows = query
            .order_by_asc(auth_event::Column::Id)
            .limit(fetch_limit(limit))
            .all(&self.db)
            .await?;
        Page::from_rows(
            rows,
            limit,
            |row| encode_opaque(&row.id.to_string()),
            |row| Ok(row.into()),
        )
    }
}
