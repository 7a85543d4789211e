//! What an operator sees and relies on: request log lines, `/metrics`, `/readyz` against the
//! schema version, configuration refusals, and replicas on one PostgreSQL.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use ticket_domain::values::{OrganisationId, Text};
use ticket_store::Store;
use ticket_store::clock::ManualClock;
use ticket_store::registry::{NewOrganisation, OrganisationRole};
use ticket_store::testkit::{Backend, TestDatabase};
use ticketd::Application;
use ticketd::config::{Config, DatabaseUrl};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `ticketd` with none of the caller's `TICKETD_*` variables.
fn ticketd(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ticketd"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("TICKETD_") {
            command.env_remove(name);
        }
    }
    command
        .env("TICKETD_MAIL__FILES__DIR", dir.join("mail"))
        .current_dir(dir)
        .stdin(Stdio::null());
    command
}

/// Kills the child if the test ends before it.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

async fn wait_ready(client: &reqwest::Client, base: &str, child: &mut Child, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("ticketd at {base} exited before it was ready: {status}");
        }
        if let Ok(response) = client.get(format!("{base}/readyz")).send().await
            && response.status() == 200
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{base} not ready within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Monday 23 November 2026, 10:00 in Paris.
pub(crate) fn start_instant() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T09:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

pub(crate) async fn identity_provider(store: &Store) -> OrganisationId {
    store
        .create_organisation(
            NewOrganisation {
                name: Text::parse("name", "Fournisseur d'identité", 200).unwrap(),
                roles: vec![OrganisationRole::IdentityProvider],
            },
            start_instant(),
        )
        .await
        .unwrap()
        .id
}

pub(crate) fn report(provider: OrganisationId, email: &str) -> Value {
    json!({
        "birth_names": "Dupontel", "first_names": "Claire", "birth_date": "1980-04-12",
        "birth_place": "Lyon", "email": email, "description": "Connexion suspecte",
        "consent": true, "connection_date": "2026-11-20",
        "identity_provider_id": provider.to_string(),
    })
}

/// A ticketd in this process on `url`, on the test's clock.
pub(crate) async fn spawn(
    url: &str,
    clock: &ManualClock,
    adjust: impl FnOnce(&mut Config),
) -> (String, Application) {
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: DatabaseUrl::parse(url).unwrap(),
        ..Config::default()
    };
    config.sweeper.enabled = false;
    config.mail.dispatcher.enabled = false;
    adjust(&mut config);
    let app = Application::build_with_clock(config, Arc::new(clock.clone()))
        .await
        .unwrap();
    (format!("http://127.0.0.1:{}", app.port()), app)
}

#[test]
fn an_unknown_ticketd_variable_stops_ticketd_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    for subcommand in ["serve", "check-config", "migrate"] {
        let output = ticketd(dir.path())
            .arg(subcommand)
            .env("TICKETD_LISTEN", format!("127.0.0.1:{}", free_port()))
            .env("TICKETD_MAIL__SMTP__HOTS", "smtp.example.fr")
            .output()
            .unwrap();
        assert!(
            !output.status.success(),
            "{subcommand}: {:?}",
            output.status
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("TICKETD_MAIL__SMTP__HOTS"),
            "{subcommand}: {stderr}"
        );
    }
}

#[test]
fn check_config_refuses_a_database_it_cannot_serve() {
    let dir = tempfile::tempdir().unwrap();
    let output = ticketd(dir.path())
        .arg("check-config")
        .env("TICKETD_DATABASE_URL", "mysql://ticketd:s3cret@db/tickets")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`database_url`"), "{stderr}");
    assert!(stderr.contains("mysql"), "{stderr}");
    assert!(!stderr.contains("s3cret"), "{stderr}");
}

