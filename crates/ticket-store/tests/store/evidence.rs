//! The evidence chain as the store keeps it: edits and deletions detected, the file verified offline.

use crate::tickets::{monday, partner_incident};
use sea_orm::{ConnectionTrait, Statement};
use ticket_domain::testkit::*;
use ticket_domain::{Command, Policy, Priority, Role};
use ticket_store::tickets::TicketKey;
use ticket_store::{Store, store_test};

async fn ticket_with_history(store: &Store) -> ticket_domain::values::TicketId {
    let created = partner_incident(store, Priority::Normale, monday()).await;
    let key = TicketKey::Id(created.ticket.id);
    let agent = staff(Role::Agent);
    let policy = Policy::default();
    let mut version = 1;
    for command in [
        Command::Acknowledge { note: None },
        Command::Comment {
            body: text("première analyse"),
            internal: true,
        },
        Command::Resolve {
            summary: text("corrigé"),
        },
    ] {
        version = store
            .execute(key, version, command, &agent, monday(), &policy)
            .await
            .unwrap()
            .version;
    }
    created.ticket.id
}

store_test!(
    an_edited_event_row_is_detected_and_named,
    |store| async move {
        let id = ticket_with_history(&store).await;
        assert!(store.verify_chain(id).await.unwrap().valid);
        let db = store.connection();
        let backend = db.get_database_backend();
        db.execute_raw(Statement::from_sql_and_values(
        backend,
        match backend {
            sea_orm::DbBackend::Postgres => "UPDATE ticket_events SET canonical = replace(canonical, 'première', 'dernière') WHERE ticket_id = $1 AND seq = 3",
            _ => "UPDATE ticket_events SET canonical = replace(canonical, 'première', 'dernière') WHERE ticket_id = ? AND seq = 3",
        },
        [id.0.into()],
    ))
    .await
    .unwrap();
        let verification = store.verify_chain(id).await.unwrap();
        assert!(!verification.valid);
        let broken = verification.broken.unwrap();
        assert_eq!(broken.seq, 3, "{broken:?}");
        assert!(broken.reason.contains("altered"), "{broken:?}");
    }
);

store_test!(
    a_deleted_event_row_is_detected_and_named,
    |store| async move {
        let id = ticket_with_history(&store).await;
        let db = store.connection();
        let backend = db.get_database_backend();
        let delete = |seq: i64| {
            Statement::from_sql_and_values(
                backend,
                match backend {
                    sea_orm::DbBackend::Postgres => {
                        "DELETE FROM ticket_events WHERE ticket_id = $1 AND seq = $2"
                    }
                    _ => "DELETE FROM ticket_events WHERE ticket_id = ? AND seq = ?",
                },
                [id.0.into(), seq.into()],
            )
        };
        db.execute_raw(delete(2)).await.unwrap();
        let broken = store.verify_chain(id).await.unwrap().broken.unwrap();
        assert_eq!(broken.seq, 2, "{broken:?}");
        // Removing the newest event is detected too: the ticket records how many there were.
        let other = ticket_with_history(&store).await;
        let db_delete_last = Statement::from_sql_and_values(
            backend,
            match backend {
                sea_orm::DbBackend::Postgres => {
                    "DELETE FROM ticket_events WHERE ticket_id = $1 AND seq = 4"
                }
                _ => "DELETE FROM ticket_events WHERE ticket_id = ? AND seq = 4",
            },
            [other.0.into()],
        );
        db.execute_raw(db_delete_last).await.unwrap();
        assert_eq!(
            store.verify_chain(other).await.unwrap().broken.unwrap().seq,
            4
        );
    }
);

store_test!(the_evidence_file_verifies_offline, |store| async move {
    let id = ticket_with_history(&store).await;
    let file = store.evidence(id).await.unwrap();
    assert_eq!(file.events.len(), 4);
    // Recompute from the exported JSON alone.
    let json = serde_json::to_string(&file).unwrap();
    let file: ticket_store::chain::EvidenceFile = serde_json::from_str(&json).unwrap();
    let verification = ticket_store::chain::verify(
        file.events.iter().map(|e| ticket_store::chain::Link {
            seq: e.seq,
            canonical: &e.canonical,
            prev_hash: &e.prev_hash,
            hash: &e.hash,
        }),
        file.events.len() as i64,
        &file.head,
    );
    assert!(verification.valid);
    assert_eq!(file.events[0].prev_hash, ticket_store::chain::GENESIS);
    assert_eq!(
        ticket_store::chain::canonical_json(&file.events[1].event),
        file.events[1].canonical
    );
});
