//! A real IMAP server for the tests: Debian's Dovecot with a throw-away configuration and Maildir,
//! one per test, on a free port of 127.0.0.1 (started in about a second).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use ticket_mail::config::{ImapAccount, ImapSecurity, SmtpPassword};

const DOVECOT: &str = "/usr/sbin/dovecot";
pub const PASSWORD: &str = "secret";

pub struct Dovecot {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Running as root, the mail files belong to the `dovecot` user; otherwise to the tester.
fn mail_owner() -> (String, String) {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if root {
        ("dovecot".into(), "dovecot".into())
    } else {
        let id = |flag: &str| {
            Command::new("id")
                .arg(flag)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                .expect("id")
        };
        (id("-un"), id("-gn"))
    }
}

impl Dovecot {
    pub fn start() -> Self {
        assert!(
            std::path::Path::new(DOVECOT).exists(),
            "Dovecot is needed for these tests: apt-get install dovecot-imapd"
        );
        let dir = tempfile::Builder::new()
            .prefix("dovecot-")
            .tempdir_in("/tmp")
            .expect("temp dir");
        let root: PathBuf = dir.path().to_path_buf();
        for sub in ["run", "state", "home"] {
            std::fs::create_dir_all(root.join(sub)).expect("dirs");
        }
        let (user, group) = mail_owner();
        let _ = Command::new("chown")
            .args([
                "-R",
                &format!("{user}:{group}"),
                &root.display().to_string(),
            ])
            .status();
        let _ = Command::new("chmod")
            .args(["755", &root.display().to_string()])
            .status();
        let port = free_port();
        let d = root.display();
        let config = format!(
            "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n\
             protocols = imap\nlisten = 127.0.0.1\nssl = no\ndisable_plaintext_auth = no\n\
             auth_mechanisms = plain login\nfirst_valid_uid = 1\n\
             default_internal_user = {user}\ndefault_login_user = {user}\n\
             passdb {{\n  driver = static\n  args = password={PASSWORD}\n}}\n\
             userdb {{\n  driver = static\n  args = uid={user} gid={group} home={d}/home/%u\n}}\n\
             mail_location = maildir:~/Maildir\n\
             service imap-login {{\n  inet_listener imap {{\n    port = {port}\n  }}\n  \
             inet_listener imaps {{\n    port = 0\n  }}\n}}\n"
        );
        let path = root.join("dovecot.conf");
        std::fs::write(&path, config).expect("config");
        let child = Command::new(DOVECOT)
            .arg("-F")
            .arg("-c")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("dovecot starts");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "dovecot did not listen: {}",
                std::fs::read_to_string(root.join("dovecot.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            port,
            _dir: dir,
        }
    }

    pub fn account(&self, user: &str, folder: &str) -> ImapAccount {
        ImapAccount {
            host: "127.0.0.1".into(),
            port: Some(self.port),
            security: ImapSecurity::Off,
            username: user.into(),
            password: Some(SmtpPassword::new(PASSWORD)),
            folder: folder.into(),
            done_folder: None,
        }
    }

    async fn session(&self, user: &str) -> async_imap::Session<tokio::net::TcpStream> {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("connect");
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.expect("greeting");
        client
            .login(user, PASSWORD)
            .await
            .map_err(|(e, _)| e)
            .expect("login")
    }

    /// Puts messages into a folder, as a mail server delivering them would.
    pub async fn deliver(&self, user: &str, folder: &str, messages: &[Vec<u8>]) {
        let mut session = self.session(user).await;
        for raw in messages {
            session
                .append(folder, None, None, raw)
                .await
                .expect("append");
        }
        session.logout().await.expect("logout");
    }

    /// Deletes and recreates a folder: a new UIDVALIDITY.
    pub async fn recreate(&self, user: &str, folder: &str) {
        let mut session = self.session(user).await;
        let _ = session.delete(folder).await;
        session.create(folder).await.expect("create");
        session.logout().await.expect("logout");
    }

    pub async fn create(&self, user: &str, folder: &str) {
        let mut session = self.session(user).await;
        session.create(folder).await.expect("create");
        session.logout().await.expect("logout");
    }

    /// UIDs of the folder's messages that are flagged `\Seen`, and of all.
    pub async fn seen(&self, user: &str, folder: &str) -> (usize, usize) {
        let mut session = self.session(user).await;
        session.select(folder).await.expect("select");
        let all = session.uid_search("ALL").await.expect("search").len();
        let seen = session.uid_search("SEEN").await.expect("search").len();
        session.logout().await.expect("logout");
        (seen, all)
    }

    pub async fn uid_validity(&self, user: &str, folder: &str) -> u32 {
        let mut session = self.session(user).await;
        let selected = session.select(folder).await.expect("select");
        session.logout().await.expect("logout");
        selected.uid_validity.expect("uidvalidity")
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGTERM, so that Dovecot stops its own children.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}
