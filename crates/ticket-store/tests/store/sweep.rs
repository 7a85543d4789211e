//! The clock sweep over many tickets: batches, claims shared by two stores, a bad ticket among good
//! ones, and a due query that reads the index rather than the table.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, DbBackend, QueryTrait, Statement};
use std::collections::HashMap;
use ticket_domain::testkit::*;
use ticket_domain::values::TicketId;
use ticket_domain::{Policy, Priority};
use ticket_store::sweep::due_query;
use ticket_store::{Store, StoreError, store_test};
use uuid::Uuid;

fn monday() -> DateTime<Utc> {
    at("2026-11-23T09:00:00Z")
}

/// A partner's priority-1 incident created at `now`: 24/7, its acknowledgement warning is due
/// 3 h later and its breach (with the escalation) 4 h later.
async fn critical_incident(store: &Store, now: DateTime<Utc>) -> TicketId {
    let mut new = incident(false, "2026-11-23T08:00:00Z");
    new.proposed_priority = Some(Priority::Critique);
    new.id = TicketId::new_v7();
    store
        .create_ticket(new, &partner(PARTNER), now, &Policy::default(), None, false)
        .await
        .unwrap()
        .ticket
        .ticket
        .id
}

/// `count` priority-1 incidents created at `now`, a few at a time.
async fn critical_incidents(store: &Store, now: DateTime<Utc>, count: usize) -> Vec<TicketId> {
    let mut ids = Vec::with_capacity(count);
    for chunk in (0..count).collect::<Vec<_>>().chunks(8) {
        let tasks: Vec<_> = chunk
            .iter()
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { critical_incident(&store, now).await })
            })
            .collect();
        for task in tasks {
            ids.push(task.await.unwrap());
        }
    }
    ids
}

/// What a pass of batches did, like the sweeper's: (swept, unchanged, failed, batches).
#[derive(Debug, Default)]
struct Pass {
    swept: Vec<TicketId>,
    unchanged: Vec<TicketId>,
    failed: Vec<TicketId>,
    batches: usize,
}

/// Batches until one is not full, skipping what the pass saw but left due.
async fn pass(store: &Store, now: DateTime<Utc>, limit: u64) -> Pass {
    let mut result = Pass::default();
    let mut skip = Vec::new();
    loop {
        let batch = store
            .sweep_due(now, &Policy::default(), limit, &skip)
            .await
            .unwrap();
        result.batches += 1;
        result.swept.extend(batch.swept.iter().map(|s| s.id));
        result.unchanged.extend(&batch.unchanged);
        result.failed.extend(batch.failed.iter().map(|(id, _)| *id));
        skip.extend(&batch.unchanged);
        skip.extend(batch.failed.iter().map(|(id, _)| *id));
        if (batch.claimed as u64) < limit {
            return result;
        }
    }
}

/// How many events of `event_type` each ticket has.
async fn count_events(store: &Store, event_type: &str) -> HashMap<Uuid, i64> {
    let rows = store
        .connection()
        .query_all_raw(Statement::from_sql_and_values(
            store.backend(),
            match store.backend() {
                DbBackend::Postgres => {
                    "SELECT ticket_id, COUNT(*) AS n FROM ticket_events WHERE event_type = $1 GROUP BY ticket_id"
                }
                _ => {
                    "SELECT ticket_id, COUNT(*) AS n FROM ticket_events WHERE event_type = ? GROUP BY ticket_id"
                }
            },
            [event_type.into()],
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            (
                row.try_get::<Uuid>("", "ticket_id").unwrap(),
                row.try_get::<i64>("", "n").unwrap(),
            )
        })
        .collect()
}

store_test!(
    due_tickets_are_swept_in_batches_once_and_the_others_wait,
    |store| async move {
        let early = critical_incidents(&store, monday(), 7).await;
        let late = critical_incidents(&store, monday() + TimeDelta::hours(2), 3).await;
        // The early ones are past their breach (4 h); the late ones not yet at their warning (3 h).
        let now = monday() + TimeDelta::hours(4) + TimeDelta::seconds(1);
        let first = pass(&store, now, 3).await;
        assert_eq!(first.batches, 3, "3 + 3 + 1 due tickets");
        let mut swept = first.swept.clone();
        swept.sort_by_key(|id| id.0);
        let mut expected = early.clone();
        expected.sort_by_key(|id| id.0);
        assert_eq!(swept, expected);
        assert!(first.unchanged.is_empty() && first.failed.is_empty());
        // Nothing is due twice.
        let again = pass(&store, now, 3).await;
        assert!(again.swept.is_empty() && again.unchanged.is_empty());
        assert_eq!(
            store.earliest_due_after(now).await.unwrap(),
            Some(monday() + TimeDelta::hours(5)),
            "the late tickets' warning is next"
        );
        for event in ["sla_warning", "sla_breached", "escalated"] {
            let counts = count_events(&store, event).await;
            for id in &early {
                assert_eq!(counts.get(&id.0), Some(&1), "{event} of an early ticket");
            }
            for id in &late {
                assert_eq!(counts.get(&id.0), None, "{event} of a late ticket");
            }
        }
    }
);

