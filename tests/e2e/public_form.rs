//! The public identity-theft form and its anti-abuse rules, over HTTP (the browser tests in
//! `tests/browser` drive the same pages in Chromium).

use crate::helpers::*;
use serde_json::{Value, json};

/// The form page: its CSRF cookie and hidden field.
async fn open_form(app: &TestApp, path: &str) -> (String, String) {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200);
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned();
    let html = response.text().await.unwrap();
    let token = html
        .split(r#"name="csrf_token" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    (cookie, token)
}

fn valid_fields(token: &str, email: &str) -> Vec<(String, String)> {
    [
        ("csrf_token", token),
        ("session_id", "0191e2a4-5b6c-7d8e-9f00-112233445566"),
        ("connection_date", "2026-11-20"),
        ("birth_names", "Martin"),
        ("first_names", "Claire Anne"),
        ("birth_date", "1980-04-12"),
        ("birth_place", "Lyon"),
        ("email", email),
        ("phone", "06 12 34 56 78"),
        (
            "description",
            "Une connexion à mon compte depuis un autre pays.",
        ),
        ("consent", "yes"),
        ("website", ""),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

async fn submit(
    app: &TestApp,
    path: &str,
    cookie: Option<&str>,
    fields: &[(String, String)],
) -> reqwest::Response {
    let mut request = app.client.post(app.url(path)).form(fields);
    if let Some(cookie) = cookie {
        request = request.header("Cookie", cookie);
    }
    request.send().await.unwrap()
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

#[tokio::test]
async fn the_form_is_in_french_by_default_and_in_english_on_request() {
    let app = spawn_app().await;
    let french = app.get("/signalement").await.text().await.unwrap();
    assert!(french.contains(r#"<html lang="fr">"#));
    assert!(
        french.contains("Signaler une usurpation d'identité")
            || french.contains("Signaler une usurpation d&#x27;identité")
            || french.contains("Signaler une usurpation d&#39;identité")
    );
    let english = app.get("/en/report").await.text().await.unwrap();
    assert!(english.contains(r#"<html lang="en">"#));
    assert!(english.contains("Report identity theft"));
    // The registry's identity and service providers are offered.
    assert!(
        french.contains("Fournisseur de service"),
        "service providers listed"
    );
}

#[tokio::test]
async fn a_report_gets_a_reference_a_private_tracking_link_and_advice() {
    let app = spawn_app().await;
    let (cookie, token) = open_form(&app, "/signalement").await;
    let response = submit(
        &app,
        "/signalement",
        Some(&cookie),
        &valid_fields(&token, "claire.martin@example.fr"),
    )
    .await;
    assert_eq!(response.status(), 303);
    let location = response
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        location.starts_with("/suivi/") && location.ends_with("/confirmation"),
        "{location}"
    );
    let secret = location
        .trim_start_matches("/suivi/")
        .trim_end_matches("/confirmation")
        .to_owned();
    assert!(secret.len() >= 43, "at least 256 bits");
    let page = app.get(&location).await.text().await.unwrap();
    assert!(page.contains("USU-2026-000001"), "{page}");
    assert!(page.contains(&format!("/suivi/{secret}")));
    assert!(page.contains("tribunal judiciaire"));
    // The ticket exists, for security, with the victim's data; and the acknowledgement carries the link.
    assert_eq!(tickets(&app).await, 1);
    let tracking = app.get(&format!("/suivi/{secret}")).await;
    assert_eq!(tracking.status(), 200);
    assert_eq!(
        tracking.headers().get("referrer-policy").unwrap(),
        "no-referrer"
    );
    assert!(tracking.text().await.unwrap().contains("Reçu"));
    assert_eq!(
        app.get("/suivi/not-a-real-secret-but-long-enough-to-look-0000")
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn errors_are_listed_linked_to_their_fields_and_values_are_kept() {
    let app = spawn_app().await;
    let (cookie, token) = open_form(&app, "/en/report").await;
    let mut fields = valid_fields(&token, "not-an-email");
    fields.retain(|(k, _)| k != "consent" && k != "birth_place");
    fields.push(("birth_place".into(), "   ".into()));
    fields.retain(|(k, _)| k != "connection_date");
    fields.push(("connection_date".into(), "2025-01-01".into()));
    let response = submit(&app, "/en/report", Some(&cookie), &fields).await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("There are 4 problems with the form"),
        "{page}"
    );
    for anchor in ["#connection_date", "#birth_place", "#email", "#consent"] {
        assert!(page.contains(&format!(r#"href="{anchor}""#)), "{anchor}");
    }
    assert!(page.contains(r#"value="Martin""#), "values are kept");
    assert!(page.contains(r#"value="not-an-email""#));
    assert!(page.contains("older sign-in traces no longer exist"));
    assert_eq!(tickets(&app).await, 0);
}

#[tokio::test]
async fn a_forged_or_missing_csrf_token_is_refused_and_creates_nothing() {
    let app = spawn_app().await;
    let (cookie, token) = open_form(&app, "/signalement").await;
    // Missing cookie.
    let response = submit(
        &app,
        "/signalement",
        None,
        &valid_fields(&token, "a@example.fr"),
    )
    .await;
    assert_eq!(response.status(), 400);
    // Missing field.
    let mut fields = valid_fields(&token, "a@example.fr");
    fields.retain(|(k, _)| k != "csrf_token");
    assert_eq!(
        submit(&app, "/signalement", Some(&cookie), &fields)
            .await
            .status(),
        400
    );
    // Forged: a token signed with another key, sent as both cookie and field.
    let forged = format!("{}.forgedsignature", token.rsplit_once('.').unwrap().0);
    let response = submit(
        &app,
        "/signalement",
        Some(&format!("csrf_token={forged}")),
        &valid_fields(&forged, "a@example.fr"),
    )
    .await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("Envoi refusé"));
    assert_eq!(tickets(&app).await, 0);
}

#[tokio::test]
async fn a_filled_honeypot_is_refused_and_creates_nothing() {
    let app = spawn_app().await;
    let (cookie, token) = open_form(&app, "/signalement").await;
    let mut fields = valid_fields(&token, "a@example.fr");
    fields.retain(|(k, _)| k != "website");
    fields.push(("website".into(), "http://spam.example".into()));
    assert_eq!(
        submit(&app, "/signalement", Some(&cookie), &fields)
            .await
            .status(),
        400
    );
    assert_eq!(tickets(&app).await, 0);
}

#[tokio::test]
async fn the_rate_limits_per_address_and_per_email_answer_429_with_a_readable_page() {
    let app = spawn_app().await;
    let (cookie, token) = open_form(&app, "/signalement").await;
    // Per email: 3 a day.
    for _ in 0..3 {
        let response = submit(
            &app,
            "/signalement",
            Some(&cookie),
            &valid_fields(&token, "same@example.fr"),
        )
        .await;
        assert_eq!(response.status(), 303);
    }
    let response = submit(
        &app,
        "/signalement",
        Some(&cookie),
        &valid_fields(&token, "same@example.fr"),
    )
    .await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().get("retry-after").is_some());
    assert!(response.text().await.unwrap().contains("Trop d"));
    assert_eq!(tickets(&app).await, 3);
    // Per address: 10 an hour (the 4 above count).
    for i in 0..6 {
        let response = submit(
            &app,
            "/signalement",
            Some(&cookie),
            &valid_fields(&token, &format!("other{i}@example.fr")),
        )
        .await;
        assert_eq!(response.status(), 303);
    }
    let response = submit(
        &app,
        "/signalement",
        Some(&cookie),
        &valid_fields(&token, "last@example.fr"),
    )
    .await;
    assert_eq!(response.status(), 429);
    assert_eq!(tickets(&app).await, 9);
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused() {
    let app = spawn_app().await;
    let (cookie, token) = open_form(&app, "/signalement").await;
    let mut fields = valid_fields(&token, "a@example.fr");
    fields.push(("description".into(), "x".repeat(20_000)));
    assert_eq!(
        submit(&app, "/signalement", Some(&cookie), &fields)
            .await
            .status(),
        413
    );
    assert_eq!(tickets(&app).await, 0);
}

#[tokio::test]
async fn the_tracking_page_takes_information_and_a_confirmation_of_resolution() {
    let app = spawn_app().await;
    let (cookie, token) = open_form(&app, "/signalement").await;
    let response = submit(
        &app,
        "/signalement",
        Some(&cookie),
        &valid_fields(&token, "claire@example.fr"),
    )
    .await;
    let location = response
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let tracking = location.trim_end_matches("/confirmation").to_owned();
    let page = app.get(&tracking).await.text().await.unwrap();
    let version = page
        .split(r#"name="version" value=""#)
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_owned();
    let fields = vec![
        ("csrf_token".to_owned(), token.clone()),
        ("version".to_owned(), version),
        (
            "message".to_owned(),
            "J'ai aussi reçu un SMS suspect.".to_owned(),
        ),
    ];
    let response = submit(
        &app,
        &format!("{tracking}/information"),
        Some(&cookie),
        &fields,
    )
    .await;
    assert_eq!(response.status(), 303);
    let page = app
        .get(&format!("{tracking}?notice=added"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("SMS suspect"));
    // Security handles it; the reporter confirms the resolution from the page.
    let list: Value = app
        .get_as(&app.keys.security, "/api/v1/tickets")
        .await
        .json()
        .await
        .unwrap();
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let (_, etag) = app.ticket(&app.keys.security, &id).await;
    let (_, etag) = app
        .command_ok(&app.keys.security, &id, "acknowledge", &etag, &json!({}))
        .await;
    let (_, etag) = app
        .command_ok(
            &app.keys.security,
            &id,
            "qualify",
            &etag,
            &json!({"outcome": "confirmed"}),
        )
        .await;
    app.command_ok(
        &app.keys.security,
        &id,
        "resolve",
        &etag,
        &json!({"summary": "Compte sécurisé, organismes prévenus."}),
    )
    .await;
    let page = app.get(&tracking).await.text().await.unwrap();
    assert!(page.contains("Résolution proposée"));
    let version = page
        .split(r#"name="version" value=""#)
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_owned();
    let fields = vec![
        ("csrf_token".to_owned(), token),
        ("version".to_owned(), version),
        ("answer".to_owned(), "confirm".to_owned()),
    ];
    let response = submit(
        &app,
        &format!("{tracking}/resolution"),
        Some(&cookie),
        &fields,
    )
    .await;
    assert_eq!(response.status(), 303);
    let (ticket, _) = app.ticket(&app.keys.security, &id).await;
    assert_eq!(ticket["state"], "closed");
    assert_eq!(ticket["closure"]["reason"], "resolved_confirmed");
}

#[tokio::test]
async fn the_json_endpoint_applies_the_same_rules() {
    let app = spawn_app().await;
    let body = json!({
        "birth_names": "Martin", "first_names": "Claire", "birth_date": "1980-04-12", "birth_place": "Lyon",
        "email": "claire@example.fr", "description": "Connexion suspecte", "consent": true,
        "connection_date": "2026-11-20", "identity_provider_id": app.identity_provider.to_string(),
    });
    let response = app
        .client
        .post(app.url("/api/v1/public/identity-theft-reports"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert!(
        created["reference"]
            .as_str()
            .unwrap()
            .starts_with("USU-2026-")
    );
    assert!(
        created["tracking_url"]
            .as_str()
            .unwrap()
            .contains("/suivi/")
    );
    let mut bad = body.clone();
    bad["email"] = json!("nope");
    bad["connection_date"] = json!("2025-01-01");
    let response = app
        .client
        .post(app.url("/api/v1/public/identity-theft-reports"))
        .json(&bad)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 422).await;
    let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["connection_date", "email"]);
    // Consent is `true` or the body does not fit the spec (`enum: [true]`).
    let mut bad = body.clone();
    bad["consent"] = json!(false);
    let response = app
        .client
        .post(app.url("/api/v1/public/identity-theft-reports"))
        .json(&bad)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 400).await;
    let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["consent"]);
}
