//! Quality-of-service reports over the API: who may read them (a partner its own organisation
//! only), JSON, CSV by `Accept`, SVG charts, and problem+json for bad queries. Each test runs on
//! SQLite and PostgreSQL.

use crate::e2e_test;
use crate::helpers::*;
use serde_json::{Value, json};

async fn declare(app: &TestApp, organisation: &str, priority: &str) -> String {
    let body = json!({
        "title": format!("Panne {priority}"),
        "started_at": "2026-11-23T08:00:00Z",
        "impact": "Les usagers ne peuvent plus se connecter",
        "proposed_priority": priority,
        "organisation_id": organisation,
    });
    let response = app
        .post_as(&app.keys.agent, "/api/v1/incidents", &body)
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

const NOVEMBER: &str = "/api/v1/reports/quality?from=2026-11-01&to=2026-11-30";

async fn report(app: &TestApp, key: &str, query: &str) -> Value {
    let response = app.get_as(key, &format!("{NOVEMBER}{query}")).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

async fn three_incidents(app: &TestApp) {
    let partner = app.partner.to_string();
    let other = app.other_partner.to_string();
    let first = declare(app, &partner, "normale").await;
    declare(app, &partner, "mineure").await;
    declare(app, &other, "normale").await;
    let (_, etag) = app.ticket(&app.keys.agent, &first).await;
    app.command_ok(&app.keys.agent, &first, "acknowledge", &etag, &json!({}))
        .await;
}

e2e_test!(
    a_partner_reads_only_its_own_organisation,
    |app| async move {
        three_incidents(&app).await;
        let all = report(&app, &app.keys.supervisor, "&group_by=organisation").await;
        let groups = all["groups"].as_array().unwrap();
        assert_eq!(groups.len(), 2, "{all}");
        let opened: u64 = groups.iter().map(|g| g["opened"].as_u64().unwrap()).sum();
        assert_eq!(opened, 3);

        let own = report(&app, &app.keys.partner, "&group_by=organisation").await;
        let groups = own["groups"].as_array().unwrap();
        assert_eq!(groups.len(), 1, "{own}");
        assert_eq!(groups[0]["organisation"], json!(app.partner.to_string()));
        assert_eq!(groups[0]["opened"], 2);
        assert_eq!(groups[0]["acknowledgement"]["count"], 1);
        // Without grouping, the partner's one group still holds only its own tickets.
        let whole = report(&app, &app.keys.other_partner, "").await;
        assert_eq!(whole["groups"][0]["opened"], 1, "{whole}");
        assert_eq!(whole["groups"][0]["open_at_end"], 1, "{whole}");

        let admin = report(&app, &app.keys.admin, "").await;
        assert_eq!(admin["groups"][0]["opened"], 3);
        for key in [
            &app.keys.agent,
            &app.keys.engineer,
            &app.keys.security,
            &app.keys.dpo,
        ] {
            let response = app.get_as(key, NOVEMBER).await;
            let problem = assert_problem(response, 403).await;
            assert!(problem.problem_type.ends_with("report-role-required"));
        }
        let response = app.get(NOVEMBER).await;
        assert_problem(response, 401).await;
    }
);

e2e_test!(reports_come_as_json_csv_and_svg, |app| async move {
    three_incidents(&app).await;
    let response = app
        .client
        .get(app.url(&format!("{NOVEMBER}&group_by=priority,week")))
        .bearer_auth(&app.keys.supervisor)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.split_terminator("\r\n").collect();
    assert!(lines[0].starts_with("period,priority,opened,"), "{csv}");
    // Weeks of 23 and 30 November (cut by the period's end), a group for normale and one for
    // mineure in each: opened in the first, still open at the end of both.
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(
        lines[1].starts_with("2026-11-23,normale,2,0,0,2,1,"),
        "{csv}"
    );
    assert!(
        lines[2].starts_with("2026-11-23,mineure,1,0,0,1,0,"),
        "{csv}"
    );
    assert!(lines[3].starts_with("2026-11-30,normale,0,0,0,2,"), "{csv}");

    let response = app
        .get_as(
            &app.keys.supervisor,
            "/api/v1/reports/quality/chart?from=2026-11-01&to=2026-11-30&group_by=priority&figure=opened",
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    let svg = response.text().await.unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("normale") && !svg.contains("<script"));
});

e2e_test!(bad_report_queries_are_problems, |app| async move {
    let key = &app.keys.supervisor;
    let problem = assert_problem(
        app.get_as(key, &format!("{NOVEMBER}&group_by=colour"))
            .await,
        400,
    )
    .await;
    assert_eq!(problem.errors[0].field, "group_by");
    let problem = assert_problem(
        app.get_as(key, "/api/v1/reports/quality?from=2026-12-01&to=2026-11-01")
            .await,
        422,
    )
    .await;
    assert_eq!(problem.errors[0].field, "to");
    let problem = assert_problem(
        app.get_as(key, &format!("{NOVEMBER}&group_by=month,week,month"))
            .await,
        422,
    )
    .await;
    assert_eq!(problem.errors.len(), 2);
    assert_problem(
        app.get_as(key, &format!("{NOVEMBER}&colour=blue")).await,
        400,
    )
    .await;
    assert_problem(
        app.get_as(key, "/api/v1/reports/quality?from=2026-11-01")
            .await,
        400,
    )
    .await;
    assert_problem(
        app.get_as(key, "/api/v1/reports/quality?from=2026-11-31&to=2026-12-01")
            .await,
        400,
    )
    .await;
    assert_problem(
        app.get_as(
            key,
            "/api/v1/reports/quality/chart?from=2026-11-01&to=2026-11-30&figure=pie",
        )
        .await,
        400,
    )
    .await;
});
