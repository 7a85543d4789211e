//! Storage of the ticketing service on SQLite (embedded default) and PostgreSQL (production).
//!
//! One function per command: load, let the domain decide, then write the ticket, its events
//! (hash-chained) and its outbox rows in one transaction, conditional on the version the client saw.

pub mod archive;
pub mod attachments;
mod batch;
pub mod blobs;
pub mod chain;
pub mod changes;
pub mod clock;
pub mod entities;
mod error;
pub mod inbound;
pub mod keys;
pub mod outbox;
pub mod page;
pub mod privacy;
pub mod queues;
pub mod registry;
pub mod replica_registry;
pub mod seal;
pub mod search;
pub mod secrets;
pub mod shared;
pub mod staff;
pub mod stats;
pub mod sweep;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod tickets;

pub use error::StoreError;

/// How long a SQLite connection waits for the one writer (busy timeout) and a request for a
/// pooled SQLite connection: the file cannot be "away", so waiting is the answer to load.
const SQLITE_WAIT: Duration = Duration::from_secs(30);

/// A pooled PostgreSQL connection idle at least this long is pinged before it is used.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

use sea_orm::sqlx::Connection as _;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// The PostgreSQL pool's default size (see [`StoreOptions::max_connections`]).
pub const DEFAULT_POSTGRES_CONNECTIONS: u32 = 32;

/// How the store uses its database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// How long a request waits for a pooled PostgreSQL connection before the store answers
    /// [`StoreError::is_unavailable`]: short, so that a database that is away gives a quick 503
    /// rather than a request hanging. (SQLite requests wait for the one writer, 30 s at most.)
    pub acquire_timeout: Duration,
    /// How long opening one connection may take.
    pub connect_timeout: Duration,
    /// The most PostgreSQL connections the pool opens. A creation holds its connection over
    /// several round trips and a commit, so a pool much smaller than the concurrent requests makes
    /// them queue for a connection while the database has room; PostgreSQL's own limit
    /// (`max_connections`, 100 by default) shared by every replica bounds it from above. (SQLite
    /// uses 4: one writer at a time, readers beside it.)
    pub max_connections: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            acquire_timeout: Duration::from_millis(1500),
            connect_timeout: Duration::from_secs(2),
            max_connections: DEFAULT_POSTGRES_CONNECTIONS,
        }
    }
}

/// Whether the last write the store tried could be committed. Set when a commit fails for a
/// reason of the database (full disk, I/O error, connection lost) or when a connection comes back
/// to the pool in a transaction it could not end; cleared by the next successful commit.
#[derive(Debug, Default)]
struct WriteHealth {
    failing: AtomicBool,
}

impl WriteHealth {
    fn record(&self, ok: bool) {
        let was_failing = self.failing.swap(!ok, Ordering::AcqRel);
        if was_failing && ok {
            tracing::info!("the database accepts writes again");
        }
    }

    fn is_failing(&self) -> bool {
        self.failing.load(Ordering::Acquire)
    }
}

/// The store: a connection pool and the functions over it.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
    health: Arc<WriteHealth>,
    round_trips: Arc<AtomicU64>,
    /// Keys authenticated lately (`keys::KEY_CACHE_TTL`).
    keys: Arc<keys::KeyCache>,
}

