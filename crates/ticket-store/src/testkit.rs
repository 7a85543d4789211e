//! Per-test databases, so tests run in parallel without sharing rows: a SQLite file in a temporary
//! folder, or a fresh database on the PostgreSQL server named by `TEST_DATABASE_URL` (the test
//! script starts a throw-away cluster). With `TICKETD_REQUIRE_POSTGRES=1` a missing server is an
//! error, so CI cannot pass without reaching PostgreSQL.

use crate::{Store, StoreError};
use sea_orm::{ConnectionTrait, Database};
use uuid::Uuid;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that lives as long as the test: the SQLite folder is removed on drop, the PostgreSQL
/// database dropped (a suite of hundreds of tests would otherwise fill the disk). A test that
/// fails keeps its PostgreSQL database, to be looked at.
#[derive(Debug)]
pub struct TestDatabase {
    pub url: String,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
    /// On PostgreSQL: the server's admin URL and this database's name.
    postgres: Option<(String, String)>,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        if std::thread::panicking() {
            eprintln!("kept the failed test's database {name}");
            return;
        }
        // Drop runs inside the test's runtime, which cannot block on a future: a thread of its
        // own with a runtime of its own, waited for so the database is gone when the test ends.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(setup)?;
            runtime.block_on(async {
                let mut options = sea_orm::ConnectOptions::new(admin_url);
                options.max_connections(1).sqlx_logging(false);
                let admin = Database::connect(options).await.map_err(setup)?;
                let dropped = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await
                    .map_err(setup);
                admin.close().await.map_err(setup)?;
                dropped.map(drop)
            })
        })
        .join();
        if let Ok(Err(error)) = dropped {
            eprintln!("the test database was not dropped: {error}");
        }
    }
}

/// Why a test database could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TestkitError {
    #[error(
        "TEST_DATABASE_URL is not set and TICKETD_REQUIRE_POSTGRES=1: PostgreSQL was not reached"
    )]
    PostgresRequired,
    #[error("cannot create a test database: {0}")]
    Setup(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn postgres_required() -> bool {
    std::env::var("TICKETD_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

impl TestDatabase {
    /// A new database with the whole schema, cloned from a template migrated once per test
    /// executable (a PostgreSQL `CREATE DATABASE … TEMPLATE`, a copy of a SQLite file): cheaper than
    /// migrating each test's database. `Ok(None)` when PostgreSQL is not configured and not required
    /// (the test is then skipped, loudly).
    pub async fn create(backend: Backend) -> Result<Option<Self>, TestkitError> {
        Self::make(backend, true).await
    }

    /// A new, empty database: for tests of migrating itself.
    pub async fn create_empty(backend: Backend) -> Result<Option<Self>, TestkitError> {
        Self::make(backend, false).await
    }

    async fn make(backend: Backend, migrated: bool) -> Result<Option<Self>, TestkitError> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().map_err(setup)?;
                let file = dir.path().join("test.db");
                if migrated {
                    let template = sqlite_template().await?;
                    std::fs::copy(&template, &file).map_err(setup)?;
                }
                Ok(Some(Self {
                    url: format!("sqlite://{}?mode=rwc", file.display()),
                    backend,
                    _dir: Some(dir),
                    postgres: None,
                }))
            }
            Backend::Postgres => {
                let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
                    if postgres_required() {
                        return Err(TestkitError::PostgresRequired);
                    }
                    eprintln!(
                        "skipped on PostgreSQL: TEST_DATABASE_URL is not set (scripts/test sets it)"
                    );
                    return Ok(None);
                };
                let name = format!("t_{}", Uuid::new_v4().simple());
                // One connection: the template's advisory lock belongs to a session.
                let mut options = sea_orm::ConnectOptions::new(admin_url.clone());
                options
                    .max_connections(1)
                    .min_connections(1)
                    .sqlx_logging(false);
                let admin = Database::connect(options).await.map_err(setup)?;
                let created = async {
                    let statement = if migrated {
                        let template = postgres_template(&admin, &admin_url).await?;
                        format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"")
                    } else {
                        format!("CREATE DATABASE \"{name}\"")
                    };
                    admin.execute_unprepared(&statement).await.map_err(setup)?;
                    Ok::<_, TestkitError>(())
                }
                .await;
                admin.close().await.map_err(setup)?;
                created?;
                Ok(Some(Self {
                    url: database_url(&admin_url, &name),
                    backend,
                    _dir: None,
                    postgres: Some((admin_url, name)),
                }))
            }
        }
    }

    /// A migrated store on this database.
    pub async fn store(&self) -> Result<Store, TestkitError> {
        let store = Store::connect(&self.url).await?;
        store.migrate().await?;
        store.listen_for_key_revocations().await;
        Ok(store)
    }
}

fn setup(error: impl std::fmt::Display) -> TestkitError {
    TestkitError::Setup(error.to_string())
}

fn database_url(admin_url: &str, name: &str) -> String {
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url, |(base, _)| base);
    format!("{base}/{name}")
}

/// Names the template of this test executable: its path and modification time. The migrations
/// are compiled into the executable, so a rebuilt one never reuses a template of an older schema.
fn template_key() -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    if let Ok(exe) = std::env::current_exe() {
        hasher.update(exe.to_string_lossy().as_bytes());
        if let Ok(modified) = std::fs::metadata(&exe).and_then(|m| m.modified()) {
            let since = modified
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            hasher.update(since.as_nanos().to_le_bytes());
        }
    }
    hex::encode(&hasher.finalize()[..8])
}

