//! An organisation's services and designated contacts.

use super::rows::{
    RowLock, load_contacts, lock_organisation, missing_organisation, organisation_exists,
    service_from_row,
};
use super::{DesignatedContact, NewContact, NewService, Service, refuse_invalid};
use crate::entities::{contact, service};
use crate::tickets::normalise;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use ticket_domain::kind::ServiceSnapshot;
use ticket_domain::values::{OrganisationId, ServiceId};
use uuid::Uuid;

impl Store {
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
