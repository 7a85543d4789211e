//! Where mails go: an SMTP relay, `.eml` files, or memory (tests).
//!
//! Every failure is classified for the outbox:
//! - [`SendError::Temporary`]: nothing was handed over (connection refused, timeout, 4xx reply, a
//!   dropped connection before the message was sent): try again later;
//! - [`SendError::Permanent`]: the server refused the mail (5xx reply): trying again cannot help;
//! - [`SendError::Uncertain`]: the whole message was sent but the server's verdict never came (the
//!   connection dropped or timed out after the DATA terminator): it may have been delivered, so it
//!   must not be resent blindly.
//!
//! lettre's `AsyncSmtpTransport::send` reports a connection closed after the message exactly as one
//! closed after `MAIL FROM` ("incomplete response"), so the SMTP transport drives lettre's
//! [`AsyncSmtpConnection`] step by step, and keeps its own small pool of open connections.

use crate::config::{MailConfig, MailConfigError, SmtpSecurity, TransportKind};
use crate::message::OutgoingMail;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Why a mail was not delivered, and what the outbox should do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("temporary failure: {0}")]
    Temporary(String),
    #[error("permanent failure: {0}")]
    Permanent(String),
    #[error("delivery uncertain: {0}")]
    Uncertain(String),
}

/// Replaces the local part of anything that looks like an address: server replies often quote the
/// recipient, and errors end up in logs and in the outbox (the domain may stay).
pub fn redact_addresses(text: &str) -> String {
    text.split(' ')
        .map(|word| match word.rfind('@') {
            Some(at) => {
                let start = word[..at]
                    .rfind(['<', '(', '"', '\'', ':', '='])
                    .map_or(0, |i| i + 1);
                format!("{}…{}", &word[..start], &word[at..])
            }
            None => word.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The configured way out.
#[derive(Debug)]
pub enum Transport {
    Smtp(SmtpTransport),
    Files(FileTransport),
    Memory(MemoryTransport),
}

impl Transport {
    /// The transport `mail.transport` names.
    pub fn from_config(config: &MailConfig) -> Result<Self, MailConfigError> {
        Ok(match config.transport {
            TransportKind::Files => Transport::Files(FileTransport::new(config.files.dir.clone())),
            TransportKind::Smtp => Transport::Smtp(SmtpTransport::from_config(config)?),
        })
    }

    pub async fn send(&self, mail: &OutgoingMail) -> Result<(), SendError> {
        let result = match self {
            Transport::Smtp(smtp) => smtp.send(mail).await,
            Transport::Files(files) => files.send(mail).await,
            Transport::Memory(memory) => memory.send(mail),
        };
        result.map_err(|error| match error {
            SendError::Temporary(m) => SendError::Temporary(redact_addresses(&m)),
            SendError::Permanent(m) => SendError::Permanent(redact_addresses(&m)),
            SendError::Uncertain(m) => SendError::Uncertain(redact_addresses(&m)),
        })
    }

    /// Closes idle connections (SMTP): at shutdown.
    pub async fn close(&self) {
        if let Transport::Smtp(smtp) = self {
            smtp.close().await;
        }
    }
}

// ---- SMTP ----

/// An SMTP relay, with a pool of idle connections reused across mails.
pub struct SmtpTransport {
    host: String,
    port: u16,
    security: SmtpSecurity,
    tls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    hello: ClientId,
    timeout: Duration,
    idle_timeout: Duration,
    max_idle: usize,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

impl fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpTransport")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("authenticated", &self.credentials.is_some())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Where a step of the SMTP exchange failed.
enum StepError {
    /// The server answered with a negative reply (the connection is still in step).
    Reply(lettre::transport::smtp::Error),
    /// The connection broke, timed out or said something unreadable.
    Broken(String),
}

impl StepError {
    fn describe(&self) -> String {
        match self {
            StepError::Reply(error) => error.to_string(),
            StepError::Broken(text) => text.clone(),
        }
    }
}

/// Runs one SMTP step within the timeout.
async fn step<T>(
    timeout: Duration,
    what: &str,
    future: impl Future<Output = Result<T, lettre::transport::smtp::Error>>,
) -> Result<T, StepError> {
    match tokio::time::timeout(timeout, future).await {
        Err(_) => Err(StepError::Broken(format!(
            "{what}: no answer within {} s",
            timeout.as_secs()
        ))),
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) if error.status().is_some() => Err(StepError::Reply(error)),
        Ok(Err(error)) => Err(StepError::Broken(format!("{what}: {error}"))),
    }
}

/// A negative reply: 4xx is temporary, 5xx permanent.
fn by_reply_code(error: &lettre::transport::smtp::Error, what: &str) -> SendError {
    if error.is_permanent() {
        SendError::Permanent(format!("{what}: {error}"))
    } else {
        SendError::Temporary(format!("{what}: {error}"))
    }
}

impl SmtpTransport {
    pub fn from_config(config: &MailConfig) -> Result<Self, MailConfigError> {
        let smtp = &config.smtp;
        let tls = match smtp.security {
            SmtpSecurity::Off => None,
            SmtpSecurity::Starttls | SmtpSecurity::Tls => Some(
                TlsParameters::new(smtp.host.clone()).map_err(|e| MailConfigError {
                    key: "mail.smtp.host",
                    reason: format!("cannot prepare TLS for this host: {e}"),
                })?,
            ),
        };
        let credentials = match (&smtp.username, &smtp.password) {
            (Some(user), Some(password)) => {
                Some(Credentials::new(user.clone(), password.expose().to_owned()))
            }
            _ => None,
        };
        Ok(Self {
            host: smtp.host.clone(),
            port: smtp.effective_port(),
            security: smtp.security,
            tls,
            credentials,
            hello: smtp
                .hello_name
                .clone()
                .map_or_else(ClientId::default, ClientId::Domain),
            timeout: smtp.timeout(),
            idle_timeout: Duration::from_secs(smtp.idle_timeout_seconds),
            max_idle: smtp.max_idle_connections,
            idle: Mutex::new(Vec::new()),
        })
    }

    fn checkout(&self) -> Option<AsyncSmtpConnection> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some((connection, since)) = idle.pop() {
            if since.elapsed() < self.idle_timeout {
                return Some(connection);
            }
        }
        None
    }

    fn checkin(&self, connection: AsyncSmtpConnection) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < self.max_idle {
            idle.push((connection, Instant::now()));
        }
    }

    /// Quits the idle connections.
    pub async fn close(&self) {
        let connections: Vec<_> = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            idle.drain(..).collect()
        };
        for (mut connection, _) in connections {
            let _ = tokio::time::timeout(self.timeout, connection.quit()).await;
        }
    }

    /// A TCP connection with Nagle's algorithm off: lettre writes the message and its final
    /// `.` in two writes, and with Nagle the second waits for the server's delayed ACK of the
    /// first (40 ms on Linux), which caps each connection at about 25 mails a second.
    async fn open_tcp(&self) -> Result<tokio::net::TcpStream, StepError> {
        let connect = tokio::net::TcpStream::connect((self.host.as_str(), self.port));
        let tcp = match tokio::time::timeout(self.timeout, connect).await {
            Err(_) => {
                return Err(StepError::Broken(format!(
                    "connect: no answer within {} s",
                    self.timeout.as_secs()
                )));
            }
            Ok(Err(error)) => return Err(StepError::Broken(format!("connect: {error}"))),
            Ok(Ok(tcp)) => tcp,
        };
        tcp.set_nodelay(true)
            .map_err(|error| StepError::Broken(format!("connect: {error}")))?;
        Ok(tcp)
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let server = format!("{}:{}", self.host, self.port);
        let failed = |error: StepError| {
            SendError::Temporary(format!(
                "cannot open an SMTP session with {server}: {}",
                error.describe()
            ))
        };
        let mut connection = match (self.security, &self.tls) {
            (SmtpSecurity::Tls, Some(tls)) => step(
                self.timeout,
                "connect",
                AsyncSmtpConnection::connect_tokio1(
                    (self.host.as_str(), self.port),
                    Some(self.timeout),
                    &self.hello,
                    Some(tls.clone()),
                    None,
                ),
            )
            .await
            .map_err(failed)?,
            _ => {
                let tcp = self.open_tcp().await.map_err(failed)?;
                step(
                    self.timeout,
                    "greeting",
                    AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello),
                )
                .await
                .map_err(failed)?
            }
        };
        if let (SmtpSecurity::Starttls, Some(tls)) = (self.security, &self.tls) {
            if !connection.can_starttls() {
                return Err(SendError::Temporary(format!(
                    "{server} does not offer STARTTLS, which mail.smtp.security = \"starttls\" requires"
                )));
            }
            step(
                self.timeout,
                "STARTTLS",
                connection.starttls(tls.clone(), &self.hello),
            )
            .await
            .map_err(failed)?;
        }
        if let Some(credentials) = &self.credentials {
            // A refused login is the configuration's fault, not this mail's: temporary, so the
            // mails go out once it is fixed.
            step(
                self.timeout,
                "AUTH",
                connection.auth(&[Mechanism::Plain, Mechanism::Login], credentials),
            )
            .await
            .map_err(failed)?;
        }
        Ok(connection)
    }

    /// MAIL, RCPT, DATA: nothing is handed over yet, every failure is temporary or permanent.
    async fn envelope(
        &self,
        connection: &mut AsyncSmtpConnection,
        mail: &OutgoingMail,
    ) -> Result<(), StepError> {
        let envelope = &mail.envelope;
        let mut parameters = Vec::new();
        let non_ascii = envelope
            .from()
            .into_iter()
            .chain(envelope.to())
            .any(|a: &lettre::Address| !AsRef::<str>::as_ref(a).is_ascii());
        if non_ascii
            && connection
                .server_info()
                .supports_feature(Extension::SmtpUtfEight)
        {
            parameters.push(MailParameter::SmtpUtfEight);
        }
        if !mail.bytes.is_ascii()
            && connection
                .server_info()
                .supports_feature(Extension::EightBitMime)
        {
            parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        step(
            self.timeout,
            "MAIL FROM",
            connection.command(Mail::new(envelope.from().cloned(), parameters)),
        )
        .await?;
        for to in envelope.to() {
            step(
                self.timeout,
                "RCPT TO",
                connection.command(Rcpt::new(to.clone(), Vec::new())),
            )
            .await?;
        }
        step(self.timeout, "DATA", connection.command(Data)).await?;
        Ok(())
    }

    async fn transaction(
        &self,
        connection: &mut AsyncSmtpConnection,
        mail: &OutgoingMail,
        reused: bool,
    ) -> Result<(), (SendError, bool)> {
        if let Err(error) = self.envelope(connection, mail).await {
            return Err(match error {
                StepError::Reply(reply) => {
                    (by_reply_code(&reply, "refused before the message"), false)
                }
                // A pooled connection the server closed while idle: worth one fresh connection.
                StepError::Broken(text) => (SendError::Temporary(text), reused),
            });
        }
        match step(self.timeout, "message", connection.message(&mail.bytes)).await {
            Ok(_) => Ok(()),
            Err(StepError::Reply(reply)) => {
                Err((by_reply_code(&reply, "refused the message"), false))
            }
            Err(StepError::Broken(text)) => Err((
                SendError::Uncertain(format!(
                    "the whole message was sent but the server's reply never came ({text})"
                )),
                false,
            )),
        }
    }

    pub async fn send(&self, mail: &OutgoingMail) -> Result<(), SendError> {
        let (mut connection, reused) = match self.checkout() {
            Some(connection) => (connection, true),
            None => (self.connect().await?, false),
        };
        match self.transaction(&mut connection, mail, reused).await {
            Ok(()) => {
                self.checkin(connection);
                Ok(())
            }
            Err((_, true)) => {
                drop(connection);
                let mut connection = self.connect().await?;
                self.transaction(&mut connection, mail, false)
                    .await
                    .map_err(|(error, _)| error)?;
                self.checkin(connection);
                Ok(())
            }
            // The connection is out of step or broken: closed by dropping it.
            Err((error, false)) => Err(error),
        }
    }
}

