//! The identity provider concerned lists the confirmed identity-theft cases it may read one by one
//! (issue 26): a list agrees with the single read. Each test on SQLite and PostgreSQL.

use crate::e2e_test;
use crate::helpers::*;
use serde_json::{Value, json};
use ticket_store::keys::KeyScope;

async fn listed(app: &TestApp, key: &str, path: &str) -> Vec<String> {
    let response = app.get_as(key, path).await;
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

e2e_test!(
    the_identity_provider_lists_the_confirmed_cases_it_reads,
    |app| async move {
        let (_, idp) = app
            .store
            .create_api_key(
                "idp",
                KeyScope::Partner {
                    organisation: app.identity_provider,
                },
                start_instant(),
            )
            .await
            .unwrap();
        let response = app
            .client
            .post(app.url("/api/v1/public/identity-theft-reports"))
            .json(&json!({
                "identity_provider_id": app.identity_provider,
                "birth_names": "Listebrun",
                "first_names": "Odile",
                "birth_date": "1975-02-03",
                "birth_place": "Quimper",
                "email": "odile.listebrun@victime.example",
                "description": "Un compte a été ouvert à mon nom.",
                "consent": true,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        let (ticket, etag) = app
            .ticket(&app.keys.security, body["reference"].as_str().unwrap())
            .await;
        let id = ticket["id"].as_str().unwrap().to_owned();
        // Before the qualification, it reads nothing and lists nothing.
        assert_eq!(
            app.get_as(&idp, &format!("/api/v1/tickets/{id}"))
                .await
                .status(),
            404
        );
        assert!(!listed(&app, &idp, "/api/v1/tickets").await.contains(&id));
        app.command_ok(&app.keys.security, &id, "acknowledge", &etag, &json!({}))
            .await;
        let (_, etag) = app.ticket(&app.keys.security, &id).await;
        app.command_ok(
            &app.keys.security,
            &id,
            "qualify",
            &etag,
            &json!({"outcome": "confirmed"}),
        )
        .await;
        // Confirmed: it reads the case, and its list and its filtered list agree.
        assert_eq!(
            app.get_as(&idp, &format!("/api/v1/tickets/{id}"))
                .await
                .status(),
            200
        );
        assert!(listed(&app, &idp, "/api/v1/tickets").await.contains(&id));
        assert!(
            listed(&app, &idp, "/api/v1/tickets?kind=user_usurpation")
                .await
                .contains(&id)
        );
        // Lists stay masked: no full name in the page.
        let page = app
            .get_as(&idp, "/api/v1/tickets")
            .await
            .text()
            .await
            .unwrap();
        assert!(!page.contains("Listebrun"), "{page}");
        // A partner lists the user usurpation it declared, as it reads it.
        let response = app
            .post_as(
                &app.keys.partner,
                "/api/v1/usurpations",
                &json!({
                    "kind": "user_usurpation",
                    "reported_by": "partner",
                    "identity_provider_id": app.identity_provider,
                    "description": "Connexion suspecte",
                }),
            )
            .await;
        assert_eq!(response.status(), 201);
        let declared: Value = response.json().await.unwrap();
        let declared = declared["id"].as_str().unwrap().to_owned();
        assert_eq!(
            app.get_as(&app.keys.partner, &format!("/api/v1/tickets/{declared}"))
                .await
                .status(),
            200
        );
        assert!(
            listed(&app, &app.keys.partner, "/api/v1/tickets")
                .await
                .contains(&declared)
        );
        // Another partner neither reads nor lists it.
        assert_eq!(
            app.get_as(&app.keys.other_partner, &format!("/api/v1/tickets/{id}"))
                .await
                .status(),
            404
        );
        assert!(
            !listed(&app, &app.keys.other_partner, "/api/v1/tickets")
                .await
                .contains(&id)
        );
    }
);
