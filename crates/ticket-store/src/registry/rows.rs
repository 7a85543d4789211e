//! The registry's rows: read into its types, locked, checked for conflicts.

use super::AssuranceLevel;
use super::{DesignatedContact, Organisation, Service, roles_from_column};
use crate::StoreError;
use crate::entities::{contact, organisation, service};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, SqlErr,
};
use ticket_domain::values::{EmailAddress, OrganisationId, PhoneNumber, ServiceId};
use uuid::Uuid;

pub(super) fn service_from_row(row: service::Model) -> Result<Service, StoreError> {
    let level = AssuranceLevel::parse(&row.minimum_assurance_level).ok_or_else(|| {
        StoreError::corrupt(format!(
            "service {}: unknown assurance level {:?}",
            row.id, row.minimum_assurance_level
        ))
    })?;
    Ok(Service {
        id: ServiceId(row.id),
        organisation: OrganisationId(row.organisation_id),
        name: row.name,
        availability: row.availability,
        max_unavailability_seconds: row.max_unavailability_seconds,
        minimum_assurance_level: level,
    })
}

pub(super) fn contact_from_row(row: contact::Model) -> Result<DesignatedContact, StoreError> {
    // The stored values are never quoted in the error: they are personal data.
    let email = EmailAddress::parse("email", &row.email)
        .map_err(|_| StoreError::corrupt(format!("contact {}: invalid email address", row.id)))?;
    let phone = row
        .phone
        .as_deref()
        .map(|phone| PhoneNumber::parse("phone", phone))
        .transpose()
        .map_err(|_| StoreError::corrupt(format!("contact {}: invalid phone number", row.id)))?;
    Ok(DesignatedContact {
        id: row.id,
        organisation: OrganisationId(row.organisation_id),
        name: row.name,
        function: row.function,
        email,
        phone,
    })
}

pub(super) fn organisation_from_row(
    row: organisation::Model,
    services: Vec<Service>,
    contacts: Vec<DesignatedContact>,
) -> Result<Organisation, StoreError> {
    Ok(Organisation {
        id: OrganisationId(row.id),
        roles: roles_from_column(row.id, &row.roles)?,
        name: row.name,
        services,
        contacts,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// A unique violation on the organisation's name becomes `Duplicate`.
pub(super) fn name_conflict(error: sea_orm::DbErr) -> StoreError {
    let error = StoreError::from(error);
    if error.is_unique_violation() {
        StoreError::Duplicate("organisation name")
    } else {
        error
    }
}

/// A foreign-key violation on insert: the organisation was deleted meanwhile.
pub(super) fn missing_organisation(error: sea_orm::DbErr) -> StoreError {
    if matches!(
        error.sql_err(),
        Some(SqlErr::ForeignKeyConstraintViolation(_))
    ) {
        StoreError::NotFound("organisation")
    } else {
        StoreError::from(error)
    }
}

pub(super) async fn organisation_exists<C: ConnectionTrait>(
    db: &C,
    id: OrganisationId,
) -> Result<bool, StoreError> {
    Ok(organisation::Entity::find_by_id(id.0).count(db).await? > 0)
}

/// How a write transaction holds an organisation's row until it commits (PostgreSQL; SQLite has
/// no row locks but runs one writer at a time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowLock {
    /// `FOR SHARE`: the organisation cannot be deleted meanwhile (adding a service, a contact, a key).
    Share,
    /// `FOR UPDATE`: nobody adds to it meanwhile (deleting it).
    Update,
}

/// Whether the organisation exists, locking its row for the rest of the transaction. Without the
/// lock, on PostgreSQL's READ COMMITTED, a partner key could be created for an organisation being
/// deleted, each transaction missing the other's uncommitted row.
pub(crate) async fn lock_organisation(
    txn: &DatabaseTransaction,
    id: OrganisationId,
    lock: RowLock,
) -> Result<bool, StoreError> {
    let query = organisation::Entity::find_by_id(id.0)
        .select_only()
        .column(organisation::Column::Id);
    let query = match lock {
        RowLock::Share => query.lock_shared(),
        RowLock::Update => query.lock_exclusive(),
    };
    Ok(query.into_tuple::<Uuid>().one(txn).await?.is_some())
}

/// Loads one organisation with its services and contacts (three queries).
pub(super) async fn load_organisation<C: ConnectionTrait>(
    db: &C,
    id: OrganisationId,
) -> Result<Organisation, StoreError> {
    let row = organisation::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("organisation"))?;
    let services = service::Entity::find()
        .filter(service::Column::OrganisationId.eq(id.0))
        .order_by_asc(service::Column::CreatedAt)
        .order_by_asc(service::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(service_from_row)
        .collect::<Result<_, _>>()?;
    let contacts = load_contacts(db, id).await?;
    organisation_from_row(row, services, contacts)
}

pub(super) async fn load_contacts<C: ConnectionTrait>(
    db: &C,
    id: OrganisationId,
) -> Result<Vec<DesignatedContact>, StoreError> {
    contact::Entity::find()
        .filter(contact::Column::OrganisationId.eq(id.0))
        .order_by_asc(contact::Column::CreatedAt)
        .order_by_asc(contact::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(contact_from_row)
        .collect()
}
