//! The API contract as clients meet it (issue 10): what the spec says is what the wire does.
//! Each test names the defect it guards against; most run on SQLite and on PostgreSQL.

use crate::e2e_test;
use crate::helpers::*;
use reqwest::header::HeaderValue;
use serde_json::{Value, json};
use ticket_store::testkit::Backend;

fn incident(app: &TestApp) -> Value {
    json!({
        "title": "Connexion impossible",
        "started_at": "2026-11-23T08:30:00Z",
        "impact": "Les usagers ne peuvent plus se connecter",
        "organisation_id": app.partner.to_string(),
    })
}

async fn declare(app: &TestApp) -> (Value, String) {
    let response = app
        .post_as(&app.keys.partner, "/api/v1/incidents", &incident(app))
        .await;
    assert_eq!(response.status(), 201);
    let etag = etag_of(&response);
    (response.json().await.unwrap(), etag)
}

fn nulls(value: &Value, at: &str, found: &mut Vec<String>) {
    match value {
        Value::Null => found.push(at.to_owned()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                nulls(item, &format!("{at}[{i}]"), found);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                nulls(item, &format!("{at}.{key}"), found);
            }
        }
        _ => {}
    }
}

async fn tickets(app: &TestApp) -> usize {
    let list: Value = app
        .get_as(&app.keys.security, "/api/v1/tickets")
        .await
        .json()
        .await
        .unwrap();
    list["items"].as_array().unwrap().len()
}

e2e_test!(
    a_field_without_value_is_omitted_and_instants_end_with_z,
    |app| async move {
        let (ticket, _) = declare(&app).await;
        let mut found = Vec::new();
        nulls(&ticket, "ticket", &mut found);
        assert!(found.is_empty(), "null sent at {found:?}: {ticket}");
        assert!(ticket.get("assignee").is_none(), "{ticket}");
        assert_eq!(ticket["created_at"], "2026-11-23T09:00:00Z");
        let id = ticket["id"].as_str().unwrap();
        for path in [
            format!("/api/v1/tickets/{id}/clock"),
            format!("/api/v1/tickets/{id}/events"),
            "/api/v1/tickets".to_owned(),
        ] {
            let body: Value = app
                .get_as(&app.keys.agent, &path)
                .await
                .json()
                .await
                .unwrap();
            let mut found = Vec::new();
            nulls(&body, &path, &mut found);
            assert!(found.is_empty(), "null sent at {found:?}: {body}");
            assert!(!body.to_string().contains("+00:00"), "{body}");
        }
    }
);

