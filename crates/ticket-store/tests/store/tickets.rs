//! Tickets in the store: creation, commands under concurrency, the evidence chain, lists, sweeps.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, Statement};
use std::collections::HashSet;
use ticket_domain::kind::{TicketKind, UsurpationReporter};
use ticket_domain::testkit::*;
use ticket_domain::{Actor, ClosureProof, ClosureReason, Command, Policy, Priority, Role, State};
use ticket_store::tickets::{IdempotencyRequest, Sort, TicketFilter, TicketKey};
use ticket_store::{Store, StoreError, store_test};

fn monday() -> DateTime<Utc> {
    at("2026-11-23T09:00:00Z")
}

async fn partner_incident(
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
    lists_filter_and_page_with_a_cursor_without_skipping_or_repeating,
    |store| async move {
        let policy = Policy::default();
        let mut ids = Vec::new();
        for i in 0..7 {
            let priority = if i % 2 == 0 {
                Priority::Normale
            } else {
                Priority::Majeure
            };
            ids.push(
                partner_incident(&store, priority, monday() + TimeDelta::minutes(i))
                    .await
                    .ticket
                    .id,
            );
        }
        // Same instant for two tickets: the id breaks the tie.
        ids.push(
            partner_incident(&store, Priority::Normale, monday() + TimeDelta::minutes(6))
                .await
                .ticket
                .id,
        );
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = store
                .list_tickets(
                    &TicketFilter::default(),
                    Sort::default(),
                    3,
                    cursor.as_deref(),
                )
                .await
                .unwrap();
            assert!(page.items.len() <= 3);
            seen.extend(page.items.iter().map(|t| t.ticket.id));
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let mut expected = ids.clone();
        expected.sort_by_key(|id| id.0);
        let mut sorted_seen = seen.clone();
        sorted_seen.sort_by_key(|id| id.0);
        assert_eq!(sorted_seen, expected, "every ticket exactly once");
        let majeure = TicketFilter {
            priorities: vec![Priority::Majeure],
            ..TicketFilter::default()
        };
        assert_eq!(
            store
                .list_tickets(&majeure, Sort::default(), 50, None)
                .await
                .unwrap()
                .items
                .len(),
            3
        );
        let key = TicketKey::Id(ids[0]);
        store
            .execute(
                key,
                1,
                Command::Acknowledge { note: None },
                &staff(Role::Agent),
                monday(),
                &policy,
            )
            .await
            .unwrap();
        let acknowledged = TicketFilter {
            states: vec![State::Acknowledged],
            ..TicketFilter::default()
        };
        let page = store
            .list_tickets(&acknowledged, Sort::default(), 50, None)
            .await
            .unwrap();
        assert_eq!(
            page.items.iter().map(|t| t.ticket.id).collect::<Vec<_>>(),
            [ids[0]]
        );
        let text = TicketFilter {
            search: Some(ticket_store::search::Search {
                text: "INDISPONIBLE".into(),
                scope: Default::default(),
            }),
            kind: Some(TicketKind::Incident),
            organisation: Some(org(PARTNER)),
            ..TicketFilter::default()
        };
        assert_eq!(
            store
                .list_tickets(&text, Sort::default(), 50, None)
                .await
                .unwrap()
                .items
                .len(),
            8
        );
        let none = TicketFilter {
            search: Some(ticket_store::search::Search {
                text: "50%_off".into(),
                scope: Default::default(),
            }),
            ..TicketFilter::default()
        };
        assert!(
            store
                .list_tickets(&none, Sort::default(), 50, None)
                .await
                .unwrap()
                .items
                .is_empty()
        );
        let other_org = TicketFilter {
            organisation: Some(org(OTHER_PARTNER)),
            ..TicketFilter::default()
        };
        assert!(
            store
                .list_tickets(&other_org, Sort::default(), 50, None)
                .await
                .unwrap()
                .items
                .is_empty()
        );
        assert!(matches!(
            store
                .list_tickets(
                    &TicketFilter::default(),
                    Sort::default(),
                    3,
                    Some("not-a-cursor")
                )
                .await,
            Err(StoreError::InvalidCursor)
        ));
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

/// The main list query on 100,000 tickets reads an index, never the whole table (PostgreSQL).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_query_uses_an_index_on_100k_tickets_on_postgresql() {
    use ticket_store::testkit::{Backend, TestDatabase};
    let Some(database) = TestDatabase::create(Backend::Postgres).await.unwrap() else {
        return;
    };
    let store = database.store().await.unwrap();
    let db = store.connection();
    db.execute_unprepared(
        "INSERT INTO tickets (id, reference, kind, state, priority, tier, organisation_id, assignee, title, title_search,
                              session_id, breached, next_due_at, created_at, updated_at, version, event_count, chain_head, document)
         SELECT md5(i::text)::uuid, 'INC-2026-' || lpad(i::text, 6, '0'), 'incident',
                (ARRAY['new','acknowledged','in_progress','waiting_reporter','resolved','closed','cancelled'])[1 + i % 7],
                1 + i % 5, 'agent', md5((i % 100)::text)::uuid, NULL, 'Panne ' || i, 'panne ' || i,
                NULL, i % 10 = 0, now() + (i || ' minutes')::interval, now() - (i || ' seconds')::interval, now(), 1, 1, '', '{}'::jsonb
         FROM generate_series(1, 100000) AS i",
    )
    .await
    .unwrap();
    db.execute_unprepared("ANALYZE tickets").await.unwrap();
    let partner_org = ticket_domain::values::OrganisationId(
        uuid::Uuid::parse_str("c4ca4238-a0b9-2382-0dcc-509a6f75849b").unwrap(),
    );
    let filters = [
        TicketFilter::default(),
        TicketFilter {
            states: vec![State::InProgress],
            ..TicketFilter::default()
        },
        TicketFilter {
            organisation: Some(partner_org),
            ..TicketFilter::default()
        },
    ];
    // A later page: the cursor is the sort key of the last row seen.
    use base64::Engine as _;
    let middle = format!(
        "t1|c+|{}|{}",
        (Utc::now() - TimeDelta::seconds(50_000))
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        uuid::Uuid::nil()
    );
    let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(middle);
    let pages = filters
        .into_iter()
        .flat_map(|f| [(f.clone(), None), (f, Some(cursor.clone()))]);
    for (filter, cursor) in pages {
        use sea_orm::QueryTrait;
        let statement = ticket_store::tickets::list_query(
            sea_orm::DbBackend::Postgres,
            &filter,
            Sort::default(),
            50,
            cursor.as_deref(),
        )
        .unwrap()
        .build(sea_orm::DbBackend::Postgres);
        let explain = Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            format!("EXPLAIN {}", statement.sql),
            statement.values.map(|v| v.0).unwrap_or_default(),
        );
        let plan: Vec<String> = db
            .query_all_raw(explain)
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get_by_index::<String>(0).unwrap())
            .collect();
        let plan = plan.join("\n");
        println!("{filter:?} cursor={cursor:?}\n{plan}\n");
        assert!(
            plan.contains("Index Scan")
                || plan.contains("Index Only Scan")
                || plan.contains("Bitmap Index Scan"),
            "{plan}"
        );
        assert!(!plan.contains("Seq Scan on tickets"), "{plan}");
    }
}

