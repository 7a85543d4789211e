//! The compiled `ticketd` binary, started as an operator would start it.

use std::net::TcpListener;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

const STARTUP_LIMIT: Duration = Duration::from_secs(20);
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(5);

/// A port that was free a moment ago. Another process could take it before ticketd binds
/// it; the startup check below would then fail loudly rather than hang.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `ticketd` with a clean environment as far as its own variables go.
fn ticketd(data_dir: &tempfile::TempDir) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ticketd"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("TICKETD_") {
            command.env_remove(name);
        }
    }
    command
        .env(
            "TICKETD_DATABASE_URL",
            format!(
                "sqlite://{}?mode=rwc",
                data_dir.path().join("data").join("ticketd.db").display()
            ),
        )
        .env("TICKETD_LOG_FORMAT", "json")
        .current_dir(data_dir.path())
        .stdin(Stdio::null());
    command
}

/// Kills the child if a test fails before it stops it.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn wait_for_exit(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[tokio::test]
async fn serves_healthz_then_stops_cleanly_on_sigterm() {
    let data_dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = ticketd(&data_dir)
        .arg("serve")
        .env("TICKETD_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut running = Running(child);

    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/healthz");
    let deadline = Instant::now() + STARTUP_LIMIT;
    let body: serde_json::Value = loop {
        if let Some(status) = running.0.try_wait().unwrap() {
            panic!("ticketd exited before answering: {status}");
        }
        match client.get(&url).send().await {
            Ok(response) if response.status().is_success() => break response.json().await.unwrap(),
            _ if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
            other => panic!("ticketd did not answer /healthz in time: {other:?}"),
        }
    };
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        data_dir.path().join("data").is_dir(),
        "the SQLite directory is created"
    );

    let kill = Command::new("kill")
        .args(["-TERM", &running.0.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());

    let status = wait_for_exit(&mut running.0, SHUTDOWN_LIMIT)
        .unwrap_or_else(|| panic!("ticketd still running {SHUTDOWN_LIMIT:?} after SIGTERM"));
    assert!(status.success(), "exit status after SIGTERM: {status}");
}

fn run_to_completion(command: &mut Command) -> Output {
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn bad_listen_value_exits_non_zero_naming_the_key() {
    let data_dir = tempfile::tempdir().unwrap();

    let output = run_to_completion(
        ticketd(&data_dir)
            .arg("serve")
            .env("TICKETD_LISTEN", "localhost-port-eighty"),
    );

    assert!(!output.status.success(), "{:?}", output.status);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`listen`"), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
}

#[test]
fn check_config_prints_the_effective_configuration_with_secrets_masked() {
    let data_dir = tempfile::tempdir().unwrap();

    let output = run_to_completion(
        ticketd(&data_dir)
            .arg("check-config")
            .env("TICKETD_LISTEN", "127.0.0.1:9999")
            .env(
                "TICKETD_DATABASE_URL",
                "postgres://ticketd:hunter2@db.internal/tickets",
            ),
    );

    assert!(output.status.success(), "{:?}", output.status);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("listen = \"127.0.0.1:9999\""), "{stdout}");
    assert!(
        stdout.contains("postgres://ticketd:********@db.internal/tickets"),
        "{stdout}"
    );
    assert!(!stdout.contains("hunter2"), "{stdout}");
}

#[test]
fn config_file_is_read_and_environment_wins() {
    let data_dir = tempfile::tempdir().unwrap();
    let file = data_dir.path().join("ticketd.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:7000\"\nlog_format = \"json\"\n",
    )
    .unwrap();

    let output = run_to_completion(
        ticketd(&data_dir)
            .args(["check-config", "--config"])
            .arg(&file)
            .env("TICKETD_LOG_FORMAT", "text"),
    );

    assert!(output.status.success(), "{:?}", output.status);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("listen = \"127.0.0.1:7000\""), "{stdout}");
    assert!(stdout.contains("log_format = \"text\""), "{stdout}");
}

/// `ticketd keys create --role mail_gateway` makes a receiving MTA's key, listed with its role; it
/// belongs to no staff member.
#[test]
fn keys_create_makes_a_mail_gateway_key() {
    let dir = tempfile::tempdir().unwrap();
    let created = ticketd(&dir)
        .args(["keys", "create", "--role", "mail_gateway", "--name", "mx1"])
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    let secret = String::from_utf8(created.stdout).unwrap();
    assert!(secret.trim().starts_with("tkd_"), "{secret}");
    let listed = ticketd(&dir).args(["keys", "list"]).output().unwrap();
    assert!(listed.status.success(), "{listed:?}");
    let listed = String::from_utf8(listed.stdout).unwrap();
    assert!(
        listed.contains("mx1\trole=mail_gateway\tactive"),
        "{listed}"
    );
    let refused = ticketd(&dir)
        .args([
            "keys",
            "create",
            "--role",
            "mail_gateway",
            "--name",
            "mx2",
            "--member",
            "alice",
        ])
        .output()
        .unwrap();
    assert!(!refused.status.success(), "{refused:?}");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("belongs to no staff member"));
}