#[tokio::test]
async fn every_401_says_www_authenticate_bearer_and_authentication_comes_before_body_checks() {
    let app = spawn_app().await;
    // No key, and a body breaking every rule: 401, not 400.
    let response = app
        .client
        .post(app.url("/api/v1/incidents"))
        .json(&json!({"title": 3, "unknown": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers().get("WWW-Authenticate").unwrap(),
        "Bearer"
    );
    let problem = assert_problem(response, 401).await;
    assert_eq!(problem.problem_type, "/problems/unauthenticated");
    // A revoked or unknown key with a bad body: 401 too.
    let response = app
        .post_as("not-a-key", "/api/v1/incidents", &json!({"title": 3}))
        .await;
    assert_eq!(
        response.headers().get("WWW-Authenticate").unwrap(),
        "Bearer"
    );
    assert_problem(response, 401).await;
    // An unknown query parameter without a key: 401.
    let response = app.get("/api/v1/tickets?nope=1").await;
    assert_eq!(
        response.headers().get("WWW-Authenticate").unwrap(),
        "Bearer"
    );
    assert_problem(response, 401).await;
}

#[tokio::test]
async fn every_405_says_allow() {
    let app = spawn_app().await;
    for (path, allow) in [
        ("/api/v1/incidents", "POST"),
        ("/healthz", "GET"),
        ("/signalement", "GET, POST"),
    ] {
        let response = app
            .client
            .delete(app.url(path))
            .bearer_auth(&app.keys.admin)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers().get("Allow").map(|v| v.to_str().unwrap()),
            Some(allow),
            "{path}"
        );
        let problem = assert_problem(response, 405).await;
        assert_eq!(problem.problem_type, "/problems/method-not-allowed");
    }
}

e2e_test!(a_412_carries_the_current_etag, |app| async move {
    let (ticket, etag) = declare(&app).await;
    let id = ticket["id"].as_str().unwrap();
    let (_, current) = app
        .command_ok(&app.keys.agent, id, "acknowledge", &etag, &json!({}))
        .await;
    let response = app
        .command(
            &app.keys.agent,
            id,
            "escalate",
            &etag,
            &json!({"reason": "x"}),
        )
        .await;
    assert_eq!(etag_of(&response), current);
    let problem = assert_problem(response, 412).await;
    assert_eq!(problem.problem_type, "/problems/stale-version");
});

#[tokio::test]
async fn security_headers_no_store_nosniff_and_a_csp_on_the_docs() {
    let app = spawn_app().await;
    let (ticket, _) = declare(&app).await;
    let response = app
        .get_as(
            &app.keys.agent,
            &format!("/api/v1/tickets/{}", ticket["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(response.headers().get("Cache-Control").unwrap(), "no-store");
    assert_eq!(
        response.headers().get("X-Content-Type-Options").unwrap(),
        "nosniff"
    );
    for path in [
        "/healthz",
        "/openapi.json",
        "/docs",
        "/nowhere",
        "/signalement",
    ] {
        let response = app.get(path).await;
        assert_eq!(
            response.headers().get("X-Content-Type-Options"),
            Some(&HeaderValue::from_static("nosniff")),
            "{path}"
        );
    }
    let docs = app.get("/docs").await;
    let csp = docs
        .headers()
        .get("Content-Security-Policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("script-src 'sha256-"), "{csp}");
    assert!(!csp.contains("script-src 'unsafe-inline'"), "{csp}");
}

e2e_test!(
    query_parameters_are_validated_like_bodies,
    |app| async move {
        declare(&app).await;
        // `state` filters (it was `state_filter`, and `?state=` was silently ignored).
        let list: Value = app
            .get_as(&app.keys.agent, "/api/v1/tickets?state=closed")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["items"], json!([]), "{list}");
        let list: Value = app
            .get_as(&app.keys.agent, "/api/v1/tickets?state=new")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
        // An unknown parameter is named.
        let response = app
            .get_as(&app.keys.agent, "/api/v1/tickets?state_filter=closed")
            .await;
        let problem = assert_problem(response, 400).await;
        assert_eq!(problem.errors.len(), 1, "{problem:?}");
        assert_eq!(problem.errors[0].field, "state_filter");
        assert_eq!(problem.errors[0].rule, "unknown_parameter");
        // What gave 500 answers 400, naming the parameter.
        let long = "_".repeat(25_000);
        for (query, name) in [
            (format!("q={long}"), "q"),
            ("q=a%00b".to_owned(), "q"),
            ("assignee=a%00b".to_owned(), "assignee"),
            (
                "created_from=-262143-01-01T00:00:00Z".to_owned(),
                "created_from",
            ),
            (
                "created_before=%2B262142-12-31T23:59:59Z".to_owned(),
                "created_before",
            ),
        ] {
            let response = app
                .get_as(&app.keys.agent, &format!("/api/v1/tickets?{query}"))
                .await;
            let problem = assert_problem(response, 400).await;
            assert!(
                problem.detail.contains(name) || problem.errors.iter().any(|e| e.field == name),
                "{name}: {problem:?}"
            );
        }
    }
);

e2e_test!(
    the_staff_usurpation_endpoint_checks_birth_dates_like_the_public_one,
    |app| async move {
        for (date, rule) in [
            ("1899-12-31", "plausible"),
            ("0000-01-01", "plausible"),
            ("2027-01-01", "not_in_future"),
        ] {
            let response = app
                .post_as(
                    &app.keys.security,
                    "/api/v1/usurpations",
                    &json!({
                        "kind": "user_usurpation",
                        "reported_by": "operator",
                        "victim": {"birth_names": "Martin", "birth_date": date},
                    }),
                )
                .await;
            let problem = assert_problem(response, 422).await;
            assert_eq!(problem.errors.len(), 1, "{problem:?}");
            assert_eq!(problem.errors[0].field, "victim.birth_date");
            assert_eq!(problem.errors[0].rule, rule, "{date}");
        }
        assert_eq!(tickets(&app).await, 0);
    }
);

e2e_test!(a_malformed_follow_up_of_is_refused, |app| async move {
    let mut body = incident(&app);
    body["follow_up_of"] = json!("pas-un-ticket");
    let response = app
        .post_as(&app.keys.partner, "/api/v1/incidents", &body)
        .await;
    let problem = assert_problem(response, 422).await;
    assert_eq!(problem.errors.len(), 1, "{problem:?}");
    assert_eq!(problem.errors[0].field, "follow_up_of");
    assert_eq!(problem.errors[0].rule, "ticket_id");
    assert_eq!(tickets(&app).await, 0);
});

#[tokio::test]
async fn a_non_ascii_idempotency_key_is_refused() {
    let app = spawn_app().await;
    for _ in 0..2 {
        let response = app
            .client
            .post(app.url("/api/v1/incidents"))
            .bearer_auth(&app.keys.partner)
            .header(
                "Idempotency-Key",
                HeaderValue::from_bytes("clé-1".as_bytes()).unwrap(),
            )
            .json(&incident(&app))
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 400).await;
        assert_eq!(problem.errors[0].field, "Idempotency-Key", "{problem:?}");
    }
    assert_eq!(tickets(&app).await, 0);
}

e2e_test!(
    the_public_report_endpoint_honours_idempotency_key,
    |app| async move {
        let body = json!({
            "birth_names": "Martin", "first_names": "Claire", "birth_date": "1980-04-12",
            "birth_place": "Lyon", "email": "claire@example.fr",
            "description": "Connexion suspecte", "consent": true,
        });
        let mut answers = Vec::new();
        for _ in 0..2 {
            let response = app
                .client
                .post(app.url("/api/v1/public/identity-theft-reports"))
                .header("Idempotency-Key", "0b6f6f0e-report-1")
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201);
            answers.push(response.json::<Value>().await.unwrap());
        }
        assert_eq!(answers[0]["reference"], answers[1]["reference"]);
        assert!(answers[0]["tracking_url"].is_string(), "{}", answers[0]);
        assert!(answers[1].get("tracking_url").is_none(), "{}", answers[1]);
        assert_eq!(tickets(&app).await, 1);
        // The same key with another body is refused.
        let mut other = body.clone();
        other["first_names"] = json!("Paul");
        let response = app
            .client
            .post(app.url("/api/v1/public/identity-theft-reports"))
            .header("Idempotency-Key", "0b6f6f0e-report-1")
            .json(&other)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 422).await;
        assert_eq!(problem.problem_type, "/problems/idempotency-key-reused");
        // The birth date is required (the spec says so too).
        let mut missing = body.clone();
        missing.as_object_mut().unwrap().remove("birth_date");
        let response = app
            .client
            .post(app.url("/api/v1/public/identity-theft-reports"))
            .json(&missing)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 400).await;
        assert_eq!(problem.errors[0].field, "birth_date");
        assert_eq!(problem.errors[0].rule, "required");
    }
);

