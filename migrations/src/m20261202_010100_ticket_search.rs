//! Full-text search of tickets (`q` of the ticket list): one row per ticket with its text split by
//! who may search it — the ticket's own fields and public comments (anyone who sees the ticket),
//! internal notes (staff), the victim's identity, contact and own words (the roles allowed to see
//! personal data). PostgreSQL: generated `tsvector` columns (French and simple configurations)
//! with GIN indexes; SQLite: an FTS5 index kept in step with the table by triggers.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES: &[&str] = &[
    "CREATE TABLE ticket_search (
        ticket_id uuid PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
        ticket_text text NOT NULL,
        public_comments text NOT NULL,
        internal_notes text NOT NULL,
        personal text NOT NULL,
        public_tsv tsvector GENERATED ALWAYS AS (
            to_tsvector('french', ticket_text || ' ' || public_comments)
            || to_tsvector('simple', ticket_text || ' ' || public_comments)) STORED,
        internal_tsv tsvector GENERATED ALWAYS AS (
            to_tsvector('french', internal_notes) || to_tsvector('simple', internal_notes)) STORED,
        personal_tsv tsvector GENERATED ALWAYS AS (
            to_tsvector('french', personal) || to_tsvector('simple', personal)) STORED
    )",
    "CREATE INDEX ticket_search_public ON ticket_search USING gin (public_tsv)",
    "CREATE INDEX ticket_search_internal ON ticket_search USING gin (internal_tsv)",
    "CREATE INDEX ticket_search_personal ON ticket_search USING gin (personal_tsv)",
];

const SQLITE: &[&str] = &[
    "CREATE TABLE ticket_search (
        rowid INTEGER PRIMARY KEY,
        ticket_id BLOB NOT NULL UNIQUE REFERENCES tickets (id) ON DELETE CASCADE,
        ticket_text TEXT NOT NULL,
        public_comments TEXT NOT NULL,
        internal_notes TEXT NOT NULL,
        personal TEXT NOT NULL
    )",
    "CREATE VIRTUAL TABLE ticket_search_fts USING fts5(
        ticket_text, public_comments, internal_notes, personal,
        content='ticket_search', content_rowid='rowid',
        tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER ticket_search_inserted AFTER INSERT ON ticket_search BEGIN
        INSERT INTO ticket_search_fts (rowid, ticket_text, public_comments, internal_notes, personal)
        VALUES (new.rowid, new.ticket_text, new.public_comments, new.internal_notes, new.personal);
    END",
    "CREATE TRIGGER ticket_search_deleted AFTER DELETE ON ticket_search BEGIN
        INSERT INTO ticket_search_fts (ticket_search_fts, rowid, ticket_text, public_comments, internal_notes, personal)
        VALUES ('delete', old.rowid, old.ticket_text, old.public_comments, old.internal_notes, old.personal);
    END",
    "CREATE TRIGGER ticket_search_updated AFTER UPDATE ON ticket_search BEGIN
        INSERT INTO ticket_search_fts (ticket_search_fts, rowid, ticket_text, public_comments, internal_notes, personal)
        VALUES ('delete', old.rowid, old.ticket_text, old.public_comments, old.internal_notes, old.personal);
        INSERT INTO ticket_search_fts (rowid, ticket_text, public_comments, internal_notes, personal)
        VALUES (new.rowid, new.ticket_text, new.public_comments, new.internal_notes, new.personal);
    END",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES,
            _ => SQLITE,
        };
        for statement in statements {
            manager
                .get_connection()
                .execute_unprepared(statement)
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP TABLE IF EXISTS ticket_search_fts")
                .await?;
        }
        manager
            .drop_table(Table::drop().table("ticket_search").if_exists().to_owned())
            .await
    }
}
