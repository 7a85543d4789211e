#![allow(dead_code)] // Not every test uses every helper.
//! `spawn_app()`: a ticketd on a free port of 127.0.0.1, its own database (SQLite or PostgreSQL),
//! a clock the test moves, API keys for every role, and a client that speaks to it.

use chrono::{DateTime, Utc};
use reqwest::Response;
use serde_json::Value;
use std::sync::Arc;
use ticket_domain::Role;
use ticket_domain::values::{EmailAddress, OrganisationId, StaffHandle, Text};
use ticket_mail::testkit::SmtpServer;
use ticket_store::Store;
use ticket_store::clock::ManualClock;
use ticket_store::keys::KeyScope;
use ticket_store::registry::{NewOrganisation, OrganisationRole};
use ticket_store::testkit::{Backend, TestDatabase};
use ticketd::Application;
use ticketd::config::{Config, DatabaseUrl, LogFormat};
use ticketd::http::{OPENAPI_PATH, PROBLEM_JSON, Problem};

/// A running ticketd, its database, and an HTTP client.
///
/// The server task and the database go away with the test.
#[derive(Debug)]
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub store: Store,
    pub clock: ManualClock,
    pub keys: Keys,
    /// Organisations of the registry: a partner, another partner, an identity provider, a service provider.
    pub partner: OrganisationId,
    pub other_partner: OrganisationId,
    pub identity_provider: OrganisationId,
    pub service_provider: OrganisationId,
    /// The clock sweeper, when the test runs one ([`spawn_app_with_mail`]).
    pub sweeper: Option<ticketd::sweeper::SweeperHandle>,
    /// The folder of the attachments' bytes (`attachments.dir`), the test's own.
    pub attachments_dir: std::path::PathBuf,
    _attachments: tempfile::TempDir,
    _database: TestDatabase,
}

/// One API key per role, and one per partner organisation.
#[derive(Debug, Clone)]
pub struct Keys {
    pub agent: String,
    pub engineer: String,
    pub security: String,
    pub supervisor: String,
    pub admin: String,
    pub dpo: String,
    pub partner: String,
    pub other_partner: String,
}

impl Keys {
    pub fn of_role(&self, role: Role) -> &str {
        match role {
            Role::Agent => &self.agent,
            Role::Engineer => &self.engineer,
            Role::Security => &self.security,
            Role::Supervisor => &self.supervisor,
            Role::Admin => &self.admin,
            Role::Dpo => &self.dpo,
        }
    }
}

/// Monday 23 November 2026, 10:00 in Paris.
pub fn start_instant() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T09:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// Starts ticketd on SQLite.
pub async fn spawn_app() -> TestApp {
    spawn_app_on(Backend::Sqlite)
        .await
        .expect("SQLite is always available")
}

