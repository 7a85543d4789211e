//! The staff directory: the operator's staff members, each with a handle (how tickets name them:
//! assignee, history) and an email (where mails about their tickets go). Staff API keys may belong
//! to a member; a ticket is assigned only to a member.

use crate::entities::{api_key, staff_member};
use crate::tickets::normalise;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use ticket_domain::Role;
use ticket_domain::values::{EmailAddress, StaffHandle};

/// Which role a member writing by mail acts with, when their keys carry several: the one that
/// may do the most on tickets first.
const MAIL_ROLE_ORDER: [Role; 6] = [
    Role::Security,
    Role::Supervisor,
    Role::Agent,
    Role::Engineer,
    Role::Admin,
    Role::Dpo,
];

/// A member of the operator's staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub handle: StaffHandle,
    /// Personal data: never logged (its domain at most).
    pub email: EmailAddress,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn from_row(row: staff_member::Model) -> Result<StaffMember, StoreError> {
    Ok(StaffMember {
        handle: StaffHandle::parse("handle", &row.handle)
            .map_err(|_| StoreError::corrupt("a staff member's stored handle is not a handle"))?,
        email: EmailAddress::parse("email", &row.email).map_err(|_| {
            StoreError::corrupt("a staff member's stored email is not an email address")
        })?,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

impl Store {
    /// Adds a member; `Duplicate("staff member")` if the handle is taken.
    pub async fn add_staff_member(
        &self,
        handle: &StaffHandle,
        email: &EmailAddress,
        now: DateTime<Utc>,
    ) -> Result<StaffMember, StoreError> {
        let now = normalise(now);
        let row = staff_member::Model {
            handle: handle.as_str().to_owned(),
            email: email.expose().to_owned(),
            created_at: now,
            updated_at: now,
        };
        let txn = self.write_transaction().await?;
        let inserted = staff_member::Entity::insert(staff_member::ActiveModel::from(row.clone()))
            .exec_without_returning(&txn)
            .await
            .map_err(StoreError::from);
        match inserted {
            Err(error) if error.is_unique_violation() => {
                return Err(StoreError::Duplicate("staff member"));
            }
            other => other?,
        };
        self.commit(txn).await?;
        from_row(row)
    }

    /// Changes a member's email; `NotFound("staff member")`.
    pub async fn update_staff_member(
        &self,
        handle: &StaffHandle,
        email: &EmailAddress,
        now: DateTime<Utc>,
    ) -> Result<StaffMember, StoreError> {
        let now = normalise(now);
        let txn = self.write_transaction().await?;
        let result = staff_member::Entity::update_many()
            .col_expr(staff_member::Column::Email, Expr::value(email.expose()))
            .col_expr(staff_member::Column::UpdatedAt, Expr::value(now))
            .filter(staff_member::Column::Handle.eq(handle.as_str()))
            .exec(&txn)
            .await?;
        if result.rows_affected != 1 {
            return Err(StoreError::NotFound("staff member"));
        }
        self.commit(txn).await?;
        self.get_staff_member(handle).await
    }

    /// Every member, by handle.
    pub async fn list_staff_members(&self) -> Result<Vec<StaffMember>, StoreError> {
        staff_member::Entity::find()
            .order_by_asc(staff_member::Column::Handle)
            .all(&self.db)
            .await?
            .into_iter()
            .map(from_row)
            .collect()
    }

    /// One member; `NotFound("staff member")`.
    pub async fn get_staff_member(&self, handle: &StaffHandle) -> Result<StaffMember, StoreError> {
        let row = staff_member::Entity::find_by_id(handle.as_str().to_owned())
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("staff member"))?;
        from_row(row)
    }

    /// The member whose email is `email` (case-insensitive) and the role they act with by mail:
    /// the role of their active keys (neither revoked nor expired at `now`), the one that handles
    /// the most when they hold several (security, supervisor, agent, engineer, admin, dpo). `None`
    /// for an unknown address and for a member without an active key (someone who left keeps no
    /// voice by mail).
    pub async fn staff_by_email(
        &self,
        email: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(StaffHandle, Role)>, StoreError> {
        let rows = staff_member::Entity::find()
            .filter(
                Expr::expr(Func::lower(Expr::col(staff_member::Column::Email)))
                    .eq(email.to_lowercase()),
            )
            .order_by_asc(staff_member::Column::Handle)
            .all(&self.db)
            .await?;
        // Two members sharing an address: nobody can tell which one wrote.
        let [row] = rows.as_slice() else {
            return Ok(None);
        };
        let member = from_row(row.clone())?;
        let roles: Vec<Option<String>> = api_key::Entity::find()
            .select_only()
            .column(api_key::Column::Role)
            .filter(api_key::Column::StaffMember.eq(member.handle.as_str()))
            .filter(api_key::Column::RevokedAt.is_null())
            .filter(
                sea_orm::Condition::any()
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
        Ok(MAIL_ROLE_ORDER
            .into_iter()
            .find(|role| held.contains(role))
            .map(|role| (member.handle, role)))
    }

    /// Removes a member, and revokes their keys in the same transaction: whoever left can no
    /// longer act, on any replica, from the moment the removal commits (see
    /// [`crate::key_revocations`]). Tickets assigned to them keep the handle (history). Returns the
    /// ids of the keys revoked.
    pub async fn remove_staff_member(
        &self,
        handle: &StaffHandle,
        now: DateTime<Utc>,
    ) -> Result<Vec<uuid::Uuid>, StoreError> {
        let txn = self.write_transaction().await?;
        let result = staff_member::Entity::delete_by_id(handle.as_str().to_owned())
            .exec(&txn)
            .await?;
        if result.rows_affected != 1 {
            return Err(StoreError::NotFound("staff member"));
        }
        let revoked = Store::revoke_member_keys(&txn, handle, now).await?;
        // Their browser sessions end in the same transaction: checked in the database on every
        // request, they stop on every replica when the removal commits (issue 30).
        crate::signin::end_member_sessions(&txn, handle, now).await?;
        self.commit(txn).await?;
        self.forget_keys(&revoked);
        Ok(revoked)
    }
}
