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
pub mod key_policy;
mod key_revocations;
pub mod keys;
pub mod outbox;
pub mod page;
pub mod privacy;
pub mod queues;
pub mod registry;
pub mod replica_registry;
pub mod reports;
pub mod seal;
pub mod search;
pub mod secrets;
pub mod shared;
pub mod signin;
mod sqlite_files;
pub mod staff;
pub mod stats;
pub mod sweep;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod tickets;
pub mod transparency;
pub mod webhooks;

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

/// The statement timeout the daemon sets by default (`StoreOptions::default()` sets none, for
/// tools and tests that run long statements on purpose): a bound on the server's work, well above
/// any statement of a request or of a worker's batch. Requests are bounded sooner by their own
/// deadline (ticket-api's `RequestDeadline`); a request dropped at its deadline leaves its
/// statement running on the server, and this ends it.
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);

/// The default of [`StoreOptions::sqlite_headroom_bytes`]: 8 MiB, twice what the WAL holds before
/// the automatic checkpoint (1,000 pages of 4 KiB) — a commit that fits in space the WAL already
/// has says nothing about the disk.
pub const DEFAULT_SQLITE_HEADROOM_BYTES: u64 = 8 << 20;

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
    /// PostgreSQL: the longest a statement may run before the server cancels it (then the store
    /// answers [`StoreError::is_unavailable`]); zero for no limit. Migrations run without it.
    pub statement_timeout: Duration,
    /// SQLite: the free space its file system must have for [`Store::ready`] to say ready.
    pub sqlite_headroom_bytes: u64,
    /// How long API keys live (issue 30).
    pub key_policy: key_policy::KeyPolicy,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            acquire_timeout: Duration::from_millis(1500),
            connect_timeout: Duration::from_secs(2),
            max_connections: DEFAULT_POSTGRES_CONNECTIONS,
            statement_timeout: Duration::ZERO,
            sqlite_headroom_bytes: DEFAULT_SQLITE_HEADROOM_BYTES,
            key_policy: key_policy::KeyPolicy::default(),
        }
    }
}

/// Whether a write failed since the readiness probe last wrote. Set when a commit fails for a
/// reason of the database (full disk, I/O error, connection lost), when a connection comes back
/// to the pool in a transaction it could not end, or when the file system is short of space;
/// cleared only by the readiness probe's own write ([`Store::ready`]). A request's commit does not
/// clear it: a small commit may fit in space the WAL already holds while the disk is full.
#[derive(Debug, Default)]
struct WriteHealth {
    failing: AtomicBool,
}

impl WriteHealth {
    /// A write's outcome: a failure sets the flag; a success leaves it as it is.
    fn record(&self, ok: bool) {
        if !ok {
            self.failing.store(true, Ordering::Release);
        }
    }

    /// The readiness probe wrote, with the headroom: writes go through again.
    fn clear(&self) {
        if self.failing.swap(false, Ordering::AcqRel) {
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
    /// SQLite in a file: its files and the connection that keeps the WAL index alive.
    sqlite: Option<Arc<sqlite_files::SqliteFiles>>,
    /// [`StoreOptions::sqlite_headroom_bytes`].
    headroom: u64,
    round_trips: Arc<AtomicU64>,
    /// Keys authenticated lately (`keys::KEY_CACHE_TTL`).
    keys: Arc<keys::KeyCache>,
    /// How long API keys live.
    key_policy: key_policy::KeyPolicy,
    /// Where the database is, for the connection that listens to key revocations (it may hold a
    /// password: redacted in `Debug`).
    url: Arc<secrecy::SecretString>,
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
            let server_side = postgres_session_settings(settings.statement_timeout);
            options.map_sqlx_postgres_opts(move |o| o.options(server_side.clone()));
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
        let sqlite = if db.get_database_backend() == DbBackend::Sqlite
            && !url.contains(":memory:")
            && !url.contains("mode=memory")
        {
            let options = db.get_sqlite_connection_pool().connect_options();
            Some(Arc::new(sqlite_files::SqliteFiles::open(&options).await?))
        } else {
            None
        };
        let round_trips = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&round_trips);
        db.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        let postgres = db.get_database_backend() == DbBackend::Postgres;
        // On PostgreSQL the cache is trusted once this replica hears the others' revocations
        // ([`Store::listen_for_key_revocations`]).
        let keys = Arc::new(keys::KeyCache::new(!postgres));
        Ok(Self {
            db,
            health,
            sqlite,
            headroom: settings.sqlite_headroom_bytes,
            round_trips,
            keys,
            key_policy: settings.key_policy,
            url: Arc::new(secrecy::SecretString::from(url)),
        })
    }

