//! API keys: stored as SHA-256 of a high-entropy secret, with a role or an organisation.
//!
//! A key is `tkd_` followed by 256 random bits (43 URL-safe characters). It is shown once, when it is
//! created; the database keeps only its hash and its first 12 characters (`tkd_` and 8 characters of
//! the secret, 48 of its 256 bits), to recognise it in a list.
//!
//! A key expires ([`KeyPolicy`]): `expires_at` is set at creation (the policy's default lifetime,
//! or an instant the admin chose up to the policy's maximum); only a key an admin marks as a
//! machine's may be non-expiring. Rotation gives a key a new secret while its old one keeps working
//! for a grace period.

use crate::entities::{api_key, staff_member};
use crate::key_policy::KeyPolicy;
use crate::registry::{RowLock, lock_organisation};
use crate::secrets::{new_secret, secret_hash};
use crate::tickets::normalise;
use crate::{Store, StoreError};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use ticket_domain::Refusal;
use ticket_domain::actor::Role;
use ticket_domain::values::{FieldError, OrganisationId, StaffHandle, Text};
use uuid::Uuid;

/// What every key starts with, so that a leaked key is recognisable (secret scanners, logs).
pub const KEY_PREFIX: &str = "tkd_";
/// Characters of a key kept and shown to recognise it.
pub const SHOWN_PREFIX_LENGTH: usize = 12;
/// Longest key name, in characters.
pub const MAX_KEY_NAME: usize = 100;
/// Use of a key is recorded at most this often, so that authenticating does not write on every
/// request.
pub const LAST_USE_RESOLUTION: TimeDelta = TimeDelta::minutes(1);

/// How long a replica trusts a key it authenticated without asking the database again. On
/// PostgreSQL each replica also listens to the others' revocations ([`crate::key_revocations`]) and
/// drops a revoked key from its cache as soon as the revoking transaction commits; it trusts its
/// cache only while it listens. Within this time, a request costs no database round trip to
/// authenticate.
pub const KEY_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(2);

/// Keys kept at most (by secret hash); beyond, the cache starts again empty.
const KEY_CACHE_MAX: usize = 10_000;

#[derive(Debug)]
struct Cached {
    key: ApiKey,
    at: std::time::Instant,
    /// The instant the secret stops working: the key's expiry, or the end of an old secret's grace.
    valid_until: Option<DateTime<Utc>>,
}

/// The keys this replica authenticated lately, by the SHA-256 of their secret (never the secret).
#[derive(Debug)]
pub(crate) struct KeyCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, Cached>>,
    /// Whether cached keys may be used: always on SQLite (one process); on PostgreSQL only while
    /// this replica hears the revocations of the others.
    trusted: std::sync::atomic::AtomicBool,
    /// Bumped by every revocation heard or made: a key read from the database before it is not
    /// kept, lest a revocation that crossed the read be undone by the cache.
    epoch: std::sync::atomic::AtomicU64,
    /// Dropped with the cache, which ends the revocation listener.
    pub(crate) stop: std::sync::Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

impl KeyCache {
    pub(crate) fn new(trusted: bool) -> Self {
        Self {
            entries: std::sync::Mutex::default(),
            trusted: std::sync::atomic::AtomicBool::new(trusted),
            epoch: std::sync::atomic::AtomicU64::new(0),
            stop: std::sync::Mutex::default(),
        }
    }

    /// The key of `hash` if it was authenticated within [`KEY_CACHE_TTL`], is still valid at
    /// `now`, and its use at `now` need not be recorded (see [`LAST_USE_RESOLUTION`]).
    fn fresh(&self, hash: &str, now: DateTime<Utc>) -> Option<ApiKey> {
        if !self.trusted.load(std::sync::atomic::Ordering::Acquire) {
            return None;
        }
        let entries = self.entries.lock().ok()?;
        let cached = entries.get(hash)?;
        let recorded = cached
            .key
            .last_used_at
            .is_some_and(|used| used > now - LAST_USE_RESOLUTION);
        let valid = cached.valid_until.is_none_or(|until| now < until);
        (cached.at.elapsed() < KEY_CACHE_TTL && recorded && valid).then(|| cached.key.clone())
    }

