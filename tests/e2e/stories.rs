//! The users' stories, over HTTP, on SQLite and on PostgreSQL.

use crate::e2e_test;
use crate::helpers::*;
use serde_json::{Value, json};
use ticket_store::clock::Clock as _;

fn incident_body(app: &TestApp, security: bool) -> Value {
    json!({
        "title": "Connexion impossible",
        "started_at": "2026-11-23T08:30:00Z",
        "impact": "Les usagers ne peuvent plus se connecter au service",
        "security": security,
        "proposed_priority": "majeure",
        "reporter_email": "exploitation@caisse.example",
        "organisation_id": app.partner.to_string(),
    })
}

async fn declare(app: &TestApp, key: &str, body: &Value) -> (Value, String) {
    let response = app.post_as(key, "/api/v1/incidents", body).await;
    let status = response.status();
    let etag = etag_of(&response);
    let location = response
        .headers()
        .get("Location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        location,
        format!("/api/v1/tickets/{}", body["id"].as_str().unwrap())
    );
    (body, etag)
}

e2e_test!(
    a_partners_security_incident_goes_from_declaration_to_confirmed_closure,
    |app| async move {
        let (ticket, etag) = declare(&app, &app.keys.partner, &incident_body(&app, true)).await;
        assert_eq!(
            ticket["priority"], "critique",
            "security incidents are priority 1"
        );
        assert_eq!(ticket["tier"], "security");
        assert_eq!(ticket["state"], "new");
        assert_eq!(etag, "\"1\"");
        let reference = ticket["reference"].as_str().unwrap().to_owned();
        assert!(reference.starts_with("INC-2026-"), "{reference}");
        let keys = app.keys.clone();

        // Only security (or a supervisor) acts on it: an agent's acknowledgement is refused;
        // security acknowledges, escalates and resolves.
        let refused = app
            .command(
                &keys.agent,
                &reference,
                "acknowledge",
                &etag,
                &json!({"note": "pris en compte"}),
            )
            .await;
        let problem = assert_problem(refused, 403).await;
        assert_eq!(problem.problem_type, "/problems/security-role-required");
        let (ticket, etag) = app
            .command_ok(
                &keys.security,
                &reference,
                "acknowledge",
                &etag,
                &json!({"note": "pris en compte"}),
            )
            .await;
        assert_eq!(ticket["state"], "acknowledged");
        let (ticket, etag) = app
            .command_ok(
                &keys.security,
                &reference,
                "escalate",
                &etag,
                &json!({"reason": "fuite de jetons"}),
            )
            .await;
        assert_eq!(ticket["tier"], "supervisor");
        let refused = app
            .command(
                &keys.agent,
                &reference,
                "resolve",
                &etag,
                &json!({"summary": "corrigé"}),
            )
            .await;
        let problem = assert_problem(refused, 403).await;
        assert_eq!(problem.problem_type, "/problems/security-role-required");
        let (ticket, etag) = app
            .command_ok(
                &keys.security,
                &reference,
                "resolve",
                &etag,
                &json!({"summary": "jetons révoqués, faille corrigée"}),
            )
            .await;
        assert_eq!(ticket["state"], "resolved");

        // The partner confirms: closed as resolved_confirmed.
        let (ticket, etag) = app
            .command_ok(
                &keys.partner,
                &reference,
                "confirm-resolution",
                &etag,
                &json!({}),
            )
            .await;
        assert_eq!(ticket["state"], "closed");
        assert_eq!(ticket["closure"]["reason"], "resolved_confirmed");
        assert_eq!(etag, "\"5\"", "one version per command");

        // The history and its evidence chain.
        let events: Value = app
            .get_as(&keys.agent, &format!("/api/v1/tickets/{reference}/events"))
            .await
            .json()
            .await
            .unwrap();
        let types: Vec<&str> = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            [
                "created",
                "acknowledged",
                "escalated",
                "resolved",
                "resolution_confirmed",
                "closed"
            ]
        );
        let evidence: Value = app
            .get_as(
                &keys.security,
                &format!("/api/v1/tickets/{reference}/evidence"),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(evidence["verification"]["valid"], true);
        assert_eq!(evidence["events"].as_array().unwrap().len(), 6);
        // Mails were written with their causes.
        let id = ticket_domain::values::TicketId(
            uuid::Uuid::parse_str(ticket["id"].as_str().unwrap()).unwrap(),
        );
        let outbox = app.store.outbox_of(id).await.unwrap();
        assert!(outbox.iter().any(|r| r.template == "security_alert"));
        assert!(outbox.iter().any(|r| r.template == "closure_notice"));
    }
);

