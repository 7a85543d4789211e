//! Webhook deliveries (issue 36): written with their events, one per endpoint and event, in the
//! change feed's order per endpoint, claimed under a lease, retried, failed after 3 days.

use crate::outbox::{monday, partner_incident};
use chrono::{DateTime, TimeDelta, Utc};
use std::time::Duration;
use ticket_domain::testkit::*;
use ticket_domain::values::TicketId;
use ticket_domain::{Command, Policy, Role};
use ticket_store::tickets::TicketKey;
use ticket_store::webhooks::{
    Attempt, AttemptOutcome, DueDelivery, NewEndpoint, Settled, message_id, parse_message_id,
};
use ticket_store::{Store, store_test};
use uuid::Uuid;

async fn endpoint(store: &Store, organisation: u128, types: &[&str]) -> Uuid {
    let (endpoint, secret) = store
        .create_webhook_endpoint(
            NewEndpoint {
                organisation: org(organisation),
                url: "https://hooks.example.org/ticketd".to_owned(),
                event_types: types.iter().map(|t| (*t).to_owned()).collect(),
            },
            monday(),
        )
        .await
        .unwrap();
    assert!(secret.starts_with("whsec_") && secret.len() >= 6 + 32);
    endpoint.id
}

async fn comment(store: &Store, ticket: TicketId, internal: bool) {
    let stored = store.get_ticket(TicketKey::Id(ticket)).await.unwrap();
    store
        .execute(
            TicketKey::Id(ticket),
            stored.version,
            Command::Comment {
                body: text("suivi"),
                internal,
            },
            &staff(Role::Agent),
            monday(),
            &Policy::default(),
        )
        .await
        .unwrap();
}

/// The types of the events delivered to `endpoint`, oldest first.
async fn delivered_types(store: &Store, endpoint: Uuid) -> Vec<String> {
    let mut deliveries = store.webhook_deliveries(endpoint, 100).await.unwrap();
    deliveries.reverse();
    let mut types = Vec::new();
    for delivery in deliveries {
        let event = store.event_by_id(delivery.event_id).await.unwrap();
        types.push(event.event.data.type_name().to_owned());
    }
    types
}

fn answered(at: DateTime<Utc>, status: u16) -> Attempt {
    Attempt {
        at,
        latency: Duration::from_millis(12),
        outcome: AttemptOutcome::Answered {
            status,
            head: "ok".to_owned(),
        },
    }
}

/// The due deliveries of `endpoint` at `now`, as they are now.
async fn due_now(store: &Store, endpoint: Uuid, now: DateTime<Utc>) -> Vec<DueDelivery> {
    store
        .due_webhook_deliveries(now, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.endpoint_id == endpoint)
        .collect()
}

