//! Database schema, one file per migration, portable to SQLite and PostgreSQL.
//!
//! Applied at start-up by `ticketd` (and by `ticketd migrate`). Migration names come from the file
//! names, so a file is never renamed once released.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_initial;
mod m20261201_000001_outbox_handover;
mod m20261201_160001_replicas;
mod m20261202_010000_staff_directory;
mod m20261202_010100_ticket_search;
mod m20261202_020000_inbound_mail;
mod m20261202_030000_attachments;
mod m20261202_040000_privacy;
mod m20261202_050000_queue_index;
mod m20261207_280001_replica_registry;
mod m20261207_290000_client_versions;
mod m20261207_300000_key_expiry;
mod m20261207_360001_change_feed;
mod m20261208_300100_staff_sessions;
mod m20261208_320100_report_events;
mod m20261208_330000_transparency_log;
mod m20261208_360100_webhooks;

#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_initial::Migration),
            Box::new(m20261201_000001_outbox_handover::Migration),
            Box::new(m20261201_160001_replicas::Migration),
            Box::new(m20261202_010000_staff_directory::Migration),
            Box::new(m20261202_010100_ticket_search::Migration),
            Box::new(m20261202_020000_inbound_mail::Migration),
            Box::new(m20261202_030000_attachments::Migration),
            Box::new(m20261202_040000_privacy::Migration),
            Box::new(m20261202_050000_queue_index::Migration),
            Box::new(m20261207_280001_replica_registry::Migration),
            Box::new(m20261207_290000_client_versions::Migration),
            Box::new(m20261207_300000_key_expiry::Migration),
            Box::new(m20261207_360001_change_feed::Migration),
            Box::new(m20261208_330000_transparency_log::Migration),
            Box::new(m20261208_300100_staff_sessions::Migration),
            Box::new(m20261208_360100_webhooks::Migration),
            Box::new(m20261208_320100_report_events::Migration),
        ]
    }
}
