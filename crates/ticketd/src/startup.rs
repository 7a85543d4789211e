//! Building and running the daemon: bind, serve, stop gracefully.

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::time::Instant;

use anyhow::Context as _;
use poem::listener::TcpAcceptor;
use poem::{EndpointExt as _, Route, Server};

use crate::config::Config;
use crate::http;
use crate::sweeper::{Sweeper, SweeperHandle};
use crate::workers::{Housekeeping, Workers};
use ticket_store::clock::{Clock, SystemClock};
use ticket_store::{Store, StoreOptions};

/// How long in-flight requests may take to finish once shutdown is asked for.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A daemon whose listener is bound, ready to serve.
pub struct Application {
    acceptor: TcpAcceptor,
    local_addr: SocketAddr,
    state: http::ApiState,
    /// The deadline of requests (PostgreSQL only: SQLite requests wait for the one writer).
    deadline: Option<ticket_api::outage::RequestDeadline>,
    /// The separate `/metrics` listener (`metrics.listen`), bound; `None` serves it on `listen`.
    metrics: Option<(TcpAcceptor, SocketAddr)>,
    background: Background,
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
        let deadline =
            (store.backend() == sea_orm::DbBackend::Postgres).then(|| config.deadlines.requests());
        // Replicas cache the keys they authenticate; each hears the others' revocations.
        store.listen_for_key_revocations().await;
        let wording = Arc::new(
            ticket_wording::Wording::load(&config.wording)
                .context("cannot read the operator's wording (`wording`)")?,
        );
        let public = public_state(&config, &store, clock.now())
            .await?
            .with_wording(Arc::clone(&wording));
        let attachments = Arc::new(config.attachments.open()?);
        // After the store is open: a folder's record names it as created.
        let replica = crate::replicas::join(&store, &config.attachments).await?;
        let policy = Arc::new(config.policy.clone());
        let inbox = crate::inbound::inbox(
            &config,
            &store,
            Arc::clone(&clock),
            Arc::clone(&policy),
            Arc::clone(&attachments),
        )
        .await?;
        let signin = http::signin::SigninState::new(
            config.signin.clone(),
            &config.public.base_url,
            Arc::clone(&clock),
        )
        .map_err(|reason| anyhow::anyhow!("staff sign-in (`signin`): {reason}"))?;
        let state = http::ApiState {
            store,
            policy,
            clock,
            public: Arc::new(public),
            attachments,
            inbox: inbox.clone(),
            mail_queued: Arc::new(tokio::sync::Notify::new()),
            signin: Arc::new(signin),
            webhooks: config.webhooks.guard()?,
            webhook_queued: Arc::new(tokio::sync::Notify::new()),
        };
        let fetchers = crate::inbound::fetchers(&config, &inbox);
        let mut background = Background::new(&config, &state, wording, fetchers).await?;
        background.replica = replica;
        let (acceptor, local_addr) = bind(config.listen, "listen").await?;
        let metrics = match config.metrics.listen {
            Some(address) => Some(bind(address, "metrics.listen").await?),
            None => None,
        };
        crate::metrics::install();
        Ok(Self {
            acceptor,
            local_addr,
            state,
            deadline,
            metrics,
            background,
        })
    }

    /// The separate address `/metrics` is served on (`metrics.listen`), once bound.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(_, address)| *address)
    }

    /// The clock sweeper's handle (tests move time, then ask for a pass); `None` when disabled.
    pub fn sweeper(&self) -> Option<SweeperHandle> {
        self.background.sweeper.as_ref().map(Sweeper::handle)
    }

    /// The anonymiser (tests move time, then run a pass); `None` when disabled.
    pub fn anonymiser(&self) -> Option<crate::anonymiser::Anonymiser> {
        self.background.anonymiser.clone()
    }

    /// The transparency log's appender (tests run passes); `None` without a signing key.
    pub fn transparency(&self) -> Option<crate::transparency::TransparencyLog> {
        self.background.transparency.clone()
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
        let mut workers = Workers::default();
        let log_key = self
            .background
            .transparency
            .as_ref()
            .map(|log| log.verifier().to_string());
        self.background.start(&mut workers);
        let page = crate::metrics::endpoint(
            self.state.store.clone(),
            self.state.clock.clone(),
            self.state.policy.clone(),
        );
        let mut main = Route::new();
        if let Some(key) = log_key {
            // The log's public key, for partners, auditors and witnesses (text, one line).
            main = main.at(
                crate::transparency::KEY_PATH,
                poem::get(poem::endpoint::make_sync(move |_| {
                    poem::Response::builder()
                        .content_type("text/plain; charset=utf-8")
                        .body(format!("{key}\n"))
                })),
            );
        }
        if let Some((acceptor, address)) = self.metrics {
            tracing::info!(%address, "metrics listening");
            let server = Server::new_with_acceptor(acceptor).run_with_graceful_shutdown(
                Route::new().at(crate::metrics::METRICS_PATH, page),
                workers.stopped(),
                Some(SHUTDOWN_GRACE),
            );
            workers.spawn("the metrics server", async move {
                if let Err(error) = server.await {
                    tracing::warn!(%error, "the metrics server failed");
                }
            });
        } else {
            main = main.at(crate::metrics::METRICS_PATH, page);
        }
        // The instant shutdown was asked for starts the one grace period of the whole process.
        let asked = OnceLock::new();
        let served = Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(
                // Invalid UTF-8 in the path or query is refused before the router drops it.
                http::utf8::well_formed(match self.deadline {
                    Some(deadline) => main.nest("/", http::app(self.state).data(deadline)),
                    None => main.nest("/", http::app(self.state)),
                }),
                async {
                    shutdown.await;
                    let _ = asked.set(Instant::now());
                },
                Some(SHUTDOWN_GRACE),
            )
            .await;
        // Background workers stop when the server is asked to, or when it fails.
        let asked = asked.get().copied().unwrap_or_else(Instant::now);
        workers.stop(asked, SHUTDOWN_GRACE).await;
        served.context("the HTTP server failed")?;
        tracing::info!("ticketd stopped");
        Ok(())
    }
}