    /// On PostgreSQL, starts listening to the key revocations of every replica, so that this one
    /// may cache the keys it authenticates ([`keys::KEY_CACHE_TTL`]) and still stop a revoked key
    /// at once ([`key_revocations`]). Without it (a one-off command), PostgreSQL keys are checked
    /// in the database on every use. Returns once the listener listens (or could not connect, in
    /// which case it keeps trying in the background). SQLite: nothing to do.
    pub async fn listen_for_key_revocations(&self) {
        if self.backend() == DbBackend::Postgres {
            use secrecy::ExposeSecret as _;
            key_revocations::listen(self.url.expose_secret(), &self.keys).await;
        }
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
                if let Some(files) = &self.sqlite
                    && files.wal_outgrown(true)
                {
                    // Beside the request, not in its way: the checkpoint waits for readers.
                    let store = self.clone();
                    tokio::spawn(async move { store.trim_wal().await });
                }
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

    /// Whether the service can take writes. The rule:
    ///
    /// 1. the database answers;
    /// 2. on SQLite, its file system has at least [`StoreOptions::sqlite_headroom_bytes`] free
    ///    (short of it, a write failure is noted as if a commit had failed);
    /// 3. if a write failed since the last probe, a probe write commits now (it rewrites one row
    ///    of the migrations table unchanged), and only that clears the failure.
    ///
    /// So a full disk or a read-only file shows here until it is fixed, even when some requests'
    /// small commits still fit in space the WAL already holds.
    pub async fn ready(&self) -> Result<(), StoreError> {
        self.db.ping().await?;
        if let Some(files) = &self.sqlite {
            let files = Arc::clone(files);
            let free = tokio::task::spawn_blocking(move || {
                files.back_shared_memory();
                files.free_bytes()
            })
            .await
            .map_err(|error| StoreError::Storage(error.to_string()))?
            .map_err(|error| {
                StoreError::Storage(format!("free space unknown: {}", error.kind()))
            })?;
            // A WAL that outgrew its checkpoint holds space it can give back.
            let free = if free < self.headroom && files_wal_outgrown(&self.sqlite) {
                self.trim_wal().await;
                self.sqlite
                    .as_ref()
                    .and_then(|files| files.free_bytes().ok())
                    .unwrap_or(free)
            } else {
                free
            };
            if free < self.headroom {
                self.health.record(false);
                return Err(StoreError::Storage(format!(
                    "{} KiB free on the database's file system, {} KiB needed",
                    free / 1024,
                    self.headroom / 1024
                )));
            }
        }
        if self.health.is_failing() {
            let txn = self.write_transaction().await?;
            txn.execute_raw(Statement::from_string(
                self.backend(),
                "UPDATE seaql_migrations SET applied_at = applied_at \
                 WHERE version = (SELECT MIN(version) FROM seaql_migrations)",
            ))
            .await?;
            self.commit(txn).await?;
            self.health.clear();
        }
        Ok(())
    }

    /// Checkpoints the whole WAL into the database and truncates it (SQLite). Readers that
    /// overlap without a pause keep the automatic checkpoint from starting the WAL over, and it
    /// then grows as long as the load lasts, into the space the disk has; this waits for them (the
    /// busy timeout) and gives the space back. A failure (a full disk: the database cannot grow)
    /// is only logged: the next look tries again.
    async fn trim_wal(&self) {
        let Some(_trimming) = self.sqlite.as_ref().and_then(|files| files.trimming()) else {
            return;
        };
        match self
            .db
            .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await
        {
            Ok(_) => tracing::debug!("the WAL was checkpointed and truncated"),
            // On a full disk it fails at every look: that is what the disk's state says already.
            Err(error) if StoreError::from(error.clone()).is_unavailable() => {
                tracing::debug!(%error, "cannot checkpoint and truncate the WAL now");
            }
            Err(error) => tracing::warn!(%error, "cannot checkpoint and truncate the WAL"),
        }
    }

    /// Whether the storage under the database fails now, and how: on SQLite the database file
    /// cannot be read or its folder cannot be written (an I/O error, a full disk, the folder
    /// gone); on PostgreSQL the server does not answer within a second. `None` when the storage
    /// works: an error the database reported as corruption is then corruption, not an outage.
    pub async fn storage_failure(&self) -> Option<String> {
        match &self.sqlite {
            Some(files) => {
                let files = Arc::clone(files);
                tokio::task::spawn_blocking(move || files.probe())
                    .await
                    .unwrap_or_else(|error| Some(error.to_string()))
            }
            None if self.backend() == DbBackend::Sqlite => None,
            None => match tokio::time::timeout(Duration::from_secs(1), self.db.ping()).await {
                Ok(Ok(())) => None,
                Ok(Err(error)) => Some(StoreError::from(error).to_string()),
                Err(_) => Some("the database did not answer within a second".to_owned()),
            },
        }
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

fn files_wal_outgrown(files: &Option<Arc<sqlite_files::SqliteFiles>>) -> bool {
    files
        .as_ref()
        .is_some_and(|files| files.wal_outgrown(false))
}

/// The `options` a PostgreSQL session starts with: statements cut after `statement_timeout`, a
/// transaction left idle by a client that vanished ended after a minute, and the server's side of
/// the connection probed while idle (keepalives) and dropped when what it sent stays unacknowledged
/// (user timeout), so that a partition does not leave the client's locks held.
fn postgres_session_settings(statement_timeout: Duration) -> Vec<(&'static str, String)> {
    vec![
        (
            "statement_timeout",
            statement_timeout.as_millis().to_string(),
        ),
        ("idle_in_transaction_session_timeout", "60000".to_owned()),
        ("tcp_keepalives_idle", "10".to_owned()),
        ("tcp_keepalives_interval", "5".to_owned()),
        ("tcp_keepalives_count", "3".to_owned()),
        ("tcp_user_timeout", "30000".to_owned()),
    ]
}

/// The pool's release check: keeps a connection unless it is still in a transaction.
fn keep_connection(in_transaction: bool, health: &WriteHealth) -> bool {
    if in_transaction {
        tracing::warn!("closing a database connection left inside a transaction it could not end");
        health.record(false);
    }
    !in_transaction
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A commit that goes through after a failed one may have fit in space the WAL already held:
    /// it does not say that the database takes writes again.
    #[test]
    fn a_commit_does_not_clear_a_write_failure() {
        let health = WriteHealth::default();
        health.record(false);
        health.record(true);
        assert!(health.is_failing());
    }
}
