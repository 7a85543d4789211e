//! Building and running the daemon: bind, serve, stop gracefully.

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::time::Instant;

use anyhow::Context as _;
use poem::listener::TcpAcceptor;
use poem::{Route, Server};

use crate::config::Config;
use crate::http;
use crate::sweeper::{Sweeper, SweeperHandle};
use std::sync::Arc;
use ticket_store::clock::{Clock, SystemClock};
use ticket_store::{Store, StoreOptions};

/// How long in-flight requests may take to finish once shutdown is asked for.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A daemon whose listener is bound, ready to serve.
pub struct Application {
    acceptor: TcpAcceptor,
    local_addr: SocketAddr,
    state: http::ApiState,
    /// `None` when `sweeper.enabled` is off.
    sweeper: Option<Sweeper>,
    /// The anonymiser (retention); `None` when `anonymiser.enabled` is off.
    anonymiser: Option<crate::anonymiser::Anonymiser>,
    /// The mail outbox dispatcher; `None` when `mail.dispatcher.enabled` is off.
    mailer: Option<ticket_mail::Dispatcher>,
    /// The separate `/metrics` listener (`metrics.listen`), bound; `None` serves it on `listen`.
    metrics: Option<(TcpAcceptor, SocketAddr)>,
    /// The IMAP fetchers (`mail.inbound.imap`), one per configured mailbox.
    fetchers: Vec<ticket_inbox::imap::ImapFetcher>,
    /// When the watch calls the sweeper or the dispatcher stalled.
    stall: crate::metrics::StallLimits,
    /// The longest public rate-limit window: older rate events are forgotten.
    rate_window: chrono::TimeDelta,
    /// How old unnamed attachment bytes must be before the housekeeping removes them.
    orphan_grace: chrono::TimeDelta,
}

impl fmt::Debug for Application {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Application")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Prepares what the configuration needs — the database, migrated — and binds the listener
    /// (port 0 picks a free port).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// [`Application::build`] with another time source (tests move time).
    pub async fn build_with_clock(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let store = open_store(&config).await?;
        let wording = Arc::new(
            ticket_wording::Wording::load(&config.wording)
                .context("cannot read the operator's wording (`wording`)")?,
        );
        let public = public_state(&config, &store, clock.now())
            .await?
            .with_wording(Arc::clone(&wording));
        let attachments = Arc::new(config.attachments.open()?);
        let policy = Arc::new(config.policy.clone());
        let inbox = crate::inbound::inbox(
            &config,
            &store,
            Arc::clone(&clock),
            Arc::clone(&policy),
            Arc::clone(&attachments),
        )
        .await?;
        let state = http::ApiState {
            store,
            policy,
            clock,
            public: Arc::new(public),
            attachments,
            inbox: inbox.clone(),
            mail_queued: Arc::new(tokio::sync::Notify::new()),
        };
        let sweeper = config.sweeper.enabled.then(|| {
            Sweeper::new(
                state.store.clone(),
                Arc::clone(&state.policy),
                Arc::clone(&state.clock),
                &config.sweeper,
            )
        });
        let anonymiser = config
            .anonymiser
            .enabled
            .then(|| anonymiser(&config, &state));
        let replies =
            crate::inbound::reply_addresses(&config, &state.store, state.clock.now()).await?;
        let fetchers = crate::inbound::fetchers(&config, &inbox);
        let mailer = if config.mail.dispatcher.enabled {
            let transport = ticket_mail::Transport::from_config(&config.mail)
                .with_context(|| "cannot prepare the mail transport (`mail`)")?;
            Some(
                ticket_mail::Dispatcher::new(
                    state.store.clone(),
                    ticket_mail::MailConfig {
                        public_url: config.public.base_url.clone(),
                        ..config.mail.clone()
                    },
                    transport,
                    Arc::clone(&state.clock),
                )
                .with_context(|| "cannot start the mail dispatcher (`mail`)")?
                .with_policy(Arc::clone(&state.policy))
                .with_wording(wording)
                .woken_by(Arc::clone(&state.mail_queued)),
            )
            .map(|mailer| match replies {
                Some(replies) => mailer.with_reply_addresses(replies),
                None => mailer,
            })
        } else {
            None
        };
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {} (`listen`)", config.listen))?;
        let local_addr = listener
            .local_addr()
            .context("cannot read the bound address")?;
        let acceptor = TcpAcceptor::from_tokio(listener).context("cannot accept connections")?;
        let metrics = match config.metrics.listen {
            Some(address) => {
                let listener = tokio::net::TcpListener::bind(address)
                    .await
                    .with_context(|| format!("cannot listen on {address} (`metrics.listen`)"))?;
                let bound = listener
                    .local_addr()
                    .context("cannot read the bound metrics address")?;
                let acceptor = TcpAcceptor::from_tokio(listener)
                    .context("cannot accept connections (`metrics.listen`)")?;
                Some((acceptor, bound))
            }
            None => None,
        };
        crate::metrics::install();
        let max_interval = chrono::TimeDelta::seconds(
            i64::try_from(config.sweeper.max_interval_seconds).unwrap_or(86_400),
        );
        Ok(Self {
            acceptor,
            local_addr,
            state,
            sweeper,
            anonymiser,
            mailer,
            fetchers,
            metrics,
            stall: crate::metrics::StallLimits {
                sweeper: max_interval * 2 + chrono::TimeDelta::minutes(1),
                dispatcher: chrono::TimeDelta::minutes(5),
                every: Duration::from_secs(60),
            },
            rate_window: chrono::TimeDelta::seconds(
                config
                    .public
                    .per_ip
                    .window_seconds
                    .max(config.public.per_email.window_seconds),
            ),
            orphan_grace: chrono::TimeDelta::seconds(
                i64::try_from(config.attachments.orphan_grace_seconds).unwrap_or(i64::MAX / 1000),
            ),
        })
    }

