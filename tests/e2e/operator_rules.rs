//! The rules as an operator reads them (issue 18), over HTTP, with mails received by a real SMTP
//! server and the clock sweeper running, on SQLite and on PostgreSQL.

use crate::helpers::*;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use ticket_domain::values::TicketId;
use ticket_mail::testkit::{ReceivedMail, SmtpServer};
use ticket_store::testkit::Backend;

const PARTNER_SUPPORT: &str = "support.partenaires@ticketd.localhost";
const PRODUCTION_LEAD: &str = "production@ticketd.localhost";
const PRODUCT_LEAD: &str = "produit@ticketd.localhost";

fn at(rfc3339: &str) -> DateTime<Utc> {
    ticket_domain::testkit::at(rfc3339)
}

/// Defines a test that runs on SQLite and on PostgreSQL, with mail and the sweeper.
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

fn incident(app: &TestApp, priority: &str, security: bool, reporter_email: bool) -> Value {
    let mut body = json!({
        "title": "Connexion impossible",
        "started_at": "2026-11-23T08:30:00Z",
        "impact": "Les usagers ne peuvent plus se connecter au service",
        "security": security,
        "proposed_priority": priority,
        "organisation_id": app.partner.to_string(),
    });
    if reporter_email {
        body["reporter_email"] = json!("exploitation@caisse.example");
    }
    body
}

async fn declare(app: &TestApp, body: &Value) -> (String, String) {
    let response = app
        .post_as(&app.keys.partner, "/api/v1/incidents", body)
        .await;
    let etag = etag_of(&response);
    let status = response.status();
    let ticket: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{ticket}");
    (ticket["id"].as_str().unwrap().to_owned(), etag)
}

