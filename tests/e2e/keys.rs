//! API keys over HTTP: admins create them (the secret is shown once), list them (never a secret),
//! and revoke them (the key stops authenticating).

use crate::e2e_test;
use crate::helpers::*;
use serde_json::{Value, json};

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(actual, status, "{body}");
    body
}

async fn revoke(app: &TestApp, key: &str, id: &str) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/api-keys/{id}/revoke")))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
}

/// Creates a key as admin; returns the answer's body.
async fn create(app: &TestApp, body: &Value) -> Value {
    let response = app.post_as(&app.keys.admin, "/api/v1/api-keys", body).await;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let location = header("Location");
    let cache_control = header("Cache-Control");
    let created = json_of(response, 201).await;
    assert_eq!(
        location,
        format!("/api/v1/api-keys/{}", created["id"].as_str().unwrap())
    );
    assert_eq!(cache_control, "no-store");
    created
}

e2e_test!(
    an_admin_creates_partner_and_staff_keys_whose_secrets_authenticate,
    |app| async move {
        let partner = create(
            &app,
            &json!({"name": "caisse-prod", "organisation_id": app.partner}),
        )
        .await;
        let secret = partner["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("tkd_"), "{partner}");
        assert_eq!(partner["prefix"].as_str().unwrap(), &secret[..12]);
        assert_eq!(partner["name"], "caisse-prod");
        assert_eq!(partner["organisation_id"], app.partner.to_string());
        assert_eq!(partner["role"], Value::Null);
        assert_eq!(partner["revoked_at"], Value::Null);
        let tickets = app.get_as(&secret, "/api/v1/tickets").await;
        assert_eq!(tickets.status(), 200);
        // The new key acts for its organisation only.
        let list = json_of(app.get_as(&secret, "/api/v1/organisations").await, 200).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        assert_eq!(list["items"][0]["id"], app.partner.to_string());

        let staff = create(
            &app,
            &json!({"name": "alice.martin", "role": "agent", "machine": true}),
        )
        .await;
        let staff_secret = staff["secret"].as_str().unwrap().to_owned();
        assert_eq!(staff["role"], "agent");
        assert_eq!(staff["organisation_id"], Value::Null);
        assert_eq!(
            app.get_as(&staff_secret, "/api/v1/tickets").await.status(),
            200
        );
        // The key's name is the staff member's handle in tickets' history.
        let declared = json_of(
            app.post_as(
                &staff_secret,
                "/api/v1/incidents",
                &json!({
                    "title": "Lenteurs",
                    "started_at": "2026-11-23T08:30:00Z",
                    "impact": "Temps de réponse dégradés",
                    "organisation_id": app.partner,
                }),
            )
            .await,
            201,
        )
        .await;
        assert_eq!(declared["reporter"]["staff"], "alice.martin");
        let events = json_of(
            app.get_as(
                &app.keys.agent,
                &format!(
                    "/api/v1/tickets/{}/events",
                    declared["id"].as_str().unwrap()
                ),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(events["items"][0]["actor"], "agent alice.martin");
    }
);

e2e_test!(
    keys_are_listed_and_read_with_their_prefix_never_their_secret,
    |app| async move {
        let created = create(
            &app,
            &json!({"name": "bob", "role": "security", "machine": true}),
        )
        .await;
        let secret = created["secret"].as_str().unwrap().to_owned();
        let id = created["id"].as_str().unwrap().to_owned();
        // The key authenticates once, so that its use is recorded.
        assert_eq!(app.get_as(&secret, "/api/v1/tickets").await.status(), 200);

        let response = app.get_as(&app.keys.admin, "/api/v1/api-keys").await;
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        assert!(!text.contains(&secret), "a secret is listed: {text}");
        assert!(!text.contains(&app.keys.partner), "a secret is listed");
        let list: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(list["next_cursor"], Value::Null);
        let items = list["items"].as_array().unwrap();
        // The eight keys of the harness and this one, newest first.
        assert_eq!(items.len(), 9, "{list}");
        assert_eq!(items[0]["id"], id.as_str());
        assert_eq!(items[0]["prefix"].as_str().unwrap(), &secret[..12]);
        assert!(items[0]["last_used_at"].is_string(), "{}", items[0]);
        for item in items {
            assert!(item.get("secret").is_none(), "{item}");
            assert_eq!(item["prefix"].as_str().unwrap().len(), 12, "{item}");
        }

        let response = app
            .get_as(&app.keys.admin, &format!("/api/v1/api-keys/{id}"))
            .await;
        let text = response.text().await.unwrap();
        assert!(!text.contains(&secret), "{text}");
        let read: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(read["name"], "bob");
        assert_eq!(read["role"], "security");
        assert!(read.get("secret").is_none(), "{read}");

        assert_problem(
            app.get_as(
                &app.keys.admin,
                &format!("/api/v1/api-keys/{}", uuid::Uuid::now_v7()),
            )
            .await,
            404,
        )
        .await;
    }
);

e2e_test!(
    a_revoked_key_no_longer_authenticates_and_revoking_again_changes_nothing,
    |app| async move {
        let created = create(
            &app,
            &json!({"name": "caisse-test", "organisation_id": app.partner}),
        )
        .await;
        let secret = created["secret"].as_str().unwrap().to_owned();
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(app.get_as(&secret, "/api/v1/tickets").await.status(), 200);

        let revoked = json_of(revoke(&app, &app.keys.admin, &id).await, 200).await;
        assert_eq!(revoked["id"], id.as_str());
        let revoked_at = revoked["revoked_at"].as_str().unwrap().to_owned();

        let problem = assert_problem(app.get_as(&secret, "/api/v1/tickets").await, 401).await;
        assert_eq!(problem.problem_type, "/problems/unauthenticated");

        app.clock.advance(chrono::TimeDelta::minutes(5));
        let again = json_of(revoke(&app, &app.keys.admin, &id).await, 200).await;
        assert_eq!(again["revoked_at"], revoked_at.as_str());
        assert_problem(
            revoke(&app, &app.keys.admin, &uuid::Uuid::now_v7().to_string()).await,
            404,
        )
        .await;
        // The harness's own partner key is untouched.
        assert_eq!(
            app.get_as(&app.keys.partner, "/api/v1/tickets")
                .await
                .status(),
            200
        );
    }
);

e2e_test!(only_admins_manage_keys, |app| async move {
    let keys = app.keys.clone();
    let existing = create(
        &app,
        &json!({"name": "carol", "role": "engineer", "machine": true}),
    )
    .await;
    let id = existing["id"].as_str().unwrap().to_owned();
    for key in [
        &keys.agent,
        &keys.engineer,
        &keys.security,
        &keys.supervisor,
        &keys.dpo,
        &keys.partner,
    ] {
        for response in [
            app.get_as(key, "/api/v1/api-keys").await,
            app.post_as(
                key,
                "/api/v1/api-keys",
                &json!({"name": "mallory", "role": "admin", "machine": true}),
            )
            .await,
            app.get_as(key, &format!("/api/v1/api-keys/{id}")).await,
            revoke(&app, key, &id).await,
        ] {
            let problem = assert_problem(response, 403).await;
            assert_eq!(problem.problem_type, "/problems/admin-role-required");
        }
    }
    let read = json_of(
        app.get_as(&keys.admin, &format!("/api/v1/api-keys/{id}"))
            .await,
        200,
    )
    .await;
    assert_eq!(read["revoked_at"], Value::Null);
    let list = json_of(app.get_as(&keys.admin, "/api/v1/api-keys").await, 200).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 9);
});

e2e_test!(
    invalid_key_requests_are_a_422_naming_each_field_and_rule,
    |app| async move {
        let cases = [
            // A staff key's name becomes a handle in tickets' history.
            (
                json!({"name": "alice <script>", "role": "agent", "machine": true}),
                vec![("name", "staff_handle")],
            ),
            (
                json!({"name": "dave/ops", "role": "admin", "machine": true}),
                vec![("name", "staff_handle")],
            ),
            (
                json!({"name": "   ", "organisation_id": app.partner}),
                vec![("name", "required")],
            ),
            (
                json!({"name": "x".repeat(101), "organisation_id": app.partner}),
                vec![("name", "max_length")],
            ),
            (
                json!({"name": "both", "role": "agent", "organisation_id": app.partner, "machine": true}),
                vec![("role", "exactly_one"), ("organisation_id", "exactly_one")],
            ),
            (
                json!({"name": "neither"}),
                vec![("role", "exactly_one"), ("organisation_id", "exactly_one")],
            ),
            (
                json!({"name": "ghost", "organisation_id": uuid::Uuid::now_v7()}),
                vec![("organisation_id", "registered_organisation")],
            ),
        ];
        for (body, expected) in cases {
            let problem = assert_problem(
                app.post_as(&app.keys.admin, "/api/v1/api-keys", &body)
                    .await,
                422,
            )
            .await;
            let named: Vec<(&str, &str)> = problem
                .errors
                .iter()
                .map(|e| (e.field.as_str(), e.rule.as_str()))
                .collect();
            assert_eq!(named, expected, "{body}");
        }
        let problem = assert_problem(
            app.post_as(
                &app.keys.admin,
                "/api/v1/api-keys",
                &json!({"name": "eve", "role": "root"}),
            )
            .await,
            400,
        )
        .await;
        assert_eq!(problem.errors[0].field, "role");

        let list = json_of(app.get_as(&app.keys.admin, "/api/v1/api-keys").await, 200).await;
        assert_eq!(
            list["items"].as_array().unwrap().len(),
            8,
            "nothing created"
        );
    }
);
