//! Organisations: created, read (one snapshot), updated and deleted.

use super::rows::{
    RowLock, contact_from_row, load_organisation, lock_organisation, name_conflict,
    organisation_from_row, service_from_row,
};
use super::{
    DesignatedContact, NewOrganisation, Organisation, OrganisationRole, Service, refuse_invalid,
    roles_to_column, validate_roles,
};
use crate::entities::{api_key, contact, organisation, service, ticket, ticket_organisation};
use crate::tickets::normalise;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    AccessMode, ColumnTrait, DatabaseTransaction, DbBackend, EntityTrait, IsolationLevel,
    PaginatorTrait, QueryFilter, QueryOrder, SqlErr, TransactionTrait,
};
use std::collections::HashMap;
use ticket_domain::values::{OrganisationId, Text};
use uuid::Uuid;

impl Store {
    /// A read-only transaction that sees one snapshot across several queries: `REPEATABLE READ` on
    /// PostgreSQL (its default `READ COMMITTED` takes a snapshot per statement); on SQLite in WAL
    /// mode a read transaction already sees one snapshot.
    async fn read_snapshot(&self) -> Result<DatabaseTransaction, StoreError> {
        self.count_round_trip();
        let transaction = match self.backend() {
            DbBackend::Postgres => {
                self.db
                    .begin_with_config(
                        Some(IsolationLevel::RepeatableRead),
                        Some(AccessMode::ReadOnly),
                    )
                    .await?
            }
            _ => self.db.begin().await?,
        };
        Ok(transaction)
    }

    /// Registers an organisation. Its name is unique (`Duplicate("organisation name")`, compared
    /// exactly: case and accents matter); its roles are validated ([`NewOrganisation::validate`]).
    pub async fn create_organisation(
        &self,
        new: NewOrganisation,
        now: DateTime<Utc>,
    ) -> Result<Organisation, StoreError> {
        new.validate().map_err(refuse_invalid)?;
        let now = normalise(now);
        let row = organisation::Model {
            id: OrganisationId::new_v7().0,
            name: new.name.as_str().to_owned(),
            roles: roles_to_column(&new.roles),
            created_at: now,
            updated_at: now,
        };
        organisation::Entity::insert(organisation::ActiveModel::from(row.clone()))
            .exec_without_returning(&self.db)
            .await
            .map_err(name_conflict)?;
        organisation_from_row(row, Vec::new(), Vec::new())
    }

    /// One organisation with its services and contacts; `NotFound("organisation")`.
    pub async fn get_organisation(&self, id: OrganisationId) -> Result<Organisation, StoreError> {
        let txn = self.read_snapshot().await?;
        let organisation = load_organisation(&txn, id).await?;
        self.count_round_trip();
        txn.commit().await?;
        Ok(organisation)
    }

    /// Every organisation with its services and contacts, sorted by name (case-insensitively, then
    /// exactly: the same order on both databases, whatever PostgreSQL's collation). Three queries
    /// whatever the number of organisations.
    pub async fn list_organisations(&self) -> Result<Vec<Organisation>, StoreError> {
        let txn = self.read_snapshot().await?;
        let rows = organisation::Entity::find().all(&txn).await?;
        let services = service::Entity::find()
            .order_by_asc(service::Column::CreatedAt)
            .order_by_asc(service::Column::Id)
            .all(&txn)
            .await?;
        let contacts = contact::Entity::find()
            .order_by_asc(contact::Column::CreatedAt)
            .order_by_asc(contact::Column::Id)
            .all(&txn)
            .await?;
        self.count_round_trip();
        txn.commit().await?;

        let mut services_of: HashMap<Uuid, Vec<Service>> = HashMap::new();
        for row in services {
            services_of
                .entry(row.organisation_id)
                .or_default()
                .push(service_from_row(row)?);
        }
        let mut contacts_of: HashMap<Uuid, Vec<DesignatedContact>> = HashMap::new();
        for row in contacts {
            contacts_of
                .entry(row.organisation_id)
                .or_default()
                .push(contact_from_row(row)?);
        }
        let mut organisations = rows
            .into_iter()
            .map(|row| {
                let services = services_of.remove(&row.id).unwrap_or_default();
                let contacts = contacts_of.remove(&row.id).unwrap_or_default();
                organisation_from_row(row, services, contacts)
            })
            .collect::<Result<Vec<_>, _>>()?;
        organisations.sort_by_cached_key(|o| (o.name.to_lowercase(), o.name.clone(), o.id));
        Ok(organisations)
    }

