//! Webhooks for partners (issue 36), end to end: a real receiver (tests/webhooks/receiver.py)
//! verifying every signature with the Standard Webhooks reference library, a dispatcher passing
//! on the test's clock, and a resolver layer that fails the test if the client is ever given an
//! address outside loopback to connect to (no packet leaves 127.0.0.0/8).

use crate::e2e_test;
use crate::helpers::*;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use ticket_store::clock::Clock as _;
use ticketd::webhooks::{WebhookDispatcher, WebhooksConfig};

/// The receiver process, killed on drop.
struct Receiver {
    child: Option<Child>,
    port: u16,
    record: PathBuf,
    secrets: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Receiver {
    fn start() -> Receiver {
        let dir = tempfile::tempdir().unwrap();
        let record = dir.path().join("received.jsonl");
        let mut receiver = Receiver {
            child: None,
            port: 0,
            record,
            secrets: Vec::new(),
            _dir: dir,
        };
        receiver.spawn();
        receiver
    }

    fn spawn(&mut self) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("webhooks/receiver.py");
        let mut command = Command::new(ticket_mail::testkit::python());
        command
            .arg(script)
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--record")
            .arg(&self.record)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for secret in &self.secrets {
            command.arg("--secret").arg(secret);
        }
        let mut child = command.spawn().expect("python3 tests/webhooks/receiver.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        self.port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the receiver did not start (standardwebhooks installed?)"));
        self.child = Some(child);
    }

    /// Down: the process is stopped (connections to its port are refused).
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// Up again on the same port.
    fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    async fn control(&mut self, change: Value) {
        if let Some(secrets) = change.get("secrets") {
            self.secrets = serde_json::from_value(secrets.clone()).unwrap();
        }
        let response = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{}/_control", self.port))
            .json(&change)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
    }

    fn url(&self) -> String {
        format!("http://receiver.test:{}/hook", self.port)
    }

    /// What it recorded, in the order it came.
    fn records(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.record)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The test's connector guard: wraps the resolver the dispatcher would use and records every
/// address it hands the client; an address outside loopback is a violation (and is not handed
/// over, so nothing is sent to it). Literal addresses never reach a resolver: the dispatcher
/// refuses them before a request (see `refused_addresses_are_refused_at_registration`).
#[derive(Clone, Default)]
struct Tripwire {
    inner: Option<Arc<dyn reqwest::dns::Resolve>>,
    handed: Arc<Mutex<Vec<SocketAddr>>>,
    violations: Arc<Mutex<Vec<SocketAddr>>>,
}

