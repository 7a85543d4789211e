//! Tickets in the store: creation, commands under concurrency, the evidence chain, lists, sweeps.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait as _, EntityTrait};
use std::collections::HashSet;
use ticket_domain::kind::UsurpationReporter;
use ticket_domain::testkit::*;
use ticket_domain::{Actor, ClosureProof, ClosureReason, Command, Policy, Priority, Role};
use ticket_store::tickets::{IdempotencyRequest, Sort, TicketFilter, TicketKey};
use ticket_store::{Store, StoreError, store_test};

pub(crate) fn monday() -> DateTime<Utc> {
    at("2026-11-23T09:00:00Z")
}

pub(crate) async fn partner_incident(
    store: &Store,
    proposed: Priority,
    now: DateTime<Utc>,
) -> ticket_store::tickets::StoredTicket {
    let mut new = incident(false, "2026-11-23T08:00:00Z");
    new.proposed_priority = Some(proposed);
    new.id = ticket_domain::values::TicketId::new_v7();
    store
        .create_ticket(new, &partner(PARTNER), now, &Policy::default(), None, false)
        .await
        .unwrap()
        .ticket
}

store_test!(
    a_created_ticket_is_stored_with_its_reference_first_event_and_mails,
    |store| async move {
        let created = partner_incident(&store, Priority::Normale, monday()).await;
        assert_eq!(created.version, 1);
        assert_eq!(created.ticket.reference.to_string(), "INC-2026-000001");
        let by_id = store
            .get_ticket(TicketKey::Id(created.ticket.id))
            .await
            .unwrap();
        let by_reference = store
            .get_ticket(TicketKey::parse("INC-2026-000001").unwrap())
            .await
            .unwrap();
        assert_eq!(by_id, created);
        assert_eq!(by_reference, created);
        let events = store.events(created.ticket.id).await.unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event.data.type_name(), "created");
        let outbox = store.outbox_of(created.ticket.id).await.unwrap();
        let templates: Vec<&str> = outbox.iter().map(|r| r.template.as_str()).collect();
        assert_eq!(templates, ["acknowledgement_of_receipt", "new_ticket_copy"]);
        assert!(
            outbox
                .iter()
                .all(|r| r.status == "pending" && r.event_id == events[0].id)
        );
    }
);

store_test!(
    references_are_sequential_per_kind_and_year,
    |store| async move {
        let first = partner_incident(&store, Priority::Normale, monday()).await;
        let second = partner_incident(&store, Priority::Normale, monday()).await;
        let mut request = support_request();
        request.id = ticket_domain::values::TicketId::new_v7();
        let question = store
            .create_ticket(
                request,
                &partner(PARTNER),
                monday(),
                &Policy::default(),
                None,
                false,
            )
            .await
            .unwrap();
        let next_year =
            partner_incident(&store, Priority::Normale, at("2027-01-04T09:00:00Z")).await;
        assert_eq!(first.ticket.reference.to_string(), "INC-2026-000001");
        assert_eq!(second.ticket.reference.to_string(), "INC-2026-000002");
        assert_eq!(
            question.ticket.ticket.reference.to_string(),
            "DEM-2026-000001"
        );
        assert_eq!(next_year.ticket.reference.to_string(), "INC-2027-000001");
    }
);

store_test!(
    numbering_goes_on_after_the_numbers_an_earlier_version_counted,
    |store| async move {
        // A database whose numbers an earlier version took from `reference_counters` (PostgreSQL
        // now takes them from a sequence per kind and year, made on first use): the next
        // reference follows the last one counted, and the one after it too.
        store
            .connection()
            .execute_unprepared(
                "INSERT INTO reference_counters (prefix, year, last_number) VALUES ('INC', 2026, 41)",
            )
            .await
            .unwrap();
        let next = partner_incident(&store, Priority::Normale, monday()).await;
        let after = partner_incident(&store, Priority::Normale, monday()).await;
        assert_eq!(next.ticket.reference.to_string(), "INC-2026-000042");
        assert_eq!(after.ticket.reference.to_string(), "INC-2026-000043");
        if store.backend() == sea_orm::DbBackend::Postgres {
            let row = store
                .connection()
                .query_one_raw(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Postgres,
                    "SELECT last_value FROM reference_inc_2026",
                ))
                .await
                .unwrap()
                .unwrap();
            let last: i64 = row.try_get("", "last_value").unwrap();
            assert_eq!(last, 43);
        }
    }
);

