//! The trust-sphere registry over HTTP: admins manage organisations, their services and contacts;
//! staff read them all; a partner reads only its own.

use crate::e2e_test;
use crate::helpers::*;
use serde_json::{Value, json};

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(actual, status, "{body}");
    body
}

async fn patch_as(app: &TestApp, key: &str, path: &str, body: &Value) -> reqwest::Response {
    app.client
        .patch(app.url(path))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn delete_as(app: &TestApp, key: &str, path: &str) -> reqwest::Response {
    app.client
        .delete(app.url(path))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
}

/// Registers an organisation as admin; returns its id.
async fn register(app: &TestApp, name: &str) -> String {
    let response = app
        .post_as(
            &app.keys.admin,
            "/api/v1/organisations",
            &json!({"name": name, "roles": ["service_provider"]}),
        )
        .await;
    let body = json_of(response, 201).await;
    body["id"].as_str().unwrap().to_owned()
}

fn contact_body() -> Value {
    json!({
        "name": "Équipe exploitation",
        "function": "support de niveau 2",
        "email": "exploitation@caisse-regionale.example",
        "phone": "+33 1 23 45 67 89",
    })
}

async fn organisation_count(app: &TestApp) -> usize {
    let list = json_of(
        app.get_as(&app.keys.admin, "/api/v1/organisations").await,
        200,
    )
    .await;
    list["items"].as_array().unwrap().len()
}

e2e_test!(
    an_admin_registers_an_organisation_with_a_service_and_a_contact_then_changes_it,
    |app| async move {
        let admin = app.keys.admin.clone();
        let response = app
            .post_as(
                &admin,
                "/api/v1/organisations",
                &json!({"name": "Caisse régionale", "roles": ["service_provider"]}),
            )
            .await;
        let location = response
            .headers()
            .get("Location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let created = json_of(response, 201).await;
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(location, format!("/api/v1/organisations/{id}"));
        assert_eq!(created["roles"], json!(["service_provider"]));
        assert_eq!(created["services"], json!([]));

        let service = json_of(
            app.post_as(
                &admin,
                &format!("{location}/services"),
                &json!({
                    "name": "Espace assuré",
                    "availability": "24/7",
                    "max_unavailability_seconds": 14_400,
                    "minimum_assurance_level": "substantial",
                }),
            )
            .await,
            201,
        )
        .await;
        assert_eq!(service["organisation_id"], id.as_str());
        let contact = json_of(
            app.post_as(&admin, &format!("{location}/contacts"), &contact_body())
                .await,
            201,
        )
        .await;
        assert_eq!(contact["email"], "exploitation@caisse-regionale.example");

        let read = json_of(app.get_as(&app.keys.agent, &location).await, 200).await;
        assert_eq!(read["name"], "Caisse régionale");
        assert_eq!(
            read["services"],
            json!([{
                "id": service["id"],
                "organisation_id": id,
                "name": "Espace assuré",
                "availability": "24/7",
                "max_unavailability_seconds": 14_400,
                "minimum_assurance_level": "substantial",
            }])
        );
        let contacts = read["contacts"].as_array().unwrap();
        assert_eq!(contacts.len(), 1);
        assert_eq!(contacts[0]["name"], "Équipe exploitation");
        assert_eq!(contacts[0]["function"], "support de niveau 2");
        assert_eq!(
            contacts[0]["email"],
            "exploitation@caisse-regionale.example"
        );
        assert_eq!(contacts[0]["phone"], "+33 1 23 45 67 89");

        // Rename and replace the roles; then the roles alone, keeping the name.
        let changed = json_of(
            patch_as(
                &app,
                &admin,
                &location,
                &json!({
                    "name": "Caisse régionale du Centre",
                    "roles": ["service_provider", "identity_provider"],
                }),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(changed["name"], "Caisse régionale du Centre");
        assert_eq!(
            changed["roles"],
            json!(["identity_provider", "service_provider"])
        );
        assert_eq!(changed["services"].as_array().unwrap().len(), 1);
        let changed = json_of(
            patch_as(
                &app,
                &admin,
                &location,
                &json!({"roles": ["user_organisation"]}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(changed["name"], "Caisse régionale du Centre");
        assert_eq!(changed["roles"], json!(["user_organisation"]));

        // Staff list the whole registry, in one page.
        let list = json_of(
            app.get_as(&app.keys.supervisor, "/api/v1/organisations")
                .await,
            200,
        )
        .await;
        assert_eq!(list["next_cursor"], Value::Null);
        let names: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        assert_eq!(names.len(), 5, "{names:?}");
        assert!(names.contains(&"Caisse régionale du Centre"), "{names:?}");

        // Remove the service and the contact; a second removal finds nothing.
        let service_path = format!("{location}/services/{}", service["id"].as_str().unwrap());
        let contact_path = format!("{location}/contacts/{}", contact["id"].as_str().unwrap());
        assert_eq!(delete_as(&app, &admin, &service_path).await.status(), 204);
        assert_eq!(delete_as(&app, &admin, &contact_path).await.status(), 204);
        assert_problem(delete_as(&app, &admin, &service_path).await, 404).await;
        assert_problem(delete_as(&app, &admin, &contact_path).await, 404).await;
        let read = json_of(app.get_as(&admin, &location).await, 200).await;
        assert_eq!(read["services"], json!([]));
        assert_eq!(read["contacts"], json!([]));
    }
);

e2e_test!(
    a_partner_sees_only_its_own_organisation_and_its_contacts,
    |app| async move {
        let own = app.partner.to_string();
        let other = app.other_partner.to_string();
        json_of(
            app.post_as(
                &app.keys.admin,
                &format!("/api/v1/organisations/{own}/contacts"),
                &contact_body(),
            )
            .await,
            201,
        )
        .await;

        let list = json_of(
            app.get_as(&app.keys.partner, "/api/v1/organisations").await,
            200,
        )
        .await;
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{list}");
        assert_eq!(items[0]["id"], own.as_str());
        assert_eq!(list["next_cursor"], Value::Null);
        assert_eq!(
            items[0]["contacts"][0]["email"],
            "exploitation@caisse-regionale.example"
        );

        let read = json_of(
            app.get_as(&app.keys.partner, &format!("/api/v1/organisations/{own}"))
                .await,
            200,
        )
        .await;
        assert_eq!(read["contacts"][0]["phone"], "+33 1 23 45 67 89");

        // Another organisation is not there for a partner, whether it exists or not.
        let problem = assert_problem(
            app.get_as(&app.keys.partner, &format!("/api/v1/organisations/{other}"))
                .await,
            404,
        )
        .await;
        assert_eq!(problem.problem_type, "/problems/not-found");
        assert_problem(
            app.get_as(
                &app.keys.other_partner,
                &format!("/api/v1/organisations/{own}"),
            )
            .await,
            404,
        )
        .await;
        assert_problem(
            app.get_as(
                &app.keys.partner,
                &format!("/api/v1/organisations/{}", uuid::Uuid::now_v7()),
            )
            .await,
            404,
        )
        .await;
        let others_list = json_of(
            app.get_as(&app.keys.other_partner, "/api/v1/organisations")
                .await,
            200,
        )
        .await;
        assert!(
            !others_list.to_string().contains("exploitation@"),
            "{others_list}"
        );
    }
);

e2e_test!(only_admins_change_the_registry, |app| async move {
    let own = app.partner.to_string();
    let path = format!("/api/v1/organisations/{own}");
    let keys = app.keys.clone();
    for key in [
        &keys.agent,
        &keys.engineer,
        &keys.security,
        &keys.supervisor,
        &keys.partner,
    ] {
        let problem = assert_problem(
            app.post_as(
                key,
                "/api/v1/organisations",
                &json!({"name": "Intrus", "roles": ["service_provider"]}),
            )
            .await,
            403,
        )
        .await;
        assert_eq!(problem.problem_type, "/problems/admin-role-required");
        assert_problem(
            patch_as(&app, key, &path, &json!({"name": "Renommée"})).await,
            403,
        )
        .await;
        assert_problem(delete_as(&app, key, &path).await, 403).await;
        assert_problem(
            app.post_as(key, &format!("{path}/contacts"), &contact_body())
                .await,
            403,
        )
        .await;
        assert_problem(
            app.post_as(
                key,
                &format!("{path}/services"),
                &json!({"name": "S", "availability": "24/7", "minimum_assurance_level": "none"}),
            )
            .await,
            403,
        )
        .await;
    }
    let read = json_of(app.get_as(&keys.admin, &path).await, 200).await;
    assert_eq!(read["name"], "Caisse de test");
    assert_eq!(read["contacts"], json!([]));
    assert_eq!(organisation_count(&app).await, 4);
});

e2e_test!(a_duplicate_name_is_a_conflict, |app| async move {
    let problem = assert_problem(
        app.post_as(
            &app.keys.admin,
            "/api/v1/organisations",
            &json!({"name": "Caisse de test", "roles": ["identity_provider"]}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(problem.problem_type, "/problems/duplicate");
    let problem = assert_problem(
        patch_as(
            &app,
            &app.keys.admin,
            &format!("/api/v1/organisations/{}", app.other_partner),
            &json!({"name": "Caisse de test"}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(problem.problem_type, "/problems/duplicate");
    assert_eq!(organisation_count(&app).await, 4);
});

e2e_test!(
    invalid_registry_input_is_a_422_naming_each_field_and_rule,
    |app| async move {
        let admin = app.keys.admin.clone();
        let own = format!("/api/v1/organisations/{}", app.partner);
        let cases = [
            (
                "POST",
                "/api/v1/organisations".to_owned(),
                json!({"name": "Sans rôle", "roles": []}),
                vec![("roles", "required")],
            ),
            (
                "POST",
                "/api/v1/organisations".to_owned(),
                json!({"name": "  ", "roles": ["service_provider", "service_provider"]}),
                vec![("name", "required"), ("roles", "unique_items")],
            ),
            (
                "PATCH",
                own.clone(),
                json!({"roles": []}),
                vec![("roles", "required")],
            ),
            (
                "PATCH",
                own.clone(),
                json!({}),
                vec![("body", "min_properties")],
            ),
            (
                "POST",
                format!("{own}/services"),
                json!({
                    "name": "Espace assuré",
                    "availability": "24/7",
                    "max_unavailability_seconds": -60,
                    "minimum_assurance_level": "high",
                }),
                vec![("max_unavailability_seconds", "exclusive_minimum")],
            ),
            (
                "POST",
                format!("{own}/services"),
                json!({
                    "name": "Espace assuré",
                    "availability": "",
                    "max_unavailability_seconds": 0,
                    "minimum_assurance_level": "eidas_low",
                }),
                vec![("availability", "required")],
            ),
            (
                "POST",
                format!("{own}/contacts"),
                json!({
                    "name": "Équipe exploitation",
                    "function": "support",
                    "email": "pas-une-adresse",
                    "phone": "appelez-moi",
                }),
                vec![("email", "email"), ("phone", "phone")],
            ),
        ];
        for (method, path, body, expected) in cases {
            let response = match method {
                "PATCH" => patch_as(&app, &admin, &path, &body).await,
                _ => app.post_as(&admin, &path, &body).await,
            };
            let problem = assert_problem(response, 422).await;
            assert_eq!(problem.problem_type, "/problems/invalid-input");
            let named: Vec<(&str, &str)> = problem
                .errors
                .iter()
                .map(|e| (e.field.as_str(), e.rule.as_str()))
                .collect();
            assert_eq!(named, expected, "{method} {path} {body}");
        }
        // Values outside the documented enums are malformed, not invalid.
        let problem = assert_problem(
            app.post_as(
                &admin,
                &format!("{own}/services"),
                &json!({"name": "S", "availability": "24/7", "minimum_assurance_level": "eidas_max"}),
            )
            .await,
            400,
        )
        .await;
        assert_eq!(problem.errors[0].field, "minimum_assurance_level");

        let read = json_of(app.get_as(&admin, &own).await, 200).await;
        assert_eq!(read["roles"], json!(["service_provider"]));
        assert_eq!(read["services"], json!([]));
        assert_eq!(read["contacts"], json!([]));
        assert_eq!(organisation_count(&app).await, 4);
    }
);

e2e_test!(
    an_organisation_is_not_removed_while_tickets_or_active_keys_reference_it,
    |app| async move {
        let admin = app.keys.admin.clone();

        // A ticket is about it.
        let referenced = register(&app, "Mutuelle référencée").await;
        let declared = app
            .post_as(
                &app.keys.agent,
                "/api/v1/incidents",
                &json!({
                    "title": "Connexion impossible",
                    "started_at": "2026-11-23T08:30:00Z",
                    "impact": "Les usagers ne peuvent plus se connecter",
                    "organisation_id": referenced,
                }),
            )
            .await;
        json_of(declared, 201).await;
        let path = format!("/api/v1/organisations/{referenced}");
        let problem = assert_problem(delete_as(&app, &admin, &path).await, 409).await;
        assert_eq!(problem.problem_type, "/problems/in-use");
        json_of(app.get_as(&admin, &path).await, 200).await;

        // An active key is scoped to it, until it is revoked.
        let keyed = register(&app, "Mutuelle avec clé").await;
        let key = json_of(
            app.post_as(
                &admin,
                "/api/v1/api-keys",
                &json!({"name": "mutuelle-prod", "organisation_id": keyed}),
            )
            .await,
            201,
        )
        .await;
        let path = format!("/api/v1/organisations/{keyed}");
        let problem = assert_problem(delete_as(&app, &admin, &path).await, 409).await;
        assert_eq!(problem.problem_type, "/problems/in-use");
        let revoke = format!("/api/v1/api-keys/{}/revoke", key["id"].as_str().unwrap());
        let revoked = app
            .client
            .post(app.url(&revoke))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        json_of(revoked, 200).await;
        assert_eq!(delete_as(&app, &admin, &path).await.status(), 204);
    }
);

e2e_test!(
    a_fresh_organisation_is_removed_with_its_services_and_contacts,
    |app| async move {
        let admin = app.keys.admin.clone();
        let id = register(&app, "Éphémère").await;
        let path = format!("/api/v1/organisations/{id}");
        json_of(
            app.post_as(
                &admin,
                &format!("{path}/services"),
                &json!({"name": "Portail", "availability": "office hours", "minimum_assurance_level": "none"}),
            )
            .await,
            201,
        )
        .await;
        json_of(
            app.post_as(&admin, &format!("{path}/contacts"), &contact_body())
                .await,
            201,
        )
        .await;

        let response = delete_as(&app, &admin, &path).await;
        assert_eq!(response.status(), 204);
        assert!(response.bytes().await.unwrap().is_empty());
        assert_problem(app.get_as(&admin, &path).await, 404).await;
        assert_problem(delete_as(&app, &admin, &path).await, 404).await;
        assert_problem(
            app.post_as(&admin, &format!("{path}/contacts"), &contact_body())
                .await,
            404,
        )
        .await;
        assert_eq!(organisation_count(&app).await, 4);
    }
);
