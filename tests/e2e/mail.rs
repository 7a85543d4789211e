//! Admins see failed and uncertain mails and retry them.

use crate::authz::failed_mail;
use crate::helpers::*;
use serde_json::Value;

#[tokio::test]
async fn an_admin_lists_failed_mails_and_retries_one() {
    let app = spawn_app().await;
    let id = failed_mail(&app).await;
    let list: Value = app
        .get_as(&app.keys.admin, "/api/v1/mails?status=failed")
        .await
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], id.to_string());
    assert_eq!(items[0]["last_error"], "550 mailbox unavailable");
    let retried = app
        .client
        .post(app.url(&format!("/api/v1/mails/{id}/retry")))
        .bearer_auth(&app.keys.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status(), 200);
    let retried: Value = retried.json().await.unwrap();
    assert_eq!(retried["status"], "pending");
    assert_eq!(retried["attempts"], 0);
    // A pending mail is not retried again: 409.
    let again = app
        .client
        .post(app.url(&format!("/api/v1/mails/{id}/retry")))
        .bearer_auth(&app.keys.admin)
        .send()
        .await
        .unwrap();
    assert_problem(again, 409).await;
    let none: Value = app
        .get_as(&app.keys.admin, "/api/v1/mails?status=failed")
        .await
        .json()
        .await
        .unwrap();
    assert!(none["items"].as_array().unwrap().is_empty());
    assert_problem(
        app.get_as(
            &app.keys.admin,
            &format!("/api/v1/mails/{}", uuid::Uuid::nil()),
        )
        .await,
        404,
    )
    .await;
}