/// The background workers this configuration runs, before they start.
struct Background {
    /// `None` when `sweeper.enabled` is off.
    sweeper: Option<Sweeper>,
    /// The anonymiser (retention); `None` when `anonymiser.enabled` is off.
    anonymiser: Option<crate::anonymiser::Anonymiser>,
    /// The mail outbox dispatcher; `None` when `mail.dispatcher.enabled` is off.
    mailer: Option<ticket_mail::Dispatcher>,
    /// The IMAP fetchers (`mail.inbound.imap`), one per configured mailbox.
    fetchers: Vec<ticket_inbox::imap::ImapFetcher>,
    housekeeping: Housekeeping,
    /// The watch that says when the sweeper or the dispatcher stalled.
    stall: crate::metrics::StallLimits,
    /// This process's record among the replicas of a PostgreSQL database (`None` on SQLite).
    replica: Option<crate::replicas::Replica>,
    /// The transparency log's appender; `None` without `transparency.signing_key`.
    transparency: Option<crate::transparency::TransparencyLog>,
    /// Ends the staff sessions nobody used until their timeout (issue 30).
    session_sweep: crate::session_sweep::SessionSweep,
    /// The webhook dispatcher; `None` when `webhooks.dispatcher_enabled` is off.
    webhooks: Option<crate::webhooks::WebhookDispatcher>,
}

impl Background {
    async fn new(
        config: &Config,
        state: &http::ApiState,
        wording: Arc<ticket_wording::Wording>,
        fetchers: Vec<ticket_inbox::imap::ImapFetcher>,
    ) -> anyhow::Result<Self> {
        let sweeper = config.sweeper.enabled.then(|| {
            Sweeper::new(
                state.store.clone(),
                Arc::clone(&state.policy),
                Arc::clone(&state.clock),
                &config.sweeper,
            )
        });
        let anonymiser = config.anonymiser.enabled.then(|| anonymiser(config, state));
        let transparency = config.transparency.signer()?.map(|signer| {
            crate::transparency::TransparencyLog::new(
                state.store.clone(),
                Arc::clone(&state.clock),
                signer,
                &config.transparency,
            )
        });
        match &transparency {
            Some(log) => tracing::info!(key = %log.verifier(), "transparency log on"),
            None => tracing::warn!("transparency log off: no transparency.signing_key"),
        }
        let replies =
            crate::inbound::reply_addresses(config, &state.store, state.clock.now()).await?;
        let mailer = if config.mail.dispatcher.enabled {
            // SQLite serves this process alone: what a previous one claimed and never began to
            // send is taken back now rather than after its lease.
            state
                .store
                .take_back_claims_at_start_up(state.clock.now())
                .await
                .context("cannot take back the mails a previous process had claimed")?;
            Some(mailer(config, state, wording, replies)?)
        } else {
            None
        };
        let max_interval = chrono::TimeDelta::seconds(
            i64::try_from(config.sweeper.max_interval_seconds).unwrap_or(86_400),
        );
        let webhooks = if config.webhooks.dispatcher_enabled {
            Some(crate::webhooks::WebhookDispatcher::new(
                state.store.clone(),
                Arc::clone(&state.clock),
                &config.webhooks,
                config.webhooks.resolver()?,
                Arc::clone(&state.webhook_queued),
            )?)
        } else {
            None
        };
        Ok(Self {
            webhooks,
            sweeper,
            anonymiser,
            mailer,
            fetchers,
            housekeeping: Housekeeping {
                store: state.store.clone(),
                clock: Arc::clone(&state.clock),
                rate_window: chrono::TimeDelta::seconds(
                    config
                        .public
                        .per_ip
                        .window_seconds
                        .max(config.public.per_email.window_seconds),
                ),
                attachments: Arc::clone(&state.attachments),
                orphan_grace: chrono::TimeDelta::seconds(
                    i64::try_from(config.attachments.orphan_grace_seconds)
                        .unwrap_or(i64::MAX / 1000),
                ),
            },
            stall: crate::metrics::StallLimits {
                sweeper: max_interval * 2 + chrono::TimeDelta::minutes(1),
                dispatcher: chrono::TimeDelta::minutes(5),
                every: Duration::from_secs(60),
            },
            replica: None,
            transparency,
            session_sweep: crate::session_sweep::SessionSweep {
                store: state.store.clone(),
                clock: Arc::clone(&state.clock),
                limits: config.signin.limits(),
            },
        })
    }

