//! Privacy by design in the store: the access journal, legal holds, anonymisation and the
//! requests of data subjects (rule "Personal data" of the domain document).
//!
//! **Access journal.** Every read of a ticket's personal data in full (ticket read, evidence
//! export, attachment download, a person's export) appends one entry: who, when, which ticket,
//! which fields. The journal is append-only and hash-chained like the evidence file: each entry
//! carries `SHA-256(prev_hash ‖ canonical_json(entry))`, and a one-row head (`access_journal_head`,
//! locked by each append) holds the last sequence number and hash, so an entry edited, removed or
//! inserted shows in [`Store::verify_journal`]. Entries hold no personal data: actors are staff
//! handles or key names, fields are field names, a person's address is never written.
//!
//! **Anonymisation** reaches every copy of a ticket's personal data through a list of erasers,
//! [`DatabaseEraser::ALL`], run in one transaction with the ticket's own update (copies outside
//! the database — `.eml` files, attachments — are erased by the caller first, see `ticketd`).
//! The evidence chain never held the personal data (see [`crate::seal`]), so it still verifies.

use crate::entities::{legal_hold, ticket};
use crate::tickets::normalise;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{EntityTrait, QuerySelect};
use serde::Serialize;
use ticket_domain::Actor;
use ticket_domain::values::TicketId;
use uuid::Uuid;

mod erasure;
mod journal;
mod person;

pub use erasure::{Anonymisation, DatabaseEraser};
pub(crate) use journal::append_journal;
pub use journal::{JournalAction, JournalEntry, JournalFilter, JournalRecord};
pub use person::PersonExport;

/// A legal hold: the ticket's personal data is kept whatever the retention says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegalHold {
    pub ticket_id: TicketId,
    pub set_at: DateTime<Utc>,
    pub set_by: String,
    pub reason: String,
}

impl From<legal_hold::Model> for LegalHold {
    fn from(row: legal_hold::Model) -> Self {
        Self {
            ticket_id: TicketId(row.ticket_id),
            set_at: row.set_at,
            set_by: row.set_by,
            reason: row.reason,
        }
    }
}

impl Store {
    pub async fn legal_hold(&self, id: TicketId) -> Result<Option<LegalHold>, StoreError> {
        Ok(legal_hold::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .map(Into::into))
    }

    /// Sets (or replaces the reason of) a legal hold on a ticket, journalled.
    pub async fn set_legal_hold(
        &self,
        id: TicketId,
        actor: &Actor,
        key: Option<Uuid>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<LegalHold, StoreError> {
        let now = normalise(now);
        let txn = self.write_transaction().await?;
        let anonymised: Option<Option<DateTime<Utc>>> = ticket::Entity::find_by_id(id.0)
            .select_only()
            .column(ticket::Column::AnonymisedAt)
            .into_tuple()
            .one(&txn)
            .await?;
        match anonymised {
            None => return Err(StoreError::NotFound("ticket")),
            Some(Some(_)) => return Err(StoreError::AlreadyAnonymised),
            Some(None) => {}
        }
        let row = legal_hold::Model {
            ticket_id: id.0,
            set_at: now,
            set_by: actor.describe(),
            reason: reason.to_owned(),
        };
        legal_hold::Entity::delete_by_id(id.0).exec(&txn).await?;
        legal_hold::Entity::insert(legal_hold::ActiveModel {
            ticket_id: Set(row.ticket_id),
            set_at: Set(row.set_at),
            set_by: Set(row.set_by.clone()),
            reason: Set(row.reason.clone()),
        })
        .exec_without_returning(&txn)
        .await?;
        append_journal(
            &txn,
            &JournalRecord::new(JournalAction::LegalHoldSet, actor, Some(id)).key(key),
            now,
        )
        .await?;
        self.commit(txn).await?;
        Ok(row.into())
    }

    /// Lifts a ticket's legal hold; `false` if it had none.
    pub async fn lift_legal_hold(
        &self,
        id: TicketId,
        actor: &Actor,
        key: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let txn = self.write_transaction().await?;
        let deleted = legal_hold::Entity::delete_by_id(id.0).exec(&txn).await?;
        if deleted.rows_affected == 0 {
            return Ok(false);
        }
        append_journal(
            &txn,
            &JournalRecord::new(JournalAction::LegalHoldLifted, actor, Some(id)).key(key),
            now,
        )
        .await?;
        self.commit(txn).await?;
        Ok(true)
    }
}