    fn epoch(&self) -> u64 {
        self.epoch.load(std::sync::atomic::Ordering::Acquire)
    }

    fn keep(&self, hash: String, key: &ApiKey, valid_until: Option<DateTime<Utc>>, epoch: u64) {
        if let Ok(mut entries) = self.entries.lock() {
            // Checked under the lock that `forget` bumps the epoch under.
            if self.epoch() != epoch {
                return;
            }
            if entries.len() >= KEY_CACHE_MAX {
                entries.clear();
            }
            entries.insert(
                hash,
                Cached {
                    key: key.clone(),
                    at: std::time::Instant::now(),
                    valid_until,
                },
            );
        }
    }

    pub(crate) fn forget(&self, ids: &[Uuid]) {
        if let Ok(mut entries) = self.entries.lock() {
            self.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            entries.retain(|_, cached| !ids.contains(&cached.key.id));
        }
    }

    pub(crate) fn forget_all(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            self.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            entries.clear();
        }
    }

    pub(crate) fn set_trusted(&self, trusted: bool) {
        if !trusted {
            self.forget_all();
        }
        self.trusted
            .store(trusted, std::sync::atomic::Ordering::Release);
    }
}

/// What a presented secret is worth at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyCheck {
    /// A key that works.
    Valid(ApiKey),
    /// The key expired at this instant: renew it (rotation) or ask for a new one.
    Expired { at: DateTime<Utc> },
    /// The secret is a rotated key's old one whose grace period ended at this instant.
    Replaced { at: DateTime<Utc> },
    /// No key has this secret, or its key was revoked.
    Unknown,
}

/// When a new or rotated key stops working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// The policy's default lifetime from now (on rotation: a non-expiring machine key stays so).
    Policy,
    /// This instant: after now, at most the policy's maximum lifetime from now.
    At(DateTime<Utc>),
    /// Never: a machine key only.
    Never,
}

/// A key to create.
#[derive(Debug, Clone)]
pub struct NewKey<'a> {
    pub name: &'a str,
    pub scope: KeyScope,
    /// A staff key of a person: the member of the staff directory it belongs to.
    pub member: Option<&'a StaffHandle>,
    /// The key serves a program, not a person: it may be non-expiring.
    pub machine: bool,
    pub expiry: Expiry,
}

/// What a key allows: a staff role, acting for a partner organisation, or delivering mails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum KeyScope {
    Staff {
        role: Role,
    },
    Partner {
        organisation: OrganisationId,
    },
    /// A receiving MTA's key: it delivers raw mails (`POST /api/v1/inbound-mails`) and can do
    /// nothing else. Not a staff role: it reads nothing and acts on no ticket.
    MailGateway,
}

/// How a mail gateway key's role is stored and named (`ticketd keys create --role mail_gateway`).
pub const MAIL_GATEWAY_ROLE: &str = "mail_gateway";

/// An API key as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    /// The key's first 12 characters, to recognise it; not enough to use it.
    pub prefix: String,
    pub scope: KeyScope,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// When the key last authenticated, to the minute ([`LAST_USE_RESOLUTION`]).
    pub last_used_at: Option<DateTime<Utc>>,
    /// The staff member a staff key belongs to: the caller is that member (`assignee=me`, and
    /// the handle tickets' history records).
    pub staff_member: Option<String>,
    /// When the key stops working; absent only on a non-expiring machine key.
    pub expires_at: Option<DateTime<Utc>>,
    /// The key serves a program, not a person.
    pub machine: bool,
    /// When the key was last given a new secret.
    pub rotated_at: Option<DateTime<Utc>>,
    /// Until when the secret it had before its last rotation still works.
    pub previous_valid_until: Option<DateTime<Utc>>,
}

impl ApiKey {
    /// Whether the key authenticates at `now`: not revoked, not expired.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| now < at)
    }
}

