//! The transparency log over HTTP (issue 33): the public key at its well-known URL, the signed
//! head, a ticket's chain heads with inclusion proofs, consistency between two heads — each
//! checked by the `ticket-log` verifier as a partner or auditor would, on both databases.

use crate::helpers::*;
use base64::Engine as _;
use serde_json::{Value, json};
use ticket_log::{LogSigner, LogVerifier, leaf_hash, verify_consistency, verify_inclusion};
use ticket_store::clock::Clock as _;
use ticket_store::testkit::Backend;
use ticket_store::transparency::leaf_data;

const SEED: [u8; 32] = [7; 32];

async fn app_with_log(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |config| {
        config.transparency.signing_key = Some(
            base64::engine::general_purpose::STANDARD
                .encode(SEED)
                .into(),
        );
        config.transparency.key_name = "ticketd.test".to_owned();
        config.transparency.origin = "ticketd.test/log".to_owned();
        // The test appends itself, at the instants it chooses.
        config.transparency.interval_seconds = 3600;
    })
    .await
}

/// Appends until the log has caught up with every commit so far (PostgreSQL's feed waits for the
/// cluster's older transactions).
async fn append(app: &TestApp) {
    let signer = LogSigner::from_seed("ticketd.test", &SEED).unwrap();
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut appended = false;
    loop {
        let head = app
            .store
            .log_append(&signer, "ticketd.test/log", app.clock.now(), 1000)
            .await
            .unwrap();
        appended |= head.is_some();
        if appended && head.is_none() {
            return;
        }
        assert!(
            std::time::Instant::now() < until,
            "the log did not catch up"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn hash(text: &Value) -> [u8; 32] {
    hex::decode(text.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

async fn run(backend: Backend) {
    let Some(app) = app_with_log(backend).await else {
        return;
    };
    let keys = app.keys.clone();
    // The key, as partners fetch it.
    let served = app
        .client
        .get(app.url("/.well-known/ticketd-transparency-key"))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    let verifier = LogVerifier::parse(&served.text().await.unwrap()).unwrap();

    // No head before the first append: a 404 problem.
    assert_problem(
        app.get_as(&keys.partner, "/api/v1/transparency/head").await,
        404,
    )
    .await;

    let incident = json!({
        "title": "Connexion impossible",
        "started_at": "2026-11-23T08:30:00Z",
        "impact": "Les usagers ne peuvent plus se connecter au service",
        "organisation_id": app.partner.to_string(),
    });
    let created = app
        .post_as(&keys.partner, "/api/v1/incidents", &incident)
        .await;
    assert_eq!(created.status(), 201);
    let etag = etag_of(&created);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    append(&app).await;
    let first: Value = app
        .get_as(&keys.partner, "/api/v1/transparency/head")
        .await
        .json()
        .await
        .unwrap();
    let first_head = verifier
        .open(first["checkpoint"].as_str().unwrap())
        .unwrap();
    assert_eq!(first_head.size, first["size"].as_u64().unwrap());
    assert_eq!(first_head.root, hash(&first["root"]));

    app.command_ok(&keys.agent, &id, "acknowledge", &etag, &json!({}))
        .await;
    append(&app).await;

    // The partner's ticket: two chain heads (created, acknowledged), each proved in the head.
    let response = app
        .get_as(&keys.partner, &format!("/api/v1/transparency/tickets/{id}"))
        .await;
    assert_eq!(response.status(), 200);
    let log: Value = response.json().await.unwrap();
    let head = verifier
        .open(log["head"]["checkpoint"].as_str().unwrap())
        .unwrap();
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{log}");
    let history: Value = app
        .get_as(&keys.agent, &format!("/api/v1/tickets/{id}/evidence"))
        .await
        .json()
        .await
        .unwrap();
    for entry in entries {
        let seq = entry["seq"].as_i64().unwrap();
        let chain_head = entry["chain_head"].as_str().unwrap();
        // The head logged is the evidence chain's hash at that event.
        let event = history["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["seq"].as_i64() == Some(seq))
            .unwrap();
        assert_eq!(event["hash"].as_str().unwrap(), chain_head);
        let leaf = leaf_hash(leaf_data(id.parse().unwrap(), seq, chain_head).as_bytes());
        assert_eq!(leaf, hash(&entry["leaf_hash"]));
        let path: Vec<[u8; 32]> = entry["inclusion_path"]
            .as_array()
            .unwrap()
            .iter()
            .map(hash)
            .collect();
        verify_inclusion(
            entry["index"].as_u64().unwrap(),
            head.size,
            &leaf,
            &path,
            &head.root,
        )
        .unwrap();
    }
    // Another partner may not see the ticket's leaves.
    assert_problem(
        app.get_as(
            &keys.other_partner,
            &format!("/api/v1/transparency/tickets/{id}"),
        )
        .await,
        404,
    )
    .await;

    // The newer head extends the first.
    let response = app
        .get_as(
            &keys.partner,
            &format!("/api/v1/transparency/consistency?from={}", first_head.size),
        )
        .await;
    assert_eq!(response.status(), 200);
    let proof: Value = response.json().await.unwrap();
    let path: Vec<[u8; 32]> = proof["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(hash)
        .collect();
    verify_consistency(
        first_head.size,
        head.size,
        &first_head.root,
        &head.root,
        &path,
    )
    .unwrap();
    // A size the log does not have yet is a 422 naming the field.
    let problem = assert_problem(
        app.get_as(
            &keys.partner,
            &format!(
                "/api/v1/transparency/consistency?from=0&to={}",
                head.size + 1
            ),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem.errors[0].field, "to");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_checks_its_tickets_chain_heads_in_the_signed_log_sqlite() {
    run(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_checks_its_tickets_chain_heads_in_the_signed_log_postgres() {
    run(Backend::Postgres).await;
}
