//! The trust-sphere registry: organisations, their services and designated contacts.
//!
//! Validation: the registry's own rules (roles non-empty and distinct, a positive maximum
//! unavailability) are checked by [`NewOrganisation::validate`], [`validate_roles`] and
//! [`NewService::validate`], which the API calls to answer 422 with field errors. The store checks
//! them again and refuses with [`StoreError::Refused`] (rule `invalid-input`, same field errors),
//! so no caller can write an invalid entry.
//!
//! Contacts hold personal data (email, phone): they are only ever carried in the domain's
//! [`EmailAddress`] and [`PhoneNumber`], whose `Debug` is redacted, and no error message of this
//! module contains them.

use crate::entities::{api_key, contact, organisation, service, ticket, ticket_organisation};
use crate::tickets::normalise;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    AccessMode, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    IsolationLevel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use ticket_domain::Refusal;
use ticket_domain::kind::ServiceSnapshot;
use ticket_domain::values::{
    EmailAddress, FieldError, OrganisationId, PhoneNumber, ServiceId, Text,
};
use uuid::Uuid;

/// What an organisation is in the trust sphere (it may be several).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum OrganisationRole {
    /// Identification and/or authentication operator.
    IdentityProvider,
    /// Service operator.
    ServiceProvider,
    UserOrganisation,
}

impl OrganisationRole {
    pub const ALL: [OrganisationRole; 3] = [
        OrganisationRole::IdentityProvider,
        OrganisationRole::ServiceProvider,
        OrganisationRole::UserOrganisation,
    ];

    pub fn name(self) -> &'static str {
        self.into()
    }

    pub fn parse(name: &str) -> Option<Self> {
        name.parse().ok()
    }
}

/// Minimum identification/authentication level a service requires.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum AssuranceLevel {
    None,
    EidasLow,
    Substantial,
    High,
}

impl AssuranceLevel {
    pub const ALL: [AssuranceLevel; 4] = [
        AssuranceLevel::None,
        AssuranceLevel::EidasLow,
        AssuranceLevel::Substantial,
        AssuranceLevel::High,
    ];

    pub fn name(self) -> &'static str {
        self.into()
    }

    pub fn parse(name: &str) -> Option<Self> {
        name.parse().ok()
    }
}

/// An organisation of the trust sphere, with its services and designated contacts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub id: OrganisationId,
    pub name: String,
    /// Distinct, non-empty, in the order of [`OrganisationRole::ALL`].
    pub roles: Vec<OrganisationRole>,
    /// In the order they were added.
    pub services: Vec<Service>,
    /// In the order they were added.
    pub contacts: Vec<DesignatedContact>,
    pub created_at: DateTime<Utc>,
    /// Last change of the name or roles (services and contacts have their own rows).
    pub updated_at: DateTime<Utc>,
}

/// A service of an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub id: ServiceId,
    pub organisation: OrganisationId,
    pub name: String,
    /// Availability window, e.g. "24/7" or "office hours".
    pub availability: String,
    /// Maximum unavailability duration, in seconds (> 0), when declared.
    pub max_unavailability_seconds: Option<i64>,
    pub minimum_assurance_level: AssuranceLevel,
}

/// A designated contact of an organisation: who the mailer writes to. Email and phone are
/// personal data; their `Debug` is redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesignatedContact {
    pub id: Uuid,
    pub organisation: OrganisationId,
    /// A person's name or a team.
    pub name: String,
    pub function: String,
    pub email: EmailAddress,
    pub phone: Option<PhoneNumber>,
}

// The `New*` inputs derive no `Deserialize` on purpose: `Text` and `EmailAddress` deserialise
// without validation, so the API must build them with their `parse` functions.

/// A new organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganisation {
    pub name: Text,
    pub roles: Vec<OrganisationRole>,
}

impl NewOrganisation {
    /// The registry's rules on an organisation: at least one role, no role twice.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        validate_roles(&self.roles)
    }
}

/// Roles must be non-empty and without duplicates (field `roles`).
pub fn validate_roles(roles: &[OrganisationRole]) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if roles.is_empty() {
        errors.push(FieldError::new(
            "roles",
            "required",
            "an organisation has at least one role",
        ));
    }
    let mut seen = roles.to_vec();
    seen.sort_unstable();
    seen.dedup();
    if seen.len() != roles.len() {
        errors.push(FieldError::new(
            "roles",
            "unique_items",
            "each role may be given only once",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// A new service of an organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewService {
    pub name: Text,
    pub availability: Text,
    pub max_unavailability_seconds: Option<i64>,
    pub minimum_assurance_level: AssuranceLevel,
}

impl NewService {
    /// The maximum unavailability, when given, is a positive number of seconds.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        match self.max_unavailability_seconds {
            Some(seconds) if seconds <= 0 => Err(vec![FieldError::new(
                "max_unavailability_seconds",
                "exclusive_minimum",
                "must be a positive number of seconds",
            )]),
            _ => Ok(()),
        }
    }
}