/// One line per request with its id, route template, status and latency; the id on every line
/// the request causes and echoed in the response; no query string, no body, no path secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_is_logged_once_with_its_id_and_without_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let log = std::fs::File::create(dir.path().join("stderr.log")).unwrap();
    let child = ticketd(dir.path())
        .arg("serve")
        .env("TICKETD_LISTEN", format!("127.0.0.1:{port}"))
        .env(
            "TICKETD_DATABASE_URL",
            format!("sqlite://{}/t.db?mode=rwc", dir.path().display()),
        )
        .env("TICKETD_LOG_FORMAT", "json")
        .env("TICKETD_PUBLIC__PER_IP__MAX", "1")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut running = Running(child);
    let client = reqwest::Client::new();
    wait_ready(&client, &base, &mut running.0, Duration::from_secs(30)).await;

    // Personal data in the query and in the body; the second report is over the per-address
    // limit; the form without a CSRF token causes a warning line of its own.
    let personal = [
        "jean.dupont@example.fr",
        "Dupontel",
        "0612345678",
        "Connexion suspecte",
    ];
    let mut body = report(OrganisationId(uuid::Uuid::new_v4()), personal[0]);
    body["phone"] = json!(personal[2]);
    for id in ["first-report-1", "second-report-2"] {
        let response = client
            // No query string here: the API refuses unknown parameters before routing (the
            // form and the tracking page below carry personal data in theirs).
            .post(format!("{base}/api/v1/public/identity-theft-reports"))
            .header("X-Request-Id", id)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["x-request-id"], id);
    }
    let response = client
        .post(format!(
            "{base}/signalement?email=jean.dupont@example.fr&nom=Dupontel"
        ))
        .header("X-Request-Id", "form-3")
        .form(&[("email", personal[0]), ("birth_names", personal[1])])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let secret_path = "/suivi/TrackingSecretNotToBeLogged?tel=0612345678";
    let response = client
        .get(format!("{base}{secret_path}"))
        .send()
        .await
        .unwrap();
    let generated = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(uuid::Uuid::parse_str(&generated).is_ok(), "{generated}");

    // The container's health check: `ticketd probe` asks the configured address.
    let probe = |listen: String, path: &str| {
        ticketd(dir.path())
            .args(["probe", "--path", path])
            .env("TICKETD_LISTEN", listen)
            .output()
            .unwrap()
    };
    assert!(
        probe(format!("0.0.0.0:{port}"), "/healthz")
            .status
            .success()
    );
    assert!(
        probe(format!("127.0.0.1:{port}"), "/readyz")
            .status
            .success()
    );
    let missing = probe(format!("127.0.0.1:{port}"), "/nowhere");
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("404"));
    assert!(
        !probe(format!("127.0.0.1:{}", free_port()), "/healthz")
            .status
            .success()
    );

    sigterm(&running.0);
    let _ = running.0.wait();
    let text = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    for needle in personal
        .iter()
        .chain(&["TrackingSecretNotToBeLogged", "nom=", "email="])
    {
        assert!(!text.contains(needle), "`{needle}` logged:\n{text}");
    }
    let request_lines = |id: &str| -> Vec<&Value> {
        lines
            .iter()
            .filter(|line| {
                line["fields"]["message"] == "request" && line["fields"]["request_id"] == id
            })
            .collect()
    };
    for id in ["first-report-1", "second-report-2"] {
        let found = request_lines(id);
        assert_eq!(found.len(), 1, "one line for {id}:\n{text}");
        let fields = &found[0]["fields"];
        assert_eq!(fields["method"], "POST");
        assert_eq!(fields["route"], "/api/v1/public/identity-theft-reports");
        assert!(fields["status"].as_u64().is_some());
        assert!(fields["latency_ms"].as_f64().is_some());
    }
    assert_eq!(request_lines("second-report-2")[0]["fields"]["status"], 429);
    let tracking = request_lines(&generated);
    assert_eq!(tracking.len(), 1, "{text}");
    assert_eq!(tracking[0]["fields"]["route"], "/suivi/:secret");
    assert_eq!(
        request_lines("form-3")[0]["fields"]["route"],
        "/signalement"
    );
    // Every line written inside a request carries its id: the CSRF warning included.
    let inside: Vec<&Value> = lines.iter().filter(|l| l.get("span").is_some()).collect();
    assert!(
        inside.iter().any(|l| l["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("CSRF"))
            && l["span"]["request_id"] == "form-3"),
        "{text}"
    );
    for line in inside {
        assert!(line["span"]["request_id"].is_string(), "{line}");
    }
}