    /// The separate address `/metrics` is served on (`metrics.listen`), once bound.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(_, address)| *address)
    }

    /// The clock sweeper's handle (tests move time, then ask for a pass); `None` when disabled.
    pub fn sweeper(&self) -> Option<SweeperHandle> {
        self.sweeper.as_ref().map(Sweeper::handle)
    }

    /// The anonymiser (tests move time, then run a pass); `None` when disabled.
    pub fn anonymiser(&self) -> Option<crate::anonymiser::Anonymiser> {
        self.anonymiser.clone()
    }

    /// The store the application serves from (tests inspect it).
    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.local_addr.port()
    }

    /// Serves until `shutdown` completes, then lets in-flight requests and background workers
    /// finish, all within [`SHUTDOWN_GRACE`] of the moment shutdown was asked for.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        tracing::info!(address = %self.local_addr, version = crate::VERSION, "ticketd listening");
        // Background workers stop when the server is asked to, or when it fails. The instant
        // shutdown was asked for starts the one grace period of the whole process.
        let (stop, stopped) = tokio::sync::watch::channel(None::<Instant>);
        let until_stopped = {
            let stopped = stopped.clone();
            move || {
                let mut stopped = stopped.clone();
                async move {
                    let _ = stopped.wait_for(Option::is_some).await;
                }
            }
        };
        let mut workers = Vec::new();
        if let Some(sweeper) = self.sweeper {
            workers.push((
                "the clock sweeper",
                tokio::spawn(sweeper.run(until_stopped())),
            ));
        }
        if let Some(anonymiser) = self.anonymiser {
            workers.push((
                "the anonymiser",
                tokio::spawn(anonymiser.run(until_stopped())),
            ));
        }
        if let Some(mailer) = self.mailer {
            // The dispatcher finishes the batch it is sending, within the grace period.
            workers.push((
                "the mail dispatcher",
                tokio::spawn(mailer.run(until_stopped())),
            ));
        }
        for fetcher in self.fetchers {
            // A message being received is committed first; the next start fetches the rest.
            workers.push((
                "an IMAP fetcher",
                tokio::spawn(fetcher.run(until_stopped())),
            ));
        }
        workers.push((
            "housekeeping",
            tokio::spawn(housekeeping(
                self.state.store.clone(),
                self.state.clock.clone(),
                self.rate_window,
                Arc::clone(&self.state.attachments),
                self.orphan_grace,
                until_stopped(),
            )),
        ));
        workers.push((
            "the stall watch",
            tokio::spawn(crate::metrics::watch(
                self.state.store.clone(),
                self.state.clock.clone(),
                self.stall,
                until_stopped(),
            )),
        ));
        let page = crate::metrics::endpoint(self.state.store.clone(), self.state.clock.clone());
        let mut main = Route::new();
        if let Some((acceptor, address)) = self.metrics {
            tracing::info!(%address, "metrics listening");
            let server = Server::new_with_acceptor(acceptor).run_with_graceful_shutdown(
                Route::new().at(crate::metrics::METRICS_PATH, page),
                until_stopped(),
                Some(SHUTDOWN_GRACE),
            );
            workers.push((
                "the metrics server",
                tokio::spawn(async move {
                    if let Err(error) = server.await {
                        tracing::warn!(%error, "the metrics server failed");
                    }
                }),
            ));
        } else {
            main = main.at(crate::metrics::METRICS_PATH, page);
        }
        let served = Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(
                main.nest("/", http::app(self.state)),
                async move {
                    shutdown.await;
                    let _ = stop.send(Some(Instant::now()));
                },
                Some(SHUTDOWN_GRACE),
            )
            .await;
        let asked = (*stopped.borrow()).unwrap_or_else(Instant::now);
        // A second of the grace is kept for closing the database and exiting.
        let deadline = asked + SHUTDOWN_GRACE.saturating_sub(Duration::from_secs(1));
        for (name, mut worker) in workers {
            match tokio::time::timeout_at(deadline, &mut worker).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::warn!(%error, "{name} ended abnormally"),
                Err(_) => {
                    // What it was doing is left to the leases (a mail being handed over becomes
                    // uncertain, the others pending) and to the next sweep.
                    tracing::warn!("{name} did not stop within the grace period; stopped");
                    worker.abort();
                }
            }
        }
        served.context("the HTTP server failed")?;
        tracing::info!("ticketd stopped");
        Ok(())
    }
}

