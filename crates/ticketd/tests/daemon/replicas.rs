//! Replicas on one PostgreSQL keep attachments in one place: a replica whose attachment store is
//! not the one a live replica uses (its own folder, beside another machine's) refuses to start.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ticket_store::testkit::{Backend, TestDatabase};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `ticketd serve` on `database`, attachments in `dir/attachments`, none of the caller's
/// `TICKETD_*` variables.
fn replica(dir: &std::path::Path, database: &str, port: u16) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ticketd"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("TICKETD_") {
            command.env_remove(name);
        }
    }
    command
        .arg("serve")
        .env("TICKETD_DATABASE_URL", database)
        .env("TICKETD_LISTEN", format!("127.0.0.1:{port}"))
        .env("TICKETD_ATTACHMENTS__DIR", dir.join("attachments"))
        .env("TICKETD_MAIL__FILES__DIR", dir.join("mail"))
        .env("TICKETD_LOG_FORMAT", "json")
        .current_dir(dir)
        .stdin(Stdio::null());
    command
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

async fn start_ready(command: &mut Command, port: u16) -> Running {
    let mut running = Running(
        command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = running.0.try_wait().unwrap() {
            panic!("the replica on port {port} exited before it was ready: {status}");
        }
        if let Ok(response) = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            && response.status() == 200
        {
            return running;
        }
        assert!(Instant::now() < deadline, "port {port} not ready in time");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn stop(mut running: Running) {
    let status = Command::new("kill")
        .args(["-TERM", &running.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(running.0.wait().unwrap().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_with_its_own_attachments_folder_is_refused_beside_another_on_postgres() {
    let Some(database) = TestDatabase::create(Backend::Postgres).await.unwrap() else {
        return;
    };
    let (first_dir, second_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first_port = free_port();
    let first = start_ready(
        &mut replica(first_dir.path(), &database.url, first_port),
        first_port,
    )
    .await;

    // Another folder while the first replica runs: refused, saying why and what to do.
    let refused = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::task::spawn_blocking({
            let mut command = replica(second_dir.path(), &database.url, free_port());
            move || command.output().unwrap()
        }),
    )
    .await
    .expect("the second replica should stop at once, not serve")
    .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(
        stderr.contains("another ticketd replica serves from this database")
            && stderr.contains(&format!(
                "{}",
                std::fs::canonicalize(first_dir.path().join("attachments"))
                    .unwrap()
                    .display()
            ))
            && stderr.contains("TICKETD_ATTACHMENTS__STORAGE=s3"),
        "{stderr}"
    );

    // The same folder (a second process on the same machine) is one store: welcome.
    let same_port = free_port();
    let same = start_ready(
        &mut replica(first_dir.path(), &database.url, same_port),
        same_port,
    )
    .await;
    stop(same);

    // Once the first replica has stopped cleanly, the other folder may serve (one process).
    stop(first);
    let second_port = free_port();
    let second = start_ready(
        &mut replica(second_dir.path(), &database.url, second_port),
        second_port,
    )
    .await;
    stop(second);
}
