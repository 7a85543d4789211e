//! A victim's mail that threads to no ticket (issue 26, point 5): it is their personal data like
//! the rest of their case. Agents see it masked, the person's export carries it, their erasure and
//! the retention run erase it.

use super::*;
use std::sync::Arc;
use ticket_domain::Policy;
use ticketd::anonymiser::{Anonymiser, AnonymiserConfig};

const VICTIM: &str = "berenice.ornithorynque@victime.example";
const SUBJECT: &str = "Au secours Ornithorynque-5521";
const WORDS: &str = "Mon récit Pangolin-7731 : on a ouvert un compte à mon nom.";

/// The victim reports the theft through the public form.
async fn victim_reports(w: &World) {
    let body = json!({
        "identity_provider_id": w.app.identity_provider,
        "birth_names": "Ornithorynque",
        "first_names": "Bérénice",
        "birth_date": "1979-05-14",
        "birth_place": "Lons-le-Saunier",
        "email": VICTIM,
        "description": "Quelqu'un utilise mon identité.",
        "consent": true,
    });
    let response = w
        .app
        .client
        .post(w.app.url("/api/v1/public/identity-theft-reports"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

async fn read(w: &World, key: &str, id: &str) -> Value {
    let response = w
        .app
        .get_as(key, &format!("/api/v1/inbound-mails/{id}"))
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn quarantine_ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_victims_stray_mail_is_masked_exported_and_erased(w: World) {
    victim_reports(&w).await;
    // The victim writes again, without answering any mail: nothing threads it.
    let stored = w.deliver(&mail(VICTIM, SUBJECT, WORDS)).await;
    let id = stored["id"].as_str().unwrap().to_owned();
    assert_eq!(stored["status"], "quarantined");
    assert!(stored.get("ticket_id").is_none(), "{stored}");

    // The agent (`deliver` reads as the agent) sees it masked, cannot download nor triage it.
    assert_eq!(stored["masked"], true, "{stored}");
    assert_eq!(stored["sender"], "b•••@victime.example");
    assert!(!stored.to_string().contains("Ornithorynque"), "{stored}");
    let raw = format!("/api/v1/inbound-mails/{id}/raw");
    assert_problem(w.app.get_as(&w.app.keys.agent, &raw).await, 403).await;
    assert_problem(
        w.post(
            &w.app.keys.agent,
            &format!("/api/v1/inbound-mails/{id}/drop"),
            None,
        )
        .await,
        403,
    )
    .await;
    for key in [&w.app.keys.agent, &w.app.keys.security] {
        let list: Value = w
            .app
            .get_as(key, "/api/v1/inbound-mails?status=quarantined")
            .await
            .json()
            .await
            .unwrap();
        assert!(!list.to_string().contains(VICTIM), "{list}");
        assert!(!list.to_string().contains("Ornithorynque"), "{list}");
    }
    // Security reads it in full, journalled.
    let full = read(&w, &w.app.keys.security, &id).await;
    assert_eq!(full["sender"], VICTIM);
    assert_eq!(full["subject"], SUBJECT);
    let journal: Value = w
        .app
        .get_as(
            &w.app.keys.dpo,
            "/api/v1/access-journal?action=inbound_mail_read",
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(journal["items"].as_array().unwrap().len(), 1, "{journal}");

    // The person's export carries it: sender, subject and words.
    let response = w
        .app
        .post_as(
            &w.app.keys.dpo,
            "/api/v1/data-subject-requests/access",
            &json!({"email": VICTIM.to_uppercase()}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let export: Value = response.json().await.unwrap();
    let mails = export["inbound_mails"].as_array().unwrap();
    assert_eq!(mails.len(), 1, "{export}");
    assert_eq!(mails[0]["id"], id.as_str());
    assert_eq!(mails[0]["subject"], SUBJECT);
    assert!(mails[0]["raw"].as_str().unwrap().contains("Pangolin-7731"));

    // Their erasure erases it: no sender, subject nor bytes, and it left the quarantine.
    let response = w
        .app
        .post_as(
            &w.app.keys.dpo,
            "/api/v1/data-subject-requests/erasure",
            &json!({"email": VICTIM}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let after = read(&w, &w.app.keys.security, &id).await;
    assert!(after.get("sender").is_none(), "{after}");
    assert!(after.get("subject").is_none(), "{after}");
    assert_eq!(after["status"], "dropped", "{after}");
    assert_problem(w.app.get_as(&w.app.keys.security, &raw).await, 404).await;
    assert_eq!(
        w.app.store.inbound_raw(id.parse().unwrap()).await.unwrap(),
        None
    );
    let quarantine: Value = w
        .app
        .get_as(
            &w.app.keys.security,
            "/api/v1/inbound-mails?status=quarantined",
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(!quarantine_ids(&quarantine).contains(&id));
}
inbound_test!(a_victims_stray_mail_is_masked_exported_and_erased);

async fn retention_erases_mails_that_thread_to_no_ticket(w: World) {
    victim_reports(&w).await;
    let old = w.deliver(&mail(VICTIM, SUBJECT, WORDS)).await;
    let old = old["id"].as_str().unwrap().to_owned();
    // Seven months later, a newer mail (within its retention) stays whole.
    w.app
        .clock
        .set(start_instant() + chrono::TimeDelta::days(7 * 31));
    let new = w
        .deliver(&mail(VICTIM, "Toujours rien", "Encore moi."))
        .await;
    let new = new["id"].as_str().unwrap().to_owned();
    let anonymiser = Anonymiser::new(
        w.app.store.clone(),
        Arc::new(Policy::default()),
        Arc::new(w.app.clock.clone()),
        Vec::new(),
        &AnonymiserConfig::default(),
    );
    anonymiser.pass().await.unwrap();

    let gone = read(&w, &w.app.keys.security, &old).await;
    assert!(gone.get("sender").is_none(), "{gone}");
    assert!(gone.get("subject").is_none(), "{gone}");
    assert_eq!(gone["status"], "dropped", "{gone}");
    assert_eq!(
        w.app.store.inbound_raw(old.parse().unwrap()).await.unwrap(),
        None
    );
    let kept = read(&w, &w.app.keys.security, &new).await;
    assert_eq!(kept["sender"], VICTIM);
    assert_eq!(kept["status"], "quarantined");
    assert!(
        w.app
            .store
            .inbound_raw(new.parse().unwrap())
            .await
            .unwrap()
            .is_some()
    );
    // The erasure is in the access journal, which still verifies.
    let journal: Value = w
        .app
        .get_as(&w.app.keys.dpo, "/api/v1/access-journal?action=anonymised")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(journal["items"].as_array().unwrap().len(), 1, "{journal}");
    let verification: Value = w
        .app
        .get_as(&w.app.keys.dpo, "/api/v1/access-journal/verification")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(verification["valid"], true);
}
inbound_test!(retention_erases_mails_that_thread_to_no_ticket);
