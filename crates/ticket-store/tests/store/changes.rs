//! The change feed: commit order, every event once, under concurrent writers (issue 36).

use crate::tickets::{monday, partner_incident};
use sea_orm::{ConnectionTrait as _, DbBackend, Statement, TransactionTrait as _};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use ticket_domain::testkit::*;
use ticket_domain::{Command, Policy, Priority, Role};
use ticket_store::changes::{Change, FeedCursor};
use ticket_store::tickets::TicketKey;
use ticket_store::{Store, store_test};
use uuid::Uuid;

/// Reads the feed from `cursor` until it answers nothing, checking each change comes after the one
/// before.
async fn drain(store: &Store, cursor: &mut FeedCursor, seen: &mut Vec<Change>) {
    loop {
        let page = store.changes_after(*cursor, 7).await.unwrap();
        let Some(last) = page.last() else { return };
        for change in &page {
            assert!(change.cursor > *cursor, "the feed went backwards");
            *cursor = change.cursor;
        }
        *cursor = last.cursor;
        seen.extend(page);
    }
}

/// Drains the feed until `seen` holds `count` changes, for up to 30 s: on PostgreSQL the feed waits
/// for every write transaction of the cluster begun before (other tests' included).
async fn drain_until(store: &Store, cursor: &mut FeedCursor, seen: &mut Vec<Change>, count: usize) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        drain(store, cursor, seen).await;
        if seen.len() >= count || std::time::Instant::now() > until {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

store_test!(
    a_reader_following_the_feed_sees_every_event_of_16_writers_once_in_order,
    |store| async move {
        let writing = Arc::new(AtomicBool::new(true));
        let reader = {
            let store = store.clone();
            let writing = writing.clone();
            tokio::spawn(async move {
                let mut cursor = FeedCursor::START;
                let mut seen = Vec::new();
                while writing.load(Ordering::SeqCst) {
                    drain(&store, &mut cursor, &mut seen).await;
                    tokio::task::yield_now().await;
                }
                // After the last commit: what is left.
                drain_until(&store, &mut cursor, &mut seen, 16 * 4 * 2).await;
                seen
            })
        };
        let mut writers = Vec::new();
        for _ in 0..16 {
            let store = store.clone();
            writers.push(tokio::spawn(async move {
                let mut tickets = Vec::new();
                for _ in 0..4 {
                    let created = partner_incident(&store, Priority::Normale, monday()).await;
                    let commented = store
                        .execute(
                            TicketKey::Id(created.ticket.id),
                            created.version,
                            Command::Comment {
                                body: text("suivi"),
                                internal: false,
                            },
                            &staff(Role::Agent),
                            monday(),
                            &Policy::default(),
                        )
                        .await
                        .unwrap();
                    tickets.push(commented.ticket.id);
                }
                tickets
            }));
        }
        let mut tickets = Vec::new();
        for writer in writers {
            tickets.extend(writer.await.unwrap());
        }
        writing.store(false, Ordering::SeqCst);
        let seen = reader.await.unwrap();

        let mut expected = HashSet::new();
        for ticket in &tickets {
            for event in store.events(*ticket).await.unwrap() {
                expected.insert(event.id);
            }
        }
        assert_eq!(expected.len(), 16 * 4 * 2);
        let ids: Vec<Uuid> = seen.iter().map(|c| c.event.id).collect();
        let unique: HashSet<Uuid> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "an event was read twice");
        assert_eq!(unique, expected, "an event was skipped");
        // Each ticket's events come in their own order.
        let mut last_seq: HashMap<_, i64> = HashMap::new();
        for change in &seen {
            let last = last_seq.entry(change.ticket_id).or_insert(0);
            assert_eq!(change.event.seq, *last + 1);
            *last = change.event.seq;
        }
    }
);

store_test!(
    a_transaction_still_running_holds_back_the_events_committed_after_it,
    |store| async move {
        let first = partner_incident(&store, Priority::Normale, monday()).await;
        let mut cursor = FeedCursor::START;
        let mut seen = Vec::new();
        drain_until(&store, &mut cursor, &mut seen, 1).await;
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].ticket_id, first.ticket.id);
        if store.backend() != DbBackend::Postgres {
            // SQLite has one writer at a time: no transaction commits behind another one.
            return;
        }
        // A writer that began before the next ticket and has not committed yet.
        let slow = store.connection().begin().await.unwrap();
        slow.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_current_xact_id()",
        ))
        .await
        .unwrap();
        let second = partner_incident(&store, Priority::Normale, monday()).await;
        let mut held = Vec::new();
        drain(&store, &mut cursor, &mut held).await;
        assert!(
            held.is_empty(),
            "an event committed after a transaction still running was handed out: \
             the running one could commit an event below the cursor"
        );
        slow.rollback().await.unwrap();
        drain_until(&store, &mut cursor, &mut held, 1).await;
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].ticket_id, second.ticket.id);
    }
);

#[test]
fn cursors_are_opaque_and_checked() {
    assert_eq!(
        FeedCursor::parse(&FeedCursor::START.encode()),
        None,
        "the start is no cursor a client holds"
    );
    assert_eq!(FeedCursor::parse("not-a-cursor"), None);
    assert_eq!(FeedCursor::parse(""), None);
}