// ---- Files ----

/// One `.eml` file per mail, named after its Message-ID: the embedded default, and a way to look at
/// mails without a server. Writing the same mail again replaces its file.
#[derive(Debug, Clone)]
pub struct FileTransport {
    dir: PathBuf,
}

impl FileTransport {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The file a mail is written to.
    pub fn path_of(&self, message_id: &str) -> PathBuf {
        let name: String = message_id
            .trim_matches(|c| c == '<' || c == '>')
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '@') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join(format!("{name}.eml"))
    }

    async fn send(&self, mail: &OutgoingMail) -> Result<(), SendError> {
        let failed = |error: std::io::Error| {
            SendError::Temporary(format!("cannot write to {}: {error}", self.dir.display()))
        };
        tokio::fs::create_dir_all(&self.dir).await.map_err(failed)?;
        let path = self.path_of(&mail.message_id);
        // Written aside then renamed: a reader never sees half a mail.
        let partial = path.with_extension("eml.partial");
        tokio::fs::write(&partial, &mail.bytes)
            .await
            .map_err(failed)?;
        tokio::fs::rename(&partial, &path).await.map_err(failed)?;
        Ok(())
    }
}

// ---- Memory ----

/// Keeps mails in memory, and fails on demand: for unit tests.
#[derive(Debug, Clone, Default)]
pub struct MemoryTransport {
    inner: Arc<Mutex<MemoryInner>>,
}