/// Idempotency keys are kept at least 24 h (API conventions); older ones are forgotten hourly, so
/// the table follows the recent traffic.
pub const IDEMPOTENCY_RETENTION: chrono::TimeDelta = chrono::TimeDelta::hours(48);

async fn housekeeping(
    store: Store,
    clock: Arc<dyn Clock>,
    rate_window: chrono::TimeDelta,
    attachments: Arc<ticket_store::attachments::Attachments>,
    orphan_grace: chrono::TimeDelta,
    stopped: impl Future<Output = ()>,
) {
    tokio::pin!(stopped);
    loop {
        match store
            .purge_idempotency_keys(clock.now() - IDEMPOTENCY_RETENTION)
            .await
        {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "old idempotency keys forgotten"),
            Err(error) => tracing::warn!(%error, "cannot purge old idempotency keys"),
        }
        match store.purge_rate_events(clock.now() - rate_window).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "old rate-limit events forgotten"),
            Err(error) => tracing::warn!(%error, "cannot purge old rate-limit events"),
        }
        match store
            .sweep_orphan_blobs(&attachments.blobs, clock.now(), orphan_grace)
            .await
        {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "attachment bytes no attachment names removed"),
            Err(error) => tracing::warn!(%error, "cannot sweep attachment bytes"),
        }
        tokio::select! {
            () = &mut stopped => return,
            () = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
    }
}

/// The name under which replicas share the CSRF key they generate when none is configured.
const SHARED_CSRF_KEY: &str = "public.csrf_key";

/// The public form's state. Replicas on one database must sign and check CSRF tokens with one key:
/// the configured `public.csrf_key`, or else one generated by the first replica and kept in the
/// database for the others. On PostgreSQL the rate limits are kept in the database too, so that
/// replicas share them (their stored keys are hashed with that key); SQLite serves one process and
/// keeps them in memory.
async fn public_state(
    config: &Config,
    store: &Store,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<http::public::PublicState> {
    let mut public = config.public.clone();
    if public.csrf_key.is_none() {
        let generated = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let shared = store
            .shared_secret(SHARED_CSRF_KEY, &generated, now)
            .await
            .context("cannot read or store the shared CSRF key")?;
        public.csrf_key = Some(shared);
    }
    let key = public.csrf_key.clone().unwrap_or_default();
    Ok(match store.backend() {
        sea_orm::DbBackend::Postgres => {
            http::public::PublicState::shared(public, store, key.as_bytes())
        }
        _ => http::public::PublicState::new(public),
    })
}

/// Connects to the configured database and applies pending migrations.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    if let Some(file) = config.database_url.sqlite_file() {
        create_parent_dir(&file)?;
    }
    let options = StoreOptions {
        acquire_timeout: Duration::from_millis(config.database_acquire_timeout_ms),
        ..StoreOptions::default()
    };
    let store = Store::connect_with(config.database_url.expose(), &options)
        .await
        .context("cannot connect to the database (`database_url`)")?;
    store
        .migrate()
        .await
        .context("cannot apply the database migrations")?;
    let filled = store
        .backfill_triage_columns(&config.policy)
        .await
        .context("cannot fill the triage columns of earlier tickets")?;
    if filled > 0 {
        tracing::info!(
            tickets = filled,
            "filled the next deadline of earlier tickets"
        );
    }
    Ok(store)
}

/// The SQLite driver creates the file but not its directory; `./data/` may not exist yet.
fn create_parent_dir(file: &std::path::Path) -> anyhow::Result<()> {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create {} (`database_url`)", dir.display())),
        _ => Ok(()),
    }
}

/// Completes on Ctrl-C, or on SIGTERM where there are Unix signals.
///
/// The handlers are installed before this returns, so a signal that arrives while the
/// server starts is not lost.
pub fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()> + Send> {
    #[cfg(unix)]
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("cannot install the SIGTERM handler")?;
    Ok(async move {
        let interrupt = async {
            if let Err(err) = tokio::signal::ctrl_c().await {
                tracing::warn!(error = %err, "cannot listen for Ctrl-C");
                std::future::pending::<()>().await;
            }
        };
        #[cfg(unix)]
        tokio::select! {
            () = interrupt => tracing::info!("interrupted, shutting down"),
            _ = terminate.recv() => tracing::info!("SIGTERM received, shutting down"),
        }
        #[cfg(not(unix))]
        {
            interrupt.await;
            tracing::info!("interrupted, shutting down");
        }
    })
}

/// The anonymiser for this configuration and state (also what `ticketd anonymise` runs).
pub fn anonymiser(config: &Config, state: &http::ApiState) -> crate::anonymiser::Anonymiser {
    crate::anonymiser::Anonymiser::new(
        state.store.clone(),
        Arc::clone(&state.policy),
        Arc::clone(&state.clock),
        crate::anonymiser::external_erasers(
            config,
            &state.store,
            Arc::clone(&state.attachments),
            Arc::clone(&state.clock),
        ),
        &config.anonymiser,
    )
}
