//! Failing fast and staying up: a statement that runs too long is cut, the readiness rule, mails
//! of a crashed process taken back at start-up, corruption told from an I/O failure.

use crate::outbox::{lease, monday, partner_incident, status_of};
use sea_orm::ConnectionTrait as _;
use std::time::{Duration, Instant};
use ticket_store::outbox::Status;
use ticket_store::testkit::{Backend, TestDatabase};
use ticket_store::{Store, StoreError, StoreOptions};

/// A statement still running after the statement timeout is cut by PostgreSQL, and that is an
/// unavailable database (503 with Retry-After), not a bug (500).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_past_the_statement_timeout_is_cut_and_unavailable_postgres() {
    let Some(database) = TestDatabase::create(Backend::Postgres).await.unwrap() else {
        return;
    };
    let store = Store::connect_with(
        &database.url,
        &StoreOptions {
            statement_timeout: Duration::from_secs(1),
            ..StoreOptions::default()
        },
    )
    .await
    .unwrap();
    let started = Instant::now();
    let result = store
        .connection()
        .execute_unprepared("SELECT pg_sleep(6)")
        .await;
    let took = started.elapsed();
    let error = StoreError::from(result.expect_err("the statement must be cut"));
    assert!(took < Duration::from_secs(4), "cut after {took:?}");
    assert!(error.is_unavailable(), "{error}");
}

/// The readiness rule on SQLite: a file system with less free space than the headroom is not
/// ready, even before any write failed; with the headroom, it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_needs_free_space_beyond_the_headroom_sqlite() {
    let database = TestDatabase::create(Backend::Sqlite)
        .await
        .unwrap()
        .unwrap();
    let greedy = Store::connect_with(
        &database.url,
        &StoreOptions {
            sqlite_headroom_bytes: u64::MAX,
            ..StoreOptions::default()
        },
    )
    .await
    .unwrap();
    let error = greedy
        .ready()
        .await
        .expect_err("no disk has that much room");
    assert!(error.is_unavailable(), "{error}");
    let modest = Store::connect_with(
        &database.url,
        &StoreOptions {
            sqlite_headroom_bytes: 1,
            ..StoreOptions::default()
        },
    )
    .await
    .unwrap();
    modest.ready().await.unwrap();
}

/// After a failed write, commits of requests do not make the store ready again (they may fit in
/// space the WAL already holds); the readiness probe does, when it commits with the headroom.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_readiness_probe_clears_a_write_failure_sqlite() {
    let database = TestDatabase::create(Backend::Sqlite)
        .await
        .unwrap()
        .unwrap();
    let store = Store::connect_with(
        &database.url,
        &StoreOptions {
            sqlite_headroom_bytes: u64::MAX,
            ..StoreOptions::default()
        },
    )
    .await
    .unwrap();
    store.note_write_failure();
    partner_incident(&store).await;
    assert!(store.ready().await.is_err(), "a commit cleared the failure");
    let store = Store::connect_with(&database.url, &StoreOptions::default())
        .await
        .unwrap();
    store.note_write_failure();
    store.ready().await.unwrap();
}

/// SQLite serves one process: at start-up, mails a crashed process had claimed but not begun to
/// hand over are pending again at once, not after their lease; those whose handover had begun
/// wait for their lease (they may have been sent).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_of_a_crashed_process_are_taken_back_at_start_up_sqlite() {
    let database = TestDatabase::create(Backend::Sqlite)
        .await
        .unwrap()
        .unwrap();
    let store = database.store().await.unwrap();
    partner_incident(&store).await;
    let claimed = store
        .claim_outbox("crashed", monday(), lease(), 2)
        .await
        .unwrap();
    let (handed, untouched) = (claimed[0].mail.id, claimed[1].mail.id);
    assert!(
        store
            .begin_outbox_handover(handed, "crashed", monday())
            .await
            .unwrap()
    );
    let taken = store.take_back_claims_at_start_up(monday()).await.unwrap();
    assert_eq!(taken, 1);
    assert_eq!(status_of(&store, untouched).await, Status::Pending);
    assert_eq!(status_of(&store, handed).await, Status::Sending);
    let again = store
        .claim_outbox("w", monday(), lease(), 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].mail.id, untouched);
}

/// On PostgreSQL replicas share the outbox: a start-up takes nothing back (another replica may be
/// working on its claims).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_are_left_to_their_lease_at_start_up_postgres() {
    let Some(database) = TestDatabase::create(Backend::Postgres).await.unwrap() else {
        return;
    };
    let store = database.store().await.unwrap();
    partner_incident(&store).await;
    let claimed = store
        .claim_outbox("other-replica", monday(), lease(), 2)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);
    let taken = store.take_back_claims_at_start_up(monday()).await.unwrap();
    assert_eq!(taken, 0);
    assert_eq!(status_of(&store, claimed[0].mail.id).await, Status::Sending);
}

/// Real corruption is not an outage: a damaged database file on a healthy file system stays an
/// error of the service (500), and the storage probe says the storage is fine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corruption_on_a_healthy_file_system_is_not_unavailable_sqlite() {
    let database = TestDatabase::create(Backend::Sqlite)
        .await
        .unwrap()
        .unwrap();
    let file = database
        .url
        .trim_start_matches("sqlite://")
        .trim_end_matches("?mode=rwc")
        .to_owned();
    // The tickets table's root page overwritten: the schema is readable, the table is not.
    let (root, page_size) = {
        let store = Store::connect(&database.url).await.unwrap();
        let root = store
            .connection()
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                "SELECT rootpage FROM sqlite_master WHERE name = 'tickets'",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap();
        let size = store
            .connection()
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                "PRAGMA page_size",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap();
        // Everything in the database file, nothing left in the WAL.
        store
            .connection()
            .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await
            .unwrap();
        (root as usize, size as usize)
    };
    let mut bytes = std::fs::read(&file).unwrap();
    for byte in bytes
        .iter_mut()
        .skip((root - 1) * page_size)
        .take(page_size)
    {
        *byte = 0x5a;
    }
    std::fs::write(&file, bytes).unwrap();
    let store = Store::connect(&database.url).await.unwrap();
    let error = match store
        .connection()
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "SELECT * FROM tickets",
        ))
        .await
    {
        Ok(_) => panic!("the damaged table was read"),
        Err(error) => StoreError::from(error),
    };
    assert!(!error.is_unavailable(), "{error}");
    assert!(error.may_be_storage_failure(), "{error}");
    assert_eq!(store.storage_failure().await, None);
}

/// The storage probe on SQLite: the database's folder gone is a storage failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_storage_probe_fails_when_the_folder_is_gone_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/t.db?mode=rwc", dir.path().display());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.storage_failure().await, None);
    std::fs::remove_dir_all(dir.path()).unwrap();
    assert!(store.storage_failure().await.is_some());
}
