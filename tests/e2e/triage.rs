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

        // Removing a member revokes their keys in the same stroke: bob's key stops at once.
        let response = app
            .client
            .delete(app.url("/api/v1/staff/bob"))
            .bearer_auth(admin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
        assert_problem(app.get_as(&bob_key, "/api/v1/tickets").await, 401).await;
        let read = app
            .get_as(
                admin,
                &format!("/api/v1/api-keys/{}", key["id"].as_str().unwrap()),
            )
            .await;
        let read: Value = read.json().await.unwrap();
        assert!(read["revoked_at"].is_string(), "{read}");
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
        assert!(
            problem.detail.contains("assignee")
                || problem.errors.iter().any(|e| e.field == "assignee"),
            "{problem:?}"
        );
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
        assert!(
            problem.detail.contains("sort") || problem.errors.iter().any(|e| e.field == "sort"),
            "{problem:?}"
        );
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
        // Tickets without a running deadline come after every deadline.
        "deadline" => ticket["deadlines"]["next"]
            .as_str()
            .unwrap_or("9999-12-31T23:59:59Z")
            .to_owned(),
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
        assert!(
            subjects.iter().any(|s| s.contains("Escalade")),
            "{subjects:?}"
        );
    }
);

fn actions(ticket: &Value) -> Vec<&str> {
    ticket["allowed_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect()
}

e2e_test!(
    a_ticket_carries_what_its_reader_may_do_and_its_deadlines,
    |app| async move {
        let id = incident(&app, "critique").await;
        let (ticket, etag) = app.ticket(&app.keys.agent, &id).await;
        assert_eq!(
            actions(&ticket),
            [
                "acknowledge",
                "assign",
                "set_priority",
                "comment",
                "internal_note",
                "escalate",
                "close",
                "cancel"
            ],
            "{ticket}"
        );
        // Priority 1 at 09:00 UTC: acknowledged within 4 hours around the clock, warned at 75 %.
        let ack = &ticket["deadlines"]["acknowledgement"];
        assert_eq!(ack["deadline"], "2026-11-23T13:00:00Z", "{ticket}");
        assert_eq!(ack["warning_at"], "2026-11-23T12:00:00Z");
        assert_eq!(ack["breached"], false);
        assert_eq!(ack["paused"], false);
        assert_eq!(ack["remaining_seconds"], 4 * 3600);
        assert_eq!(ticket["deadlines"]["next"], "2026-11-23T13:00:00Z");
        // The admin reads it but may do nothing; the partner comments; the other partner sees nothing.
        let (ticket, _) = app.ticket(&app.keys.admin, &id).await;
        assert_eq!(actions(&ticket), Vec::<&str>::new());
        // Each listed action is accepted, an unlisted one refused.
        let response = app
            .command(&app.keys.admin, &id, "acknowledge", &etag, &json!({}))
            .await;
        assert_problem(response, 403).await;
        let (acknowledged, _) = app
            .command_ok(&app.keys.agent, &id, "acknowledge", &etag, &json!({}))
            .await;
        assert!(!actions(&acknowledged).contains(&"acknowledge"));
        assert!(actions(&acknowledged).contains(&"wait_for_reporter"));
        assert_eq!(
            acknowledged["deadlines"]["acknowledgement"]["stopped"],
            true
        );
        // Time passes: five hours later the handling clock has run five hours.
        app.clock.set(hours(5));
        let (ticket, _) = app.ticket(&app.keys.supervisor, &id).await;
        assert_eq!(
            ticket["deadlines"]["handling"]["remaining_seconds"],
            (48 - 5) * 3600,
            "{ticket}"
        );
        // Lists carry them too.
        let body = page(&app, &app.keys.agent, "limit=10").await;
        let listed = &body["items"][0];
        assert_eq!(listed["id"], id.as_str());
        assert_eq!(listed["allowed_actions"], ticket["allowed_actions"]);
        assert!(listed["deadlines"]["handling"]["deadline"].is_string());
        // A partner may comment on its organisation's ticket, nothing more.
        let partner_ticket = app
        .post_as(
            &app.keys.partner,
            "/api/v1/incidents",
            &json!({"title": "Lenteurs", "started_at": "2026-11-23T08:00:00Z", "impact": "Lent"}),
        )
        .await;
        let partner_ticket: Value = partner_ticket.json().await.unwrap();
        assert_eq!(actions(&partner_ticket), ["comment"]);
        // A security case: agents only add internal notes.
        let response = app
        .post_as(
            &app.keys.partner,
            "/api/v1/incidents",
            &json!({"title": "Fuite", "started_at": "2026-11-23T08:00:00Z", "impact": "Jetons", "security": true}),
        )
        .await;
        let security: Value = response.json().await.unwrap();
        let id = security["id"].as_str().unwrap();
        let (ticket, _) = app.ticket(&app.keys.agent, id).await;
        assert_eq!(actions(&ticket), ["internal_note"]);
        let (ticket, _) = app.ticket(&app.keys.security, id).await;
        assert!(actions(&ticket).contains(&"acknowledge"), "{ticket}");
    }
);

e2e_test!(
    the_queues_count_what_the_list_filters_show,
    |app| async move {
        let a = incident(&app, "normale").await;
        let b = incident(&app, "normale").await;
        let c = incident(&app, "normale").await;
        let d = incident(&app, "critique").await;
        let e = incident_on(&app, &app.other_partner.to_string(), "normale", None).await;
        run_command(
            &app,
            &app.keys.agent,
            &b,
            "assign",
            json!({"assignee": "agent"}),
        )
        .await;
        run_command(&app, &app.keys.agent, &c, "acknowledge", json!({})).await;
        run_command(
            &app,
            &app.keys.agent,
            &c,
            "wait-for-reporter",
            json!({"question": "Depuis quand ?"}),
        )
        .await;
        let _ = (&a, &e);
        let queues: Value = app
            .get_as(&app.keys.agent, "/api/v1/queues")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(queues["new_unassigned"], 3, "{queues}");
        assert_eq!(queues["mine"], 1);
        assert_eq!(queues["breached"], 0);
        // Only the priority-1 ticket is due today (13:00 UTC); the others have working days.
        assert_eq!(queues["due_today"], 1);
        assert_eq!(queues["waiting_reporter"], 1);
        assert_eq!(
            queues["by_priority"],
            json!({"critique": 1, "majeure": 0, "normale": 4, "mineure": 0, "info": 0})
        );
        // Each count is what the list shows with its filters.
        let agent = &app.keys.agent;
        assert_eq!(
            listed(&app, agent, "state=new&assignee=none").await.len(),
            3
        );
        assert_eq!(listed(&app, agent, "assignee=me").await.len(), 1);
        assert_eq!(listed(&app, agent, "waiting_reporter=true").await.len(), 1);
        assert_eq!(
            listed(&app, agent, "due_before=2026-11-23T23:00:00Z").await,
            set(&[&d])
        );
        // A partner counts its own organisation's tickets, and is no member.
        let queues: Value = app
            .get_as(&app.keys.partner, "/api/v1/queues")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(queues["new_unassigned"], 2, "{queues}");
        assert!(queues.get("mine").is_none(), "{queues}");
        assert_eq!(queues["by_priority"]["normale"], 3);
    }
);

e2e_test!(
    search_finds_each_field_within_what_the_caller_may_see,
    |app| async move {
        let response = app
            .post_as(
                &app.keys.partner,
                "/api/v1/incidents",
                &json!({
                    "title": "Lenteurs du portail",
                    "started_at": "2026-11-23T08:00:00Z",
                    "impact": "Les jetons expirent trop tôt",
                }),
            )
            .await;
        let a: Value = response.json().await.unwrap();
        let reference = a["reference"].as_str().unwrap().to_owned();
        let a = a["id"].as_str().unwrap().to_owned();
        run_command(
            &app,
            &app.keys.partner,
            &a,
            "comments",
            json!({"body": "Erreur 502 sur l'accueil"}),
        )
        .await;
        run_command(
            &app,
            &app.keys.agent,
            &a,
            "comments",
            json!({"body": "Piste : certificat zorglubium expiré", "internal": true}),
        )
        .await;
        let session = "0191e2a4-0000-7000-8000-00000000beef";
        let response = app
            .post_as(
                &app.keys.partner,
                "/api/v1/usurpations",
                &json!({
                    "kind": "user_usurpation",
                    "reported_by": "partner",
                    "session_id": session,
                    "victim": {"birth_names": "Martinez", "email": "claire.martinez@example.fr"},
                    "description": "Quelqu'un a utilisé mon compte bancaire",
                }),
            )
            .await;
        let b: Value = response.json().await.unwrap();
        let b = b["id"].as_str().unwrap().to_owned();
        let c = incident_on(&app, &app.other_partner.to_string(), "normale", None).await;
        run_command(
            &app,
            &app.keys.agent,
            &c,
            "comments",
            json!({"body": "Lenteurs ailleurs"}),
        )
        .await;
        let search = |key: &str, q: &str| {
            let key = key.to_owned();
            let q = q.to_owned();
            let app = &app;
            async move {
                let url = reqwest::Url::parse_with_params("http://x/", &[("q", q)]).unwrap();
                listed(app, &key, url.query().unwrap()).await
            }
        };
        let none = BTreeSet::new();
        let (agent, partner) = (&app.keys.agent, &app.keys.partner);
        let (security, supervisor) = (&app.keys.security, &app.keys.supervisor);
        // Each searched field, as staff.
        assert_eq!(search(agent, "portail").await, set(&[&a]), "title");
        assert_eq!(search(agent, "JETONS trop").await, set(&[&a]), "impact");
        assert_eq!(search(agent, &reference).await, set(&[&a]), "reference");
        assert_eq!(search(agent, "502").await, set(&[&a]), "public comment");
        assert_eq!(
            search(agent, "zorglubium").await,
            set(&[&a]),
            "internal note"
        );
        assert_eq!(search(agent, session).await, set(&[&b]), "session id");
        assert_eq!(search(agent, "lenteurs").await, set(&[&a, &c]));
        assert_eq!(search(agent, "portail absent").await, none, "every word");
        // A partner finds its own tickets only, and never by an internal note.
        assert_eq!(search(partner, "lenteurs").await, set(&[&a]));
        assert_eq!(search(partner, "502").await, set(&[&a]));
        assert_eq!(search(partner, "zorglubium").await, none);
        assert_eq!(search(&app.keys.other_partner, "portail").await, none);
        // The victim's identity, contact and own words: security and supervisor only.
        for q in ["Martinez", "claire.martinez@example.fr", "bancaire"] {
            assert_eq!(search(security, q).await, set(&[&b]), "{q}");
            assert_eq!(search(supervisor, q).await, set(&[&b]), "{q}");
            assert_eq!(search(agent, q).await, none, "{q}");
            assert_eq!(search(partner, q).await, none, "{q}");
        }
        // What a query language would read as operators is ignored.
        assert_eq!(search(agent, "\"portail\" -(*").await, set(&[&a]));
        assert_eq!(search(agent, "portail*").await, set(&[&a]));
    }
);
