//! Storage of the ticketing service on SQLite (embedded default) and PostgreSQL (production).
//!
//! One function per command: load, let the domain decide, then write the ticket, its events
//! (hash-chained) and its outbox rows in one transaction, conditional on the version the client saw.

pub mod chain;
pub mod clock;
pub mod entities;
mod error;
pub mod keys;
pub mod outbox;
pub mod registry;
pub mod secrets;
pub mod sweep;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod tickets;

pub use error::StoreError;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use std::time::Duration;
use ticket_migrations::{Migrator, MigratorTrait};

/// The store: a connection pool and the functions over it.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
}

impl Store {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`).
    ///
    /// SQLite: a small pool in WAL mode with a busy timeout, so readers never block the writer and
    /// writers queue instead of failing; foreign keys on. Statement logging is off: sqlx would log
    /// every statement, values included, at INFO.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30));
        if url.starts_with("sqlite:") {
            if url.contains(":memory:") || url.contains("mode=memory") {
                // An in-memory database exists per connection: more than one would split it.
                options.max_connections(1).min_connections(1);
            } else {
                options.max_connections(4);
            }
            options.map_sqlx_sqlite_opts(|o: SqliteConnectOptions| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(30))
                    .foreign_keys(true)
            });
        } else {
            options.max_connections(16);
        }
        let db = Database::connect(options).await?;
        Ok(Self { db })
    }

    /// Applies the migrations that are not applied yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// A transaction that will write. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`),
    /// so it waits for other writers instead of failing when it upgrades from reading to writing.
    pub(crate) async fn write_transaction(&self) -> Result<DatabaseTransaction, StoreError> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        Ok(self.db.begin_with_options(options).await?)
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Whether the database answers: for readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await?;
        Ok(())
    }
}
