//! What an integrator trips over (issue 29): invalid UTF-8 in a path or query, a search without a
//! word, the public report's field names, `Allow` on a 405, duplicate JSON member names, the
//! route label of a refused query. Each on SQLite and PostgreSQL.

use crate::e2e_test;
use crate::helpers::*;
use serde_json::{Value, json};
use ticketd::http::Problem;

fn fields(problem: &Problem) -> Vec<&str> {
    problem.errors.iter().map(|e| e.field.as_str()).collect()
}

e2e_test!(
    invalid_utf8_in_a_path_is_a_problem_naming_the_path,
    |app| async move {
        for path in ["/api/v1/tickets/%FF", "/suivi/%FF", "/%FF"] {
            let response = app.get_as(&app.keys.agent, path).await;
            assert_eq!(
                response.headers()["x-content-type-options"],
                "nosniff",
                "{path}"
            );
            let problem = assert_problem(response, 400).await;
            assert_eq!(fields(&problem), ["path"], "{path}");
            assert_eq!(problem.errors[0].rule, "utf8");
        }
        // UTF-8, percent-encoded, is a path like any other.
        assert_problem(
            app.get_as(&app.keys.agent, "/api/v1/tickets/caf%C3%A9")
                .await,
            404,
        )
        .await;
    }
);

e2e_test!(
    a_search_without_a_word_or_in_invalid_utf8_is_refused_naming_q,
    |app| async move {
        for query in ["q=%FF%FE", "q=!!!", "q=", "q=%20%20"] {
            let problem = assert_problem(
                app.get_as(&app.keys.agent, &format!("/api/v1/tickets?{query}"))
                    .await,
                400,
            )
            .await;
            assert_eq!(fields(&problem), ["q"], "{query}");
        }
        let response = app.get_as(&app.keys.agent, "/api/v1/tickets?q=panne").await;
        assert_eq!(response.status(), 200);
    }
);

e2e_test!(
    the_public_reports_errors_name_the_json_fields,
    |app| async move {
        let unknown = uuid::Uuid::now_v7().to_string();
        let body = json!({
            "connection_date": "2026-11-20",
            "identity_provider_id": unknown,
            "service_provider_ids": [unknown],
            "birth_names": "Dupont",
            "first_names": "Jean",
            "birth_date": "1980-05-04",
            "birth_place": "Lyon",
            "email": "jean.dupont@example.fr",
            "description": "Quelqu'un s'est connecté à ma place",
            "consent": true,
        });
        let response = app
            .client
            .post(app.url("/api/v1/public/identity-theft-reports"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 422).await;
        assert_eq!(
            fields(&problem),
            ["identity_provider_id", "service_provider_ids"]
        );
    }
);

e2e_test!(
    a_405_allows_the_methods_of_the_route_asked,
    |app| async move {
        let response = app
            .get_as(&app.keys.admin, "/api/v1/mails/retry-uncertain")
            .await;
        assert_eq!(response.headers()["allow"], "POST");
        assert_problem(response, 405).await;
    }
);

e2e_test!(
    duplicate_member_names_are_refused_on_every_json_endpoint,
    |app| async move {
        let sent = |path: &'static str, key: Option<String>, body: &'static str| {
            let mut request = app
                .client
                .post(app.url(path))
                .header("Content-Type", "application/json")
                .body(body);
            if let Some(key) = key {
                request = request.bearer_auth(key);
            }
            request.send()
        };
        let admin = Some(app.keys.admin.clone());
        let response = sent(
            "/api/v1/api-keys",
            admin.clone(),
            r#"{"name":"x","role":"agent","role":"admin"}"#,
        )
        .await
        .unwrap();
        let problem = assert_problem(response, 400).await;
        assert_eq!(fields(&problem), ["role"]);
        assert_eq!(problem.errors[0].rule, "duplicate_member");
        // Nothing was created.
        let keys: Value = app
            .get_as(&app.keys.admin, "/api/v1/api-keys")
            .await
            .json()
            .await
            .unwrap();
        assert!(
            keys["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|k| k["name"] != "x"),
            "{keys}"
        );
        // Nested, and on the public endpoint too.
        let response = sent(
            "/api/v1/organisations",
            admin,
            r#"{"name":"Caisse","roles":["service_provider"],"name":"Autre"}"#,
        )
        .await
        .unwrap();
        assert_eq!(fields(&assert_problem(response, 400).await), ["name"]);
        let response = sent(
            "/api/v1/public/identity-theft-reports",
            None,
            r#"{"email":"a@b.fr","email":"c@d.fr"}"#,
        )
        .await
        .unwrap();
        assert_eq!(fields(&assert_problem(response, 400).await), ["email"]);
    }
);

e2e_test!(
    a_refused_query_is_counted_under_its_route,
    |app| async move {
        let response = app
            .get_as(&app.keys.agent, "/api/v1/tickets?nonsense=1")
            .await;
        assert_problem(response, 400).await;
        let metrics = app.get("/metrics").await.text().await.unwrap();
        assert!(
        metrics.contains(
            r#"ticketd_http_requests_total{method="GET",route="/api/v1/tickets",status="400"} 1"#
        ),
        "{metrics}"
    );
        assert!(!metrics.contains(r#"route="""#), "{metrics}");
    }
);