e2e_test!(
    each_closure_condition_is_refused_without_its_proof_then_accepted_with_it,
    |app| async move {
        let keys = app.keys.clone();
        let mut body = incident_body(&app, false);
        body["proposed_priority"] = json!("normale");

        // 1. resolved_confirmed: the reporter's confirmation (here verbal, recorded by staff).
        let (t, etag) = declare(&app, &keys.partner, &body).await;
        let id = t["id"].as_str().unwrap().to_owned();
        let (_, etag) = app
            .command_ok(&keys.agent, &id, "acknowledge", &etag, &json!({}))
            .await;
        let (_, etag) = app
            .command_ok(
                &keys.agent,
                &id,
                "resolve",
                &etag,
                &json!({"summary": "corrigé"}),
            )
            .await;
        let problem = assert_problem(
            app.command(
                &keys.agent,
                &id,
                "close",
                &etag,
                &json!({"reason": "resolved_confirmed"}),
            )
            .await,
            409,
        )
        .await;
        assert_eq!(problem.problem_type, "/problems/closure-condition-unmet");
        assert!(
            problem.detail.contains("has not confirmed"),
            "{}",
            problem.detail
        );
        let (t, _) = app
            .command_ok(
                &keys.agent,
                &id,
                "close",
                &etag,
                &json!({"reason": "resolved_confirmed", "note": "confirmé par téléphone"}),
            )
            .await;
        assert_eq!(t["closure"]["reason"], "resolved_confirmed");
        assert_eq!(t["confirmation"]["channel"], "verbal");

        // 2. mutual_agreement: a note saying what was agreed.
        let (t, etag) = declare(&app, &keys.partner, &body).await;
        let id = t["id"].as_str().unwrap().to_owned();
        let problem = assert_problem(
            app.command(
                &keys.agent,
                &id,
                "close",
                &etag,
                &json!({"reason": "mutual_agreement"}),
            )
            .await,
            409,
        )
        .await;
        assert_eq!(problem.problem_type, "/problems/closure-condition-unmet");
        let (t, _) = app
            .command_ok(
                &keys.agent,
                &id,
                "close",
                &etag,
                &json!({"reason": "mutual_agreement", "note": "contournement accepté"}),
            )
            .await;
        assert_eq!(t["state"], "closed");

        // 3. reporter_unresponsive: 10 working days of waiting and a reminder.
        let (t, etag) = declare(&app, &keys.partner, &body).await;
        let id = t["id"].as_str().unwrap().to_owned();
        let (_, etag) = app
            .command_ok(&keys.agent, &id, "acknowledge", &etag, &json!({}))
            .await;
        let (_, etag) = app
            .command_ok(
                &keys.agent,
                &id,
                "wait-for-reporter",
                &etag,
                &json!({"question": "Quel navigateur ?"}),
            )
            .await;
        let problem = assert_problem(
            app.command(
                &keys.agent,
                &id,
                "close",
                &etag,
                &json!({"reason": "reporter_unresponsive"}),
            )
            .await,
            409,
        )
        .await;
        assert!(problem.detail.contains("no reminder"), "{}", problem.detail);
        // Time passes: the sweeper reminds the reporter after 5 working days.
        let ticket_id = ticket_domain::values::TicketId(uuid::Uuid::parse_str(&id).unwrap());
        let reminder_at = chrono::DateTime::parse_from_rfc3339("2026-11-30T09:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        app.store
            .sweep_ticket(ticket_id, reminder_at, &ticket_domain::Policy::default())
            .await
            .unwrap()
            .unwrap();
        app.clock.set(
            chrono::DateTime::parse_from_rfc3339("2026-12-07T09:00:00Z")
                .unwrap()
                .with_timezone(&chrono::Utc),
        );
        // Notified means delivered: while the reminder waits in the outbox, it does not count.
        let (_, etag) = app.ticket(&keys.agent, &id).await;
        let problem = assert_problem(
            app.command(
                &keys.agent,
                &id,
                "close",
                &etag,
                &json!({"reason": "reporter_unresponsive"}),
            )
            .await,
            409,
        )
        .await;
        assert!(problem.detail.contains("delivered"), "{}", problem.detail);
        let claimed = app
            .store
            .claim_outbox("w", reminder_at, chrono::TimeDelta::minutes(5), 100)
            .await
            .unwrap();
        let reminder = claimed
            .iter()
            .find(|c| {
                c.mail.ticket_id == ticket_id
                    && c.mail.template == ticket_domain::Template::ReporterReminder
            })
            .unwrap();
        assert!(
            app.store
                .settle_outbox(
                    reminder.mail.id,
                    "w",
                    ticket_store::outbox::Settlement::Sent {
                        message_id: "<r@d>",
                        at: reminder_at,
                        policy: &ticket_domain::Policy::default()
                    }
                )
                .await
                .unwrap()
        );
        let (_, etag) = app.ticket(&keys.agent, &id).await;
        let (t, _) = app
            .command_ok(
                &keys.agent,
                &id,
                "close",
                &etag,
                &json!({"reason": "reporter_unresponsive"}),
            )
            .await;
        assert_eq!(t["closure"]["reason"], "reporter_unresponsive");

        // 4. resolved_by_operator: resolved, and the reporter notified of it.
        let (t, etag) = declare(&app, &keys.partner, &body).await;
        let id = t["id"].as_str().unwrap().to_owned();
        let (_, etag) = app
            .command_ok(&keys.agent, &id, "acknowledge", &etag, &json!({}))
            .await;
        let problem = assert_problem(
            app.command(
                &keys.agent,
                &id,
                "close",
                &etag,
                &json!({"reason": "resolved_by_operator"}),
            )
            .await,
            409,
        )
        .await;
        assert!(
            problem.detail.contains("not resolved"),
            "{}",
            problem.detail
        );
        app.command_ok(
            &keys.agent,
            &id,
            "resolve",
            &etag,
            &json!({"summary": "corrigé"}),
        )
        .await;
        // Notified means accepted by the mail server: a worker delivers the resolution mail (no
        // dispatcher runs here; this one claims and marks it as the dispatcher would).
        let ticket_id = ticket_domain::values::TicketId(uuid::Uuid::parse_str(&id).unwrap());
        let claimed = app
            .store
            .claim_outbox("w", app.clock.now(), chrono::TimeDelta::minutes(5), 100)
            .await
            .unwrap();
        let resolution = claimed
            .iter()
            .find(|c| {
                c.mail.ticket_id == ticket_id
                    && c.mail.template == ticket_domain::Template::ResolutionConfirmationRequest
            })
            .unwrap();
        assert!(
            app.store
                .settle_outbox(
                    resolution.mail.id,
                    "w",
                    ticket_store::outbox::Settlement::Sent {
                        message_id: "<m@d>",
                        at: app.clock.now(),
                        policy: &ticket_domain::Policy::default()
                    }
                )
                .await
                .unwrap()
        );
        let (_, etag) = app.ticket(&keys.agent, &id).await;
        let (t, _) = app
            .command_ok(
                &keys.agent,
                &id,
                "close",
                &etag,
                &json!({"reason": "resolved_by_operator"}),
            )
            .await;
        assert_eq!(t["closure"]["reason"], "resolved_by_operator");
    }
);

e2e_test!(
    a_partners_user_usurpation_reports_with_the_same_session_id_are_linked,
    |app| async move {
        let keys = app.keys.clone();
        let body = json!({
            "kind": "user_usurpation",
            "reported_by": "partner",
            "session_id": "0191e2a4-5b6c-7d8e-9f00-112233445566",
            "suspicious_connection_at": "2026-11-20T21:14:00Z",
            "identity_provider_id": app.identity_provider.to_string(),
            "service_provider_ids": [app.service_provider.to_string()],
            "victim": {"birth_names": "Martin", "first_names": "Claire", "email": "claire.martin@example.fr"},
            "description": "Connexion depuis un pays inhabituel",
            "consent": true,
        });
        let first = app
            .post_as(&keys.partner, "/api/v1/usurpations", &body)
            .await;
        assert_eq!(first.status(), 201);
        let first: Value = first.json().await.unwrap();
        assert!(
            first["reference"]
                .as_str()
                .unwrap()
                .starts_with("USU-2026-")
        );
        assert_eq!(first["priority"], "critique");
        assert!(
            first["user_usurpation"]["victim"].is_null(),
            "partners do not get the victim's data back"
        );
        let second = app
            .post_as(&keys.partner, "/api/v1/usurpations", &body)
            .await;
        assert_eq!(second.status(), 201);
        let second: Value = second.json().await.unwrap();
        assert_ne!(first["id"], second["id"]);
        assert_eq!(second["links"][0]["ticket_id"], first["id"]);
        assert_eq!(second["links"][0]["kind"], "same_session");
        let (first_now, _) = app
            .ticket(&keys.security, first["id"].as_str().unwrap())
            .await;
        assert_eq!(first_now["links"][0]["ticket_id"], second["id"]);
        assert_eq!(
            first_now["user_usurpation"]["victim"]["first_names"], "Claire",
            "security sees the victim"
        );

        // Security qualifies it: the identity provider and the service provider are mailed; queued
        // mails do not count as notified (here no dispatcher runs: they stay queued).
        let id = first["id"].as_str().unwrap();
        let (_, etag) = app.ticket(&keys.security, id).await;
        let (_, etag) = app
            .command_ok(&keys.security, id, "acknowledge", &etag, &json!({}))
            .await;
        let (t, _) = app
            .command_ok(
                &keys.security,
                id,
                "qualify",
                &etag,
                &json!({"outcome": "confirmed"}),
            )
            .await;
        let notified: Vec<bool> = t["concerned_organisations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| !c["notified_at"].is_null())
            .collect();
        assert_eq!(notified, [false, false]);
    }
);

e2e_test!(
    a_partner_sees_only_its_own_tickets_and_never_internal_notes,
    |app| async move {
        let keys = app.keys.clone();
        let (t, etag) = declare(&app, &keys.partner, &incident_body(&app, false)).await;
        let id = t["id"].as_str().unwrap().to_owned();
        let (_, etag) = app
            .command_ok(
                &keys.agent,
                &id,
                "comments",
                &etag,
                &json!({"body": "piste : certificat expiré", "internal": true}),
            )
            .await;
        app.command_ok(
            &keys.agent,
            &id,
            "comments",
            &etag,
            &json!({"body": "Nous analysons le problème."}),
        )
        .await;
        // The other partner: 404, in the list and by id.
        assert_problem(
            app.get_as(&keys.other_partner, &format!("/api/v1/tickets/{id}"))
                .await,
            404,
        )
        .await;
        let list: Value = app
            .get_as(&keys.other_partner, "/api/v1/tickets")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["items"].as_array().unwrap().len(), 0);
        // The partner: its ticket, public events only.
        let list: Value = app
            .get_as(&keys.partner, "/api/v1/tickets")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        let events: Value = app
            .get_as(&keys.partner, &format!("/api/v1/tickets/{id}/events"))
            .await
            .json()
            .await
            .unwrap();
        let bodies: Vec<String> = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert!(
            bodies.iter().all(|b| !b.contains("certificat")),
            "{bodies:?}"
        );
        assert!(bodies.iter().any(|b| b.contains("Nous analysons")));
        let staff_events: Value = app
            .get_as(&keys.agent, &format!("/api/v1/tickets/{id}/events"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(staff_events["items"].as_array().unwrap().len(), 3);
        // Partners cannot write internal notes, nor read the evidence file.
        let (_, etag) = app.ticket(&keys.partner, &id).await;
        let problem = assert_problem(
            app.command(
                &keys.partner,
                &id,
                "comments",
                &etag,
                &json!({"body": "x", "internal": true}),
            )
            .await,
            403,
        )
        .await;
        assert_eq!(problem.problem_type, "/problems/role-not-allowed");
        assert_problem(
            app.get_as(&keys.partner, &format!("/api/v1/tickets/{id}/evidence"))
                .await,
            403,
        )
        .await;
    }
);

e2e_test!(commands_need_the_current_etag, |app| async move {
    let keys = app.keys.clone();
    let (t, etag) = declare(&app, &keys.partner, &incident_body(&app, false)).await;
    let id = t["id"].as_str().unwrap().to_owned();
    let response = app
        .client
        .post(app.url(&format!("/api/v1/tickets/{id}/acknowledge")))
        .bearer_auth(&keys.agent)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 428).await;
    assert_eq!(problem.problem_type, "/problems/if-match-required");
    let (_, fresh) = app
        .command_ok(&keys.agent, &id, "acknowledge", &etag, &json!({}))
        .await;
    let problem = assert_problem(
        app.command(
            &keys.agent,
            &id,
            "assign",
            &etag,
            &json!({"assignee": "alice"}),
        )
        .await,
        412,
    )
    .await;
    assert_eq!(problem.problem_type, "/problems/stale-version");
    assert!(problem.detail.contains(&fresh), "{}", problem.detail);
    assert_problem(
        app.command(
            &keys.agent,
            &id,
            "assign",
            "3",
            &json!({"assignee": "alice"}),
        )
        .await,
        400,
    )
    .await;
    app.command_ok(
        &keys.agent,
        &id,
        "assign",
        &fresh,
        &json!({"assignee": "alice"}),
    )
    .await;
});

e2e_test!(
    a_retry_with_the_same_idempotency_key_creates_nothing_more,
    |app| async move {
        let keys = app.keys.clone();
        let body = incident_body(&app, false);
        let send = |body: Value| {
            let request = app
                .client
                .post(app.url("/api/v1/incidents"))
                .bearer_auth(&keys.partner)
                .header("Idempotency-Key", "4b7d6a10-retry")
                .json(&body);
            async move { request.send().await.unwrap() }
        };
        let first = send(body.clone()).await;
        assert_eq!(first.status(), 201);
        let first: Value = first.json().await.unwrap();
        let again = send(body.clone()).await;
        assert_eq!(again.status(), 201);
        assert_eq!(again.headers().get("Idempotent-Replayed").unwrap(), "true");
        let again: Value = again.json().await.unwrap();
        assert_eq!(again["id"], first["id"]);
        let list: Value = app
            .get_as(&keys.agent, "/api/v1/tickets")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        let mut other = body;
        other["title"] = json!("Autre chose");
        let problem = assert_problem(send(other).await, 422).await;
        assert_eq!(problem.problem_type, "/problems/idempotency-key-reused");
    }
);