impl reqwest::dns::Resolve for Tripwire {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let inner = self.inner.clone().unwrap();
        let handed = self.handed.clone();
        let violations = self.violations.clone();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = inner.resolve(name).await?.collect();
            for address in &addresses {
                if !address.ip().is_loopback() {
                    violations.lock().unwrap().push(*address);
                    return Err("the test's tripwire: not a loopback address".into());
                }
            }
            handed.lock().unwrap().extend(addresses.iter().copied());
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

impl Tripwire {
    fn assert_only_loopback(&self) {
        assert!(
            self.violations.lock().unwrap().is_empty(),
            "the client was given addresses outside loopback: {:?}",
            self.violations.lock().unwrap()
        );
    }
}

/// A dispatcher of `app` resolving names with `config`, behind a tripwire.
fn dispatcher(app: &TestApp, config: &WebhooksConfig) -> (WebhookDispatcher, Tripwire) {
    let tripwire = Tripwire {
        inner: Some(config.resolver().unwrap()),
        ..Tripwire::default()
    };
    let dispatcher = WebhookDispatcher::new(
        app.store.clone(),
        Arc::new(app.clock.clone()),
        config,
        Arc::new(tripwire.clone()),
        Arc::new(tokio::sync::Notify::new()),
    )
    .unwrap();
    (dispatcher, tripwire)
}

/// Registers an endpoint as `key`; answers its id, secret and ETag.
async fn register(app: &TestApp, key: &str, url: &str, types: &[&str]) -> (String, String, String) {
    let response = app
        .post_as(
            key,
            "/api/v1/webhooks",
            &json!({"url": url, "event_types": types}),
        )
        .await;
    let etag = etag_of(&response);
    let body: Value = response.json().await.unwrap();
    assert!(body["secret"].as_str().is_some(), "{body}");
    (
        body["id"].as_str().unwrap().to_owned(),
        body["secret"].as_str().unwrap().to_owned(),
        etag,
    )
}

async fn declare(app: &TestApp) -> (String, String) {
    let body = json!({
        "title": "Connexion impossible",
        "started_at": "2026-11-23T08:30:00Z",
        "impact": "Les usagers ne peuvent plus se connecter au service",
        "organisation_id": app.partner,
    });
    let response = app
        .post_as(&app.keys.partner, "/api/v1/incidents", &body)
        .await;
    assert_eq!(response.status(), 201);
    let etag = etag_of(&response);
    let body: Value = response.json().await.unwrap();
    (body["id"].as_str().unwrap().to_owned(), etag)
}

/// A comment by an agent.
async fn comment(app: &TestApp, id: &str, body: &Value) {
    let (_, etag) = app.ticket(&app.keys.agent, id).await;
    app.command_ok(&app.keys.agent, id, "comments", &etag, body)
        .await;
}

/// Passes of `dispatcher` until `receiver` recorded `count` requests (30 s at most: on PostgreSQL
/// a delivery waits for the transactions of the cluster begun before it, other tests' included).
async fn deliver_until(dispatcher: &WebhookDispatcher, receiver: &Receiver, count: usize) {
    let until = std::time::Instant::now() + Duration::from_secs(30);
    while receiver.records().len() < count {
        assert!(
            std::time::Instant::now() < until,
            "{} deliveries of {count} after 30 s",
            receiver.records().len()
        );
        if dispatcher.pass().await == 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The public events a partner reads on the ticket, as (id, seq, type).
async fn partner_events(app: &TestApp, id: &str) -> Vec<(String, i64, String)> {
    let body: Value = app
        .get_as(&app.keys.partner, &format!("/api/v1/tickets/{id}/events"))
        .await
        .json()
        .await
        .unwrap();
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["seq"].as_i64().unwrap(),
                e["type"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

const TYPES: &[&str] = &[
    "created",
    "acknowledged",
    "commented",
    "waiting_for_reporter",
    "resolved",
    "closed",
    "action_required",
];

e2e_test!(
    a_partners_endpoint_receives_each_event_of_a_ticket_once_in_commit_order_signed,
    |app| async move {
        let mut receiver = Receiver::start();
        let (endpoint, secret, _) = register(&app, &app.keys.partner, &receiver.url(), TYPES).await;
        receiver.control(json!({"secrets": [secret]})).await;
        let (dispatcher, tripwire) = dispatcher(&app, &test_webhooks_config());

        let (id, etag) = declare(&app).await;
        let agent = app.keys.agent.clone();
        app.command_ok(&agent, &id, "acknowledge", &etag, &json!({}))
            .await;
        let note = json!({"body": "Note interne : piste du certificat", "internal": true});
        comment(&app, &id, &note).await;
        comment(&app, &id, &json!({"body": "Nous regardons"})).await;
        deliver_until(&dispatcher, &receiver, 3).await;

        // A rotation with overlap: both secrets sign, the receiver holding only the new one verifies.
        let (_, etag_endpoint) = {
            let response = app
                .get_as(&app.keys.partner, &format!("/api/v1/webhooks/{endpoint}"))
                .await;
            (response.status(), etag_of(&response))
        };
        let rotated: Value = app
            .client
            .post(app.url(&format!("/api/v1/webhooks/{endpoint}/rotate-secret")))
            .bearer_auth(&app.keys.partner)
            .header("If-Match", etag_endpoint)
            .json(&json!({"overlap_seconds": 3600}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let new_secret = rotated["secret"].as_str().unwrap().to_owned();
        assert_ne!(new_secret, secret);
        receiver.control(json!({"secrets": [new_secret]})).await;

        let (_, etag) = app.ticket(&agent, &id).await;
        let question = json!({"question": "Depuis quand ?"});
        let (_, etag) = app
            .command_ok(&agent, &id, "wait-for-reporter", &etag, &question)
            .await;
        let (_, etag) = app
            .command_ok(
                &agent,
                &id,
                "record-reporter-answered",
                &etag,
                &json!({"note": "Réponse par téléphone"}),
            )
            .await;
        let close = json!({"reason": "mutual_agreement", "note": "Convenu"});
        app.command_ok(&agent, &id, "close", &etag, &close).await;

        let expected: Vec<(String, i64, String)> = partner_events(&app, &id)
            .await
            .into_iter()
            .filter(|(_, _, t)| TYPES.contains(&t.as_str()))
            .collect();
        deliver_until(&dispatcher, &receiver, expected.len()).await;
        // Nothing more comes.
        for _ in 0..3 {
            dispatcher.pass().await;
        }
        let records = receiver.records();
        assert!(records.iter().all(|r| r["verified"] == true), "{records:?}");
        let received: Vec<(String, i64, String)> = records
            .iter()
            .map(|r| {
                (
                    r["event_id"].as_str().unwrap().to_owned(),
                    r["seq"].as_i64().unwrap(),
                    r["type"]
                        .as_str()
                        .unwrap()
                        .trim_start_matches("ticket.")
                        .to_owned(),
                )
            })
            .collect();
        assert_eq!(received, expected, "each public event once, in order");
        let ids: HashSet<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), records.len(), "each delivery id once");
        assert!(
            records.iter().all(|r| r["visibility"] == "public"),
            "no internal note"
        );
        // Before the rotation one signature, after it two (the new and the previous secret).
        let signatures: Vec<i64> = records
            .iter()
            .map(|r| r["signatures"].as_i64().unwrap())
            .collect();
        assert_eq!(&signatures[..3], [1, 1, 1]);
        assert!(signatures[3..].iter().all(|n| *n == 2), "{signatures:?}");
        let waiting = records
            .iter()
            .find(|r| r["type"] == "ticket.waiting_for_reporter")
            .unwrap();
        assert_eq!(
            waiting["action_required"], true,
            "the partner is asked to act"
        );
        tripwire.assert_only_loopback();

        // The delivery log shows each attempt.
        let log: Value = app
            .get_as(
                &app.keys.partner,
                &format!("/api/v1/webhooks/{endpoint}/attempts?limit=200"),
            )
            .await
            .json()
            .await
            .unwrap();
        let log = log["items"].as_array().unwrap();
        assert_eq!(log.len(), expected.len());
        assert!(log.iter().all(|a| a["status_code"] == 204));
    }
);

e2e_test!(
    a_receiver_down_for_10_minutes_gets_everything_after_each_id_once,
    |app| async move {
        let mut receiver = Receiver::start();
        let (_, secret, _) = register(&app, &app.keys.partner, &receiver.url(), TYPES).await;
        receiver.control(json!({"secrets": [secret]})).await;
        let (dispatcher, tripwire) = dispatcher(&app, &test_webhooks_config());
        let (id, _) = declare(&app).await;
        deliver_until(&dispatcher, &receiver, 1).await;

        receiver.stop();
        for body in ["Premier retour", "Deuxième retour", "Troisième retour"] {
            comment(&app, &id, &json!({"body": body})).await;
        }
        // Ten minutes down on the test's clock, the dispatcher trying all along.
        let start = app.clock.now();
        while app.clock.now() - start < chrono::TimeDelta::minutes(10) {
            dispatcher.pass().await;
            app.clock.advance(chrono::TimeDelta::seconds(20));
        }
        receiver.restart();
        // Up again: the retries (backed off up to ~10 minutes) deliver the rest.
        let until = std::time::Instant::now() + Duration::from_secs(60);
        while receiver.records().len() < 4 {
            assert!(
                std::time::Instant::now() < until,
                "{:?}",
                receiver.records()
            );
            dispatcher.pass().await;
            app.clock.advance(chrono::TimeDelta::seconds(30));
        }
        for _ in 0..3 {
            dispatcher.pass().await;
        }
        let records = receiver.records();
        let expected: Vec<String> = partner_events(&app, &id)
            .await
            .into_iter()
            .map(|(event, _, _)| event)
            .collect();
        let received: Vec<String> = records
            .iter()
            .map(|r| r["event_id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(received, expected, "everything, in order, each once");
        assert!(records.iter().all(|r| r["verified"] == true));
        let ids: HashSet<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 4, "each delivery id once");
        tripwire.assert_only_loopback();
    }
);

e2e_test!(
    a_dispatcher_killed_during_a_delivery_loses_none_and_the_next_sends_it_again_under_its_id,
    |app| async move {
        let mut receiver = Receiver::start();
        let (_, secret, _) = register(&app, &app.keys.partner, &receiver.url(), TYPES).await;
        receiver
            .control(json!({"secrets": [secret], "mode": "slow", "delay": 5}))
            .await;
        let (first, _) = dispatcher(&app, &test_webhooks_config());
        let (second, tripwire) = dispatcher(&app, &test_webhooks_config());
        let (id, _) = declare(&app).await;
        comment(&app, &id, &json!({"body": "Suivi"})).await;

        // The first replica claims the creation and dies while the receiver is answering.
        let killed = tokio::spawn(async move {
            loop {
                if first.pass().await > 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        let until = std::time::Instant::now() + Duration::from_secs(30);
        while receiver.records().is_empty() {
            assert!(std::time::Instant::now() < until);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        killed.abort();
        let _ = killed.await;
        receiver.control(json!({"mode": "ok"})).await;

        // The other replica waits for the lease, then sends it again, then the comment.
        assert_eq!(
            second.pass().await,
            0,
            "the dead replica's lease holds the delivery"
        );
        app.clock.advance(chrono::TimeDelta::seconds(61));
        deliver_until(&second, &receiver, 3).await;
        let records = receiver.records();
        let ids: Vec<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids[0], ids[1], "sent again under the same id");
        assert_ne!(ids[1], ids[2]);
        let expected: Vec<String> = partner_events(&app, &id)
            .await
            .into_iter()
            .map(|(e, _, _)| e)
            .collect();
        let mut received: Vec<String> = records
            .iter()
            .map(|r| r["event_id"].as_str().unwrap().to_owned())
            .collect();
        received.dedup();
        assert_eq!(received, expected, "none lost, in order");
        assert!(records.iter().all(|r| r["verified"] == true));
        tripwire.assert_only_loopback();
    }
);

e2e_test!(
    refused_addresses_are_refused_at_registration,
    |app| async move {
        let cases = [
            ("http://127.0.0.2/hook", "loopback-address"),
            ("http://[::1]:8080/hook", "loopback-address"),
            (
                "http://169.254.169.254/latest/meta-data/",
                "link-local-address",
            ),
            ("http://10.0.0.1/hook", "private-address"),
            ("http://192.168.1.10/hook", "private-address"),
            ("http://[fd00::1]/hook", "private-address"),
            ("http://[fe80::1]/hook", "link-local-address"),
            ("http://0.0.0.0/hook", "unspecified-address"),
            ("http://255.255.255.255/hook", "broadcast-address"),
            ("http://[::ffff:169.254.169.254]/hook", "link-local-address"),
            ("http://metadata.test/hook", "link-local-address"),
            ("http://intranet.test/hook", "private-address"),
            ("http://mixed.test/hook", "private-address"),
            ("http://nowhere.test/hook", "host-unresolvable"),
            ("ftp://receiver.test/hook", "url"),
            ("http://user:secret@receiver.test/hook", "url-credentials"),
        ];
        for (url, rule) in cases {
            for key in [&app.keys.partner, &app.keys.admin] {
                let mut body = json!({"url": url, "event_types": ["created"]});
                if key == &app.keys.admin {
                    body["organisation_id"] = json!(app.partner);
                }
                let response = app.post_as(key, "/api/v1/webhooks", &body).await;
                let problem = assert_problem(response, 422).await;
                assert_eq!(problem.errors[0].rule, rule, "{url}");
                assert_eq!(problem.errors[0].field, "url");
            }
        }
        // Plain HTTP only where the policy allows it.
        let strict = ticket_webhooks::AddressPolicy::default();
        assert_eq!(
            ticket_webhooks::check_url("http://hooks.example.org/", &strict)
                .unwrap_err()
                .rule(),
            "https-required"
        );
        // What the tests allow is accepted; nothing was stored for the refused ones.
        register(
            &app,
            &app.keys.partner,
            "http://receiver.test:9/hook",
            &["created"],
        )
        .await;
        let list: Value = app
            .get_as(&app.keys.partner, "/api/v1/webhooks")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
    }
);

e2e_test!(
    a_name_that_now_answers_a_refused_address_is_refused_at_delivery,
    |app| async move {
        let receiver = Receiver::start();
        let (endpoint, _, _) =
            register(&app, &app.keys.partner, &receiver.url(), &["created"]).await;
        // The name's answer changed since the registration: the metadata service's address.
        let mut changed = test_webhooks_config();
        let metadata: std::net::IpAddr = "169.254.169.254".parse().unwrap();
        changed.hosts = BTreeMap::from([("receiver.test".to_owned(), vec![metadata])]);
        let (dispatcher, tripwire) = dispatcher(&app, &changed);
        declare(&app).await;
        let until = std::time::Instant::now() + Duration::from_secs(30);
        while dispatcher.pass().await == 0 {
            assert!(std::time::Instant::now() < until);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(receiver.records().is_empty());
        tripwire.assert_only_loopback();
        let log: Value = app
            .get_as(
                &app.keys.partner,
                &format!("/api/v1/webhooks/{endpoint}/attempts"),
            )
            .await
            .json()
            .await
            .unwrap();
        let attempt = &log["items"][0];
        assert_eq!(attempt["error"], "refused: link-local-address", "{log}");
        assert!(attempt.get("status_code").is_none());
        let deliveries: Value = app
            .get_as(
                &app.keys.partner,
                &format!("/api/v1/webhooks/{endpoint}/deliveries"),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(deliveries["items"][0]["state"], "pending", "retried later");
    }
);