/// Starts ticketd on `backend`; `None` when PostgreSQL is not configured and not required.
pub async fn spawn_app_on(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// Starts ticketd on `backend` delivering its mail to a real SMTP server (aiosmtpd) and running
/// the clock sweeper, which the test asks for passes after moving time ([`TestApp::sweep`]).
/// Temporary failures are retried after 1 s of the test's clock.
pub async fn spawn_app_with_mail(backend: Backend) -> Option<(TestApp, SmtpServer)> {
    let server = SmtpServer::start().await;
    let port = server.port();
    let app = spawn_app_with(backend, move |config| {
        config.mail = ticket_mail::testkit::smtp_config(port);
        config.mail.retry.initial_backoff_seconds = 1;
        config.mail.retry.max_backoff_seconds = 1;
        config.sweeper.enabled = true;
        config.sweeper.max_interval_seconds = 86_400;
    })
    .await?;
    Some((app, server))
}

/// Starts ticketd on `backend` with the test configuration changed by `configure`.
pub async fn spawn_app_with(
    backend: Backend,
    configure: impl FnOnce(&mut Config),
) -> Option<TestApp> {
    let database = TestDatabase::create(backend)
        .await
        .expect("test database")?;
    let mut config = Config {
        listen: "127.0.0.1:0".parse().expect("socket address"),
        database_url: DatabaseUrl::parse(database.url.clone()).expect("database URL"),
        log_format: LogFormat::Text,
        ..Config::default()
    };
    // The default mail transport writes `./data/mail/*.eml` in the current directory, which is
    // the source tree here. These tests read the outbox, not mails.
    config.mail.dispatcher.enabled = false;
    // Time is moved by the tests; a sweeper on real time could fire in the middle of a story.
    config.sweeper.enabled = false;
    // Attachments' bytes in the test's own folder, not `./data/` of the source tree.
    let attachments = tempfile::tempdir().expect("a temporary folder");
    config.attachments.dir = attachments.path().join("attachments");
    let attachments_dir = config.attachments.dir.clone();
    // The role keys below must outlive the stories that move the test clock by months (retention);
    // the tests of expiry give their keys an `expires_at`.
    config.keys.max_lifetime_days = 3650;
    config.keys.default_lifetime_days = 3650;
    // Webhooks: the tests' receivers listen on 127.0.0.1 over plain HTTP; no name is looked up in
    // DNS (`webhooks.hosts` only), and the tests that send run their own dispatcher.
    config.webhooks = test_webhooks_config();
    configure(&mut config);
    let clock = ManualClock::new(start_instant());
    let app = Application::build_with_clock(config, Arc::new(clock.clone()))
        .await
        .expect("ticketd builds");
    let store = app.store().clone();
    let port = app.port();
    let sweeper = app.sweeper();
    tokio::spawn(app.run_until_stopped(std::future::pending()));

    let now = start_instant();
    let organisation = |name: &str, roles: Vec<OrganisationRole>| NewOrganisation {
        name: Text::parse("name", name, 200).unwrap(),
        roles,
    };
    let partner = store
        .create_organisation(
            organisation("Caisse de test", vec![OrganisationRole::ServiceProvider]),
            now,
        )
        .await
        .unwrap()
        .id;
    let other_partner = store
        .create_organisation(
            organisation("Autre partenaire", vec![OrganisationRole::ServiceProvider]),
            now,
        )
        .await
        .unwrap()
        .id;
    let identity_provider = store
        .create_organisation(
            organisation(
                "Fournisseur d'identité",
                vec![OrganisationRole::IdentityProvider],
            ),
            now,
        )
        .await
        .unwrap()
        .id;
    let service_provider = store
        .create_organisation(
            organisation(
                "Fournisseur de service",
                vec![OrganisationRole::ServiceProvider],
            ),
            now,
        )
        .await
        .unwrap()
        .id;
    // Each role's key belongs to a member of the staff directory named after the role
    // (`agent@staff.example.fr`…); `alice` is a member without a key, to assign tickets to.
    let member = |handle: &str| {
        let store = store.clone();
        let handle = StaffHandle::parse("handle", handle).unwrap();
        async move {
            let email =
                EmailAddress::parse("email", &format!("{handle}@staff.example.fr")).unwrap();
            store.add_staff_member(&handle, &email, now).await.unwrap();
            handle
        }
    };
    member("alice").await;
    let staff_key = |role: Role| {
        let store = store.clone();
        let member = member(role.name());
        async move {
            let member = member.await;
            store
                .create_member_api_key(role.name(), &member, role, now)
                .await
                .unwrap()
                .1
        }
    };
    let partner_key = |organisation: OrganisationId, name: &str| {
        let store = store.clone();
        let name = name.to_owned();
        async move {
            store
                .create_api_key(&name, KeyScope::Partner { organisation }, now)
                .await
                .unwrap()
                .1
        }
    };
    let keys = Keys {
        agent: staff_key(Role::Agent).await,
        engineer: staff_key(Role::Engineer).await,
        security: staff_key(Role::Security).await,
        supervisor: staff_key(Role::Supervisor).await,
        admin: staff_key(Role::Admin).await,
        dpo: staff_key(Role::Dpo).await,
        partner: partner_key(partner, "partner-main").await,
        other_partner: partner_key(other_partner, "other-main").await,
    };
    Some(TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("HTTP client"),
        store,
        clock,
        keys,
        partner,
        other_partner,
        identity_provider,
        service_provider,
        sweeper,
        attachments_dir,
        _attachments: attachments,
        _database: database,
    })
}

