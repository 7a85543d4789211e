//! The change feed's order (issue 36): every event gets a `feed_position` in the transaction that
//! writes it, so that a reader following `GET /api/v1/changes` never skips an event committed late.
//!
//! PostgreSQL: the position is the writing transaction's id (`pg_current_xact_id()`), or the
//! position of the ticket's previous event when that is higher (a transaction that took its id
//! before another one wrote the ticket must not place the ticket's next event before the earlier
//! one). A reader only reads positions below the oldest transaction still in progress
//! (`pg_snapshot_xmin(pg_current_snapshot())`): every transaction below it has ended, and one still
//! running holds a position at or above its own id, so the reader's cursor never passes it. Events
//! with one position are ordered by ticket and sequence.
//!
//! SQLite has one writer at a time, holding the write lock until it commits: a counter
//! (`MAX(feed_position) + 1`, read under that lock) is commit order.
//!
//! Events written before this migration come first: on PostgreSQL at position 0 (by ticket, then
//! sequence), on SQLite numbered in the order they happened.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES: &[&str] = &[
    "ALTER TABLE ticket_events ADD COLUMN feed_position BIGINT",
    "UPDATE ticket_events SET feed_position = 0",
    "CREATE INDEX ticket_events_feed ON ticket_events (feed_position, ticket_id, seq)",
    "CREATE FUNCTION ticket_events_feed_position() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.feed_position := GREATEST(
            pg_current_xact_id()::text::bigint,
            COALESCE((SELECT e.feed_position FROM ticket_events e
                      WHERE e.ticket_id = NEW.ticket_id
                      ORDER BY e.seq DESC LIMIT 1), 0));
        RETURN NEW;
    END
    $$",
    "CREATE TRIGGER ticket_events_feed_position BEFORE INSERT ON ticket_events
        FOR EACH ROW EXECUTE FUNCTION ticket_events_feed_position()",
];

const SQLITE: &[&str] = &[
    "ALTER TABLE ticket_events ADD COLUMN feed_position BIGINT",
    "UPDATE ticket_events SET feed_position = ordered.n
        FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY at, ticket_id, seq) AS n FROM ticket_events)
            AS ordered
        WHERE ticket_events.id = ordered.id",
    "CREATE UNIQUE INDEX ticket_events_feed ON ticket_events (feed_position)",
    "CREATE TRIGGER ticket_events_feed_position AFTER INSERT ON ticket_events BEGIN
        UPDATE ticket_events
            SET feed_position = (SELECT COALESCE(MAX(feed_position), 0) + 1 FROM ticket_events)
            WHERE rowid = new.rowid;
    END",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS ticket_events_feed_position ON ticket_events",
    "DROP FUNCTION IF EXISTS ticket_events_feed_position()",
    "DROP INDEX IF EXISTS ticket_events_feed",
    "ALTER TABLE ticket_events DROP COLUMN feed_position",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS ticket_events_feed_position",
    "DROP INDEX IF EXISTS ticket_events_feed",
    "ALTER TABLE ticket_events DROP COLUMN feed_position",
];

async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    for statement in statements {
        manager
            .get_connection()
            .execute_unprepared(statement)
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => run(manager, POSTGRES).await,
            _ => run(manager, SQLITE).await,
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => run(manager, POSTGRES_DOWN).await,
            _ => run(manager, SQLITE_DOWN).await,
        }
    }
}
