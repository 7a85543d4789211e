//! Benchmark of the triage desk's queries on 100,000 tickets (not a test): first page and page 100
//! of each sort, a search with hits and one without, the queue counts; p50/p99 per query, and the
//! query plan of each sort. Run by `scripts/bench-triage`:
//!
//! ```text
//! cargo run -p ticket-store --example bench_triage -- <database-url> [tickets]
//! ```
//!
//! The database must be empty (it is migrated here). One real ticket is created through the store;
//! the others are copies of its document made in SQL, with spread priorities, states, instants,
//! organisations and assignees, and search text.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, QueryTrait, Statement};
use std::time::{Duration, Instant};
use ticket_domain::Policy;
use ticket_domain::testkit::{PARTNER, incident, partner};
use ticket_store::Store;
use ticket_store::search::{Search, SearchScope};
use ticket_store::tickets::{AssigneeFilter, Sort, SortKey, TicketFilter, list_query};

const RUNS: usize = 40;

fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[i].as_secs_f64() * 1000.0
    };
    (at(0.5), at(0.99))
}

async fn time<F, Fut>(label: &str, mut run: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let mut samples = Vec::with_capacity(RUNS);
    let mut rows = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        rows = run().await;
        samples.push(start.elapsed());
    }
    let (p50, p99) = percentiles(samples);
    println!("{label:<44} {rows:>6} rows   p50 {p50:>8.2} ms   p99 {p99:>8.2} ms");
}

async fn seed(store: &Store, count: u32) {
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-11-23T09:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let policy = Policy::default();
    store
        .create_ticket(
            incident(false, "2026-11-23T08:00:00Z"),
            &partner(PARTNER),
            now,
            &policy,
            None,
            false,
        )
        .await
        .unwrap();
    let db = store.connection();
    let sql = match store.backend() {
        DbBackend::Postgres => format!(
            "INSERT INTO tickets (id, reference, kind, state, priority, tier, organisation_id, assignee,
                title, title_search, session_id, breached, next_due_at, created_at, updated_at, version,
                event_count, chain_head, document, deadline_at, service_id)
             SELECT md5(i::text)::uuid, 'INC-2025-' || lpad(i::text, 6, '0'), 'incident',
                (ARRAY['new','acknowledged','in_progress','waiting_reporter','resolved','closed','cancelled'])[1 + i % 7],
                1 + i % 5, 'agent', md5((i % 100)::text)::uuid,
                CASE WHEN i % 3 = 0 THEN NULL ELSE 'agent-' || (i % 20) END,
                'Panne ' || i, 'panne ' || i, NULL, i % 10 = 0, NULL,
                timestamptz '2025-01-01' + (i || ' minutes')::interval,
                timestamptz '2025-01-01' + ((i * 7919 % {count}) || ' minutes')::interval,
                1, 1, '', (SELECT document FROM tickets LIMIT 1),
                CASE WHEN i % 7 >= 5 THEN timestamptz '9999-12-31 23:59:59+00'
                     ELSE timestamptz '2025-01-01' + ((i::bigint * 104729 % {count}) || ' minutes')::interval END,
                NULL
             FROM generate_series(1, {count}) AS i"
        ),
        _ => format!(
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {count})
             INSERT INTO tickets (id, reference, kind, state, priority, tier, organisation_id, assignee,
                title, title_search, session_id, breached, next_due_at, created_at, updated_at, version,
                event_count, chain_head, document, deadline_at, service_id)
             SELECT randomblob(16), 'INC-2025-' || printf('%06d', i), 'incident',
                CASE i % 7 WHEN 0 THEN 'new' WHEN 1 THEN 'acknowledged' WHEN 2 THEN 'in_progress'
                  WHEN 3 THEN 'waiting_reporter' WHEN 4 THEN 'resolved' WHEN 5 THEN 'closed' ELSE 'cancelled' END,
                1 + i % 5, 'agent', NULL,
                CASE WHEN i % 3 = 0 THEN NULL ELSE 'agent-' || (i % 20) END,
                'Panne ' || i, 'panne ' || i, NULL, i % 10 = 0, NULL,
                strftime('%Y-%m-%dT%H:%M:%S+00:00', '2025-01-01', '+' || i || ' minutes'),
                strftime('%Y-%m-%dT%H:%M:%S+00:00', '2025-01-01', '+' || (i * 7919 % {count}) || ' minutes'),
                1, 1, '', (SELECT document FROM tickets LIMIT 1),
                CASE WHEN i % 7 >= 5 THEN '9999-12-31T23:59:59+00:00'
                     ELSE strftime('%Y-%m-%dT%H:%M:%S+00:00', '2025-01-01', '+' || (i * 104729 % {count}) || ' minutes') END,
                NULL
             FROM s"
        ),
    };
    db.execute_unprepared(&sql).await.unwrap();
    // Search text: one ticket in 1,000 mentions "certificat".
    db.execute_unprepared(
        "INSERT INTO ticket_search (ticket_id, ticket_text, public_comments, internal_notes, personal)
         SELECT id, reference || ' ' || title,
                CASE WHEN priority = 1 AND version = 1 AND reference LIKE '%000' THEN 'certificat expiré' ELSE 'les usagers ne peuvent plus se connecter' END,
                '', ''
         FROM tickets WHERE id NOT IN (SELECT ticket_id FROM ticket_search)",
    )
    .await
    .unwrap();
    let analyse = match store.backend() {
        DbBackend::Postgres => "ANALYZE",
        _ => "ANALYZE",
    };
    db.execute_unprepared(analyse).await.unwrap();
}