/// A search on PostgreSQL finds rare words first (through the GIN indexes) and common ones along the
/// sort's index: both give every hit once, in the sort's order, page after page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_pages_through_rare_and_common_words_on_postgresql() {
    use ticket_store::search::{Search, SearchScope};
    use ticket_store::testkit::{Backend, TestDatabase};
    let Some(database) = TestDatabase::create(Backend::Postgres).await.unwrap() else {
        return;
    };
    let store = database.store().await.unwrap();
    store
        .create_ticket(
            incident(false, "2026-11-20T09:00:00Z"),
            &partner(PARTNER),
            monday(),
            &Policy::default(),
            None,
            false,
        )
        .await
        .unwrap();
    let db = store.connection();
    // 1,500 copies of that ticket; every one says "panne", one in 300 "certificat".
    db.execute_unprepared(
        "INSERT INTO tickets (id, reference, kind, state, priority, tier, organisation_id, assignee,
                title, title_search, session_id, breached, next_due_at, created_at, updated_at, version,
                event_count, chain_head, document, deadline_at, service_id)
         SELECT n.id, 'INC-2025-' || lpad(i::text, 6, '0'), 'incident', 'new',
                1 + i % 5, 'agent', organisation_id, NULL, 'Panne ' || i, 'panne ' || i, NULL, false,
                NULL, timestamptz '2025-01-01' + (i || ' minutes')::interval,
                timestamptz '2025-01-01' + (i || ' minutes')::interval, 1, 1, '',
                jsonb_set(document, '{id}', to_jsonb(n.id::text)),
                timestamptz '2025-01-01' + (i || ' minutes')::interval, NULL
         FROM generate_series(1, 1500) AS i,
              LATERAL (SELECT ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid AS id) AS n,
              (SELECT organisation_id, document FROM tickets LIMIT 1) AS t;
         INSERT INTO ticket_search (ticket_id, ticket_text, public_comments, internal_notes, personal)
         SELECT ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, 'Panne ' || i,
                CASE WHEN i % 300 = 0 THEN 'certificat expiré' ELSE '' END, '', ''
         FROM generate_series(1, 1500) AS i;
         ANALYZE",
    )
    .await
    .unwrap();
    let search = |text: &str| TicketFilter {
        search: Some(Search {
            text: text.into(),
            scope: SearchScope::default(),
        }),
        ..TicketFilter::default()
    };
    for (text, expected) in [("panne", 1500), ("certificat", 5), ("zorglubium", 0)] {
        let filter = search(text);
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = store
                .list_tickets(&filter, Sort::default(), 50, cursor.as_deref())
                .await
                .unwrap();
            // The copies' ids end with their number, which orders their creation.
            seen.extend(
                page.items
                    .iter()
                    .filter_map(|t| t.ticket.id.0.simple().to_string()[20..].parse::<u64>().ok()),
            );
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(seen.len(), expected, "{text}");
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), expected, "{text}: each hit once");
        if text == "certificat" {
            assert!(seen.iter().all(|i| i % 300 == 0), "{seen:?}");
        }
        let descending = seen.windows(2).all(|w| w[0] >= w[1]);
        let ascending = seen.windows(2).all(|w| w[0] <= w[1]);
        assert!(descending || ascending, "{text}: in the sort's order");
    }
}

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
