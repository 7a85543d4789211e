//! A ticket's history: its events, its evidence file and the check of its chain.

use super::StoredEvent;
use crate::chain::{self, EvidenceEntry, EvidenceFile, Link as ChainLink, Verification};
use crate::entities::sealed_text;
use crate::entities::{ticket, ticket_event};
use crate::seal::{self};
use crate::{Store, StoreError};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;
use ticket_domain::values::TicketId;

impl Store {
    /// A ticket's events in order.
    pub async fn events(&self, id: TicketId) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = self.event_rows(id).await?;
        let sealed = self.sealed_texts(id).await?;
        rows.into_iter()
            .map(|row| stored_event(row, &sealed))
            .collect()
    }

    /// The sealed free texts of a ticket's events still held (the anonymiser erases them).
    pub async fn sealed_texts(&self, id: TicketId) -> Result<Vec<sealed_text::Model>, StoreError> {
        Ok(sealed_text::Entity::find()
            .filter(sealed_text::Column::TicketId.eq(id.0))
            .all(&self.db)
            .await?)
    }

    async fn event_rows(&self, id: TicketId) -> Result<Vec<ticket_event::Model>, StoreError> {
        Ok(ticket_event::Entity::find()
            .filter(ticket_event::Column::TicketId.eq(id.0))
            .order_by_asc(ticket_event::Column::Seq)
            .all(&self.db)
            .await?)
    }

    /// The ticket's whole evidence file, verifiable offline.
    pub async fn evidence(&self, id: TicketId) -> Result<EvidenceFile, StoreError> {
        let row = ticket::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("ticket"))?;
        let rows = self.event_rows(id).await?;
        let sealed_texts = self
            .sealed_texts(id)
            .await?
            .into_iter()
            .filter_map(|t| {
                let seq = rows.iter().find(|e| e.id == t.event_id)?.seq;
                Some(chain::SealedEntry {
                    seq,
                    pointer: t.pointer,
                    salt: t.salt,
                    value: t.value,
                })
            })
            .collect();
        let events = rows
            .into_iter()
            .map(|e| {
                Ok(EvidenceEntry {
                    seq: e.seq,
                    event: serde_json::from_str(&e.canonical)?,
                    canonical: e.canonical,
                    prev_hash: e.prev_hash,
                    hash: e.hash,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(EvidenceFile {
            ticket_id: row.id,
            reference: row.reference,
            algorithm: chain::ALGORITHM.to_owned(),
            events,
            head: row.chain_head,
            sealed_texts,
            withheld: None,
        })
    }

    /// Recomputes a ticket's chain from the stored rows; names the first broken event.
    pub async fn verify_chain(&self, id: TicketId) -> Result<Verification, StoreError> {
        let row = ticket::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("ticket"))?;
        let events = self.event_rows(id).await?;
        Ok(chain::verify(
            events.iter().map(|e| ChainLink {
                seq: e.seq,
                canonical: &e.canonical,
                prev_hash: &e.prev_hash,
                hash: &e.hash,
            }),
            row.event_count,
            &row.chain_head,
        ))
    }
}

/// An event row as read back: its canonical JSON without the chain's own fields, its sealed free
/// texts (among `sealed`) put back where they were.
pub(crate) fn stored_event(
    row: ticket_event::Model,
    sealed: &[sealed_text::Model],
) -> Result<StoredEvent, StoreError> {
    let mut value: Value = serde_json::from_str(&row.canonical)?;
    if let Value::Object(map) = &mut value {
        map.remove("ticket_id");
        map.remove("seq");
    }
    seal::unseal(&mut value, |pointer| {
        sealed
            .iter()
            .find(|t| t.event_id == row.id && t.pointer == pointer)
            .map(|t| t.value.clone())
    });
    Ok(StoredEvent {
        id: row.id,
        seq: row.seq,
        event: serde_json::from_value(value)?,
        hash: row.hash,
    })
}