impl Store {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`) with the default
    /// [`StoreOptions`].
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, &StoreOptions::default()).await
    }

    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`).
    ///
    /// SQLite: a small pool in WAL mode with a busy timeout, so readers never block the writer and
    /// writers queue instead of failing; `synchronous=FULL`, so that a commit has reached the disk
    /// before the store says it succeeded (with `NORMAL`, a power cut loses the last commits of the
    /// WAL); foreign keys on. Statement logging is off: sqlx would log every statement, values
    /// included, at INFO.
    ///
    /// On both databases a connection that goes back to the pool still inside a transaction — a
    /// failed `ROLLBACK` after the database ended the transaction by itself, as SQLite does on a full
    /// disk — is closed, not reused: reused, its next "transaction" would only be a savepoint of the
    /// dead one, and its commits would never reach the database.
    pub async fn connect_with(url: &str, settings: &StoreOptions) -> Result<Self, StoreError> {
        let health = Arc::new(WriteHealth::default());
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .sqlx_logging(false)
            .connect_timeout(settings.connect_timeout)
            .acquire_timeout(settings.acquire_timeout);
        if url.starts_with("sqlite:") {
            // A SQLite connection is a file opened in this process: it cannot have been dropped
            // by a server while idle, so it is not pinged when taken from the pool (sqlx's default
            // pings every connection taken: one more exchange with its worker thread per query).
            options
                .acquire_timeout(SQLITE_WAIT)
                .test_before_acquire(false);
            if url.contains(":memory:") || url.contains("mode=memory") {
                // An in-memory database exists per connection: more than one would split it.
                options.max_connections(1).min_connections(1);
            } else {
                options.max_connections(4);
            }
            options.map_sqlx_sqlite_opts(|o: SqliteConnectOptions| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(SQLITE_WAIT)
                    .foreign_keys(true)
                    // Deleted and overwritten content is zeroed, not left in free pages: an
                    // anonymised value must not stay readable in the file.
                    .pragma("secure_delete", "on")
            });
            let health = Arc::clone(&health);
            options.map_sqlx_sqlite_pool_opts(move |pool| {
                let health = Arc::clone(&health);
                pool.after_release(move |conn, _| {
                    let health = Arc::clone(&health);
                    Box::pin(async move {
                        // The connection's worker runs commands in order: once the ping is
                        // answered, a rollback queued by a dropped transaction has run.
                        conn.ping().await?;
                        Ok(keep_connection(conn.is_in_transaction(), &health))
                    })
                })
            });
        } else {
            // sqlx pings a connection when it goes back to the pool, and by default again when it
            // is taken: a read of one ticket was three exchanges with PostgreSQL for its one
            // statement (issue 17: 4 → 3 sends a request, the answer's included). Only a
            // connection idle for a while is pinged when taken — one that PostgreSQL (restarted)
            // or the network may have dropped meanwhile; one in steady use was pinged on its
            // release a moment before.
            options
                .max_connections(settings.max_connections.max(1))
                .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR);
            let health = Arc::clone(&health);
            options.map_sqlx_postgres_pool_opts(move |pool| {
                let health = Arc::clone(&health);
                pool.after_release(move |conn, _| {
                    let keep = keep_connection(conn.is_in_transaction(), &health);
                    Box::pin(async move { Ok(keep) })
                })
            });
        }
        let mut db = Database::connect(options).await?;
        let round_trips = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&round_trips);
        db.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        Ok(Self {
            db,
            health,
            round_trips,
            keys: Arc::default(),
        })
    }

    /// How many times this store (all its clones) went to the database: every statement, and the
    /// `BEGIN` and `COMMIT` of its transactions. For tests and benchmarks that count the round trips
    /// a request costs.
    pub fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }

    /// Counts a `BEGIN`, `COMMIT` or `ROLLBACK` (statements count themselves).
    pub(crate) fn count_round_trip(&self) {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
    }

    /// A transaction that will write. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`),
    /// so it waits for other writers instead of failing when it upgrades from reading to writing.
    pub(crate) async fn write_transaction(&self) -> Result<DatabaseTransaction, StoreError> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        self.count_round_trip();
        Ok(self.db.begin_with_options(options).await?)
    }

    /// Commits a write transaction and remembers whether the database could take it; the caller
    /// acknowledges the write only when this returns `Ok`.
    pub(crate) async fn commit(&self, txn: DatabaseTransaction) -> Result<(), StoreError> {
        self.count_round_trip();
        match txn.commit().await {
            Ok(()) => {
                self.health.record(true);
                Ok(())
            }
            Err(error) => {
                let error = StoreError::from(error);
                if error.is_unavailable() {
                    self.health.record(false);
                }
                Err(error)
            }
        }
    }

    /// Runs inserts without BEGIN and COMMIT where they go as one statement, atomic by itself
    /// (PostgreSQL, see [`batch`]); in a transaction elsewhere. A failure is recorded as a failed
    /// commit's would be.
    pub(crate) async fn write_alone(&self, writes: batch::Writes) -> Result<(), StoreError> {
        if self.backend() != DbBackend::Postgres {
            let txn = self.write_transaction().await?;
            writes.run(&txn).await?;
            return self.commit(txn).await;
        }
        match writes.run(&self.db).await {
            Ok(()) => {
                self.health.record(true);
                Ok(())
            }
            Err(error) => {
                if error.is_unavailable() {
                    self.health.record(false);
                }
                Err(error)
            }
        }
    }

    /// Whether the service can take requests: the database answers and, if the last write failed,
    /// a write goes through again (a probe rewrites one row of the migrations table unchanged, so
    /// a full disk or a read-only file shows here until it is fixed).
    pub async fn ready(&self) -> Result<(), StoreError> {
        self.db.ping().await?;
        if self.health.is_failing() {
            let txn = self.write_transaction().await?;
            txn.execute_raw(Statement::from_string(
                self.backend(),
                "UPDATE seaql_migrations SET applied_at = applied_at \
                 WHERE version = (SELECT MIN(version) FROM seaql_migrations)",
            ))
            .await?;
            self.commit(txn).await?;
        }
        Ok(())
    }

    /// A write could not be done for a reason of the database (its statement failed before the
    /// commit, say): [`Store::ready`] probes writes until one goes through.
    pub fn note_write_failure(&self) {
        self.health.record(false);
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

/// The pool's release check: keeps a connection unless it is still in a transaction.
fn keep_connection(in_transaction: bool, health: &WriteHealth) -> bool {
    if in_transaction {
        tracing::warn!("closing a database connection left inside a transaction it could not end");
        health.record(false);
    }
    !in_transaction
}
