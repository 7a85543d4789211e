//! The ETag a client holds changes only with what that client can see (issue 29, point 1): the
//! dispatcher's `mail_delivered` bookkeeping leaves every ETag valid, an internal note leaves the
//! partner's valid, and two commands sent with the same ETag never both pass. On SQLite and on
//! PostgreSQL, the mail delivered by a real SMTP server.

use crate::e2e_test;
use crate::helpers::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use ticket_store::testkit::Backend;

/// Defines a test that runs on SQLite and on PostgreSQL, with mail and the sweeper.
macro_rules! mail_test {
    ($name:ident, |$app:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run(backend: Backend) {
                let Some(($app, _server)) = spawn_app_with_mail(backend).await else {
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

/// A partner's incident with a reporter address (the resolution notice goes there); its id and
/// ETag.
async fn declare(app: &TestApp) -> (String, String) {
    let body = json!({
        "title": "Connexion impossible",
        "started_at": "2026-11-23T08:30:00Z",
        "impact": "Les usagers ne peuvent plus se connecter au service",
        "security": false,
        "proposed_priority": "normale",
        "organisation_id": app.partner.to_string(),
        "reporter_email": "exploitation@caisse.example",
    });
    let response = app
        .post_as(&app.keys.partner, "/api/v1/incidents", &body)
        .await;
    let etag = etag_of(&response);
    let ticket: Value = response.json().await.unwrap();
    (ticket["id"].as_str().unwrap().to_owned(), etag)
}

/// Waits (up to 15 s) until the ticket's history holds an event of type `kind`.
async fn until_event(app: &TestApp, id: &str, kind: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !app.event_types(id).await.iter().any(|t| t == kind) {
        assert!(Instant::now() < deadline, "no {kind} event on {id}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

mail_test!(
    the_resolves_etag_confirms_after_the_dispatcher_delivered_its_mail,
    |app| async move {
        let keys = app.keys.clone();
        let (id, etag) = declare(&app).await;
        let (_, etag) = app
            .command_ok(&keys.agent, &id, "acknowledge", &etag, &json!({}))
            .await;
        let (_, resolved) = app
            .command_ok(
                &keys.agent,
                &id,
                "resolve",
                &etag,
                &json!({"summary": "Certificat renouvelé"}),
            )
            .await;
        // The dispatcher delivers the resolution notice; the ticket records it.
        until_event(&app, &id, "mail_delivered").await;
        // Neither staff nor the partner see a new version for it.
        assert_eq!(app.ticket(&keys.agent, &id).await.1, resolved);
        assert_eq!(app.ticket(&keys.partner, &id).await.1, resolved);
        // The resolve's ETag is the If-Match of the next command, as documented.
        let (ticket, _) = app
            .command_ok(
                &keys.partner,
                &id,
                "confirm-resolution",
                &resolved,
                &json!({}),
            )
            .await;
        assert_eq!(ticket["state"], "closed", "{ticket}");
        assert_eq!(
            ticket["closure"]["reason"], "resolved_confirmed",
            "{ticket}"
        );
    }
);

e2e_test!(
    an_internal_note_changes_the_staff_etag_and_not_the_partners,
    |app| async move {
        let keys = app.keys.clone();
        let response = app
            .post_as(
                &keys.partner,
                "/api/v1/incidents",
                &json!({
                    "title": "Connexion impossible",
                    "started_at": "2026-11-23T08:30:00Z",
                    "impact": "Les usagers ne peuvent plus se connecter",
                    "security": false,
                    "proposed_priority": "normale",
                    "organisation_id": app.partner.to_string(),
                }),
            )
            .await;
        let etag = etag_of(&response);
        let id = response.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (_, staff_before) = app
            .command_ok(&keys.agent, &id, "acknowledge", &etag, &json!({}))
            .await;
        let partner_before = app.ticket(&keys.partner, &id).await.1;
        let (_, staff_after) = app
            .command_ok(
                &keys.agent,
                &id,
                "comments",
                &staff_before,
                &json!({"body": "piste : certificat expiré", "internal": true}),
            )
            .await;
        assert_ne!(staff_after, staff_before, "staff see the note");
        assert_eq!(
            app.ticket(&keys.partner, &id).await.1,
            partner_before,
            "the partner does not see it"
        );
        // Staff's old ETag is stale (412 with staff's current one)...
        let stale = app
            .command(
                &keys.agent,
                &id,
                "comments",
                &staff_before,
                &json!({"body": "Nous analysons."}),
            )
            .await;
        assert_eq!(stale.status(), 412);
        assert_eq!(etag_of(&stale), staff_after);
        // ...the partner's still works.
        let (_, partner_after) = app
            .command_ok(
                &keys.partner,
                &id,
                "comments",
                &partner_before,
                &json!({"body": "Merci, nous attendons."}),
            )
            .await;
        assert_ne!(partner_after, partner_before);
        // A partner's 412 carries the partner's ETag.
        let stale = app
            .command(
                &keys.partner,
                &id,
                "comments",
                &partner_before,
                &json!({"body": "Encore ?"}),
            )
            .await;
        assert_eq!(stale.status(), 412);
        assert_eq!(etag_of(&stale), partner_after);
        assert_eq!(app.ticket(&keys.partner, &id).await.1, partner_after);
    }
);

e2e_test!(
    two_commands_with_the_same_etag_never_both_pass,
    |app| async move {
        let keys = app.keys.clone();
        let response = app
            .post_as(
                &keys.partner,
                "/api/v1/incidents",
                &json!({
                    "title": "Connexion impossible",
                    "started_at": "2026-11-23T08:30:00Z",
                    "impact": "Les usagers ne peuvent plus se connecter",
                    "security": false,
                    "proposed_priority": "normale",
                    "organisation_id": app.partner.to_string(),
                }),
            )
            .await;
        let id = response.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        for round in 0..5 {
            let (_, etag) = app.ticket(&keys.agent, &id).await;
            let bodies: Vec<Value> = (0..4)
                .map(|i| json!({"body": format!("note {round}.{i}"), "internal": i % 2 == 0}))
                .collect();
            let sent = bodies
                .iter()
                .map(|body| app.command(&keys.agent, &id, "comments", &etag, body));
            let statuses: Vec<u16> = futures_statuses(sent).await;
            assert_eq!(
                statuses.iter().filter(|s| **s == 200).count(),
                1,
                "round {round}: {statuses:?}"
            );
            assert!(
                statuses.iter().all(|s| *s == 200 || *s == 412),
                "{statuses:?}"
            );
        }
        // Partners too: one of two concurrent comments with the same ETag passes.
        let (_, etag) = app.ticket(&keys.partner, &id).await;
        let bodies: Vec<Value> = (0..2)
            .map(|i| json!({"body": format!("partenaire {i}")}))
            .collect();
        let statuses = futures_statuses(
            bodies
                .iter()
                .map(|body| app.command(&keys.partner, &id, "comments", &etag, body)),
        )
        .await;
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "{statuses:?}"
        );
    }
);

/// Sends the requests at once; their statuses, in order.
async fn futures_statuses<F>(requests: impl Iterator<Item = F>) -> Vec<u16>
where
    F: std::future::Future<Output = reqwest::Response>,
{
    let mut handles = Vec::new();
    for request in requests {
        handles.push(request);
    }
    let responses = join_all(handles).await;
    responses.iter().map(|r| r.status().as_u16()).collect()
}

/// Polls every future to completion, concurrently (no extra dependency).
async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in pinned.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().map(|o| o.unwrap()).collect()
}
