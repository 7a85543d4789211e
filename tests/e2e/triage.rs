//! The triage desk over the API: the staff directory, assignees that are members, list filters and
//! sorts with keyset cursors, and the mails an assignee receives. Each test runs on SQLite and
//! PostgreSQL.

use crate::e2e_test;
use crate::helpers::*;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use ticket_domain::values::Text;
use ticket_store::registry::{AssuranceLevel, NewService};
use ticket_store::testkit::Backend;

fn hours(n: i64) -> DateTime<Utc> {
    start_instant() + TimeDelta::hours(n)
}

/// Declares an incident as staff on `organisation` (optionally on a service) and returns its id.
async fn incident_on(
    app: &TestApp,
    organisation: &str,
    priority: &str,
    service: Option<&str>,
) -> String {
    let mut body = json!({
        "title": format!("Panne {priority}"),
        "started_at": "2026-11-23T08:00:00Z",
        "impact": "Les usagers ne peuvent plus se connecter",
        "proposed_priority": priority,
        "organisation_id": organisation,
    });
    if let Some(service) = service {
        body["service_id"] = json!(service);
    }
    let response = app
        .post_as(&app.keys.agent, "/api/v1/incidents", &body)
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn incident(app: &TestApp, priority: &str) -> String {
    incident_on(app, &app.partner.to_string(), priority, None).await
}

/// One page of the ticket list; asserts 200.
async fn page(app: &TestApp, key: &str, query: &str) -> Value {
    let response = app.get_as(key, &format!("/api/v1/tickets?{query}")).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{query}: {body}");
    body
}

/// The ids listed by `query` (one page of at most 200).
async fn listed(app: &TestApp, key: &str, query: &str) -> BTreeSet<String> {
    let body = page(app, key, &format!("limit=200&{query}")).await;
    assert!(body.get("next_cursor").is_none(), "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

fn set(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).clone()).collect()
}

async fn run_command(app: &TestApp, key: &str, id: &str, command: &str, body: Value) -> Value {
    let (_, etag) = app.ticket(&app.keys.agent, id).await;
    app.command_ok(key, id, command, &etag, &body).await.0
}

e2e_test!(
    admins_manage_the_staff_directory_and_member_keys,
    |app| async move {
        let admin = &app.keys.admin;
        let bob = json!({"handle": "bob", "email": "bob@staff.example.fr"});
        let response = app.post_as(admin, "/api/v1/staff", &bob).await;
        assert_eq!(response.status(), 201);
        assert_eq!(
            response.headers()["Location"].to_str().unwrap(),
            "/api/v1/staff/bob"
        );
        let created: Value = response.json().await.unwrap();
        assert_eq!(created["handle"], "bob");
        assert_eq!(created["email"], "bob@staff.example.fr");
        let problem = assert_problem(app.post_as(admin, "/api/v1/staff", &bob).await, 409).await;
        assert!(problem.detail.contains("staff member"), "{problem:?}");
        let bad = json!({"handle": "bob/2", "email": "pas une adresse"});
        let problem = assert_problem(app.post_as(admin, "/api/v1/staff", &bad).await, 422).await;
        let fields: BTreeSet<_> = problem.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, BTreeSet::from(["handle", "email"]), "{problem:?}");
        assert_problem(
            app.post_as(
                &app.keys.agent,
                "/api/v1/staff",
                &json!({"handle": "eve", "email": "eve@staff.example.fr"}),
            )
            .await,
            403,
        )
        .await;
        assert_problem(app.get_as(&app.keys.partner, "/api/v1/staff").await, 403).await;
        let directory: Value = app
            .get_as(&app.keys.agent, "/api/v1/staff")
            .await
            .json()
            .await
            .unwrap();
        let handles: Vec<&str> = directory["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["handle"].as_str().unwrap())
            .collect();
        assert!(
            handles.contains(&"alice") && handles.contains(&"bob"),
            "{directory}"
        );
        let changed = app
            .client
            .put(app.url("/api/v1/staff/bob"))
            .bearer_auth(admin)
            .json(&json!({"email": "robert@staff.example.fr"}))
            .send()
            .await
            .unwrap();
        assert_eq!(changed.status(), 200);
        let read: Value = app
            .get_as(&app.keys.engineer, "/api/v1/staff/bob")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(read["email"], "robert@staff.example.fr");

        // A key of a member: its holder is that member (`assignee=me`).
        let response = app
            .post_as(
                admin,
                "/api/v1/api-keys",
                &json!({"name": "bob laptop", "role": "agent", "staff_member": "bob"}),
            )
            .await;
        assert_eq!(response.status(), 201);
        let key: Value = response.json().await.unwrap();
        assert_eq!(key["staff_member"], "bob");
        let bob_key = key["secret"].as_str().unwrap().to_owned();
        let id = incident(&app, "normale").await;
        run_command(&app, &bob_key, &id, "assign", json!({"assignee": "bob"})).await;
        assert_eq!(
            listed(&app, &bob_key, "assignee=me").await,
            set(&[&id]),
            "bob's key lists bob's tickets"
        );
        let (ticket, _) = app.ticket(&bob_key, &id).await;
        assert_eq!(ticket["assignee"], "bob");
        let problem = assert_problem(
            app.post_as(
                admin,
                "/api/v1/api-keys",
                &json!({"name": "ghost", "role": "agent", "staff_member": "zorglub"}),
            )
            .await,
            422,
        )
        .await;
        assert_eq!(problem.errors[0].field, "staff_member", "{problem:?}");

        // A member with an active key stays; once the key is revoked the member goes.
        let remove = || async {
            app.client
                .delete(app.url("/api/v1/staff/bob"))
                .bearer_auth(admin)
                .send()
                .await
                .unwrap()
        };
        assert_problem(remove().await, 409).await;
        let revoked = app
            .post_as(
                admin,
                &format!("/api/v1/api-keys/{}/revoke", key["id"].as_str().unwrap()),
                &json!({}),
            )
            .await;
        assert_eq!(revoked.status(), 200);
        assert_eq!(remove().await.status(), 204);
        assert_problem(app.get_as(&app.keys.agent, "/api/v1/staff/bob").await, 404).await;
    }
);

e2e_test!(
    an_assignee_is_a_member_and_lists_filter_me_and_none,
    |app| async move {
        let first = incident(&app, "normale").await;
        let second = incident(&app, "normale").await;
        let third = incident(&app, "normale").await;
        let (_, etag) = app.ticket(&app.keys.agent, &first).await;
        for stranger in ["zorglub", "me"] {
            let response = app
                .command(
                    &app.keys.agent,
                    &first,
                    "assign",
                    &etag,
                    &json!({"assignee": stranger}),
                )
                .await;
            let problem = assert_problem(response, 422).await;
            assert_eq!(problem.errors[0].field, "assignee", "{problem:?}");
            assert_eq!(problem.errors[0].rule, "staff_member", "{problem:?}");
        }
        run_command(
            &app,
            &app.keys.agent,
            &first,
            "assign",
            json!({"assignee": "agent"}),
        )
        .await;
        run_command(
            &app,
            &app.keys.agent,
            &second,
            "assign",
            json!({"assignee": "alice"}),
        )
        .await;
        let agent = &app.keys.agent;
        assert_eq!(listed(&app, agent, "assignee=me").await, set(&[&first]));
        assert_eq!(listed(&app, agent, "assignee=alice").await, set(&[&second]));
        assert_eq!(listed(&app, agent, "assignee=none").await, set(&[&third]));
        assert_eq!(
            listed(&app, &app.keys.supervisor, "assignee=me").await,
            BTreeSet::new()
        );
        let problem = assert_problem(
            app.get_as(agent, "/api/v1/tickets?assignee=zorglub").await,
            422,
        )
        .await;
        assert_eq!(problem.errors[0].field, "assignee");
        let problem =
            assert_problem(app.get_as(agent, "/api/v1/tickets?assignee=").await, 400).await;
        assert_eq!(problem.errors[0].field, "assignee", "{problem:?}");
        // A partner key belongs to no member: `me` names nobody.
        let problem = assert_problem(
            app.get_as(&app.keys.partner, "/api/v1/tickets?assignee=me")
                .await,
            422,
        )
        .await;
        assert_eq!(problem.errors[0].rule, "caller_is_member");
    }
);

e2e_test!(
    every_list_filter_narrows_and_they_combine,
    |app| async move {
        let partner = app.partner.to_string();
        let other = app.other_partner.to_string();
        let service = app
            .store
            .add_service(
                app.partner,
                NewService {
                    name: Text::parse("name", "Portail", 200).unwrap(),
                    availability: Text::parse("availability", "heures ouvrées", 200).unwrap(),
                    max_unavailability_seconds: None,
                    minimum_assurance_level: AssuranceLevel::None,
                },
                start_instant(),
            )
            .await
            .unwrap()
            .id
            .to_string();
        let session = "0191e2a4-0000-7000-8000-00000000abcd";
        // a: normale on the service; b: critique on the other partner; c: a support request
        // (info); d: a user usurpation (critique, security tier) with a session id; e: majeure,
        // waiting for the reporter. One hour apart.
        app.clock.set(hours(0));
        let a = incident_on(&app, &partner, "normale", Some(&service)).await;
        app.clock.set(hours(1));
        let b = incident_on(&app, &other, "critique", None).await;
        app.clock.set(hours(2));
        let response = app
            .post_as(
                &app.keys.partner,
                "/api/v1/support-requests",
                &json!({"title": "Inscription", "question": "Comment s'inscrire ?"}),
            )
            .await;
        assert_eq!(response.status(), 201);
        let c: Value = response.json().await.unwrap();
        let c = c["id"].as_str().unwrap().to_owned();
        app.clock.set(hours(3));
        let response = app
            .post_as(
                &app.keys.partner,
                "/api/v1/usurpations",
                &json!({
                    "kind": "user_usurpation",
                    "reported_by": "partner",
                    "session_id": session,
                    "description": "Connexion suspecte",
                }),
            )
            .await;
        let status = response.status();
        let d: Value = response.json().await.unwrap();
        assert_eq!(status, 201, "{d}");
        let d = d["id"].as_str().unwrap().to_owned();
        app.clock.set(hours(4));
        let e = incident(&app, "majeure").await;
        app.clock.set(hours(5));
        run_command(&app, &app.keys.agent, &c, "acknowledge", json!({})).await;
        run_command(&app, &app.keys.agent, &e, "acknowledge", json!({})).await;
        run_command(
            &app,
            &app.keys.agent,
            &e,
            "wait-for-reporter",
            json!({"question": "Depuis quand ?"}),
        )
        .await;
        let all = set(&[&a, &b, &c, &d, &e]);
        let agent = &app.keys.agent;
        let at = |h: i64| hours(h).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let cases: Vec<(String, BTreeSet<String>)> = vec![
            (String::new(), all.clone()),
            ("state=acknowledged".into(), set(&[&c])),
            (
                "state=new&state=waiting_reporter".into(),
                set(&[&a, &b, &d, &e]),
            ),
            ("kind=support_request".into(), set(&[&c])),
            ("kind=user_usurpation".into(), set(&[&d])),
            ("priority=critique&priority=info".into(), set(&[&b, &c, &d])),
            (format!("organisation_id={other}"), set(&[&b])),
            (format!("service_id={service}"), set(&[&a])),
            ("tier=security".into(), set(&[&d])),
            ("tier=agent".into(), set(&[&a, &b, &c, &e])),
            ("waiting_reporter=true".into(), set(&[&e])),
            ("waiting_reporter=false".into(), set(&[&a, &b, &c, &d])),
            ("breached=true".into(), BTreeSet::new()),
            ("breached=false".into(), all.clone()),
            // Priority 1 is acknowledged within 4 hours around the clock: b by 05:00 after the
            // start, d by 07:00; the others have working days, and e waits (no deadline runs).
            (format!("due_before={}", at(8)), set(&[&b, &d])),
            (format!("due_before={}", at(6)), set(&[&b])),
            (
                format!("created_from={}&created_before={}", at(1), at(3)),
                set(&[&b, &c]),
            ),
            (format!("updated_from={}", at(5)), set(&[&c, &e])),
            (format!("updated_before={}", at(5)), set(&[&a, &b, &d])),
            (format!("session_id={session}"), set(&[&d])),
            (
                format!("organisation_id={partner}&priority=normale&priority=majeure"),
                set(&[&a, &e]),
            ),
            (
                "state=new&priority=critique&tier=agent&assignee=none".into(),
                set(&[&b]),
            ),
        ];
        for (query, expected) in cases {
            assert_eq!(listed(&app, agent, &query).await, expected, "?{query}");
        }
        // A partner sees its own organisation's tickets only, whatever it asks.
        assert_eq!(
            listed(&app, &app.keys.partner, "priority=critique").await,
            set(&[&d])
        );
        assert_eq!(
            listed(&app, &app.keys.partner, &format!("organisation_id={other}")).await,
            BTreeSet::new()
        );
        let problem =
            assert_problem(app.get_as(agent, "/api/v1/tickets?sort=title").await, 400).await;
        assert_eq!(problem.errors[0].field, "sort", "{problem:?}");
    }
);

/// The sort key of a listed ticket, comparable within one sort.
fn key_of(ticket: &Value, sort: &str) -> String {
    match sort.trim_start_matches('-') {
        "priority" => {
            let level = ["critique", "majeure", "normale", "mineure", "info"]
                .iter()
                .position(|p| ticket["priority"] == *p)
                .unwrap();
            level.to_string()
        }
        "created_at" => ticket["created_at"].as_str().unwrap().to_owned(),
        "updated_at" => ticket["updated_at"].as_str().unwrap().to_owned(),
        _ => String::new(),
    }
}

e2e_test!(
    every_sort_pages_both_ways_without_missing_or_repeating,
    |app| async move {
        let priorities = ["normale", "critique", "info", "majeure", "mineure"];
        let mut initial = BTreeSet::new();
        // Tickets three by three at the same instant, so that ties are broken by id.
        for i in 0..12 {
            app.clock.set(hours(i / 3));
            initial.insert(incident(&app, priorities[i as usize % 5]).await);
        }
        let mut created = 12;
        for sort in [
            "created_at",
            "-created_at",
            "updated_at",
            "-updated_at",
            "priority",
            "-priority",
            "deadline",
            "-deadline",
        ] {
            let mut seen: Vec<Value> = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let query = match &cursor {
                    Some(c) => format!("limit=5&sort={sort}&cursor={c}"),
                    None => format!("limit=5&sort={sort}"),
                };
                let body = page(&app, &app.keys.agent, &query).await;
                seen.extend(body["items"].as_array().unwrap().iter().cloned());
                // Tickets keep arriving while the desk pages through the list.
                app.clock.set(hours(10 + created));
                incident(&app, priorities[created as usize % 5]).await;
                created += 1;
                match body.get("next_cursor").and_then(Value::as_str) {
                    Some(next) => cursor = Some(next.to_owned()),
                    None => break,
                }
                assert!(seen.len() < 200, "{sort}: the pages never end");
            }
            let ids: Vec<String> = seen
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_owned())
                .collect();
            let unique: BTreeSet<String> = ids.iter().cloned().collect();
            assert_eq!(unique.len(), ids.len(), "{sort}: a ticket was listed twice");
            assert!(
                initial.is_subset(&unique),
                "{sort}: a ticket present from the start was missed"
            );
            // In order: by the key, then by id, in the sort's direction.
            let descending = sort.starts_with('-');
            for pair in seen.windows(2) {
                let a = (key_of(&pair[0], sort), pair[0]["id"].as_str().unwrap());
                let b = (key_of(&pair[1], sort), pair[1]["id"].as_str().unwrap());
                if descending {
                    assert!(a > b, "{sort}: {a:?} before {b:?}");
                } else {
                    assert!(a < b, "{sort}: {a:?} before {b:?}");
                }
            }
        }
        // A cursor belongs to its sort.
        let body = page(&app, &app.keys.agent, "limit=1&sort=priority").await;
        let cursor = body["next_cursor"].as_str().unwrap();
        let response = app
            .get_as(
                &app.keys.agent,
                &format!("/api/v1/tickets?limit=1&sort=-priority&cursor={cursor}"),
            )
            .await;
        assert_problem(response, 400).await;
    }
);