store_test!(
    references_stay_unique_under_concurrent_creation,
    |store| async move {
        let mut tasks = Vec::new();
        for _ in 0..24 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                partner_incident(&store, Priority::Normale, monday()).await
            }));
        }
        let mut references = HashSet::new();
        for task in tasks {
            references.insert(task.await.unwrap().ticket.reference.number);
        }
        assert_eq!(references, (1..=24).collect::<HashSet<u32>>());
    }
);

store_test!(
    a_stale_version_is_a_conflict_and_changes_nothing,
    |store| async move {
        let created = partner_incident(&store, Priority::Normale, monday()).await;
        let key = TicketKey::Id(created.ticket.id);
        let agent = staff(Role::Agent);
        let policy = Policy::default();
        let acknowledged = store
            .execute(
                key,
                1,
                Command::Acknowledge { note: None },
                &agent,
                monday(),
                &policy,
            )
            .await
            .unwrap();
        assert_eq!(acknowledged.version, 2);
        let stale = store
            .execute(
                key,
                1,
                Command::Comment {
                    body: text("hello"),
                    internal: true,
                },
                &agent,
                monday(),
                &policy,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                stale,
                StoreError::VersionConflict {
                    expected: 1,
                    current: 2
                }
            ),
            "{stale:?}"
        );
        assert_eq!(store.events(created.ticket.id).await.unwrap().len(), 2);
        assert_eq!(store.get_ticket(key).await.unwrap(), acknowledged);
    }
);

store_test!(a_refused_command_changes_nothing, |store| async move {
    let created = partner_incident(&store, Priority::Normale, monday()).await;
    let key = TicketKey::Id(created.ticket.id);
    let close = Command::Close {
        reason: ClosureReason::MutualAgreement,
        proof: ClosureProof::default(),
    };
    let refused = store
        .execute(
            key,
            1,
            close,
            &staff(Role::Agent),
            monday(),
            &Policy::default(),
        )
        .await
        .unwrap_err();
    let StoreError::Refused(refusal) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(refusal.rule.name(), "closure-condition-unmet");
    assert_eq!(store.get_ticket(key).await.unwrap(), created);
    assert_eq!(store.events(created.ticket.id).await.unwrap().len(), 1);
    assert_eq!(store.outbox_of(created.ticket.id).await.unwrap().len(), 2);
});

store_test!(
    two_commands_on_the_same_version_at_once_exactly_one_wins,
    |store| async move {
        for round in 0..5 {
            let created = partner_incident(&store, Priority::Normale, monday()).await;
            let key = TicketKey::Id(created.ticket.id);
            let policy = Policy::default();
            let (a, b) = {
                let (s1, s2) = (store.clone(), store.clone());
                let (p1, p2) = (policy.clone(), policy.clone());
                tokio::join!(
                    tokio::spawn(async move {
                        s1.execute(
                            key,
                            1,
                            Command::Acknowledge { note: None },
                            &staff(Role::Agent),
                            monday(),
                            &p1,
                        )
                        .await
                    }),
                    tokio::spawn(async move {
                        s2.execute(
                            key,
                            1,
                            Command::Comment {
                                body: text("urgent"),
                                internal: true,
                            },
                            &staff(Role::Engineer),
                            monday(),
                            &p2,
                        )
                        .await
                    })
                )
            };
            let results = [a.unwrap(), b.unwrap()];
            let wins = results.iter().filter(|r| r.is_ok()).count();
            assert_eq!(wins, 1, "round {round}: {results:?}");
            assert!(
                results
                    .iter()
                    .any(|r| matches!(r, Err(StoreError::VersionConflict { .. })))
            );
            let events = store.events(created.ticket.id).await.unwrap();
            let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
            assert_eq!(seqs, [1, 2], "the history has no gap");
            assert!(store.verify_chain(created.ticket.id).await.unwrap().valid);
            assert_eq!(store.get_ticket(key).await.unwrap().version, 2);
        }
    }
);