/// The due deliveries of `endpoint` at `now`, waiting up to 30 s for one.
async fn due(store: &Store, endpoint: Uuid, now: DateTime<Utc>) -> Vec<DueDelivery> {
    let until = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let due: Vec<DueDelivery> = store
            .due_webhook_deliveries(now, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|d| d.endpoint_id == endpoint)
            .collect();
        // On PostgreSQL a delivery waits for the transactions begun before it (other tests').
        if !due.is_empty() || std::time::Instant::now() > until {
            return due;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

store_test!(
    deliveries_are_written_with_their_events_for_the_endpoints_that_may_see_them,
    |store| async move {
        let wanted = endpoint(&store, PARTNER, &["created", "commented"]).await;
        let only_closures = endpoint(&store, PARTNER, &["closed"]).await;
        let other = endpoint(&store, OTHER_PARTNER, &["created", "commented"]).await;
        let ticket = partner_incident(&store).await;
        comment(&store, ticket, true).await;
        comment(&store, ticket, false).await;
        assert_eq!(
            delivered_types(&store, wanted).await,
            ["created", "commented"],
            "the internal note is not delivered"
        );
        assert!(delivered_types(&store, only_closures).await.is_empty());
        assert!(
            delivered_types(&store, other).await.is_empty(),
            "another organisation hears nothing of the ticket"
        );
    }
);

store_test!(
    an_endpoint_gets_its_deliveries_one_at_a_time_in_order_and_retries_with_the_same_id,
    |store| async move {
        let id = endpoint(&store, PARTNER, &["created", "commented"]).await;
        let ticket = partner_incident(&store).await;
        comment(&store, ticket, false).await;
        let replica = Uuid::now_v7();
        let now = monday();

        let heads = due(&store, id, now).await;
        assert_eq!(heads.len(), 1, "one delivery at a time per endpoint");
        let first = heads[0].clone();
        let created = store.event_by_id(first.event_id).await.unwrap();
        assert_eq!(created.event.data.type_name(), "created");
        let claimed = store
            .claim_webhook_delivery(&first, replica, now, now + TimeDelta::minutes(1))
            .await
            .unwrap();
        assert!(claimed);
        assert!(
            !store
                .claim_webhook_delivery(&first, Uuid::now_v7(), now, now + TimeDelta::minutes(1))
                .await
                .unwrap(),
            "a leased delivery is not claimed twice"
        );
        assert!(
            due_now(&store, id, now).await.is_empty(),
            "the next one waits"
        );

        // A failure: retried later, under the same message id.
        let (settled, _) = store
            .settle_webhook_delivery(&first, replica, answered(now, 500), 0.5)
            .await
            .unwrap();
        let Settled::Retry(next) = settled else {
            panic!("retried, got {settled:?}")
        };
        assert!(next > now);
        assert!(
            due_now(&store, id, now).await.is_empty(),
            "not before its retry"
        );
        let again = due(&store, id, next).await;
        assert_eq!(
            again,
            [DueDelivery {
                attempts: 1,
                ..first.clone()
            }]
        );
        assert_eq!(
            parse_message_id(&message_id(again[0].event_id)),
            Some(first.event_id)
        );
        assert!(
            store
                .claim_webhook_delivery(&again[0], replica, next, next + TimeDelta::minutes(1))
                .await
                .unwrap()
        );
        let (settled, _) = store
            .settle_webhook_delivery(&again[0], replica, answered(next, 204), 0.5)
            .await
            .unwrap();
        assert_eq!(settled, Settled::Delivered);

        // Then the comment.
        let heads = due(&store, id, next).await;
        assert_eq!(heads.len(), 1);
        let event = store.event_by_id(heads[0].event_id).await.unwrap();
        assert_eq!(event.event.data.type_name(), "commented");

        let log = store.webhook_attempts(id, None, 10).await.unwrap();
        let statuses: Vec<Option<i32>> = log.iter().map(|a| a.status_code).collect();
        assert_eq!(statuses, [Some(204), Some(500)], "newest first");
    }
);

store_test!(
    an_endpoint_failing_for_a_day_is_disabled_and_a_delivery_failing_for_3_days_is_failed,
    |store| async move {
        let id = endpoint(&store, PARTNER, &["created"]).await;
        partner_incident(&store).await;
        let replica = Uuid::now_v7();
        let mut now = monday();
        let mut disabled_at = None;
        let mut failed_at = None;
        let waiting = std::time::Instant::now() + Duration::from_secs(30);
        while failed_at.is_none() {
            let Some(head) = due_now(&store, id, now).await.into_iter().next() else {
                // On PostgreSQL, the horizon (other tests' transactions).
                assert!(std::time::Instant::now() < waiting, "the delivery is due");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            assert!(
                store
                    .claim_webhook_delivery(&head, replica, now, now + TimeDelta::minutes(1))
                    .await
                    .unwrap()
            );
            let (settled, disabled) = store
                .settle_webhook_delivery(&head, replica, answered(now, 503), 0.0)
                .await
                .unwrap();
            let mut just_disabled = false;
            if let Some(endpoint) = disabled {
                // Enabled again, it fails for another day before it is disabled again.
                let since = disabled_at.unwrap_or(monday());
                assert!(now - since >= TimeDelta::days(1));
                assert!(now - since < TimeDelta::days(2));
                assert_eq!(endpoint.disabled_at, Some(now));
                disabled_at = Some(now);
                just_disabled = true;
            }
            match settled {
                Settled::Retry(next) => now = next,
                Settled::Failed => failed_at = Some(now),
                other => panic!("retried or failed, got {other:?}"),
            }
            if just_disabled && failed_at.is_none() {
                assert!(
                    due_now(&store, id, now + TimeDelta::days(9))
                        .await
                        .is_empty(),
                    "a disabled endpoint gets nothing"
                );
                // Its owner enables it again: the delivery goes on failing.
                let current = store.get_webhook_endpoint(id).await.unwrap();
                store
                    .update_webhook_endpoint(
                        id,
                        current.version,
                        ticket_store::webhooks::EndpointChanges {
                            enabled: Some(true),
                            ..Default::default()
                        },
                        now,
                    )
                    .await
                    .unwrap();
            }
        }
        assert!(disabled_at.is_some(), "disabled after failing for a day");
        let failed_at = failed_at.unwrap();
        assert!(failed_at - monday() >= TimeDelta::days(3));
        assert!(failed_at - monday() < TimeDelta::days(3) + TimeDelta::hours(8));
        assert!(
            due_now(&store, id, failed_at + TimeDelta::days(9))
                .await
                .is_empty()
        );
        let states: Vec<String> = store
            .webhook_deliveries(id, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.state)
            .collect();
        assert_eq!(states, ["failed"]);
    }
);