    /// Renames an organisation and/or replaces its roles; `updated_at` becomes `now` (even when
    /// nothing is given). `NotFound("organisation")`, `Duplicate("organisation name")`, invalid
    /// roles refused as in [`Store::create_organisation`].
    pub async fn update_organisation(
        &self,
        id: OrganisationId,
        name: Option<Text>,
        roles: Option<Vec<OrganisationRole>>,
        now: DateTime<Utc>,
    ) -> Result<Organisation, StoreError> {
        if let Some(roles) = &roles {
            validate_roles(roles).map_err(refuse_invalid)?;
        }
        let now = normalise(now);
        let txn = self.write_transaction().await?;
        let changes = organisation::ActiveModel {
            id: NotSet,
            name: name.map_or(NotSet, |n| Set(n.as_str().to_owned())),
            roles: roles.map_or(NotSet, |r| Set(roles_to_column(&r))),
            created_at: NotSet,
            updated_at: Set(now),
        };
        let updated = organisation::Entity::update_many()
            .set(changes)
            .filter(organisation::Column::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(name_conflict)?;
        if updated.rows_affected == 0 {
            return Err(StoreError::NotFound("organisation"));
        }
        let organisation = load_organisation(&txn, id).await?;
        self.commit(txn).await?;
        Ok(organisation)
    }

    /// Deletes an organisation with its services and contacts.
    ///
    /// Refused with `InUse("tickets")` while a ticket is about it (`tickets.organisation_id`) or
    /// concerns it (`ticket_organisations`): tickets are evidence. Refused with
    /// `InUse("active api keys")` while a key scoped to it is not revoked: such a key would
    /// otherwise go on authenticating a partner that no longer exists.
    pub async fn delete_organisation(&self, id: OrganisationId) -> Result<(), StoreError> {
        let txn = self.write_transaction().await?;
        if !lock_organisation(&txn, id, RowLock::Update).await? {
            return Err(StoreError::NotFound("organisation"));
        }
        let tickets = ticket::Entity::find()
            .filter(ticket::Column::OrganisationId.eq(id.0))
            .count(&txn)
            .await?
            + ticket_organisation::Entity::find()
                .filter(ticket_organisation::Column::OrganisationId.eq(id.0))
                .count(&txn)
                .await?;
        if tickets > 0 {
            return Err(StoreError::InUse("tickets"));
        }
        let keys = api_key::Entity::find()
            .filter(api_key::Column::OrganisationId.eq(id.0))
            .filter(api_key::Column::RevokedAt.is_null())
            .count(&txn)
            .await?;
        if keys > 0 {
            return Err(StoreError::InUse("active api keys"));
        }
        // Explicit rather than relying on ON DELETE CASCADE, which SQLite applies only with its
        // foreign_keys pragma on.
        service::Entity::delete_many()
            .filter(service::Column::OrganisationId.eq(id.0))
            .exec(&txn)
            .await?;
        contact::Entity::delete_many()
            .filter(contact::Column::OrganisationId.eq(id.0))
            .exec(&txn)
            .await?;
        organisation::Entity::delete_by_id(id.0)
            .exec(&txn)
            .await
            .map_err(|error| {
                // Should a foreign key from tickets ever restrict the delete.
                if matches!(
                    error.sql_err(),
                    Some(SqlErr::ForeignKeyConstraintViolation(_))
                ) {
                    StoreError::InUse("tickets")
                } else {
                    StoreError::from(error)
                }
            })?;
        self.commit(txn).await?;
        Ok(())
    }
}
