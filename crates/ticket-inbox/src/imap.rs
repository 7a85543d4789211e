//! The IMAP fetcher: one per configured operator mailbox, a background worker of ticketd.
//!
//! Messages are fetched by UID, above the last UID whose message is committed, as remembered in
//! the database with the mailbox's UIDVALIDITY. Each message is received (its ticket change
//! committed) *before* it is marked done on the server (`\Seen`, or moved to the done folder) and
//! before the position advances: a crash in between fetches it again, and its Message-ID, already
//! stored, makes the second reception a no-op that only marks it done. A changed UIDVALIDITY (the
//! mailbox was recreated) restarts from the first UID; Message-IDs keep anything from landing twice.
//! Between passes the fetcher waits in IDLE when the server offers it, and polls otherwise.

use crate::{Delivery, Inbox, InboxError, OperatorMailbox, Source};
use futures_util::TryStreamExt as _;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use ticket_mail::config::{ImapAccount, ImapSecurity};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// A connection the IMAP client can use: plain TCP or TLS.
pub trait Connection: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug> Connection for T {}

type Session = async_imap::Session<Box<dyn Connection>>;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Messages fetched per round trip.
const CHUNK: usize = 25;

/// Why a pass stopped.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("IMAP: {0}")]
    Imap(#[from] async_imap::error::Error),
    #[error("cannot connect to the IMAP server: {0}")]
    Connect(#[from] std::io::Error),
    #[error("the IMAP server gave no UIDVALIDITY for the folder")]
    NoUidValidity,
    #[error(transparent)]
    Inbox(#[from] InboxError),
    #[error(transparent)]
    Store(#[from] ticket_store::StoreError),
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchReport {
    pub fetched: usize,
    pub stored: usize,
    pub duplicates: usize,
    /// Not mail, or too large: left on the server, flagged, skipped.
    pub refused: usize,
}

/// Fetches one mailbox into the inbox.
#[derive(Clone)]
pub struct ImapFetcher {
    inbox: Inbox,
    mailbox: OperatorMailbox,
    account: ImapAccount,
    poll: Duration,
}

impl fmt::Debug for ImapFetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapFetcher")
            .field("mailbox", &self.mailbox)
            .field("host", &self.account.host)
            .field("folder", &self.account.folder)
            .finish_non_exhaustive()
    }
}

async fn connect(account: &ImapAccount) -> Result<Session, FetchError> {
    let tcp = tokio::time::timeout(
        CONNECT_TIMEOUT,
        TcpStream::connect((account.host.as_str(), account.effective_port())),
    )
    .await
    .map_err(|_| std::io::Error::other("timed out"))??;
    let stream: Box<dyn Connection> = match account.security {
        ImapSecurity::Off => Box::new(tcp),
        ImapSecurity::Tls => {
            let mut roots = tokio_rustls::rustls::RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(Arc::new(
                tokio_rustls::rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .map_err(|e| std::io::Error::other(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
            let name = tokio_rustls::rustls::pki_types::ServerName::try_from(account.host.clone())
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
                .connect(name, tcp)
                .await?;
            Box::new(tls)
        }
    };
    let mut client = async_imap::Client::new(stream);
    client
        .read_response()
        .await?
        .ok_or_else(|| std::io::Error::other("the server closed the connection at once"))?;
    let password = account
        .password
        .as_ref()
        .map(|p| p.expose().to_owned())
        .unwrap_or_default();
    let session = client
        .login(&account.username, password)
        .await
        .map_err(|(error, _)| error)?;
    Ok(session)
}

impl ImapFetcher {
    pub fn new(
        inbox: Inbox,
        mailbox: OperatorMailbox,
        account: ImapAccount,
        poll: Duration,
    ) -> Self {
        Self {
            inbox,
            mailbox,
            account,
            poll,
        }
    }

    /// One connection, one drain of the folder, logout: for tools and tests.
    pub async fn fetch_once(&self) -> Result<FetchReport, FetchError> {
        let mut session = connect(&self.account).await?;
        let report = self.drain(&mut session).await;
        let _ = session.logout().await;
        report
    }

    /// Fetches until `shutdown` completes: drains, then waits in IDLE (or polls), reconnecting after
    /// errors. A message being received when `shutdown` comes is finished first.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        tracing::info!(mailbox = self.mailbox.name(), "IMAP fetcher started");
        let mut pause = Duration::from_secs(1);
        loop {
            let outcome = self.session(&mut shutdown).await;
            match outcome {
                Ok(()) => break,
                Err(error) => {
                    let temporary = !matches!(&error, FetchError::Inbox(e) if !e.is_temporary());
                    tracing::warn!(
                        mailbox = self.mailbox.name(), %error, temporary,
                        "IMAP fetch interrupted; trying again"
                    );
                }
            }
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                () = tokio::time::sleep(pause) => {}
            }
            pause = (pause * 2).min(self.poll.max(Duration::from_secs(1)));
        }
        tracing::info!(mailbox = self.mailbox.name(), "IMAP fetcher stopped");
    }

    /// One connection: drain, wait, drain… until shutdown (`Ok`) or an error.
    async fn session<S>(&self, shutdown: &mut std::pin::Pin<&mut S>) -> Result<(), FetchError>
    where
        S: Future<Output = ()>,
    {
        let mut session = connect(&self.account).await?;
        let idle = session.capabilities().await?.has_str("IDLE");
        loop {
            self.drain(&mut session).await?;
            if idle {
                let mut handle = session.idle();
                handle.init().await?;
                let (wait, stop) = handle.wait_with_timeout(self.poll);
                let stopping = tokio::select! {
                    biased;
                    () = shutdown.as_mut() => true,
                    waited = wait => { waited?; false }
                };
                drop(stop);
                session = handle.done().await?;
                if stopping {
                    let _ = session.logout().await;
                    return Ok(());
                }
            } else {
                tokio::select! {
                    biased;
                    () = shutdown.as_mut() => {
                        let _ = session.logout().await;
                        return Ok(());
                    }
                    () = tokio::time::sleep(self.poll) => {}
                }
            }
        }
    }

    /// Receives every message above the remembered UID, in UID order.
    async fn drain(&self, session: &mut Session) -> Result<FetchReport, FetchError> {
        let store = self.inbox.store().clone();
        let name = self.mailbox.name();
        let selected = session.select(&self.account.folder).await?;
        let validity = selected.uid_validity.ok_or(FetchError::NoUidValidity)?;
        let mut last = match store.imap_position(name).await? {
            Some((known, last)) if known == validity => last,
            Some((known, _)) => {
                tracing::warn!(
                    mailbox = name,
                    old = known,
                    new = validity,
                    "UIDVALIDITY changed: reading the folder again (Message-IDs keep mails from landing twice)"
                );
                store
                    .set_imap_position(name, validity, 0, chrono::Utc::now())
                    .await?;
                0
            }
            None => 0,
        };
        let mut report = FetchReport::default();
        let mut uids: Vec<u32> = session
            .uid_search(format!("UID {}:*", last.saturating_add(1)))
            .await?
            .into_iter()
            .filter(|uid| *uid > last)
            .collect();
        uids.sort_unstable();
        for chunk in uids.chunks(CHUNK) {
            let set = chunk
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let mut messages: Vec<(u32, Vec<u8>)> = session
                .uid_fetch(&set, "(UID BODY.PEEK[])")
                .await?
                .try_filter_map(|fetch| async move {
                    Ok(fetch.uid.zip(fetch.body().map(<[u8]>::to_vec)))
                })
                .try_collect()
                .await?;
            messages.sort_by_key(|(uid, _)| *uid);
            for (uid, raw) in messages {
                report.fetched += 1;
                match self.inbox.receive(&raw, Source::Imap(self.mailbox)).await {
                    Ok(Delivery::Stored(_)) => report.stored += 1,
                    Ok(Delivery::Duplicate { .. }) => report.duplicates += 1,
                    Err(error) if !error.is_temporary() => {
                        tracing::warn!(mailbox = name, uid, %error, "message refused; flagged and skipped");
                        report.refused += 1;
                        session
                            .uid_store(uid.to_string(), "+FLAGS (\\Flagged)")
                            .await?
                            .try_collect::<Vec<_>>()
                            .await?;
                        store
                            .set_imap_position(name, validity, uid, chrono::Utc::now())
                            .await?;
                        last = uid;
                        continue;
                    }
                    Err(error) => return Err(error.into()),
                }
                // Committed: now, and only now, the message is done on the server.
                self.mark_done(session, uid).await?;
                store
                    .set_imap_position(name, validity, uid, chrono::Utc::now())
                    .await?;
                last = uid;
            }
        }
        if report.fetched > 0 {
            tracing::info!(mailbox = name, last_uid = last, ?report, "IMAP pass");
        }
        Ok(report)
    }

    async fn mark_done(&self, session: &mut Session, uid: u32) -> Result<(), FetchError> {
        match &self.account.done_folder {
            Some(folder) => session.uid_mv(uid.to_string(), folder).await?,
            None => {
                session
                    .uid_store(uid.to_string(), "+FLAGS (\\Seen)")
                    .await?
                    .try_collect::<Vec<_>>()
                    .await?;
            }
        }
        Ok(())
    }
}
