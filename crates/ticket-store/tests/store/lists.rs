//! Ticket lists: filters, keyset pages, the list query's plan and searches on PostgreSQL.

use crate::tickets::{monday, partner_incident};
use chrono::{TimeDelta, Utc};
use sea_orm::{ConnectionTrait, Statement};
use ticket_domain::kind::TicketKind;
use ticket_domain::testkit::*;
use ticket_domain::{Command, Policy, Priority, Role, State};
use ticket_store::tickets::{Sort, TicketFilter, TicketKey};
use ticket_store::{StoreError, store_test};

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
