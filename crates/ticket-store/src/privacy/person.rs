//! A data subject's requests: the tickets that name a person, and the export of their data.

use super::journal::{JournalAction, JournalRecord, append_journal};
use crate::entities::ticket;
use crate::tickets::{TicketKey, normalise};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use serde_json::{Value, json};
use ticket_domain::Actor;
use ticket_domain::values::TicketId;
use uuid::Uuid;

/// Everything held about a person, as handed to them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonExport {
    pub generated_at: DateTime<Utc>,
    /// Each ticket naming the person: the ticket as stored, its history with the free texts, its
    /// mails (without secrets) and its legal hold.
    pub tickets: Vec<Value>,
    /// Each mail the person sent, whether or not it threads to a ticket (a quarantined mail
    /// may be theirs alone): what is stored of it and its raw message, until erased.
    pub inbound_mails: Vec<Value>,
}

impl Store {
    /// The tickets naming `email` as the victim's contact or the reporter's address (compared
    /// without case), not anonymised, oldest first.
    pub async fn tickets_of_person(&self, email: &str) -> Result<Vec<TicketId>, StoreError> {
        let wanted = email.trim().to_lowercase();
        let mut found = Vec::new();
        let mut after: Option<Uuid> = None;
        loop {
            let mut query = ticket::Entity::find()
                .select_only()
                .columns([ticket::Column::Id, ticket::Column::Document])
                .filter(ticket::Column::AnonymisedAt.is_null())
                .order_by_asc(ticket::Column::Id)
                .limit(500);
            if let Some(after) = after {
                query = query.filter(ticket::Column::Id.gt(after));
            }
            let rows: Vec<(Uuid, Value)> = query.into_tuple().all(&self.db).await?;
            let Some(last) = rows.last() else { break };
            after = Some(last.0);
            for (id, document) in rows {
                let names = |pointer: &str| {
                    document
                        .pointer(pointer)
                        .and_then(Value::as_str)
                        .is_some_and(|a| a.trim().to_lowercase() == wanted)
                };
                if names("/data/contact/email") || names("/reporter/email") {
                    found.push(TicketId(id));
                }
            }
        }
        Ok(found)
    }

    /// Everything held about the person at `email`: each of their tickets with its history (free
    /// texts included), its mails and its legal hold. Journalled, one entry per ticket.
    pub async fn export_person(
        &self,
        email: &str,
        actor: &Actor,
        key: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<PersonExport, StoreError> {
        let now = normalise(now);
        let ids = self.tickets_of_person(email).await?;
        let mut tickets = Vec::with_capacity(ids.len());
        for id in &ids {
            let stored = self.get_ticket(TicketKey::Id(*id)).await?;
            let events = self.events(*id).await?;
            let mails = self.outbox_of(*id).await?;
            let hold = self.legal_hold(*id).await?;
            tickets.push(json!({
                "ticket": stored.ticket,
                "events": events.iter().map(|e| json!({"seq": e.seq, "event": e.event, "hash": e.hash})).collect::<Vec<_>>(),
                "mails": mails.iter().map(|m| json!({
                    "template": m.template, "status": m.status, "created_at": m.created_at,
                    "sent_at": m.sent_at, "message_id": m.message_id,
                })).collect::<Vec<_>>(),
                "legal_hold": hold,
            }));
        }
        let inbound_mails = self.inbound_of_person(email).await?;
        let txn = self.write_transaction().await?;
        if !inbound_mails.is_empty() {
            append_journal(
                &txn,
                &JournalRecord::new(JournalAction::SubjectAccess, actor, None)
                    .key(key)
                    .fields(vec![
                        ticket_domain::privacy::PersonalField::Email,
                        ticket_domain::privacy::PersonalField::OwnWords,
                        ticket_domain::privacy::PersonalField::Attachments,
                    ])
                    .detail(&format!(
                        "access request of the data subject: {} inbound mail(s)",
                        inbound_mails.len()
                    )),
                now,
            )
            .await?;
        }
        for id in &ids {
            let stored = self.get_ticket(TicketKey::Id(*id)).await?;
            append_journal(
                &txn,
                &JournalRecord::new(JournalAction::SubjectAccess, actor, Some(*id))
                    .key(key)
                    .fields(ticket_domain::privacy::held_fields(&stored.ticket))
                    .detail("access request of the data subject"),
                now,
            )
            .await?;
        }
        self.commit(txn).await?;
        Ok(PersonExport {
            generated_at: now,
            tickets,
            inbound_mails,
        })
    }
}
