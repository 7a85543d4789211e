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
/// ```ignore
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
