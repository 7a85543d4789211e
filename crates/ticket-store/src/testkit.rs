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

/// A database that lives as long as the test (the SQLite folder is removed on drop; PostgreSQL
/// databases go with the throw-away cluster).
#[derive(Debug)]
pub struct TestDatabase {
    pub url: String,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
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
    /// A new, empty database; `Ok(None)` when PostgreSQL is not configured and not required (the
    /// test is then skipped, loudly).
    pub async fn create(backend: Backend) -> Result<Option<Self>, TestkitError> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().map_err(|e| TestkitError::Setup(e.to_string()))?;
                let url = format!("sqlite://{}/test.db?mode=rwc", dir.path().display());
                Ok(Some(Self {
                    url,
                    backend,
                    _dir: Some(dir),
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
                let admin = Database::connect(admin_url.as_str())
                    .await
                    .map_err(|e| TestkitError::Setup(e.to_string()))?;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .map_err(|e| TestkitError::Setup(e.to_string()))?;
                admin
                    .close()
                    .await
                    .map_err(|e| TestkitError::Setup(e.to_string()))?;
                let base = admin_url
                    .rsplit_once('/')
                    .map_or(admin_url.as_str(), |(base, _)| base);
                Ok(Some(Self {
                    url: format!("{base}/{name}"),
                    backend,
                    _dir: None,
                }))
            }
        }
    }

    /// A migrated store on this database.
    pub async fn store(&self) -> Result<Store, TestkitError> {
        let store = Store::connect(&self.url).await?;
        store.migrate().await?;
        Ok(store)
    }
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