fn key_from_row(row: api_key::Model) -> Result<ApiKey, StoreError> {
    let scope = match (row.role.as_deref(), row.organisation_id) {
        (Some(MAIL_GATEWAY_ROLE), None) => KeyScope::MailGateway,
        (Some(role), None) => KeyScope::Staff {
            role: Role::parse(role).ok_or_else(|| {
                StoreError::corrupt(format!("api key {}: unknown role {role:?}", row.id))
            })?,
        },
        (None, Some(organisation)) => KeyScope::Partner {
            organisation: OrganisationId(organisation),
        },
        _ => {
            return Err(StoreError::corrupt(format!(
                "api key {}: exactly one of role and organisation must be set",
                row.id
            )));
        }
    };
    Ok(ApiKey {
        id: row.id,
        name: row.name,
        prefix: row.prefix,
        scope,
        created_at: row.created_at,
        revoked_at: row.revoked_at,
        last_used_at: row.last_used_at,
        staff_member: row.staff_member,
        expires_at: row.expires_at,
        machine: row.machine,
        rotated_at: row.rotated_at,
        previous_valid_until: row.previous_valid_until,
    })
}

fn expiry_refused(message: &str) -> StoreError {
    StoreError::Refused(Refusal::from(FieldError::new(
        "expires_at",
        "key_expiry",
        message,
    )))
}

/// The instant a key given `expiry` at `now` stops working, checked against the policy and the
/// key's kind; `rotating_non_expiring`: a rotation of a non-expiring key, which stays so under
/// [`Expiry::Policy`].
fn expiry_instant(
    policy: &KeyPolicy,
    expiry: Expiry,
    machine: bool,
    now: DateTime<Utc>,
    rotating_non_expiring: bool,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    match expiry {
        Expiry::Policy if rotating_non_expiring => Ok(None),
        Expiry::Policy => Ok(Some(now + policy.default_lifetime())),
        Expiry::At(at) => {
            let at = normalise(at);
            if at <= now {
                Err(expiry_refused("must be in the future"))
            } else if at > now + policy.max_lifetime() {
                Err(expiry_refused(&format!(
                    "must be at most {} days from now (the policy's maximum)",
                    policy.max_lifetime_days
                )))
            } else {
                Ok(Some(at))
            }
        }
        Expiry::Never if machine => Ok(None),
        Expiry::Never => Err(expiry_refused(
            "only a machine key (`machine: true`) may be non-expiring",
        )),
    }
}