/// The migrated SQLite file this executable's tests copy, made by the first test that needs it.
/// Concurrent test processes may each build one; each renames its own complete file into place.
async fn sqlite_template() -> Result<std::path::PathBuf, TestkitError> {
    let dir = std::env::temp_dir().join("ticketd-test-templates");
    let path = dir.join(format!("{}.db", template_key()));
    if path.exists() {
        return Ok(path);
    }
    std::fs::create_dir_all(&dir).map_err(setup)?;
    let build = tempfile::Builder::new()
        .prefix("build-")
        .tempdir_in(&dir)
        .map_err(setup)?;
    let file = build.path().join("template.db");
    let store = Store::connect(&format!("sqlite://{}?mode=rwc", file.display())).await?;
    store.migrate().await?;
    // Everything in the main file, so that copying it alone copies the database.
    store
        .connection()
        .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
        .await
        .map_err(setup)?;
    store.connection().clone().close().await.map_err(setup)?;
    std::fs::rename(&file, &path).map_err(setup)?;
    Ok(path)
}

/// The migrated PostgreSQL database this executable's tests clone: built once per executable
/// under an advisory lock (other test processes wait for it), under a temporary name renamed
/// when complete, so a clone never sees a half-migrated template.
async fn postgres_template(
    admin: &sea_orm::DatabaseConnection,
    admin_url: &str,
) -> Result<String, TestkitError> {
    use sea_orm::{DbBackend, Statement};
    let name = format!("template_{}", template_key());
    async fn exists(admin: &sea_orm::DatabaseConnection, name: &str) -> Result<bool, TestkitError> {
        admin
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT 1 FROM pg_database WHERE datname = $1",
                [name.into()],
            ))
            .await
            .map(|row| row.is_some())
            .map_err(setup)
    }
    if exists(admin, &name).await? {
        return Ok(name);
    }
    // The lock belongs to the admin session (a pool of one): closing it releases the lock at worst.
    admin
        .execute_unprepared("SELECT pg_advisory_lock(7428061)")
        .await
        .map_err(setup)?;
    let built = async {
        if exists(admin, &name).await? {
            return Ok(());
        }
        let building = format!("building_{}", Uuid::new_v4().simple());
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{building}\""))
            .await
            .map_err(setup)?;
        let store = Store::connect(&database_url(admin_url, &building)).await?;
        store.migrate().await?;
        store.connection().clone().close().await.map_err(setup)?;
        admin
            .execute_unprepared(&format!(
                "ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
            ))
            .await
            .map_err(setup)?;
        Ok::<_, TestkitError>(())
    }
    .await;
    admin
        .execute_unprepared("SELECT pg_advisory_unlock(7428061)")
        .await
        .map_err(setup)?;
    built.map(|()| name)
}

/// Defines a test that runs twice, on SQLite and on PostgreSQL, each on its own database:
///
/// ```text
/// store_test!(creates_a_ticket, |store| async move { /* ... */ });
/// ```
#[macro_export]
macro_rules! store_test {
    ($name:ident, |$store:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run(backend: $crate::testkit::Backend) {
                let Some(database) = $crate::testkit::TestDatabase::create(backend)
                    .await
                    .expect("test database")
                else {
                    return;
                };
                let $store = database.store().await.expect("migrated store");
                $body.await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                run($crate::testkit::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                run($crate::testkit::Backend::Postgres).await;
            }
        }
    };
}

// ---- Bulk rows for the clock sweep's index test and benchmark (sweep.rs) ----

/// Fills `tickets` with `count` open tickets that are due only in 2030, in one statement, then
/// refreshes the planner's statistics. Their documents are not tickets: a sweep that read one would
/// report it as failed. Ids and keys grow with the row, so every index is filled by appending
/// (random ids make the insert several times slower).
pub async fn insert_not_due_tickets(store: &Store, count: u32) -> Result<(), StoreError> {
    let sql = match store.backend() {
        sea_orm::DbBackend::Postgres => format!(
            "INSERT INTO tickets (id, reference, kind, state, priority, tier, organisation_id, assignee, title,
                                  title_search, session_id, breached, next_due_at, created_at, updated_at,
                                  version, event_count, chain_head, document)
             SELECT ('00000000-0000-0000-0000-' || lpad(to_hex(i), 12, '0'))::uuid, 'FIL-' || lpad(i::text, 6, '0'),
                    'incident', 'in_progress', 3, 'agent', NULL, NULL, 'Panne ' || i, 'panne ' || i, NULL, false,
                    timestamptz '2030-01-01 00:00:00+00' + (i || ' seconds')::interval,
                    timestamptz '2026-01-01 00:00:00+00', timestamptz '2026-01-01 00:00:00+00',
                    1, 1, '', '{{}}'::jsonb
             FROM generate_series(1, {count}) AS i"
        ),
        _ => format!(
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {count})
             INSERT INTO tickets (id, reference, kind, state, priority, tier, organisation_id, assignee, title,
                                  title_search, session_id, breached, next_due_at, created_at, updated_at,
                                  version, event_count, chain_head, document)
             SELECT unhex(printf('%032x', i)), 'FIL-' || printf('%06d', i),
                    'incident', 'in_progress', 3, 'agent', NULL, NULL, 'Panne ' || i, 'panne ' || i, NULL, 0,
                    strftime('%Y-%m-%dT%H:%M:%S+00:00', '2030-01-01 00:00:00', '+' || i || ' seconds'),
                    '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00',
                    1, 1, '', '{{}}'
             FROM s"
        ),
    };
    let db = store.connection();
    db.execute_unprepared(&sql).await?;
    db.execute_unprepared(match store.backend() {
        sea_orm::DbBackend::Postgres => "ANALYZE tickets",
        _ => "ANALYZE",
    })
    .await?;
    Ok(())
}