store_test!(
    reports_with_the_same_session_id_are_linked_not_duplicated,
    |store| async move {
        let policy = Policy::default();
        let mut first = user_usurpation(UsurpationReporter::Partner, "2026-11-20T09:00:00Z");
        first.id = ticket_domain::values::TicketId::new_v7();
        let first = store
            .create_ticket(first, &partner(PARTNER), monday(), &policy, None, false)
            .await
            .unwrap()
            .ticket;
        let mut second = user_usurpation(UsurpationReporter::User, "2026-11-20T09:00:00Z");
        second.id = ticket_domain::values::TicketId::new_v7();
        let second = store
            .create_ticket(
                second,
                &Actor::PublicReporter,
                monday() + TimeDelta::hours(1),
                &policy,
                None,
                true,
            )
            .await
            .unwrap();
        assert_ne!(second.ticket.ticket.id, first.ticket.id);
        assert!(second.ticket.ticket.has_link(
            first.ticket.id,
            ticket_domain::ticket::LinkKind::SameSession
        ));
        let first_now = store
            .get_ticket(TicketKey::Id(first.ticket.id))
            .await
            .unwrap();
        assert_eq!(first_now.version, 2);
        assert!(first_now.ticket.has_link(
            second.ticket.ticket.id,
            ticket_domain::ticket::LinkKind::SameSession
        ));
        let types: Vec<&str> = store
            .events(first.ticket.id)
            .await
            .unwrap()
            .iter()
            .map(|e| e.event.data.type_name())
            .collect();
        assert_eq!(types, ["created", "linked"]);
        assert!(store.verify_chain(first.ticket.id).await.unwrap().valid);
    }
);

store_test!(
    a_retry_with_the_same_idempotency_key_replays_and_creates_nothing,
    |store| async move {
        let policy = Policy::default();
        let request = |hash: &str| IdempotencyRequest {
            principal: "key-1".into(),
            key: "retry-42".into(),
            request_hash: hash.into(),
        };
        let mut new = incident(false, "2026-11-23T08:00:00Z");
        new.id = ticket_domain::values::TicketId::new_v7();
        let first = store
            .create_ticket(
                new.clone(),
                &partner(PARTNER),
                monday(),
                &policy,
                Some(request("aaa")),
                false,
            )
            .await
            .unwrap();
        assert!(!first.replayed);
        new.id = ticket_domain::values::TicketId::new_v7();
        let again = store
            .create_ticket(
                new.clone(),
                &partner(PARTNER),
                monday(),
                &policy,
                Some(request("aaa")),
                false,
            )
            .await
            .unwrap();
        assert!(again.replayed);
        assert_eq!(again.ticket.ticket, first.ticket.ticket);
        let page = store
            .list_tickets(&TicketFilter::default(), Sort::default(), 50, None)
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1);
        let other = store
            .create_ticket(
                new,
                &partner(PARTNER),
                monday(),
                &policy,
                Some(request("bbb")),
                false,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(other, StoreError::IdempotencyKeyReused),
            "{other:?}"
        );
    }
);

store_test!(
    a_tracking_secret_opens_its_ticket_and_only_its_hash_is_stored,
    |store| async move {
        let mut new = user_usurpation(UsurpationReporter::User, "2026-11-20T09:00:00Z");
        new.id = ticket_domain::values::TicketId::new_v7();
        let created = store
            .create_ticket(
                new,
                &Actor::PublicReporter,
                monday(),
                &Policy::default(),
                None,
                true,
            )
            .await
            .unwrap();
        let secret = created.tracking_secret.unwrap();
        assert!(secret.len() >= 43, "at least 256 bits");
        let found = store.ticket_by_tracking_secret(&secret).await.unwrap();
        assert_eq!(found.ticket.id, created.ticket.ticket.id);
        assert!(matches!(
            store.ticket_by_tracking_secret("guess").await,
            Err(StoreError::NotFound(_))
        ));
        let rows = ticket_store::entities::tracking_secret::Entity::find()
            .all(store.connection())
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_ne!(rows[0].secret_hash, secret);
    }
);

