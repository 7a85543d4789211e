//! What the quality-of-service reports read: the tickets that may have a figure in a period and
//! the facts kept of their events (`report_events`, written with each event by the same
//! transaction, derived from it; see `crates/ticket-reports/README.md`), an incident's service and
//! start with its opening. The report itself is `ticket-reports`' code.

use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use std::collections::HashMap;
use ticket_domain::kind::TicketKind;
use ticket_reports::{ReportEvent, TicketHistory};
use uuid::Uuid;

/// Event types that never move a figure (and carry no state change): no fact is kept of them
/// in `report_events` (the migration that made the table skipped the same).
pub(crate) const UNREPORTED_EVENTS: [&str; 7] = [
    "commented",
    "mail_delivered",
    "reminder_undeliverable",
    "files_attached",
    "mail_received",
    "linked",
    "reminder_sent",
];

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
        // The tickets and their facts (`report_events`: a short JSON per event that moves a
        // figure, kept by the transaction that wrote the event), read at once on two connections.
        let db = self.connection();
        let tickets_query = db.query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT t.id, t.reference, t.kind, t.organisation_id \
                 FROM tickets t WHERE {scope} ORDER BY t.id"
            ),
            values.clone(),
        ));
        let facts_query = db.query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT r.ticket_id, r.fact FROM report_events r \
                 JOIN tickets t ON t.id = r.ticket_id \
                 WHERE {scope} ORDER BY r.ticket_id, r.seq"
            ),
            values,
        ));
        let (rows, fact_rows) = tokio::try_join!(tickets_query, facts_query)?;
        let mut tickets = Vec::with_capacity(rows.len());
        let mut index: HashMap<Uuid, usize> = HashMap::with_capacity(rows.len());
        for row in rows {
            let id: Uuid = row.try_get("", "id")?;
            let kind: String = row.try_get("", "kind")?;
            let Some(kind) = TicketKind::parse(&kind) else {
                continue;
            };
            index.insert(id, tickets.len());
            tickets.push(TicketHistory {
                id,
                reference: row.try_get("", "reference")?,
                kind,
                organisation: row.try_get("", "organisation_id")?,
                incident: None,
                events: Vec::new(),
            });
        }
        for row in fact_rows {
            let id: Uuid = row.try_get("", "ticket_id")?;
            let fact: String = row.try_get("", "fact")?;
            if let Some(ticket) = index.get(&id).and_then(|i| tickets.get_mut(*i)) {
                let (event, incident) = ReportEvent::from_fact(&fact)?;
                if ticket.kind == TicketKind::Incident && incident.is_some() {
                    ticket.incident = incident;
                }
                ticket.events.push(event);
            }
        }
        Ok(tickets)
    }
}