/// The tests' webhook policy: plain HTTP and 127.0.0.1 allowed, names answered by `hosts` only:
/// `receiver.test` is 127.0.0.1; `metadata.test`, `intranet.test` and `mixed.test` answer refused
/// addresses (nothing is ever sent to them: the resolver refuses them before any connection).
pub fn test_webhooks_config() -> ticketd::webhooks::WebhooksConfig {
    let ip = |text: &str| text.parse::<std::net::IpAddr>().unwrap();
    ticketd::webhooks::WebhooksConfig {
        dispatcher_enabled: false,
        allow_http: true,
        allowed_networks: vec!["127.0.0.1".to_owned()],
        hosts: [
            ("receiver.test", vec![ip("127.0.0.1")]),
            ("metadata.test", vec![ip("169.254.169.254")]),
            ("intranet.test", vec![ip("10.0.0.1")]),
            ("mixed.test", vec![ip("127.0.0.1"), ip("10.0.0.1")]),
        ]
        .into_iter()
        .map(|(name, addresses)| (name.to_owned(), addresses))
        .collect(),
        system_dns: false,
        ..ticketd::webhooks::WebhooksConfig::default()
    }
}

/// Defines an end-to-end test that runs twice: on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! e2e_test {
    ($name:ident, |$app:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run(backend: ticket_store::testkit::Backend) {
                let Some($app) = $crate::helpers::spawn_app_on(backend).await else {
                    return;
                };
                $body.await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(ticket_store::testkit::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run(ticket_store::testkit::Backend::Postgres).await;
            }
        }
    };
}

impl TestApp {
    /// The test's database (its URL and backend), to look at its bytes.
    pub fn database(&self) -> &TestDatabase {
        &self._database
    }

    /// Moves the test's clock to `now` and runs a sweeper pass.
    pub async fn sweep_at(&self, now: DateTime<Utc>) {
        self.clock.set(now);
        let sweeper = self
            .sweeper
            .as_ref()
            .expect("a sweeper (spawn_app_with_mail)");
        assert!(sweeper.sweep_now().await, "the sweeper ran");
    }

    /// The types of a ticket's events, in order (as staff read them).
    pub async fn event_types(&self, id: &str) -> Vec<String> {
        let events: Value = self
            .get_as(
                &self.keys.supervisor,
                &format!("/api/v1/tickets/{id}/events"),
            )
            .await
            .json()
            .await
            .expect("JSON body");
        events["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|e| e["type"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// `GET` any path of the app, without a key.
    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_healthz(&self) -> Response {
        self.get("/healthz").await
    }

    pub async fn get_openapi(&self) -> Response {
        self.get(OPENAPI_PATH).await
    }

    /// `GET` with a key.
    pub async fn get_as(&self, key: &str, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(key)
            .send()
            .await
            .expect("request sent")
    }

    /// `POST` a JSON body with a key.
    pub async fn post_as(&self, key: &str, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(key)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// A command on a ticket with `If-Match`.
    pub async fn command(
        &self,
        key: &str,
        id: &str,
        command: &str,
        etag: &str,
        body: &Value,
    ) -> Response {
        self.client
            .post(self.url(&format!("/api/v1/tickets/{id}/{command}")))
            .bearer_auth(key)
            .header("If-Match", etag)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// A command that must succeed; returns the ticket and its new ETag.
    pub async fn command_ok(
        &self,
        key: &str,
        id: &str,
        command: &str,
        etag: &str,
        body: &Value,
    ) -> (Value, String) {
        let response = self.command(key, id, command, etag, body).await;
        let status = response.status();
        let etag = etag_of(&response);
        let body: Value = response.json().await.expect("JSON body");
        assert_eq!(status, 200, "{command}: {body}");
        (body, etag)
    }

    /// Reads a ticket; returns it and its ETag.
    pub async fn ticket(&self, key: &str, id: &str) -> (Value, String) {
        let response = self.get_as(key, &format!("/api/v1/tickets/{id}")).await;
        assert_eq!(response.status(), 200);
        let etag = etag_of(&response);
        (response.json().await.expect("JSON body"), etag)
    }
}

pub fn etag_of(response: &Response) -> String {
    response
        .headers()
        .get("ETag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Asserts the response is a problem+json document with `status`, and returns it.
pub async fn assert_problem(response: reqwest::Response, status: u16) -> Problem {
    assert_eq!(response.status().as_u16(), status);
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, PROBLEM_JSON);
    let problem: Problem = response.json().await.expect("a problem document");
    assert_eq!(problem.status, status);
    problem
}
