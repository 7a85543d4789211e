//! Keys that expire and rotate, over HTTP (issue 30): a key past its expiry is 401 saying so,
//! rotation keeps both secrets for the grace period only, admins list the keys to renew, and a
//! person's staff key belongs to a member of the directory.

use crate::e2e_test;
use crate::helpers::*;
use chrono::TimeDelta;
use serde_json::{Value, json};

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(actual, status, "{body}");
    body
}

fn instant(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

e2e_test!(a_key_past_its_expiry_is_a_401_saying_so, |app| async move {
    let expires = start_instant() + TimeDelta::days(1);
    let created = json_of(
        app.post_as(
            &app.keys.admin,
            "/api/v1/api-keys",
            &json!({"name": "agent laptop", "role": "agent", "staff_member": "alice",
                        "expires_at": instant(expires)}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(created["expires_at"], instant(expires));
    assert_eq!(created["machine"], false);
    let secret = created["secret"].as_str().unwrap().to_owned();
    app.clock.set(expires - TimeDelta::seconds(1));
    assert_eq!(app.get_as(&secret, "/api/v1/tickets").await.status(), 200);

    app.clock.set(expires);
    let response = app.get_as(&secret, "/api/v1/tickets").await;
    let challenge = response
        .headers()
        .get("WWW-Authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        challenge.starts_with("Bearer error=\"invalid_token\""),
        "{challenge}"
    );
    let problem = assert_problem(response, 401).await;
    assert_eq!(problem.problem_type, "/problems/api-key-expired");
    assert!(
        problem.detail.contains(&instant(expires)),
        "{}",
        problem.detail
    );

    // Without an `expires_at`, the policy's default lifetime (set to 3650 days by the tests).
    let default = json_of(
        app.post_as(
            &app.keys.admin,
            "/api/v1/api-keys",
            &json!({"name": "partenaire", "organisation_id": app.partner}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(
        default["expires_at"],
        instant(expires + TimeDelta::days(3650))
    );
});

e2e_test!(
    rotation_keeps_both_secrets_for_the_grace_period_only,
    |app| async move {
        let created = json_of(
            app.post_as(
                &app.keys.admin,
                "/api/v1/api-keys",
                &json!({"name": "sonde", "role": "engineer", "machine": true}),
            )
            .await,
            201,
        )
        .await;
        let id = created["id"].as_str().unwrap().to_owned();
        let old = created["secret"].as_str().unwrap().to_owned();
        let rotate = format!("/api/v1/api-keys/{id}/rotate");
        let response = app
            .post_as(&app.keys.admin, &rotate, &json!({"grace_seconds": 3600}))
            .await;
        assert_eq!(
            response
                .headers()
                .get("Cache-Control")
                .and_then(|v| v.to_str().ok()),
            Some("no-store")
        );
        let rotated = json_of(response, 200).await;
        let new = rotated["secret"].as_str().unwrap().to_owned();
        assert_ne!(new, old);
        assert_eq!(rotated["id"], id);
        assert_eq!(rotated["rotated_at"], instant(start_instant()));
        let grace_end = start_instant() + TimeDelta::hours(1);
        assert_eq!(rotated["previous_valid_until"], instant(grace_end));

        app.clock.set(grace_end - TimeDelta::seconds(1));
        for secret in [&old, &new] {
            assert_eq!(app.get_as(secret, "/api/v1/tickets").await.status(), 200);
        }
        app.clock.set(grace_end);
        let problem = assert_problem(app.get_as(&old, "/api/v1/tickets").await, 401).await;
        assert_eq!(problem.problem_type, "/problems/api-key-replaced");
        assert_eq!(app.get_as(&new, "/api/v1/tickets").await.status(), 200);

        // Beyond the policy's longest grace: 422 naming the field. A revoked key: 409.
        let problem = assert_problem(
            app.post_as(
                &app.keys.admin,
                &rotate,
                &json!({"grace_seconds": 8 * 86_400}),
            )
            .await,
            422,
        )
        .await;
        assert_eq!(problem.errors[0].field, "grace_seconds");
        let revoke = format!("/api/v1/api-keys/{id}/revoke");
        json_of(app.post_as(&app.keys.admin, &revoke, &json!({})).await, 200).await;
        let problem =
            assert_problem(app.post_as(&app.keys.admin, &rotate, &json!({})).await, 409).await;
        assert_eq!(problem.problem_type, "/problems/api-key-revoked");
        // Only admins rotate.
        let problem =
            assert_problem(app.post_as(&app.keys.agent, &rotate, &json!({})).await, 403).await;
        assert_eq!(problem.problem_type, "/problems/admin-role-required");
    }
);

e2e_test!(
    admins_list_the_keys_expiring_soon_the_soonest_first,
    |app| async move {
        let key = |name: &'static str, days: i64| {
            let app = &app;
            async move {
                json_of(
                    app.post_as(
                        &app.keys.admin,
                        "/api/v1/api-keys",
                        &json!({"name": name, "role": "agent", "staff_member": "alice",
                                "expires_at": instant(start_instant() + TimeDelta::days(days))}),
                    )
                    .await,
                    201,
                )
                .await["id"]
                    .clone()
            }
        };
        let later = key("later", 30).await;
        let soon = key("soon", 10).await;
        let sooner = key("sooner", 2).await;
        let list = json_of(
            app.get_as(&app.keys.admin, "/api/v1/api-keys?expiring_within_days=14")
                .await,
            200,
        )
        .await;
        let ids: Vec<Value> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["id"].clone())
            .collect();
        assert_eq!(ids, vec![sooner, soon]);
        assert!(!ids.contains(&later));
        assert_problem(
            app.get_as(&app.keys.agent, "/api/v1/api-keys?expiring_within_days=14")
                .await,
            403,
        )
        .await;
    }
);

e2e_test!(
    a_persons_key_belongs_to_a_member_and_only_machines_never_expire,
    |app| async move {
        let cases = [
            (
                json!({"name": "bob", "role": "agent"}),
                vec![("staff_member", "member_or_machine")],
            ),
            (
                json!({"name": "bob", "role": "agent", "staff_member": "alice", "non_expiring": true}),
                vec![("non_expiring", "machine_key")],
            ),
            (
                json!({"name": "robot", "role": "agent", "machine": true, "non_expiring": true,
                       "expires_at": instant(start_instant() + TimeDelta::days(1))}),
                vec![("expires_at", "key_expiry")],
            ),
            (
                json!({"name": "bob", "role": "agent", "staff_member": "alice",
                       "expires_at": instant(start_instant() + TimeDelta::days(3651))}),
                vec![("expires_at", "key_expiry")],
            ),
            (
                json!({"name": "bob", "role": "agent", "staff_member": "alice",
                       "expires_at": instant(start_instant() - TimeDelta::days(1))}),
                vec![("expires_at", "key_expiry")],
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
        let machine = json_of(
            app.post_as(
                &app.keys.admin,
                "/api/v1/api-keys",
                &json!({"name": "robot", "role": "engineer", "machine": true, "non_expiring": true}),
            )
            .await,
            201,
        )
        .await;
        assert_eq!(machine["machine"], true);
        assert_eq!(machine.get("expires_at"), None, "{machine}");
        let secret = machine["secret"].as_str().unwrap().to_owned();
        app.clock.set(start_instant() + TimeDelta::days(20 * 365));
        assert_eq!(app.get_as(&secret, "/api/v1/tickets").await.status(), 200);
    }
);