    fn start(self, workers: &mut Workers) {
        if let Some(sweeper) = self.sweeper {
            workers.spawn("the clock sweeper", sweeper.run(workers.stopped()));
        }
        if let Some(anonymiser) = self.anonymiser {
            workers.spawn("the anonymiser", anonymiser.run(workers.stopped()));
        }
        if let Some(mailer) = self.mailer {
            // The dispatcher finishes the batch it is sending, within the grace period.
            workers.spawn("the mail dispatcher", mailer.run(workers.stopped()));
        }
        if let Some(log) = self.transparency {
            workers.spawn("the transparency log", log.run(workers.stopped()));
        }
        if let Some(webhooks) = self.webhooks {
            // An attempt cut short is sent again after its lease, under the same id.
            workers.spawn("the webhook dispatcher", webhooks.run(workers.stopped()));
        }
        if let Some(replica) = self.replica {
            workers.spawn("the replica heartbeat", replica.run(workers.stopped()));
        }
        for fetcher in self.fetchers {
            // A message being received is committed first; the next start fetches the rest.
            workers.spawn("an IMAP fetcher", fetcher.run(workers.stopped()));
        }
        workers.spawn(
            "the staff session sweep",
            self.session_sweep.run(workers.stopped()),
        );
        let (store, clock) = (
            self.housekeeping.store.clone(),
            self.housekeeping.clock.clone(),
        );
        workers.spawn("housekeeping", self.housekeeping.run(workers.stopped()));
        workers.spawn(
            "the stall watch",
            crate::metrics::watch(store, clock, self.stall, workers.stopped()),
        );
    }
}

/// The mail outbox dispatcher for this configuration, woken by committed commands.
fn mailer(
    config: &Config,
    state: &http::ApiState,
    wording: Arc<ticket_wording::Wording>,
    replies: Option<ticket_mail::reply::ReplyAddresses>,
) -> anyhow::Result<ticket_mail::Dispatcher> {
    let transport = ticket_mail::Transport::from_config(&config.mail)
        .with_context(|| "cannot prepare the mail transport (`mail`)")?;
    let mailer = ticket_mail::Dispatcher::new(
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
    .woken_by(Arc::clone(&state.mail_queued));
    Ok(match replies {
        Some(replies) => mailer.with_reply_addresses(replies),
        None => mailer,
    })
}

/// Binds `address` (the setting `key`), and tells the address actually bound.
async fn bind(address: SocketAddr, key: &str) -> anyhow::Result<(TcpAcceptor, SocketAddr)> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address} (`{key}`)"))?;
    let bound = listener
        .local_addr()
        .with_context(|| format!("cannot read the bound address (`{key}`)"))?;
    let acceptor = TcpAcceptor::from_tokio(listener)
        .with_context(|| format!("cannot accept connections (`{key}`)"))?;
    Ok((acceptor, bound))
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
        max_connections: config.database_max_connections,
        statement_timeout: Duration::from_millis(config.deadlines.statement_ms),
        key_policy: config.keys,
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
