//! Test helpers: a real SMTP server in a child process (`python3 -m aiosmtpd`, writing a maildir)
//! and a reader of what it received. Compiled only with the `testkit` feature; panics are how
//! helpers fail.
//!
//! `python3` must be able to import `aiosmtpd`: `scripts/test` puts a venv that can first on PATH;
//! otherwise the venv it leaves in `target/test-tools/venv` is used, or `TICKETD_TEST_PYTHON`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::config::{MailConfig, SmtpSecurity, TransportKind};
use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A port of 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn can_import_aiosmtpd(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A `python3` that can run aiosmtpd.
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let venv = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/test-tools/venv/bin/python3");
        let candidates = std::env::var_os("TICKETD_TEST_PYTHON")
            .map(PathBuf::from)
            .into_iter()
            .chain([PathBuf::from("python3"), venv]);
        for candidate in candidates {
            if can_import_aiosmtpd(&candidate) {
                return candidate;
            }
        }
        panic!(
            "no python3 with aiosmtpd: run scripts/test, or `pip install aiosmtpd`, or set TICKETD_TEST_PYTHON"
        )
    })
}

/// `python3 -m aiosmtpd` on 127.0.0.1, storing what it receives in a maildir. Killed on drop.
#[derive(Debug)]
pub struct SmtpServer {
    child: Option<Child>,
    port: u16,
    maildir: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl SmtpServer {
    /// A server on a free port, with its own maildir.
    pub async fn start() -> Self {
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let maildir = dir.path().join("maildir");
            if let Some(mut server) = Self::try_start(free_port(), maildir).await {
                server._dir = Some(dir);
                return server;
            }
        }
        panic!("aiosmtpd did not start after 5 attempts")
    }

    /// A server on `port` (e.g. the one an outage test kept free), writing into `maildir`.
    pub async fn start_on(port: u16, maildir: &Path) -> Self {
        Self::try_start(port, maildir.to_path_buf())
            .await
            .unwrap_or_else(|| panic!("aiosmtpd did not start on port {port}"))
    }

    async fn try_start(port: u16, maildir: PathBuf) -> Option<Self> {
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        let log = maildir.with_extension(format!("{port}.log"));
        let child = Command::new(python())
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut server = Self {
            child: Some(child),
            port,
            maildir,
            _dir: None,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(child) = server.child.as_mut()
                && child.try_wait().unwrap().is_some()
            {
                eprintln!(
                    "aiosmtpd exited on port {port}: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
                server.child = None;
                return None;
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Some(server);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn maildir(&self) -> &Path {
        &self.maildir
    }

    /// Kills the server (an outage).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Every mail received so far.
    pub fn received(&self) -> Vec<ReceivedMail> {
        read_maildir(&self.maildir)
    }

    /// Waits until at least `count` mails arrived (aiosmtpd answers before it has written the
    /// file); returns them all.
    pub async fn wait_for(&self, count: usize) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mails = self.received();
            if mails.len() >= count || Instant::now() > deadline {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A mail as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// Envelope recipients (`RCPT TO`), as aiosmtpd recorded them.
    pub rcpt_to: Vec<String>,
    /// Every header, decoded (RFC 2047), by lower-case name; repeated headers keep their order.
    pub headers: BTreeMap<String, Vec<String>>,
    pub subject: String,
    pub message_id: String,
    pub text: String,
    pub html: String,
}

impl ReceivedMail {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .and_then(|values| values.first())
            .map(String::as_str)
    }

    pub fn parse(raw: &[u8]) -> Self {
        let parsed = mailparse::parse_mail(raw).unwrap();
        let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for header in &parsed.headers {
            headers
                .entry(header.get_key().to_ascii_lowercase())
                .or_default()
                .push(header.get_value());
        }
        let first = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.first())
                .cloned()
                .unwrap_or_default()
        };
        let mut text = String::new();
        let mut html = String::new();
        for part in parsed.parts() {
            match part.ctype.mimetype.as_str() {
                "text/plain" => text = part.get_body().unwrap(),
                "text/html" => html = part.get_body().unwrap(),
                _ => {}
            }
        }
        Self {
            rcpt_to: first("x-rcptto")
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            subject: first("subject"),
            message_id: first("message-id").trim().to_owned(),
            headers,
            text,
            html,
        }
    }
}

/// Parses every mail of a maildir (`new/` and `cur/`).
pub fn read_maildir(maildir: &Path) -> Vec<ReceivedMail> {
    let mut mails = Vec::new();
    for sub in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(maildir.join(sub)) else {
            continue;
        };
        for entry in entries {
            let raw = std::fs::read(entry.unwrap().path()).unwrap();
            mails.push(ReceivedMail::parse(&raw));
        }
    }
    mails
}

/// Delivery to an SMTP server on 127.0.0.1:`port`, without TLS, with short timeouts and a fast
/// poll: what the mail tests use.
pub fn smtp_config(port: u16) -> MailConfig {
    let mut config = MailConfig {
        transport: TransportKind::Smtp,
        ..MailConfig::default()
    };
    config.smtp.host = "127.0.0.1".to_owned();
    config.smtp.port = Some(port);
    config.smtp.security = SmtpSecurity::Off;
    config.smtp.timeout_seconds = 5;
    config.smtp.hello_name = Some("ticketd.test".to_owned());
    config.dispatcher.poll_interval_ms = 50;
    config.dispatcher.lease_seconds = 120;
    config
}
