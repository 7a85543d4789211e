//! The change feed over HTTP (issue 36): what each caller sees, in commit order, the cursor, and
//! waiting for a change.

use crate::e2e_test;
use crate::helpers::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn incident(organisation: &str) -> Value {
    json!({
        "title": "Connexion impossible",
        "started_at": "2026-11-23T08:30:00Z",
        "impact": "Les usagers ne peuvent plus se connecter au service",
        "organisation_id": organisation,
    })
}

async fn declare(app: &TestApp, key: &str, organisation: &str) -> (String, String) {
    let response = app
        .post_as(key, "/api/v1/incidents", &incident(organisation))
        .await;
    assert_eq!(response.status(), 201);
    let etag = etag_of(&response);
    let body: Value = response.json().await.unwrap();
    (body["id"].as_str().unwrap().to_owned(), etag)
}

/// One answer of the feed: its changes as (ticket id, event type, visibility), and its cursor.
async fn changes(app: &TestApp, key: &str, query: &str) -> (Vec<(String, String, String)>, String) {
    let response = app.get_as(key, &format!("/api/v1/changes{query}")).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let items = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["ticket_id"].as_str().unwrap().to_owned(),
                c["event"]["type"].as_str().unwrap().to_owned(),
                c["event"]["visibility"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (items, body["next_cursor"].as_str().unwrap().to_owned())
}

/// Follows the feed from the start until `count` changes came (each request waits up to 5 s): on
/// PostgreSQL the feed waits for every write transaction of the cluster begun before, other
/// tests' included.
async fn follow(app: &TestApp, key: &str, count: usize) -> (Vec<(String, String, String)>, String) {
    let mut seen = Vec::new();
    let mut cursor = None::<String>;
    for _ in 0..10 {
        let query = match &cursor {
            Some(c) => format!("?wait=5&after={c}"),
            None => "?wait=5".to_owned(),
        };
        let (items, next) = changes(app, key, &query).await;
        seen.extend(items);
        cursor = Some(next);
        if seen.len() >= count {
            break;
        }
    }
    (seen, cursor.unwrap_or_default())
}

e2e_test!(
    a_partner_reads_its_own_tickets_public_events_in_commit_order_and_staff_read_all,
    |app| async move {
        let keys = app.keys.clone();
        let (mine, etag) = declare(&app, &keys.partner, &app.partner.to_string()).await;
        let (theirs, _) = declare(&app, &keys.other_partner, &app.other_partner.to_string()).await;
        let (_, etag) = app
            .command_ok(
                &keys.agent,
                &mine,
                "comments",
                &etag,
                &json!({"body": "piste : certificat expiré", "internal": true}),
            )
            .await;
        app.command_ok(
            &keys.agent,
            &mine,
            "comments",
            &etag,
            &json!({"body": "Nous analysons le problème."}),
        )
        .await;

        let (seen, cursor) = follow(&app, &keys.partner, 2).await;
        let public = |t: &str| (mine.clone(), t.to_owned(), "public".to_owned());
        assert_eq!(seen, [public("created"), public("commented")]);
        // Read on: nothing new, and the cursor stays where it was.
        let (more, again) = changes(&app, &keys.partner, &format!("?after={cursor}")).await;
        assert!(more.is_empty());
        assert_eq!(again, cursor);

        // Staff read every ticket's events, internal notes included, in commit order.
        let (all, _) = follow(&app, &keys.agent, 4).await;
        let staff_view: Vec<(&str, &str)> = all
            .iter()
            .map(|(t, e, v)| {
                (
                    if *t == mine { "mine" } else { "theirs" },
                    if v == "internal" {
                        "internal"
                    } else {
                        e.as_str()
                    },
                )
            })
            .collect();
        assert_eq!(
            staff_view,
            [
                ("mine", "created"),
                ("theirs", "created"),
                ("mine", "internal"),
                ("mine", "commented"),
            ]
        );
        assert!(all.iter().any(|(t, _, _)| *t == theirs));

        // Page by page, one at a time: the same changes.
        let mut cursor = None::<String>;
        let mut paged = Vec::new();
        while paged.len() < all.len() {
            let query = match &cursor {
                Some(c) => format!("?limit=1&wait=5&after={c}"),
                None => "?limit=1&wait=5".to_owned(),
            };
            let (page, next) = changes(&app, &keys.agent, &query).await;
            assert_eq!(page.len(), 1);
            paged.extend(page);
            cursor = Some(next);
        }
        assert_eq!(paged, all);

        let problem = assert_problem(
            app.get_as(&keys.partner, "/api/v1/changes?after=bm90LWEtY3Vyc29y")
                .await,
            400,
        )
        .await;
        assert!(
            problem.problem_type.ends_with("invalid-cursor"),
            "{problem:?}"
        );
        assert_problem(
            app.get_as(&keys.partner, "/api/v1/changes?wait=31").await,
            400,
        )
        .await;
    }
);

e2e_test!(
    a_reader_waiting_on_the_feed_is_answered_when_a_change_commits,
    |app| async move {
        let keys = app.keys.clone();
        let (mine, etag) = declare(&app, &keys.partner, &app.partner.to_string()).await;
        let (_, cursor) = follow(&app, &keys.partner, 1).await;

        // Nothing comes: the answer waits the time asked for, then is empty.
        let started = Instant::now();
        let (none, same) = changes(&app, &keys.partner, &format!("?wait=1&after={cursor}")).await;
        assert!(none.is_empty());
        assert_eq!(same, cursor);
        assert!(started.elapsed() >= Duration::from_secs(1));

        // A comment while the partner waits: answered with it, well before the wait is over.
        let started = Instant::now();
        let waiting = {
            let client = app.client.clone();
            let url = app.url(&format!("/api/v1/changes?wait=20&after={cursor}"));
            let key = keys.partner.clone();
            tokio::spawn(async move {
                let response = client.get(url).bearer_auth(key).send().await.unwrap();
                assert_eq!(response.status(), 200);
                response.json::<Value>().await.unwrap()
            })
        };
        tokio::time::sleep(Duration::from_millis(600)).await;
        app.command_ok(
            &keys.agent,
            &mine,
            "comments",
            &etag,
            &json!({"body": "Nous analysons le problème."}),
        )
        .await;
        let answer = waiting.await.unwrap();
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(600), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
        let items = answer["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{answer}");
        assert_eq!(items[0]["event"]["type"], "commented");
        assert_eq!(items[0]["ticket_id"], mine.as_str());
        assert!(items[0]["reference"].as_str().unwrap().starts_with("INC-"));
    }
);