/// The first mail to `to` whose subject contains `subject`, waiting for it up to 15 s.
async fn mail_to(server: &SmtpServer, to: &str, subject: &str) -> ReceivedMail {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let mails = server.received();
        if let Some(mail) = mails
            .iter()
            .find(|m| m.rcpt_to.iter().any(|r| r == to) && m.subject.contains(subject))
        {
            return mail.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no mail to {to} about {subject:?}; received: {:?}",
            mails
                .iter()
                .map(|m| (&m.rcpt_to, &m.subject))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn count_to(server: &SmtpServer, to: &str, subject: &str) -> usize {
    server
        .received()
        .iter()
        .filter(|m| m.rcpt_to.iter().any(|r| r == to) && m.subject.contains(subject))
        .count()
}

/// Waits until no mail of the ticket is pending or being sent; returns its rows.
async fn settled(app: &TestApp, id: &str) -> Vec<ticket_store::entities::outbox::Model> {
    let id = TicketId(uuid::Uuid::parse_str(id).unwrap());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let rows = app.store.outbox_of(id).await.unwrap();
        if rows
            .iter()
            .all(|r| r.status != "pending" && r.status != "sending")
        {
            return rows;
        }
        assert!(Instant::now() < deadline, "mails still on their way");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn count(types: &[String], name: &str) -> usize {
    types.iter().filter(|t| *t == name).count()
}

mail_test!(
    alarms_the_warning_and_a_top_tier_breach_reach_people_by_mail,
    |app, server| async move {
        let keys = app.keys.clone();
        // A security incident, escalated at once to the supervisor: the top tier.
        let (security_case, etag) = declare(&app, &incident(&app, "critique", true, true)).await;
        let (ticket, _) = app
            .command_ok(
                &keys.security,
                &security_case,
                "escalate",
                &etag,
                &json!({"reason": "fuite de jetons"}),
            )
            .await;
        assert_eq!(ticket["tier"], "supervisor");
        let (incident_id, _) = declare(&app, &incident(&app, "normale", false, true)).await;

        // 4 h to acknowledge a priority 1: breached at 13:00Z. No tier above, the owners are told.
        app.sweep_at(at("2026-11-23T14:00:00Z")).await;
        let types = app.event_types(&security_case).await;
        assert_eq!(count(&types, "sla_breached"), 1, "{types:?}");
        assert_eq!(
            count(&types, "escalated"),
            1,
            "only the manual one: {types:?}"
        );
        for owner in [PRODUCTION_LEAD, PRODUCT_LEAD] {
            let mail = mail_to(&server, owner, "délai dépassé").await;
            assert!(mail.subject.contains("Priorité 1"), "{}", mail.subject);
        }

        // 75 % of the priority-3 acknowledgement target, nobody assigned: the agents' mailbox.
        app.sweep_at(at("2026-11-24T13:15:00Z")).await;
        assert_eq!(
            count(&app.event_types(&incident_id).await, "sla_warning"),
            1
        );
        let warning = mail_to(&server, PARTNER_SUPPORT, "échéance proche").await;
        assert!(
            warning.subject.contains("Priorité 3"),
            "{}",
            warning.subject
        );
        assert!(warning.text.contains("prise en compte"), "{}", warning.text);
    }
);

mail_test!(
    alarms_a_priority_change_after_a_handled_breach_escalates_nothing_again,
    |app, server| async move {
        let keys = app.keys.clone();
        let (id, _) = declare(&app, &incident(&app, "normale", false, true)).await;
        // The acknowledgement breaches on Wednesday 10:00 Paris: escalated to the engineers.
        app.sweep_at(at("2026-11-25T09:00:00Z")).await;
        let (ticket, etag) = app.ticket(&keys.agent, &id).await;
        assert_eq!(ticket["tier"], "engineer");
        // Acknowledged late, then lowered from 3 to 4.
        let (_, etag) = app
            .command_ok(&keys.agent, &id, "acknowledge", &etag, &json!({}))
            .await;
        let (_, _) = app
            .command_ok(
                &keys.agent,
                &id,
                "priority",
                &etag,
                &json!({"priority": "mineure", "reason": "contournement trouvé"}),
            )
            .await;
        app.sweep_at(at("2026-11-25T09:10:00Z")).await;
        let types = app.event_types(&id).await;
        assert_eq!(count(&types, "sla_breached"), 1, "{types:?}");
        assert_eq!(count(&types, "escalated"), 1, "{types:?}");
        let (ticket, _) = app.ticket(&keys.agent, &id).await;
        assert_eq!(ticket["tier"], "engineer");
        settled(&app, &id).await;
        assert_eq!(count_to(&server, PRODUCT_LEAD, "délai dépassé"), 1);
        assert_eq!(count_to(&server, "supervision@ticketd.localhost", ""), 0);
    }
);

mail_test!(
    a_48_hour_service_on_24_7_is_due_48_elapsed_hours_later,
    |app, _server| async move {
        let keys = app.keys.clone();
        let response = app
            .post_as(
                &keys.admin,
                &format!("/api/v1/organisations/{}/services", app.partner),
                &json!({
                    "name": "Connexion",
                    "availability": "24/7",
                    "max_unavailability_seconds": 48 * 3600,
                    "minimum_assurance_level": "substantial",
                }),
            )
            .await;
        assert_eq!(response.status(), 201);
        let service: Value = response.json().await.unwrap();
        // Reported on Friday 27 November, 17:00 Paris.
        let friday = at("2026-11-27T16:00:00Z");
        app.clock.set(friday);
        let mut body = incident(&app, "normale", false, true);
        body["service_id"] = service["id"].clone();
        body["started_at"] = json!("2026-11-27T15:30:00Z");
        let (id, _) = declare(&app, &body).await;
        let clock: Value = app
            .get_as(&keys.agent, &format!("/api/v1/tickets/{id}/clock"))
            .await
            .json()
            .await
            .unwrap();
        let handling = clock["clocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["kind"] == "handling")
            .unwrap()
            .clone();
        assert_eq!(handling["target_seconds"], 48 * 3600);
        let deadline: DateTime<Utc> = handling["deadline"].as_str().unwrap().parse().unwrap();
        assert_eq!(deadline, at("2026-11-29T16:00:00Z"));
        // Sunday 17:00 Paris, not the table's 5 working days: the breach fires then.
        app.sweep_at(friday + TimeDelta::hours(48) - TimeDelta::seconds(1))
            .await;
        assert_eq!(count(&app.event_types(&id).await, "sla_breached"), 0);
        app.sweep_at(friday + TimeDelta::hours(48)).await;
        assert_eq!(count(&app.event_types(&id).await, "sla_breached"), 1);
    }
);

mail_test!(
    a_failed_resolution_mail_keeps_closure_4_unmet_until_a_retry_succeeds,
    |app, server| async move {
        let keys = app.keys.clone();
        // A partner's incident without an address, and no designated contact yet: the mails to
        // the reporter fail.
        let (id, etag) = declare(&app, &incident(&app, "normale", false, false)).await;
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
        let rows = settled(&app, &id).await;
        let resolution = rows
            .iter()
            .find(|r| r.template == "resolution_confirmation_request")
            .unwrap();
        assert_eq!(resolution.status, "failed");
        let close = json!({"reason": "resolved_by_operator"});
        let problem = assert_problem(
            app.command(&keys.agent, &id, "close", &etag, &close).await,
            409,
        )
        .await;
        assert_eq!(problem.problem_type, "/problems/closure-condition-unmet");
        assert!(problem.detail.contains("mail server"), "{}", problem.detail);

        // The partner designates a contact; an admin sends the mail again; it is delivered.
        let response = app
            .post_as(
                &keys.admin,
                &format!("/api/v1/organisations/{}/contacts", app.partner),
                &json!({
                    "name": "Exploitation",
                    "function": "support de niveau 2",
                    "email": "exploitation@caisse.example",
                }),
            )
            .await;
        assert_eq!(response.status(), 201);
        let retried = app
            .client
            .post(app.url(&format!("/api/v1/mails/{}/retry", resolution.id)))
            .bearer_auth(&keys.admin)
            .send()
            .await
            .unwrap();
        assert_eq!(retried.status(), 200);
        mail_to(&server, "exploitation@caisse.example", "").await;
        let rows = settled(&app, &id).await;
        assert!(
            rows.iter()
                .any(|r| r.id == resolution.id && r.status == "sent")
        );
        let (_, etag) = app.ticket(&keys.agent, &id).await;
        let (ticket, _) = app
            .command_ok(&keys.agent, &id, "close", &etag, &close)
            .await;
        assert_eq!(ticket["state"], "closed");
        assert!(
            app.event_types(&id)
                .await
                .contains(&"mail_delivered".to_owned())
        );
    }
);

mail_test!(
    a_mail_sent_after_later_events_shows_the_state_and_priority_of_its_event,
    |app, server| async move {
        let keys = app.keys.clone();
        // The mail server is down while the ticket is declared, lowered and acknowledged.
        let mut server = server;
        server.stop();
        let (id, etag) = declare(&app, &incident(&app, "critique", false, true)).await;
        let (_, etag) = app
            .command_ok(
                &keys.agent,
                &id,
                "priority",
                &etag,
                &json!({"priority": "normale", "reason": "un seul usager touché"}),
            )
            .await;
        let (ticket, _) = app
            .command_ok(&keys.agent, &id, "acknowledge", &etag, &json!({}))
            .await;
        assert_eq!(ticket["priority"], "normale");
        assert_eq!(ticket["state"], "acknowledged");
        // Back up; the retries come due.
        let _restarted = SmtpServer::start_on(server.port(), server.maildir()).await;
        app.clock.advance(TimeDelta::minutes(2));
        let copy = mail_to(&server, PARTNER_SUPPORT, "Nouveau signalement").await;
        assert!(copy.subject.contains("priorité 1"), "{}", copy.subject);
        assert!(copy.text.contains("État : Reçu"), "{}", copy.text);
        assert!(!copy.text.contains("Pris en charge"), "{}", copy.text);
    }
);
