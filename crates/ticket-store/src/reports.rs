//! What the quality-of-service reports read: the events of the tickets that may have a figure in
//! a period, and the facts fixed at their opening (the report itself is `ticket-reports`' code).

use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use serde::Deserialize;
use std::collections::HashMap;
use ticket_domain::kind::{ServiceSnapshot, TicketKind};
use ticket_reports::{IncidentFacts, ReportEvent, TicketHistory};
use uuid::Uuid;

/// Event types that never move a figure (and carry no state change): not read.
const SKIPPED_EVENTS: &str = "'commented', 'mail_delivered', 'files_attached', 'mail_received', \
                              'linked', 'reminder_sent'";

/// The part of an incident's document a report needs.
#[derive(Debug, Deserialize)]
struct IncidentDocument {
    data: IncidentPart,
}

#[derive(Debug, Deserialize)]
struct IncidentPart {
    started_at: DateTime<Utc>,
    #[serde(default)]
    service: Option<ServiceSnapshot>,
}

impl Store {
    /// The tickets that may have a figure in `[start, end)`: created before its end, and either
    /// changed since its start or still open; with `organisation`, only that organisation's.
    pub async fn report_histories(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        organisation: Option<Uuid>,
    ) -> Result<Vec<TicketHistory>, StoreError> {
        let backend = self.backend();
        let (p1, p2, p3) = match backend {
            DbBackend::Postgres => ("$1", "$2", "$3"),
            _ => ("?", "?", "?"),
        };
        let scope = format!(
            "t.created_at < {p1} AND (t.updated_at >= {p2} OR t.state NOT IN ('closed', 'cancelled')){}",
            if organisation.is_some() {
                format!(" AND t.organisation_id = {p3}")
            } else {
                String::new()
            }
        );
        let mut values: Vec<Value> = vec![end.into(), start.into()];
        if let Some(organisation) = organisation {
            values.push(organisation.into());
        }
        let document = match backend {
            DbBackend::Postgres => "CASE WHEN t.kind = 'incident' THEN t.document::text END",
            _ => "CASE WHEN t.kind = 'incident' THEN t.document END",
        };
        let db = self.connection();
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "SELECT t.id, t.reference, t.kind, t.organisation_id, {document} AS doc \
                     FROM tickets t WHERE {scope} ORDER BY t.id"
                ),
                values.clone(),
            ))
            .await?;
        let mut tickets = Vec::with_capacity(rows.len());
        let mut index: HashMap<Uuid, usize> = HashMap::with_capacity(rows.len());
        for row in rows {
            let id: Uuid = row.try_get("", "id")?;
            let kind: String = row.try_get("", "kind")?;
            let Some(kind) = TicketKind::parse(&kind) else {
                continue;
            };
            let incident = match row.try_get::<Option<String>>("", "doc")? {
                Some(text) => {
                    let doc: IncidentDocument = serde_json::from_str(&text)?;
                    Some(IncidentFacts {
                        started_at: doc.data.started_at,
                        service: doc.data.service,
                    })
                }
                None => None,
            };
            index.insert(id, tickets.len());
            tickets.push(TicketHistory {
                id,
                reference: row.try_get("", "reference")?,
                kind,
                organisation: row.try_get("", "organisation_id")?,
                incident,
                events: Vec::new(),
            });
        }
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "SELECT e.ticket_id, e.canonical FROM ticket_events e \
                     JOIN tickets t ON t.id = e.ticket_id \
                     WHERE {scope} AND e.event_type NOT IN ({SKIPPED_EVENTS}) \
                     ORDER BY e.ticket_id, e.seq"
                ),
                values,
            ))
            .await?;
        for row in rows {
            let id: Uuid = row.try_get("", "ticket_id")?;
            let canonical: String = row.try_get("", "canonical")?;
            if let Some(ticket) = index.get(&id).and_then(|i| tickets.get_mut(*i)) {
                ticket.events.push(ReportEvent::from_canonical(&canonical)?);
            }
        }
        Ok(tickets)
    }
}