#[derive(Debug, Default)]
struct MemoryInner {
    sent: Vec<OutgoingMail>,
    failures: VecDeque<SendError>,
}

impl MemoryTransport {
    pub fn new() -> Self {
        Self::default()
    }

    /// The mails accepted so far, in order.
    pub fn sent(&self) -> Vec<OutgoingMail> {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .sent
            .clone()
    }

    /// The next send fails with `error` (queued: several calls fail several sends).
    pub fn fail_next(&self, error: SendError) {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .failures
            .push_back(error);
    }

    fn send(&self, mail: &OutgoingMail) -> Result<(), SendError> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(error) = inner.failures.pop_front() {
            return Err(error);
        }
        inner.sent.push(mail.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_in_server_replies_keep_only_their_domain() {
        assert_eq!(
            redact_addresses("550 5.1.1 <victime@example.fr>: Recipient address rejected"),
            "550 5.1.1 <…@example.fr>: Recipient address rejected"
        );
        assert_eq!(
            redact_addresses("to=jean.dupont@example.fr refused"),
            "to=…@example.fr refused"
        );
        assert_eq!(redact_addresses("no address here"), "no address here");
    }

    #[test]
    fn mail_files_are_named_after_the_message_id() {
        let files = FileTransport::new(PathBuf::from("/tmp/mail"));
        assert_eq!(
            files.path_of("<0191.3.abc@ticketd.localhost>"),
            PathBuf::from("/tmp/mail/0191.3.abc@ticketd.localhost.eml")
        );
        assert_eq!(
            files.path_of("<../../etc/passwd@x>"),
            PathBuf::from("/tmp/mail/.._.._etc_passwd@x.eml")
        );
    }
}
