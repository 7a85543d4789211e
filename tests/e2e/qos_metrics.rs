//! The quality-of-service headline figures on `/metrics` (issue 32): per priority, over the Paris
//! month so far, computed at most once a minute of the service's clock. Tickets with known
//! outcomes, the clock moved by the test and the sweeper run; on SQLite and on PostgreSQL.

use crate::helpers::*;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use ticket_store::testkit::Backend;

fn at(rfc3339: &str) -> DateTime<Utc> {
    ticket_domain::testkit::at(rfc3339)
}

/// Defines a test that runs on SQLite and on PostgreSQL, with mail and the sweeper.
macro_rules! sweeper_test {
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

/// Declares an incident of `priority` (at the test clock's instant); its id and ETag.
async fn declare(app: &TestApp, priority: &str) -> (String, String) {
    let body = json!({
        "title": format!("Panne {priority}"),
        "started_at": "2026-11-23T08:30:00Z",
        "impact": "Les usagers ne peuvent plus se connecter",
        "proposed_priority": priority,
        "organisation_id": app.partner.to_string(),
    });
    let response = app
        .post_as(&app.keys.agent, "/api/v1/incidents", &body)
        .await;
    let etag = etag_of(&response);
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    (body["id"].as_str().unwrap().to_owned(), etag)
}

async fn metrics(app: &TestApp) -> String {
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// The value of the sample `name{labels}`, if the page has it.
fn sample(page: &str, name: &str, labels: &str) -> Option<f64> {
    let prefix = format!("{name}{{{labels}}} ");
    page.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|v| v.parse().unwrap())
}

fn labels(priority: u8, clock: &str) -> String {
    format!("priority=\"P{priority}\",clock=\"{clock}\"")
}

sweeper_test!(
    qos_gauges_give_the_month_s_headline_figures_per_priority,
    |app| async move {
        let keys = app.keys.clone();
        // Monday 23 November 2026, 10:00 Paris. A priority 1 acknowledged and resolved at once,
        // a priority 3 acknowledged at once, another left unacknowledged.
        let (first, etag) = declare(&app, "critique").await;
        let (_, etag) = app
            .command_ok(&keys.agent, &first, "acknowledge", &etag, &json!({}))
            .await;
        app.command_ok(
            &keys.agent,
            &first,
            "resolve",
            &etag,
            &json!({"summary": "corrigé"}),
        )
        .await;
        let (prompt, etag) = declare(&app, "normale").await;
        app.command_ok(&keys.agent, &prompt, "acknowledge", &etag, &json!({}))
            .await;
        let (late, _) = declare(&app, "normale").await;

        let page = metrics(&app).await;
        let month = at("2026-10-31T23:00:00Z").timestamp();
        assert!(
            page.contains(&format!(
                "ticketd_qos_month_start_timestamp_seconds {month}\n"
            )),
            "{page}"
        );
        let ack = |p| labels(p, "acknowledgement");
        let handling = |p| labels(p, "handling");
        assert_eq!(sample(&page, "ticketd_qos_measured", &ack(1)), Some(1.0));
        assert_eq!(
            sample(&page, "ticketd_qos_within_target", &ack(1)),
            Some(1.0)
        );
        assert_eq!(
            sample(&page, "ticketd_qos_measured", &handling(1)),
            Some(1.0)
        );
        assert_eq!(
            sample(&page, "ticketd_qos_within_target_ratio", &handling(1)),
            Some(1.0)
        );
        assert_eq!(sample(&page, "ticketd_qos_measured", &ack(3)), Some(1.0));
        assert_eq!(
            sample(&page, "ticketd_qos_within_target_ratio", &ack(3)),
            Some(1.0)
        );
        // Nothing measured: zero counts, no share.
        assert_eq!(sample(&page, "ticketd_qos_measured", &ack(2)), Some(0.0));
        assert_eq!(
            sample(&page, "ticketd_qos_within_target_ratio", &ack(2)),
            None,
            "{page}"
        );
        assert_eq!(sample(&page, "ticketd_qos_breaches", &ack(3)), Some(0.0));

        // The late one's acknowledgement target is Wednesday 10:00 Paris: breached by the sweeper.
        app.sweep_at(at("2026-11-25T09:00:00Z")).await;
        let page = metrics(&app).await;
        assert_eq!(
            sample(&page, "ticketd_qos_breaches", &ack(3)),
            Some(1.0),
            "{page}"
        );
        assert_eq!(sample(&page, "ticketd_qos_measured", &ack(3)), Some(1.0));
        // Acknowledged late: within a minute of the last computation the figures are those
        // computed then; later they are computed again.
        let (_, etag) = app.ticket(&keys.agent, &late).await;
        app.command_ok(&keys.agent, &late, "acknowledge", &etag, &json!({}))
            .await;
        app.clock.set(at("2026-11-25T09:00:30Z"));
        let page = metrics(&app).await;
        assert_eq!(sample(&page, "ticketd_qos_measured", &ack(3)), Some(1.0));
        app.clock.set(at("2026-11-25T09:01:30Z"));
        let page = metrics(&app).await;
        assert_eq!(sample(&page, "ticketd_qos_measured", &ack(3)), Some(2.0));
        assert_eq!(
            sample(&page, "ticketd_qos_within_target", &ack(3)),
            Some(1.0)
        );
        assert_eq!(
            sample(&page, "ticketd_qos_within_target_ratio", &ack(3)),
            Some(0.5)
        );
        assert_eq!(sample(&page, "ticketd_qos_breaches", &ack(1)), Some(0.0));
        assert_eq!(
            sample(&page, "ticketd_qos_breaches", &handling(1)),
            Some(0.0)
        );
        assert!(
            page.contains("ticketd_qos_computed_timestamp_seconds 1795597290\n"),
            "{page}"
        );
    }
);