/// A new designated contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContact {
    /// A person's name or a team.
    pub name: Text,
    pub function: Text,
    pub email: EmailAddress,
    pub phone: Option<PhoneNumber>,
}

fn refuse_invalid(errors: Vec<FieldError>) -> StoreError {
    StoreError::Refused(Refusal::invalid(errors))
}

fn roles_to_column(roles: &[OrganisationRole]) -> String {
    let mut roles = roles.to_vec();
    roles.sort_unstable();
    roles.dedup();
    roles.iter().map(|r| r.name()).collect::<Vec<_>>().join(",")
}

fn roles_from_column(id: Uuid, column: &str) -> Result<Vec<OrganisationRole>, StoreError> {
    column
        .split(',')
        .map(|name| {
            OrganisationRole::parse(name).ok_or_else(|| {
                StoreError::corrupt(format!("organisation {id}: unknown role {name:?}"))
            })
        })
        .collect()
}

fn service_from_row(row: service::Model) -> Result<Service, StoreError> {
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

fn contact_from_row(row: contact::Model) -> Result<DesignatedContact, StoreError> {
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

fn organisation_from_row(
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
fn name_conflict(error: sea_orm::DbErr) -> StoreError {
    let error = StoreError::from(error);
    if error.is_unique_violation() {
        StoreError::Duplicate("organisation name")
    } else {
        error
    }
}

/// A foreign-key violation on insert: the organisation was deleted meanwhile.
fn missing_organisation(error: sea_orm::DbErr) -> StoreError {
    if matches!(
        error.sql_err(),
        Some(SqlErr::ForeignKeyConstraintViolation(_))
    ) {
        StoreError::NotFound("organisation")
    } else {
        StoreError::from(error)
    }
}

async fn organisation_exists<C: ConnectionTrait>(
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
async fn load_organisation<C: ConnectionTrait>(
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

async fn load_contacts<C: ConnectionTrait>(
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

    /// Adds a service to an organisation; `NotFound("organisation")`; a maximum unavailability
    /// must be positive ([`NewService::validate`]).
    pub async fn add_service(
        &self,
        organisation: OrganisationId,
        new: NewService,
        now: DateTime<Utc>,
    ) -> Result<Service, StoreError> {
        new.validate().map_err(refuse_invalid)?;
        let now = normalise(now);
        let txn = self.write_transaction().await?;
        if !lock_organisation(&txn, organisation, RowLock::Share).await? {
            return Err(StoreError::NotFound("organisation"));
        }
        let row = service::Model {
            id: ServiceId::new_v7().0,
            organisation_id: organisation.0,
            name: new.name.as_str().to_owned(),
            availability: new.availability.as_str().to_owned(),
            max_unavailability_seconds: new.max_unavailability_seconds,
            minimum_assurance_level: new.minimum_assurance_level.name().to_owned(),
            created_at: now,
        };
        service::Entity::insert(service::ActiveModel::from(row.clone()))
            .exec_without_returning(&txn)
            .await
            .map_err(missing_organisation)?;
        self.commit(txn).await?;
        service_from_row(row)
    }

    /// Removes a service of an organisation. `NotFound("service")` when it does not exist or
    /// belongs to another organisation. Tickets keep the snapshot taken when they were opened.
    pub async fn remove_service(
        &self,
        organisation: OrganisationId,
        service: ServiceId,
    ) -> Result<(), StoreError> {
        let deleted = service::Entity::delete_many()
            .filter(service::Column::Id.eq(service.0))
            .filter(service::Column::OrganisationId.eq(organisation.0))
            .exec(&self.db)
            .await?;
        if deleted.rows_affected == 0 {
            return Err(StoreError::NotFound("service"));
        }
        Ok(())
    }

    /// One service; `NotFound("service")`.
    pub async fn get_service(&self, service: ServiceId) -> Result<Service, StoreError> {
        let row = service::Entity::find_by_id(service.0)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("service"))?;
        service_from_row(row)
    }

    /// The service as a ticket records it when it is opened; `NotFound("service")`.
    pub async fn service_snapshot(
        &self,
        service: ServiceId,
    ) -> Result<ServiceSnapshot, StoreError> {
        let service = self.get_service(service).await?;
        Ok(ServiceSnapshot {
            id: service.id,
            organisation: service.organisation,
            name: service.name,
            max_unavailability_seconds: service.max_unavailability_seconds,
            availability: Some(service.availability),
        })
    }

    /// Adds a designated contact to an organisation; `NotFound("organisation")`.
    pub async fn add_contact(
        &self,
        organisation: OrganisationId,
        new: NewContact,
        now: DateTime<Utc>,
    ) -> Result<DesignatedContact, StoreError> {
        let now = normalise(now);
        let txn = self.write_transaction().await?;
        if !lock_organisation(&txn, organisation, RowLock::Share).await? {
            return Err(StoreError::NotFound("organisation"));
        }
        let row = contact::Model {
            id: Uuid::now_v7(),
            organisation_id: organisation.0,
            name: new.name.as_str().to_owned(),
            function: new.function.as_str().to_owned(),
            email: new.email.expose().to_owned(),
            phone: new.phone.as_ref().map(|p| p.expose().to_owned()),
            created_at: now,
        };
        contact::Entity::insert(contact::ActiveModel::from(row.clone()))
            .exec_without_returning(&txn)
            .await
            .map_err(missing_organisation)?;
        self.commit(txn).await?;
        Ok(DesignatedContact {
            id: row.id,
            organisation,
            name: row.name,
            function: row.function,
            email: new.email,
            phone: new.phone,
        })
    }

    /// Removes a designated contact. `NotFound("contact")` when it does not exist or belongs to
    /// another organisation.
    pub async fn remove_contact(
        &self,
        organisation: OrganisationId,
        contact: Uuid,
    ) -> Result<(), StoreError> {
        let deleted = contact::Entity::delete_many()
            .filter(contact::Column::Id.eq(contact))
            .filter(contact::Column::OrganisationId.eq(organisation.0))
            .exec(&self.db)
            .await?;
        if deleted.rows_affected == 0 {
            return Err(StoreError::NotFound("contact"));
        }
        Ok(())
    }

    /// The designated contacts of an organisation, in the order they were added: whom the mailer
    /// writes to. `NotFound("organisation")` for an unknown organisation, so that a mail is not
    /// silently sent to nobody; an empty list for an organisation without contacts.
    pub async fn contacts_of(
        &self,
        organisation: OrganisationId,
    ) -> Result<Vec<DesignatedContact>, StoreError> {
        let contacts = load_contacts(&self.db, organisation).await?;
        if contacts.is_empty() && !organisation_exists(&self.db, organisation).await? {
            return Err(StoreError::NotFound("organisation"));
        }
        Ok(contacts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_column_in_canonical_order() {
        let id = Uuid::now_v7();
        let column = roles_to_column(&[
            OrganisationRole::UserOrganisation,
            OrganisationRole::IdentityProvider,
        ]);
        assert_eq!(column, "identity_provider,user_organisation");
        assert_eq!(
            roles_from_column(id, &column).ok(),
            Some(vec![
                OrganisationRole::IdentityProvider,
                OrganisationRole::UserOrganisation
            ])
        );
        assert!(roles_from_column(id, "identity_provider,astronaut").is_err());
        assert!(roles_from_column(id, "").is_err());
    }

    #[test]
    fn role_and_level_names_match_their_serde_names() {
        for role in OrganisationRole::ALL {
            let json = serde_json::to_value(role).ok();
            assert_eq!(json.as_ref().and_then(|v| v.as_str()), Some(role.name()));
            assert_eq!(OrganisationRole::parse(role.name()), Some(role));
        }
        for level in AssuranceLevel::ALL {
            let json = serde_json::to_value(level).ok();
            assert_eq!(json.as_ref().and_then(|v| v.as_str()), Some(level.name()));
            assert_eq!(AssuranceLevel::parse(level.name()), Some(level));
        }
    }

    #[test]
    fn roles_must_be_present_and_distinct() {
        assert!(validate_roles(&[OrganisationRole::ServiceProvider]).is_ok());
        let empty = validate_roles(&[]).err().unwrap_or_default();
        assert_eq!(empty.first().map(|e| e.rule.as_str()), Some("required"));
        let twice = validate_roles(&[
            OrganisationRole::ServiceProvider,
            OrganisationRole::ServiceProvider,
        ])
        .err()
        .unwrap_or_default();
        assert_eq!(twice.first().map(|e| e.rule.as_str()), Some("unique_items"));
    }
}