/// `/readyz` says not ready while the schema is behind the binary (a migration not applied).
async fn not_ready_when_migrations_pending(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await.unwrap() else {
        return;
    };
    let clock = ManualClock::new(start_instant());
    let (base, app) = spawn(&database.url, &clock, |_| {}).await;
    let store = app.store().clone();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let client = reqwest::Client::new();
    assert_eq!(
        client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    use sea_orm::ConnectionTrait as _;
    // A newer ticketd migrated the database (a rolling upgrade): this one keeps serving.
    store
        .connection()
        .execute_unprepared(
            "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m29991231_000001_future', 0)",
        )
        .await
        .unwrap();
    assert_eq!(
        client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        store.schema_state().await.unwrap().unknown,
        ["m29991231_000001_future"]
    );
    store
        .connection()
        .execute_unprepared(
            "DELETE FROM seaql_migrations WHERE version = 'm29991231_000001_future'",
        )
        .await
        .unwrap();
    // A migration of this build not applied: not ready.
    store
        .connection()
        .execute_unprepared(
            "DELETE FROM seaql_migrations WHERE version = (SELECT MAX(version) FROM seaql_migrations)",
        )
        .await
        .unwrap();
    let response = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    let problem: Value = response.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("migrations"),
        "{problem}"
    );
    let state = store.schema_state().await.unwrap();
    assert_eq!(state.pending.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_not_ready_while_migrations_are_pending_sqlite() {
    not_ready_when_migrations_pending(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_not_ready_while_migrations_are_pending_postgres() {
    not_ready_when_migrations_pending(Backend::Postgres).await;
}

/// Three replicas started at the same instant on an empty PostgreSQL database all migrate
/// (one at a time, under the advisory lock) and all become ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_started_together_on_an_empty_postgres_all_become_ready() {
    let Some(database) = TestDatabase::create_empty(Backend::Postgres).await.unwrap() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ports = [free_port(), free_port(), free_port()];
    let mut replicas: Vec<Running> = ports
        .iter()
        .map(|port| {
            Running(
                ticketd(dir.path())
                    .arg("serve")
                    .env("TICKETD_LISTEN", format!("127.0.0.1:{port}"))
                    .env("TICKETD_DATABASE_URL", &database.url)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap(),
            )
        })
        .collect();
    let client = reqwest::Client::new();
    for (port, replica) in ports.iter().zip(&mut replicas) {
        wait_ready(
            &client,
            &format!("http://127.0.0.1:{port}"),
            &mut replica.0,
            Duration::from_secs(60),
        )
        .await;
    }
    let store = Store::connect(&database.url).await.unwrap();
    assert!(store.schema_state().await.unwrap().is_current());
    for replica in &replicas {
        sigterm(&replica.0);
    }
    for replica in &mut replicas {
        assert!(replica.0.wait().unwrap().success());
    }
}

/// The public rate limit is one limit for all replicas on one PostgreSQL, not one per replica;
/// the CSRF key they share through the database signs tokens both accept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_and_the_csrf_key_hold_across_two_replicas() {
    let Some(database) = TestDatabase::create(Backend::Postgres).await.unwrap() else {
        return;
    };
    let clock = ManualClock::new(start_instant());
    let limit = |config: &mut Config| config.public.per_ip.max = 2;
    let (first, a) = spawn(&database.url, &clock, limit).await;
    let (second, b) = spawn(&database.url, &clock, limit).await;
    let provider = identity_provider(a.store()).await;
    tokio::spawn(a.run_until_stopped(std::future::pending()));
    tokio::spawn(b.run_until_stopped(std::future::pending()));
    let client = reqwest::Client::new();
    let post = |base: &str, n: u32| {
        client
            .post(format!("{base}/api/v1/public/identity-theft-reports"))
            .json(&report(provider, &format!("claire{n}@example.fr")))
            .send()
    };
    assert_eq!(post(&first, 1).await.unwrap().status(), 201);
    assert_eq!(post(&second, 2).await.unwrap().status(), 201);
    let refused = post(&first, 3).await.unwrap();
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(post(&second, 4).await.unwrap().status(), 429);
    // The stored buckets are keyed hashes, never the address.
    use sea_orm::ConnectionTrait as _;
    let rows = Store::connect(&database.url)
        .await
        .unwrap()
        .connection()
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT bucket FROM rate_events",
        ))
        .await
        .unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        let bucket: String = row.try_get("", "bucket").unwrap();
        assert!(
            !bucket.contains("127.0.0.1") && !bucket.contains('@'),
            "{bucket}"
        );
    }
    // An hour later the window has passed on both.
    clock.advance(chrono::TimeDelta::minutes(61));
    assert_eq!(post(&second, 5).await.unwrap().status(), 201);

    // A form shown by one replica is accepted by the other: one CSRF key.
    let page = client
        .get(format!("{first}/signalement"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let cookie = page.headers()["set-cookie"].to_str().unwrap().to_owned();
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .strip_prefix("csrf_token=")
        .unwrap()
        .to_owned();
    let response = client
        .post(format!("{second}/signalement"))
        .header("cookie", format!("csrf_token={token}"))
        .form(&[("csrf_token", token.as_str()), ("email", "x")])
        .send()
        .await
        .unwrap();
    // Past the CSRF check: the form is answered with its field errors, not a CSRF refusal.
    assert_eq!(response.status(), 422, "{}", response.text().await.unwrap());
}