async fn explain(
    store: &Store,
    label: &str,
    filter: &TicketFilter,
    sort: Sort,
    cursor: Option<&str>,
) {
    let backend = store.backend();
    let statement = list_query(backend, filter, sort, 50, cursor)
        .unwrap()
        .build(backend);
    let prefix = match backend {
        DbBackend::Postgres => "EXPLAIN (ANALYZE, COSTS OFF) ",
        _ => "EXPLAIN QUERY PLAN ",
    };
    let rows = store
        .connection()
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!("{prefix}{}", statement.sql),
            statement.values.map(|v| v.0).unwrap_or_default(),
        ))
        .await
        .unwrap();
    println!("--- plan: {label}");
    for row in rows {
        let line = match backend {
            DbBackend::Postgres => row.try_get_by_index::<String>(0).unwrap_or_default(),
            _ => row.try_get_by_index::<String>(3).unwrap_or_default(),
        };
        println!("    {line}");
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("a database URL");
    let count: u32 = args.next().map_or(100_000, |n| n.parse().unwrap());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let started = Instant::now();
    seed(&store, count).await;
    println!(
        "{:?}: {count} tickets seeded in {:.1} s",
        store.backend(),
        started.elapsed().as_secs_f64()
    );
    let all = TicketFilter::default();
    for key in SortKey::ALL {
        for descending in [false, true] {
            let sort = Sort { key, descending };
            let name = format!("{}{key:?}", if descending { "-" } else { "" });
            time(&format!("sort {name}, page 1"), || async {
                store
                    .list_tickets(&all, sort, 50, None)
                    .await
                    .unwrap()
                    .items
                    .len()
            })
            .await;
            let mut cursor = None;
            for _ in 0..99 {
                cursor = store
                    .list_tickets(&all, sort, 50, cursor.as_deref())
                    .await
                    .unwrap()
                    .next_cursor;
            }
            time(&format!("sort {name}, page 100"), || async {
                store
                    .list_tickets(&all, sort, 50, cursor.as_deref())
                    .await
                    .unwrap()
                    .items
                    .len()
            })
            .await;
            explain(
                &store,
                &format!("{name}, page 100"),
                &all,
                sort,
                cursor.as_deref(),
            )
            .await;
        }
    }
    let unassigned_new = TicketFilter {
        states: vec![ticket_domain::State::New],
        assignee: Some(AssigneeFilter::Unassigned),
        ..TicketFilter::default()
    };
    time("state=new&assignee=none, sort deadline", || async {
        store
            .list_tickets(
                &unassigned_new,
                Sort {
                    key: SortKey::Deadline,
                    descending: false,
                },
                50,
                None,
            )
            .await
            .unwrap()
            .items
            .len()
    })
    .await;
    for (label, text) in [
        ("search with hits", "certificat"),
        ("search without hits", "zorglubium"),
    ] {
        let filter = TicketFilter {
            search: Some(Search {
                text: text.to_owned(),
                scope: SearchScope {
                    internal_notes: true,
                    personal_data: false,
                },
            }),
            ..TicketFilter::default()
        };
        time(label, || async {
            store
                .list_tickets(&filter, Sort::default(), 50, None)
                .await
                .unwrap()
                .items
                .len()
        })
        .await;
        explain(&store, label, &filter, Sort::default(), None).await;
    }
    let end_of_day = DateTime::parse_from_rfc3339("2025-02-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let member = ticket_domain::values::StaffHandle::parse("h", "agent-1").unwrap();
    time("queue counts", || async {
        let counts = store
            .queue_counts(None, Some(&member), end_of_day)
            .await
            .unwrap();
        counts.new_unassigned as usize
    })
    .await;
}
