//! `ticketd files backup|restore|check`, as deploy/backup and deploy/restore run them: files copied
//! once, altered bytes never copied, a missing file named, a restore that brings it back.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use ticket_store::testkit::{Backend, TestDatabase};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `ticketd ARGS` on `database`, attachments in `dir/attachments`.
fn ticketd(dir: &Path, database: &str, port: u16) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ticketd"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("TICKETD_") {
            command.env_remove(name);
        }
    }
    command
        .env("TICKETD_DATABASE_URL", database)
        .env("TICKETD_LISTEN", format!("127.0.0.1:{port}"))
        .env("TICKETD_ATTACHMENTS__DIR", dir.join("attachments"))
        .env("TICKETD_MAIL__FILES__DIR", dir.join("mail"))
        .env("TICKETD_MAIL__DISPATCHER__ENABLED", "false")
        .env("TICKETD_LOG_FILTER", "warn")
        .current_dir(dir)
        .stdin(Stdio::null());
    command
}

fn run(command: &mut Command) -> (bool, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().unwrap();
    (
        status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        ),
    )
}

/// Serves until one file is attached to a ticket; returns the file's hash.
async fn one_attached_file(dir: &Path, database: &str) -> String {
    let port = free_port();
    let (created, admin) =
        run(ticketd(dir, database, port)
            .args(["keys", "create", "--role", "admin", "--name", "admin"]));
    assert!(created, "{admin}");
    // The key on standard output (first), the message on standard error.
    let admin = admin.lines().next().unwrap().trim().to_owned();
    let mut child = ticketd(dir, database, port)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !matches!(client.get(format!("{base}/readyz")).send().await, Ok(r) if r.status() == 200) {
        assert!(Instant::now() < deadline && child.try_wait().unwrap().is_none());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let post = |path: &str, key: &str, body: Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(key)
            .json(&body)
            .send()
    };
    let organisation: Value = post(
        "/api/v1/organisations",
        &admin,
        json!({"name": "Caisse", "roles": ["service_provider"]}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let partner: Value = post(
        "/api/v1/api-keys",
        &admin,
        json!({"name": "partner", "organisation_id": organisation["id"]}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let partner = partner["secret"].as_str().unwrap();
    let incident: Value = post(
        "/api/v1/incidents",
        partner,
        json!({"title": "Panne", "started_at": "2026-11-23T08:30:00Z", "impact": "Aucune connexion"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let body = "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.log\"\r\n\
                Content-Type: text/plain\r\n\r\nune ligne de journal\n\r\n--b--\r\n";
    let uploaded = client
        .post(format!(
            "{base}/api/v1/tickets/{}/attachments",
            incident["id"].as_str().unwrap()
        ))
        .bearer_auth(partner)
        .header("Content-Type", "multipart/form-data; boundary=b")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), 201);
    let uploaded: Value = uploaded.json().await.unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    uploaded["items"][0]["sha256"].as_str().unwrap().to_owned()
}

async fn backup_restore_and_check(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await.unwrap() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sha256 = one_attached_file(dir.path(), &database.url).await;
    let files = |args: &[&str]| {
        run(ticketd(dir.path(), &database.url, free_port())
            .arg("files")
            .args(args))
    };
    let backup = dir.path().join("backup");
    let backup_arg = backup.to_str().unwrap();
    let (ok, out) = files(&["backup", "--to", backup_arg]);
    assert!(ok && out.contains("1 file(s) copied"), "{out}");
    assert!(
        backup
            .join("sha256")
            .join(&sha256[..2])
            .join(&sha256)
            .is_file()
    );
    // Named by hash: a second backup into the same folder copies nothing.
    let (ok, out) = files(&["backup", "--to", backup_arg]);
    assert!(
        ok && out.contains("0 file(s) copied") && out.contains("1 already there"),
        "{out}"
    );
    let (ok, out) = files(&["check"]);
    assert!(ok && out.contains("all 1 file(s)"), "{out}");

    let stored = dir
        .path()
        .join("attachments/sha256")
        .join(&sha256[..2])
        .join(&sha256);
    // Altered bytes are not copied as if they were the file.
    std::fs::write(&stored, b"altered").unwrap();
    let elsewhere = dir.path().join("elsewhere");
    let (ok, out) = files(&["backup", "--to", elsewhere.to_str().unwrap()]);
    assert!(!ok && out.contains("do not match their hash"), "{out}");
    let (ok, out) = files(&["check"]);
    assert!(
        !ok && out.contains(&format!("missing or altered: {sha256}")),
        "{out}"
    );

    // Lost: `check` names it; the restore brings it back.
    std::fs::remove_file(&stored).unwrap();
    let (ok, out) = files(&["check"]);
    assert!(
        !ok && out.contains("1 of the 1 file(s) the database names are missing"),
        "{out}"
    );
    let (ok, out) = files(&["restore", "--from", backup_arg]);
    assert!(ok && out.contains("1 file(s) restored"), "{out}");
    let (ok, out) = files(&["check"]);
    assert!(ok, "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_backup_restore_and_check_sqlite() {
    backup_restore_and_check(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_backup_restore_and_check_postgres() {
    backup_restore_and_check(Backend::Postgres).await;
}
