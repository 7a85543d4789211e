//! API keys: stored as SHA-256 of a high-entropy secret, with a role or an organisation.
//!
//! A key is `tkd_` followed by 256 random bits (43 URL-safe characters). It is shown once, when it is
//! created; the database keeps only its hash and its first 12 characters (`tkd_` and 8 characters of
//! the secret, 48 of its 256 bits), to recognise it in a list.

use crate::entities::{api_key, staff_member};
use crate::registry::{RowLock, lock_organisation};
use crate::secrets::{new_secret, secret_hash};
use crate::tickets::normalise;
use crate::{Store, StoreError};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use ticket_domain::Refusal;
use ticket_domain::actor::Role;
use ticket_domain::values::{OrganisationId, StaffHandle, Text};
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

/// How long a replica trusts a key it authenticated without asking the database again: a key
/// revoked through another replica stops working there within this time, and at once on the
/// replica that revoked it. Within it, a request costs no database round trip to authenticate.
pub const KEY_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(2);

/// Keys kept at most (by secret hash); beyond, the cache starts again empty.
const KEY_CACHE_MAX: usize = 10_000;

/// The keys this replica authenticated lately, by the SHA-256 of their secret (never the secret).
#[derive(Debug, Default)]
pub(crate) struct KeyCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, (ApiKey, std::time::Instant)>>,
}

impl KeyCache {
    /// The key of `hash` if it was authenticated within [`KEY_CACHE_TTL`] and its use at `now`
    /// need not be recorded (see [`LAST_USE_RESOLUTION`]).
    fn fresh(&self, hash: &str, now: DateTime<Utc>) -> Option<ApiKey> {
        let entries = self.entries.lock().ok()?;
        let (key, at) = entries.get(hash)?;
        let recorded = key
            .last_used_at
            .is_some_and(|used| used > now - LAST_USE_RESOLUTION);
        (at.elapsed() < KEY_CACHE_TTL && recorded).then(|| key.clone())
    }

    fn keep(&self, hash: String, key: &ApiKey) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= KEY_CACHE_MAX {
                entries.clear();
            }
            entries.insert(hash, (key.clone(), std::time::Instant::now()));
        }
    }

    fn forget(&self, id: Uuid) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, (key, _)| key.id != id);
        }
    }
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
    })
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
    /// (`NotFound("organisation")`).
    pub async fn create_api_key(
        &self,
        name: &str,
        scope: KeyScope,
        now: DateTime<Utc>,
    ) -> Result<(ApiKey, String), StoreError> {
        self.insert_api_key(name, scope, None, now).await
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
        self.insert_api_key(name, KeyScope::Staff { role }, Some(member), now)
            .await
    }

    async fn insert_api_key(
        &self,
        name: &str,
        scope: KeyScope,
        member: Option<&StaffHandle>,
        now: DateTime<Utc>,
    ) -> Result<(ApiKey, String), StoreError> {
        let name = Text::parse("name", name, MAX_KEY_NAME)
            .map_err(|error| StoreError::Refused(Refusal::from(error)))?;
        let now = normalise(now);
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

    /// The key a secret belongs to, if it exists and is not revoked.
    ///
    /// Records the use in `last_used_at` when the last recorded use is older than a minute, with a
    /// conditional update, so concurrent requests write it once and most requests not at all.
    pub async fn authenticate(
        &self,
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ApiKey>, StoreError> {
        if !well_formed(secret) {
            return Ok(None);
        }
        let now = normalise(now);
        let hash = secret_hash(secret);
        if let Some(key) = self.keys.fresh(&hash, now) {
            return Ok(Some(key));
        }
        // The secret is compared through its SHA-256, by a lookup in the unique index on
        // `secret_hash`, never byte by byte: timing can tell at most how the hash of a guess
        // relates to stored hashes, which reveals nothing about any secret. So no constant-time
        // comparison is needed.
        let Some(row) = api_key::Entity::find()
            .filter(api_key::Column::SecretHash.eq(hash.clone()))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        if row.revoked_at.is_some() {
            return Ok(None);
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
        self.keys.keep(hash, &key);
        Ok(Some(key))
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
    pub async fn revoke_api_key(&self, id: Uuid, now: DateTime<Utc>) -> Result<ApiKey, StoreError> {
        let now = normalise(now);
        api_key::Entity::update_many()
            .col_expr(api_key::Column::RevokedAt, Expr::value(now))
            .filter(api_key::Column::Id.eq(id))
            .filter(api_key::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await?;
        self.keys.forget(id);
        self.get_api_key(id).await
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