store_test!(
    the_sweep_finds_due_tickets_and_fires_once,
    |store| async move {
        let policy = Policy::default();
        let mut new = incident(true, "2026-11-27T19:00:00Z");
        new.id = ticket_domain::values::TicketId::new_v7();
        let night = at("2026-11-27T20:00:00Z");
        let created = store
            .create_ticket(new, &partner(PARTNER), night, &policy, None, false)
            .await
            .unwrap();
        let id = created.ticket.ticket.id;
        assert!(store.due_tickets(night, 10).await.unwrap().is_empty());
        assert_eq!(
            store.earliest_due().await.unwrap(),
            Some(at("2026-11-27T23:00:00Z"))
        );
        let later = at("2026-11-28T00:00:00Z");
        assert_eq!(store.due_tickets(later, 10).await.unwrap(), [id]);
        let swept = store
            .sweep_ticket(id, later, &policy)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(swept.ticket.tier, ticket_domain::Tier::Supervisor);
        assert!(
            store
                .sweep_ticket(id, later, &policy)
                .await
                .unwrap()
                .is_none()
        );
        assert!(!store.due_tickets(later, 10).await.unwrap().contains(&id));
        let breached = TicketFilter {
            breached: Some(true),
            ..TicketFilter::default()
        };
        assert_eq!(
            store
                .list_tickets(&breached, Sort::default(), 10, None)
                .await
                .unwrap()
                .items
                .len(),
            1
        );
    }
);

store_test!(
    only_the_reporters_acknowledgement_carries_the_tracking_secret,
    |store| async move {
        let mut new = user_usurpation(UsurpationReporter::User, "2026-11-20T09:00:00Z");
        new.id = ticket_domain::values::TicketId::new_v7();
        let created = store
            .create_ticket(
                new,
                &Actor::PublicReporter,
                monday(),
                &Policy::default(),
                None,
                true,
            )
            .await
            .unwrap();
        let secret = created.tracking_secret.unwrap();
        let rows = store.outbox_of(created.ticket.ticket.id).await.unwrap();
        let with_secret: Vec<&str> = rows
            .iter()
            .filter(|r| r.tracking_secret.as_deref() == Some(secret.as_str()))
            .map(|r| r.template.as_str())
            .collect();
        assert_eq!(with_secret, ["acknowledgement_of_receipt"]);
        assert_eq!(
            rows.iter().filter(|r| r.tracking_secret.is_some()).count(),
            1
        );
    }
);

store_test!(
    old_idempotency_keys_are_forgotten_and_recent_ones_kept,
    |store| async move {
        let policy = Policy::default();
        let request = IdempotencyRequest {
            principal: "key-1".into(),
            key: "k".into(),
            request_hash: "h".into(),
        };
        let mut new = incident(false, "2026-11-23T08:00:00Z");
        new.id = ticket_domain::values::TicketId::new_v7();
        store
            .create_ticket(
                new,
                &partner(PARTNER),
                monday(),
                &policy,
                Some(request.clone()),
                false,
            )
            .await
            .unwrap();
        // Kept while younger than the cut-off.
        assert_eq!(store.purge_idempotency_keys(monday()).await.unwrap(), 0);
        assert_eq!(
            store
                .purge_idempotency_keys(monday() + TimeDelta::hours(48))
                .await
                .unwrap(),
            1
        );
        // Forgotten: the same key now opens a new ticket.
        let mut again = incident(false, "2026-11-23T08:00:00Z");
        again.id = ticket_domain::values::TicketId::new_v7();
        let created = store
            .create_ticket(
                again,
                &partner(PARTNER),
                monday() + TimeDelta::hours(49),
                &policy,
                Some(request),
                false,
            )
            .await
            .unwrap();
        assert!(!created.replayed);
    }
);