macro_rules! mail_test {
    ($name:ident, |$app:ident, $server:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run(backend: Backend) {
                let Some(($app, $server)) = spawn_app_with_mail(backend).await else {
                    return;
                };
                $body.await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run(Backend::Postgres).await;
            }
        }
    };
}

/// Waits until `address` received `count` mails; returns their subjects.
async fn subjects_to(
    server: &ticket_mail::testkit::SmtpServer,
    address: &str,
    count: usize,
) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let subjects: Vec<String> = server
            .received()
            .into_iter()
            .filter(|m| m.rcpt_to.iter().any(|r| r == address))
            .map(|m| m.subject)
            .collect();
        if subjects.len() >= count || std::time::Instant::now() > deadline {
            return subjects;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

mail_test!(
    the_assignee_hears_of_replies_and_escalations_at_their_email,
    |app, server| async move {
        let response = app
            .post_as(
                &app.keys.partner,
                "/api/v1/incidents",
                &json!({
                    "title": "Connexion impossible",
                    "started_at": "2026-11-23T08:30:00Z",
                    "impact": "Les usagers ne peuvent plus se connecter",
                    "proposed_priority": "normale",
                    "reporter_email": "exploitation@caisse.example",
                }),
            )
            .await;
        assert_eq!(response.status(), 201);
        let id: Value = response.json().await.unwrap();
        let id = id["id"].as_str().unwrap().to_owned();
        run_command(&app, &app.keys.agent, &id, "acknowledge", json!({})).await;
        run_command(
            &app,
            &app.keys.agent,
            &id,
            "assign",
            json!({"assignee": "alice"}),
        )
        .await;
        // The reporter writes: alice is told, at her directory address.
        run_command(
            &app,
            &app.keys.partner,
            &id,
            "comments",
            json!({"body": "Toujours en panne ce matin"}),
        )
        .await;
        let subjects = subjects_to(&server, "alice@staff.example.fr", 1).await;
        assert_eq!(subjects.len(), 1, "{subjects:?}");
        assert!(subjects[0].contains("Réponse du demandeur"), "{subjects:?}");
        // Staff writing does not tell her; an escalation of her ticket does.
        run_command(
            &app,
            &app.keys.agent,
            &id,
            "comments",
            json!({"body": "Nous regardons", "internal": true}),
        )
        .await;
        run_command(
            &app,
            &app.keys.agent,
            &id,
            "escalate",
            json!({"reason": "Il faut un développeur"}),
        )
        .await;
        let subjects = subjects_to(&server, "alice@staff.example.fr", 2).await;
        assert_eq!(subjects.len(), 2, "{subjects:?}");
        assert!(subjects[1].contains("Escalade"), "{subjects:?}");
    }
);