e2e_test!(
    a_closure_refused_for_several_reasons_lists_each,
    |app| async move {
        let (ticket, etag) = declare(&app).await;
        let id = ticket["id"].as_str().unwrap();
        let response = app
            .command(
                &app.keys.agent,
                id,
                "close",
                &etag,
                &json!({"reason": "resolved_by_operator"}),
            )
            .await;
        let problem = assert_problem(response, 409).await;
        assert_eq!(problem.problem_type, "/problems/closure-condition-unmet");
        let rules: Vec<(&str, &str)> = problem
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.rule.as_str()))
            .collect();
        assert_eq!(
            rules,
            [
                ("reason", "closure-condition-unmet"),
                ("reason", "closure-condition-unmet")
            ],
            "{problem:?}"
        );
        assert!(problem.errors[0].message.contains("not resolved"));
        assert!(problem.errors[1].message.contains("notified"));
    }
);

#[tokio::test]
async fn behind_a_proxy_the_client_is_the_right_most_untrusted_forwarded_entry() {
    let app = spawn_app_with(Backend::Sqlite, |config| {
        config.public.trust_forwarded_for = true;
        config.public.trusted_proxy_hops = 1;
        config.public.per_ip.max = 1;
    })
    .await
    .unwrap();
    let report = |email: &str| {
        json!({
            "birth_names": "Martin", "first_names": "Claire", "birth_date": "1980-04-12",
            "birth_place": "Lyon", "email": email, "description": "Connexion suspecte",
            "consent": true,
        })
    };
    let mut statuses = Vec::new();
    // The client prepends whatever it likes; the proxy appends the address it saw.
    for (forwarded, email) in [
        ("198.51.100.7, 203.0.113.9", "a@example.fr"),
        ("192.0.2.1, 203.0.113.9", "b@example.fr"),
        ("203.0.113.10", "c@example.fr"),
    ] {
        let response = app
            .client
            .post(app.url("/api/v1/public/identity-theft-reports"))
            .header("X-Forwarded-For", forwarded)
            .json(&report(email))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [201, 429, 201]);
}

e2e_test!(
    a_connection_day_from_the_public_form_stays_a_day,
    |app| async move {
        let response = app
            .client
            .post(app.url("/api/v1/public/identity-theft-reports"))
            .json(&json!({
                "birth_names": "Martin", "first_names": "Claire", "birth_date": "1980-04-12",
                "birth_place": "Lyon", "email": "claire@example.fr",
                "description": "Connexion suspecte", "consent": true,
                "connection_date": "2026-11-20",
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let created: Value = response.json().await.unwrap();
        let (ticket, _) = app
            .ticket(&app.keys.security, created["reference"].as_str().unwrap())
            .await;
        let usurpation = &ticket["user_usurpation"];
        assert_eq!(usurpation["suspicious_connection_date"], "2026-11-20");
        assert!(
            usurpation.get("suspicious_connection_at").is_none(),
            "{usurpation}"
        );
    }
);