store_test!(
    a_ticket_that_cannot_be_read_does_not_stop_the_others,
    |store| async move {
        let ids = critical_incidents(&store, monday(), 3).await;
        let bad = ids[1];
        // A row the service cannot read back (a bug or a manual edit).
        let sql = match store.backend() {
            DbBackend::Postgres => "UPDATE tickets SET document = '{}'::jsonb WHERE id = $1",
            _ => "UPDATE tickets SET document = '{}' WHERE id = ?",
        };
        store
            .connection()
            .execute_raw(Statement::from_sql_and_values(
                store.backend(),
                sql,
                [bad.0.into()],
            ))
            .await
            .unwrap();
        let now = monday() + TimeDelta::hours(5);
        let batch = store
            .sweep_due(now, &Policy::default(), 10, &[])
            .await
            .unwrap();
        assert_eq!(batch.claimed, 3);
        assert_eq!(batch.swept.len(), 2);
        assert_eq!(batch.failed.len(), 1);
        assert_eq!(batch.failed[0].0, bad);
        assert!(matches!(batch.failed[0].1, StoreError::Corrupt(_)));
        // The pass leaves it out; the next pass tries it again.
        let skipped = store
            .sweep_due(now, &Policy::default(), 10, &[bad])
            .await
            .unwrap();
        assert_eq!(skipped.claimed, 0);
        let retried = store
            .sweep_due(now, &Policy::default(), 10, &[])
            .await
            .unwrap();
        assert_eq!(retried.claimed, 1);
        assert_eq!(retried.failed.len(), 1);
        let escalated = count_events(&store, "escalated").await;
        assert_eq!(escalated.get(&ids[0].0), Some(&1));
        assert_eq!(escalated.get(&ids[2].0), Some(&1));
        assert_eq!(escalated.get(&bad.0), None);
    }
);

store_test!(
    two_stores_on_one_database_fire_each_deadline_once,
    |store| async move {
        let ids = critical_incidents(&store, monday(), 200).await;
        // A second pool, as a second ticketd replica would have.
        let url = match store.backend() {
            DbBackend::Postgres => {
                let row = store
                    .connection()
                    .query_one_raw(Statement::from_string(
                        DbBackend::Postgres,
                        "SELECT current_database() AS name",
                    ))
                    .await
                    .unwrap()
                    .unwrap();
                let name: String = row.try_get("", "name").unwrap();
                let admin = std::env::var("TEST_DATABASE_URL").unwrap();
                format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
            }
            _ => {
                let row = store
                    .connection()
                    .query_one_raw(Statement::from_string(
                        DbBackend::Sqlite,
                        "SELECT file FROM pragma_database_list WHERE name = 'main'",
                    ))
                    .await
                    .unwrap()
                    .unwrap();
                let file: String = row.try_get("", "file").unwrap();
                format!("sqlite://{file}?mode=rwc")
            }
        };
        let other = Store::connect(&url).await.unwrap();
        let now = monday() + TimeDelta::hours(5);
        let (a, b) = tokio::join!(pass(&store, now, 10), pass(&other, now, 10));
        println!(
            "replica a swept {}, replica b swept {}; unchanged {} + {}",
            a.swept.len(),
            b.swept.len(),
            a.unchanged.len(),
            b.unchanged.len()
        );
        assert!(a.failed.is_empty() && b.failed.is_empty());
        assert_eq!(a.swept.len() + b.swept.len(), 200, "each ticket swept once");
        if store.backend() == DbBackend::Postgres {
            // SKIP LOCKED: the replicas split the work; neither claimed what the other swept.
            assert_eq!(a.unchanged.len() + b.unchanged.len(), 0);
        }
        for event in ["sla_warning", "sla_breached", "escalated"] {
            let counts = count_events(&store, event).await;
            assert_eq!(counts.len(), 200, "{event}");
            for id in &ids {
                assert_eq!(counts.get(&id.0), Some(&1), "{event}");
            }
        }
    }
);

/// The plan of the due query, one line per node.
async fn due_plan(store: &Store, now: DateTime<Utc>, analyze: bool) -> String {
    let statement = due_query(now, 100, &[], store.backend()).build(store.backend());
    let prefix = match (store.backend(), analyze) {
        (DbBackend::Postgres, true) => "EXPLAIN ANALYZE",
        (DbBackend::Postgres, false) => "EXPLAIN",
        _ => "EXPLAIN QUERY PLAN",
    };
    let column = match store.backend() {
        DbBackend::Postgres => 0,
        _ => 3,
    };
    let rows = store
        .connection()
        .query_all_raw(Statement::from_sql_and_values(
            store.backend(),
            format!("{prefix} {}", statement.sql),
            statement.values.map(|v| v.0).unwrap_or_default(),
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| row.try_get_by_index::<String>(column).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

store_test!(
    a_sweep_over_100k_open_tickets_reads_only_the_due_ones,
    |store| async move {
        ticket_store::testkit::insert_not_due_tickets(&store, 100_000)
            .await
            .unwrap();
        let due = critical_incidents(&store, monday(), 20).await;
        let now = monday() + TimeDelta::hours(5);
        let plan = due_plan(&store, now, false).await;
        println!("{plan}");
        assert!(plan.contains("tickets_next_due"), "{plan}");
        assert!(!plan.contains("Seq Scan"), "{plan}");
        assert!(!plan.contains("SCAN tickets"), "{plan}");
        if store.backend() == DbBackend::Postgres {
            // Run for real: the index scan returns the 20 due rows and nothing else.
            let analysed = due_plan(&store, now, true).await;
            println!("{analysed}");
            let scan = analysed
                .lines()
                .find(|l| l.contains("Index Scan using tickets_next_due"))
                .unwrap_or_else(|| panic!("{analysed}"));
            assert!(scan.contains("rows=20 loops="), "{analysed}");
        }
        let swept = pass(&store, now, 100).await;
        assert_eq!(swept.swept.len(), 20);
        assert!(
            swept.failed.is_empty(),
            "no not-due ticket was read: {swept:?}"
        );
        assert_eq!(swept.batches, 1);
        let mut swept_ids = swept.swept.clone();
        swept_ids.sort_by_key(|id| id.0);
        let mut due = due;
        due.sort_by_key(|id| id.0);
        assert_eq!(swept_ids, due);
    }
);
