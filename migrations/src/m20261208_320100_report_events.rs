//! What the quality-of-service reports read (issue 32): per event that moves a figure, a short
//! JSON of what the figures need (`ticket_reports::ReportFact`: the instant, the state change, the
//! event's figures' members; for a ticket's opening, an incident's service and start), written in
//! the same transaction as the event. A report over a year of 100,000 tickets read ~600 MB of
//! events' canonical JSON and the tickets' documents; these rows hold a tenth of that. The
//! evidence chain stays the source of truth: each row is derived from its event.
//!
//! The events written before are copied here with their whole canonical JSON (the reports read
//! both forms), an incident's opening given its service and start from the ticket's document.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Event types that move no figure (and change no state): not copied.
const SKIPPED: &str = "'commented', 'mail_delivered', 'files_attached', 'mail_received', 'linked', \
                       'reminder_sent'";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("report_events")
                    .col(uuid("ticket_id"))
                    .col(big_integer("seq"))
                    .col(text("fact"))
                    .primary_key(Index::create().col("ticket_id").col("seq"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("report_events", "ticket_id")
                            .to("tickets", "id")
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        let incident = match manager.get_database_backend() {
            DbBackend::Postgres => {
                "jsonb_set(e.canonical::jsonb, '{incident}', jsonb_build_object(\
                 'started_at', t.document #> '{data,started_at}', \
                 'service', COALESCE(t.document #> '{data,service}', 'null'::jsonb)))::text"
            }
            _ => {
                "json_set(e.canonical, '$.incident', json_object(\
                 'started_at', json_extract(t.document, '$.data.started_at'), \
                 'service', json(COALESCE(json_extract(t.document, '$.data.service'), 'null'))))"
            }
        };
        if manager.get_database_backend() == DbBackend::Postgres {
            // What a report reads of the tickets (the period's scope, reference, kind,
            // organisation) without their documents: an index-only scan instead of the table's
            // ~1.7 kB rows (measured on the benchmark's year: the tickets' scan 330 → 60 ms).
            manager
                .get_connection()
                .execute_unprepared(
                    "CREATE INDEX IF NOT EXISTS tickets_report ON tickets (id) \
                     INCLUDE (created_at, updated_at, state, kind, organisation_id, reference)",
                )
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO report_events (ticket_id, seq, fact) \
                 SELECT e.ticket_id, e.seq, \
                        CASE WHEN e.event_type = 'created' AND t.kind = 'incident' \
                             THEN {incident} ELSE e.canonical END \
                 FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id \
                 WHERE e.event_type NOT IN ({SKIPPED})"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP INDEX IF EXISTS tickets_report")
                .await?;
        }
        manager
            .drop_table(Table::drop().table("report_events").to_owned())
            .await
    }
}
