//! Bad input gets a clear problem+json 4xx, never a 5xx, and nothing is created.

use crate::helpers::*;
use serde_json::{Value, json};

async fn tickets_count(app: &TestApp) -> usize {
    let list: Value = app
        .get_as(&app.keys.agent, "/api/v1/tickets")
        .await
        .json()
        .await
        .unwrap();
    list["items"].as_array().unwrap().len()
}

async fn raw_post(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(&app.keys.partner)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let app = spawn_app().await;
    let problem = assert_problem(
        raw_post(
            &app,
            "/api/v1/incidents",
            "application/json",
            "{\"title\": ",
        )
        .await,
        400,
    )
    .await;
    assert_eq!(problem.problem_type, "/problems/malformed-request");
    assert_eq!(problem.errors[0].rule, "json");
    assert!(
        problem.detail.contains("not valid JSON"),
        "{}",
        problem.detail
    );
    assert_eq!(tickets_count(&app).await, 0);
}

#[tokio::test]
async fn wrong_types_unknown_values_and_unknown_fields_are_400_problems_naming_the_field() {
    let app = spawn_app().await;
    let valid = json!({"title": "t", "started_at": "2026-11-23T08:00:00Z", "impact": "x"});
    let with = |key: &str, value: Value| {
        let mut body = valid.clone();
        body[key] = value;
        body
    };
    for (body, field, rule) in [
        (with("title", json!(42)), "title", "type"),
        (with("security", json!("oui")), "security", "type"),
        (with("started_at", json!("hier")), "started_at", "format"),
        (
            with("proposed_priority", json!("urgentissime")),
            "proposed_priority",
            "enum",
        ),
        (
            with("organisation_id", json!("pas-un-uuid")),
            "organisation_id",
            "format",
        ),
        (
            with("proposed_prority", json!("info")),
            "proposed_prority",
            "unknown_field",
        ),
        (
            json!({"title": "t", "impact": "x"}),
            "started_at",
            "required",
        ),
        (json!(["not", "an", "object"]), "body", "type"),
    ] {
        let response = app
            .post_as(&app.keys.partner, "/api/v1/incidents", &body)
            .await;
        let problem = assert_problem(response, 400).await;
        assert_eq!(problem.problem_type, "/problems/malformed-request");
        let named: Vec<(&str, &str)> = problem
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.rule.as_str()))
            .collect();
        assert_eq!(named, [(field, rule)], "{body}");
    }
    // The union of usurpation reports is checked by its `kind`.
    let problem = assert_problem(
        app.post_as(
            &app.keys.partner,
            "/api/v1/usurpations",
            &json!({"kind": "alien"}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(problem.errors[0].field, "kind");
    assert_eq!(problem.errors[0].rule, "enum");
    let problem = assert_problem(
        app.post_as(&app.keys.partner, "/api/v1/usurpations", &json!({"kind": "user_usurpation", "reported_by": "partner", "victim": {"birth_date": "12/04/1980"}})).await,
        400,
    )
    .await;
    assert_eq!(problem.errors[0].field, "victim.birth_date");
    assert_eq!(tickets_count(&app).await, 0);
}

#[tokio::test]
async fn rule_breaking_values_are_422_with_every_field_named() {
    let app = spawn_app().await;
    let body = json!({"title": "  ", "started_at": "2026-11-23T08:00:00Z", "impact": "", "reporter_email": "pas-une-adresse"});
    let problem = assert_problem(
        app.post_as(&app.keys.partner, "/api/v1/incidents", &body)
            .await,
        422,
    )
    .await;
    assert_eq!(problem.problem_type, "/problems/invalid-input");
    let fields: Vec<(&str, &str)> = problem
        .errors
        .iter()
        .map(|e| (e.field.as_str(), e.rule.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("title", "required"),
            ("impact", "required"),
            ("reporter_email", "email")
        ]
    );
    let future = json!({"title": "t", "started_at": "2027-01-01T00:00:00Z", "impact": "x"});
    let problem = assert_problem(
        app.post_as(&app.keys.partner, "/api/v1/incidents", &future)
            .await,
        422,
    )
    .await;
    assert_eq!(problem.errors[0].field, "started_at");
    assert_eq!(tickets_count(&app).await, 0);
}

#[tokio::test]
async fn an_oversize_body_is_a_413_problem() {
    let app = spawn_app().await;
    let huge =
        json!({"title": "t", "started_at": "2026-11-23T08:00:00Z", "impact": "x".repeat(200_000)})
            .to_string();
    let problem = assert_problem(
        raw_post(&app, "/api/v1/incidents", "application/json", huge).await,
        413,
    )
    .await;
    assert_eq!(problem.problem_type, "/problems/payload-too-large");
    assert_eq!(tickets_count(&app).await, 0);
}

#[tokio::test]
async fn a_wrong_media_type_is_a_415_problem() {
    let app = spawn_app().await;
    let problem = assert_problem(
        raw_post(&app, "/api/v1/incidents", "text/plain", "title=x").await,
        415,
    )
    .await;
    assert_eq!(problem.problem_type, "/problems/unsupported-media-type");
    assert_eq!(
        problem.detail,
        "The body was sent with `Content-Type: text/plain`; this operation takes \
         `application/json; charset=utf-8`."
    );
}

#[tokio::test]
async fn a_missing_or_unknown_key_is_a_401_problem() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/tickets").await;
    let problem = assert_problem(response, 401).await;
    assert_eq!(problem.problem_type, "/problems/unauthenticated");
    let response = app.get_as("tkd_not-a-key", "/api/v1/tickets").await;
    assert_problem(response, 401).await;
}

#[tokio::test]
async fn an_unknown_ticket_and_a_bad_cursor_are_clear() {
    let app = spawn_app().await;
    assert_problem(
        app.get_as(&app.keys.agent, "/api/v1/tickets/INC-2026-999999")
            .await,
        404,
    )
    .await;
    assert_problem(
        app.get_as(&app.keys.agent, "/api/v1/tickets/not-an-id")
            .await,
        404,
    )
    .await;
    let problem = assert_problem(
        app.get_as(&app.keys.agent, "/api/v1/tickets?cursor=zzz")
            .await,
        400,
    )
    .await;
    assert_eq!(problem.problem_type, "/problems/invalid-cursor");
    assert_problem(
        app.get_as(&app.keys.agent, "/api/v1/tickets?limit=500")
            .await,
        400,
    )
    .await;
}