/// Whether a presented secret has the shape of one of our keys: anything else is refused without a
/// database query.
fn well_formed(secret: &str) -> bool {
    secret.strip_prefix(KEY_PREFIX).is_some_and(|rest| {
        rest.len() == 43
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

impl Store {
    /// Creates a key and returns it with its secret, which is shown once and never stored (only its
    /// SHA-256). The name is trimmed, 1 to 100 characters (refused otherwise with
    /// [`StoreError::Refused`], field `name`). A partner key's organisation must exist
    /// (`NotFound("organisation")`). The key expires after the policy's default lifetime.
    pub async fn create_api_key(
        &self,
        name: &str,
        scope: KeyScope,
        now: DateTime<Utc>,
    ) -> Result<(ApiKey, String), StoreError> {
        self.create_key(
            NewKey {
                name,
                scope,
                member: None,
                machine: false,
                expiry: Expiry::Policy,
            },
            now,
        )
        .await
    }

    /// Creates a staff key that belongs to a member of the staff directory: its holder acts as
    /// that member. `NotFound("staff member")` if there is no such member.
    pub async fn create_member_api_key(
        &self,
        name: &str,
        member: &StaffHandle,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<(ApiKey, String), StoreError> {
        self.create_key(
            NewKey {
                name,
                scope: KeyScope::Staff { role },
                member: Some(member),
                machine: false,
                expiry: Expiry::Policy,
            },
            now,
        )
        .await
    }

    /// Creates a key (see [`Store::create_api_key`]) with the expiry asked for: refused
    /// (field `expires_at`) past the policy's maximum, in the past, or non-expiring for a key that
    /// is not a machine's.
    pub async fn create_key(
        &self,
        new: NewKey<'_>,
        now: DateTime<Utc>,
    ) -> Result<(ApiKey, String), StoreError> {
        let name = Text::parse("name", new.name, MAX_KEY_NAME)
            .map_err(|error| StoreError::Refused(Refusal::from(error)))?;
        let now = normalise(now);
        let expires_at = expiry_instant(&self.key_policy, new.expiry, new.machine, now, false)?;
        let scope = new.scope;
        let member = new.member;
        let secret = format!("{KEY_PREFIX}{}", new_secret());
        let prefix: String = secret.chars().take(SHOWN_PREFIX_LENGTH).collect();
        let (role, organisation_id) = match scope {
            KeyScope::Staff { role } => (Some(role.name().to_owned()), None),
            KeyScope::Partner { organisation } => (None, Some(organisation.0)),
            KeyScope::MailGateway => (Some(MAIL_GATEWAY_ROLE.to_owned()), None),
        };
        let row = api_key::Model {
            id: Uuid::now_v7(),
            name: name.as_str().to_owned(),
            prefix,
            secret_hash: secret_hash(&secret),
            role,
            organisation_id,
            created_at: now,
            revoked_at: None,
            last_used_at: None,
            staff_member: member.map(|m| m.as_str().to_owned()),
            expires_at,
            machine: new.machine,
            previous_secret_hash: None,
            previous_valid_until: None,
            rotated_at: None,
        };
        let txn = self.write_transaction().await?;
        if let Some(member) = member
            && staff_member::Entity::find_by_id(member.as_str().to_owned())
                .one(&txn)
                .await?
                .is_none()
        {
            return Err(StoreError::NotFound("staff member"));
        }
        if let KeyScope::Partner { organisation } = scope {
            // Locked until the key is written: `delete_organisation` then waits, and refuses
            // while an active key is scoped to the organisation.
            if !lock_organisation(&txn, organisation, RowLock::Share).await? {
                return Err(StoreError::NotFound("organisation"));
            }
        }
        api_key::Entity::insert(api_key::ActiveModel::from(row.clone()))
            .exec_without_returning(&txn)
            .await?;
        self.commit(txn).await?;
        Ok((key_from_row(row)?, secret))
    }

    /// Gives a key a new secret, returned once. The old secret keeps working for `grace` (the
    /// policy's default when `None`; refused, field `grace_seconds`, beyond its maximum), but
    /// never past the key's former expiry; a secret replaced before is forgotten. The key's new
    /// expiry is `expiry` counted from now. `NotFound("api key")`; a revoked key is refused
    /// (`InUse("revoked api key")`: a revocation is final).
    pub async fn rotate_api_key(
        &self,
        id: Uuid,
        grace: Option<TimeDelta>,
        expiry: Expiry,
        now: DateTime<Utc>,
    ) -> Result<(ApiKey, String), StoreError> {
        let now = normalise(now);
        let grace = grace.unwrap_or(self.key_policy.rotation_grace());
        if grace < TimeDelta::zero() || grace > self.key_policy.max_rotation_grace() {
            return Err(StoreError::Refused(Refusal::from(FieldError::new(
                "grace_seconds",
                "rotation_grace",
                format!(
                    "must be between 0 and {} seconds (the policy's maximum)",
                    self.key_policy.max_rotation_grace_seconds
                ),
            ))));
        }
        let txn = self.write_transaction().await?;
        let mut query = api_key::Entity::find_by_id(id);
        if self.backend() == DbBackend::Postgres {
            // Two rotations at once: the second waits and replaces the first's secret.
            query = query.lock_exclusive();
        }
        let row = query
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound("api key"))?;
        if row.revoked_at.is_some() {
            return Err(StoreError::InUse("revoked api key"));
        }
        let expires_at = expiry_instant(
            &self.key_policy,
            expiry,
            row.machine,
            now,
            row.expires_at.is_none(),
        )?;
        let old_until = match row.expires_at {
            Some(expires) => (now + grace).min(expires),
            None => now + grace,
        };
        let secret = format!("{KEY_PREFIX}{}", new_secret());
        let prefix: String = secret.chars().take(SHOWN_PREFIX_LENGTH).collect();
        let mut active: api_key::ActiveModel = row.clone().into();
        active.previous_secret_hash = Set(Some(row.secret_hash.clone()));
        active.previous_valid_until = Set(Some(old_until));
        active.secret_hash = Set(secret_hash(&secret));
        active.prefix = Set(prefix);
        active.expires_at = Set(expires_at);
        active.rotated_at = Set(Some(now));
        let updated = active.update(&txn).await?;
        crate::key_revocations::announce(&txn, &[id]).await?;
        self.commit(txn).await?;
        self.keys.forget(&[id]);
        Ok((key_from_row(updated)?, secret))
    }

    /// Active keys (not revoked) with an expiry before `now + within`, the soonest first: the
    /// keys to renew. Keys already expired but not revoked come first.
    pub async fn list_expiring_api_keys(
        &self,
        within: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<Vec<ApiKey>, StoreError> {
        let until = normalise(now) + within;
        api_key::Entity::find()
            .filter(api_key::Column::RevokedAt.is_null())
            .filter(api_key::Column::ExpiresAt.is_not_null())
            .filter(api_key::Column::ExpiresAt.lte(until))
            .order_by_asc(api_key::Column::ExpiresAt)
            .order_by_asc(api_key::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(key_from_row)
            .collect()
    }

    /// The key policy this store applies.
    pub fn key_policy(&self) -> &KeyPolicy {
        &self.key_policy
    }

    /// The key a secret belongs to, if it exists, is not revoked and has not expired (see
    /// [`Store::check_key`], which says why a secret does not work).
    pub async fn authenticate(
        &self,
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ApiKey>, StoreError> {
        Ok(match self.check_key(secret, now).await? {
            KeyCheck::Valid(key) => Some(key),
            _ => None,
        })
    }

    /// What a presented secret is worth at `now`: a valid key, an expired one, a rotated key's
    /// old secret past its grace, or nothing.
    ///
    /// Records the use in `last_used_at` when the last recorded use is older than a minute, with a
    /// conditional update, so concurrent requests write it once and most requests not at all.
    pub async fn check_key(
        &self,
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<KeyCheck, StoreError> {
        if !well_formed(secret) {
            return Ok(KeyCheck::Unknown);
        }
        let now = normalise(now);
        let hash = secret_hash(secret);
        if let Some(key) = self.keys.fresh(&hash, now) {
            return Ok(KeyCheck::Valid(key));
        }
        let epoch = self.keys.epoch();
        // The secret is compared through its SHA-256, by a lookup in the unique index on
        // `secret_hash` (or the index on a rotated key's `previous_secret_hash`), never byte by
        // byte: timing can tell at most how the hash of a guess relates to stored hashes, which
        // reveals nothing about any secret. So no constant-time comparison is needed.
        let Some(row) = api_key::Entity::find()
            .filter(
                Condition::any()
                    .add(api_key::Column::SecretHash.eq(hash.clone()))
                    .add(api_key::Column::PreviousSecretHash.eq(hash.clone())),
            )
            .one(&self.db)
            .await?
        else {
            return Ok(KeyCheck::Unknown);
        };
        if row.revoked_at.is_some() {
            return Ok(KeyCheck::Unknown);
        }
        let mut valid_until = row.expires_at;
        if row.secret_hash != hash {
            let Some(grace_end) = row.previous_valid_until else {
                return Ok(KeyCheck::Unknown);
            };
            if now >= grace_end {
                return Ok(KeyCheck::Replaced { at: grace_end });
            }
            valid_until = Some(valid_until.map_or(grace_end, |until| until.min(grace_end)));
        }
        if let Some(at) = row.expires_at
            && now >= at
        {
            return Ok(KeyCheck::Expired { at });
        }
        let mut key = key_from_row(row)?;
        let stale = key
            .last_used_at
            .is_none_or(|at| at <= now - LAST_USE_RESOLUTION);
        if stale {
            let updated = api_key::Entity::update_many()
                .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
                .filter(api_key::Column::Id.eq(key.id))
                .filter(
                    Condition::any()
                        .add(api_key::Column::LastUsedAt.is_null())
                        .add(api_key::Column::LastUsedAt.lte(now - LAST_USE_RESOLUTION)),
                )
                .exec(&self.db)
                .await?;
            if updated.rows_affected > 0 {
                key.last_used_at = Some(now);
            }
        }
        self.keys.keep(hash, &key, valid_until, epoch);
        Ok(KeyCheck::Valid(key))
    }

    /// Every key, newest first, revoked ones included.
    pub async fn list_api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        api_key::Entity::find()
            .order_by_desc(api_key::Column::CreatedAt)
            .order_by_desc(api_key::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(key_from_row)
            .collect()
    }

    /// One key; `NotFound("api key")`.
    pub async fn get_api_key(&self, id: Uuid) -> Result<ApiKey, StoreError> {
        let row = api_key::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("api key"))?;
        key_from_row(row)
    }

    /// Revokes a key: it no longer authenticates. Idempotent: a second revocation keeps the first
    /// instant. `NotFound("api key")`.
    ///
    /// Every replica on the database stops accepting the key when the revocation commits: this one
    /// at once, the others as soon as they hear of it ([`crate::key_revocations`]).
    pub async fn revoke_api_key(&self, id: Uuid, now: DateTime<Utc>) -> Result<ApiKey, StoreError> {
        let now = normalise(now);
        let txn = self.write_transaction().await?;
        let revoked = api_key::Entity::update_many()
            .col_expr(api_key::Column::RevokedAt, Expr::value(now))
            .filter(api_key::Column::Id.eq(id))
            .filter(api_key::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        if revoked.rows_affected > 0 {
            crate::key_revocations::announce(&txn, &[id]).await?;
        }
        self.commit(txn).await?;
        self.keys.forget(&[id]);
        self.get_api_key(id).await
    }

    /// Revokes every active key of a member within `txn`, announcing it to the other replicas at
    /// commit; returns their ids, for the caller to forget once committed.
    pub(crate) async fn revoke_member_keys<C: ConnectionTrait>(
        txn: &C,
        member: &StaffHandle,
        now: DateTime<Utc>,
    ) -> Result<Vec<Uuid>, StoreError> {
        let ids: Vec<Uuid> = api_key::Entity::find()
            .filter(api_key::Column::StaffMember.eq(member.as_str()))
            .filter(api_key::Column::RevokedAt.is_null())
            .all(txn)
            .await?
            .into_iter()
            .map(|row| row.id)
            .collect();
        if ids.is_empty() {
            return Ok(ids);
        }
        api_key::Entity::update_many()
            .col_expr(api_key::Column::RevokedAt, Expr::value(normalise(now)))
            .filter(api_key::Column::Id.is_in(ids.clone()))
            .filter(api_key::Column::RevokedAt.is_null())
            .exec(txn)
            .await?;
        crate::key_revocations::announce(txn, &ids).await?;
        Ok(ids)
    }

    /// Forgets cached keys (after a commit that revoked them).
    pub(crate) fn forget_keys(&self, ids: &[Uuid]) {
        self.keys.forget(ids);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_keys_reach_the_database() {
        let key = format!("{KEY_PREFIX}{}", new_secret());
        assert!(well_formed(&key));
        assert!(!well_formed(&key[..key.len() - 1]));
        assert!(!well_formed(&format!("{key}x")));
        assert!(!well_formed(&key.replace(KEY_PREFIX, "abc_")));
        assert!(!well_formed(""));
        assert!(!well_formed(&format!("{KEY_PREFIX}{}", "é".repeat(22))));
    }

    #[test]
    fn scopes_serialise_with_a_type_tag() {
        let staff = serde_json::to_value(KeyScope::Staff { role: Role::Admin }).ok();
        assert_eq!(
            staff,
            Some(serde_json::json!({"type": "staff", "role": "admin"}))
        );
    }
}
