//! The transparency log's storage (issue 33): chain heads appended in commit order, signed heads
//! whose proofs verify, appends that never fork under concurrent appenders, and a chain rewritten
//! in the database that no longer matches what the log holds.

use crate::tickets::{monday, partner_incident};
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _};
use sea_orm::{ConnectionTrait as _, Statement};
use std::time::{Duration, Instant};
use ticket_domain::testkit::*;
use ticket_domain::values::TicketId;
use ticket_domain::{Command, Policy, Priority, Role};
use ticket_log::{
    LogSigner, consistency_proof, inclusion_proof, leaf_hash, verify_consistency, verify_inclusion,
};
use ticket_store::entities::ticket_event;
use ticket_store::tickets::TicketKey;
use ticket_store::transparency::{SignedHead, leaf_data};
use ticket_store::{Store, store_test};

const ORIGIN: &str = "ticketd.test/log";

fn signer() -> LogSigner {
    LogSigner::from_seed("ticketd.test", &[42; 32]).unwrap()
}

/// Appends until the log holds a leaf for each of `tickets` at its current head, for up to 30 s
/// (on PostgreSQL the feed waits for every write transaction of the cluster begun before).
async fn append_until_logged(store: &Store, tickets: &[TicketId]) -> SignedHead {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        store
            .log_append(&signer(), ORIGIN, monday(), 1000)
            .await
            .unwrap();
        let mut all = true;
        for ticket in tickets {
            let head = store
                .events(*ticket)
                .await
                .unwrap()
                .last()
                .unwrap()
                .hash
                .clone();
            let entries = store.log_entries_of(ticket.0).await.unwrap();
            all &= entries.last().is_some_and(|e| e.chain_head == head);
        }
        if all {
            return store.log_latest_head().await.unwrap().unwrap();
        }
        assert!(Instant::now() < until, "the log did not catch up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn comment(store: &Store, id: TicketId) {
    let stored = store.get_ticket(TicketKey::Id(id)).await.unwrap();
    store
        .execute(
            TicketKey::Id(id),
            stored.version,
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
}

store_test!(
    chain_heads_are_logged_and_their_proofs_verify_against_the_signed_heads,
    |store| async move {
        let mut tickets = Vec::new();
        for _ in 0..5 {
            tickets.push(
                partner_incident(&store, Priority::Normale, monday())
                    .await
                    .ticket
                    .id,
            );
        }
        let first = append_until_logged(&store, &tickets).await;
        let verifier = signer().verifier();
        let opened = verifier.open(&first.note).unwrap();
        assert_eq!((opened.size, opened.root), (first.size, first.root));
        assert_eq!(opened.origin, ORIGIN);
        // Nothing new: no new head.
        if store.backend() == sea_orm::DbBackend::Sqlite {
            assert_eq!(
                store
                    .log_append(&signer(), ORIGIN, monday(), 1000)
                    .await
                    .unwrap(),
                None
            );
        }

        // The chains grow: their new heads are appended, the tree extends the first one.
        for id in &tickets[..3] {
            comment(&store, *id).await;
        }
        let second = append_until_logged(&store, &tickets).await;
        assert!(second.size >= first.size + 3);
        let leaves = store.log_leaf_hashes(second.size).await.unwrap();
        assert_eq!(leaves.len() as u64, second.size);
        let proof = consistency_proof(&leaves, first.size as usize).unwrap();
        verify_consistency(first.size, second.size, &first.root, &second.root, &proof).unwrap();
        assert_eq!(store.log_head(first.size).await.unwrap().unwrap(), first);

        for id in &tickets {
            let events = store.events(*id).await.unwrap();
            let entries = store.log_entries_of(id.0).await.unwrap();
            let expected = if tickets[..3].contains(id) { 2 } else { 1 };
            assert_eq!(entries.len(), expected, "one leaf per growth of the chain");
            for entry in &entries {
                // Each leaf is what its ticket's chain says at that event.
                let at = &events[(entry.seq - 1) as usize];
                assert_eq!(at.hash, entry.chain_head);
                let leaf = leaf_hash(leaf_data(id.0, entry.seq, &entry.chain_head).as_bytes());
                assert_eq!(leaf, entry.leaf_hash);
                let path = inclusion_proof(&leaves, entry.index as usize).unwrap();
                verify_inclusion(entry.index, second.size, &leaf, &path, &second.root).unwrap();
            }
            assert_eq!(
                entries.last().unwrap().chain_head,
                events.last().unwrap().hash
            );
        }
    }
);

store_test!(
    concurrent_appenders_never_fork_the_log,
    |store| async move {
        // Four appenders, each writing its own three tickets and appending after each write.
        let mut tickets = Vec::new();
        let mut appenders = Vec::new();
        for _ in 0..4 {
            let mut own = Vec::new();
            for _ in 0..3 {
                own.push(
                    partner_incident(&store, Priority::Normale, monday())
                        .await
                        .ticket
                        .id,
                );
            }
            tickets.extend(own.clone());
            let store = store.clone();
            appenders.push(tokio::spawn(async move {
                for id in own {
                    comment(&store, id).await;
                    store
                        .log_append(&signer(), ORIGIN, monday(), 3)
                        .await
                        .unwrap();
                }
            }));
        }
        for a in appenders {
            a.await.unwrap();
        }
        let head = append_until_logged(&store, &tickets).await;
        // Every head signed on the way is a prefix of the last one, and each ticket's leaves
        // follow its chain in order: one log, no fork, no leaf twice.
        let leaves = store.log_leaf_hashes(head.size).await.unwrap();
        for size in 1..=head.size {
            if let Some(older) = store.log_head(size).await.unwrap() {
                let proof = consistency_proof(&leaves, size as usize).unwrap();
                verify_consistency(size, head.size, &older.root, &head.root, &proof).unwrap();
            }
        }
        for id in &tickets {
            let seqs: Vec<i64> = store
                .log_entries_of(id.0)
                .await
                .unwrap()
                .iter()
                .map(|e| e.seq)
                .collect();
            assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
        }
    }
);

store_test!(
    a_chain_rewritten_in_the_database_no_longer_matches_its_logged_head,
    |store| async move {
        let id = partner_incident(&store, Priority::Normale, monday())
            .await
            .ticket
            .id;
        for _ in 0..4 {
            comment(&store, id).await;
        }
        append_until_logged(&store, &[id]).await;
        let logged = store.log_entries_of(id.0).await.unwrap();
        let logged = logged.last().unwrap().clone();
        // Whoever runs the database rewrites the chain from event 4: new text, every hash
        // recomputed, the ticket's head moved.
        let rows = |store: Store| async move {
            ticket_event::Entity::find()
                .filter(ticket_event::Column::TicketId.eq(id.0))
                .order_by_asc(ticket_event::Column::Seq)
                .all(store.connection())
                .await
                .unwrap()
        };
        let events = rows(store.clone()).await;
        let mut prev = events[2].hash.clone();
        let backend = store.backend();
        for e in &events[3..] {
            let canonical = e.canonical.replace("suivi", "rien");
            assert_ne!(canonical, e.canonical);
            let hash = ticket_store::chain::chain_hash(&prev, &canonical);
            store
                .connection()
                .execute_raw(Statement::from_sql_and_values(
                    backend,
                    match backend {
                        sea_orm::DbBackend::Postgres => {
                            "UPDATE ticket_events SET canonical = $1, prev_hash = $2, hash = $3 WHERE id = $4"
                        }
                        _ => "UPDATE ticket_events SET canonical = ?, prev_hash = ?, hash = ? WHERE id = ?",
                    },
                    [
                        canonical.into(),
                        prev.clone().into(),
                        hash.clone().into(),
                        e.id.into(),
                    ],
                ))
                .await
                .unwrap();
            prev = hash;
        }
        let rewritten = rows(store.clone()).await;
        assert_ne!(rewritten.last().unwrap().hash, events.last().unwrap().hash);
        // The chain still holds together on its own…
        for w in rewritten.windows(2) {
            assert_eq!(w[1].prev_hash, w[0].hash);
        }
        // …but the log holds the head it had: the rewrite shows.
        let at = &rewritten[(logged.seq - 1) as usize];
        assert_ne!(at.hash, logged.chain_head);
        assert_eq!(events[(logged.seq - 1) as usize].hash, logged.chain_head);
    }
);
