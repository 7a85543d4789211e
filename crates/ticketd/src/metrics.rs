//! `/metrics` in the Prometheus text format, and a watch that logs a stalled sweeper or dispatcher.
//!
//! Three kinds of figures:
//! - what this process measures, through the `metrics` crate and its Prometheus recorder: request
//!   counts and latencies per route and status (`ticket-api`'s `observe` middleware), the
//!   sweeper's pass durations and the instant of its last pass;
//! - what the database holds, read at each scrape so every replica reports the same values and a
//!   value that drops to zero shows as zero: tickets by kind, state and priority (and how many of
//!   them breached a target), SLA warnings, breaches and escalations recorded, the outbox by state
//!   with the age of its oldest mail (mails `sent`, `failed` and `uncertain` are outbox states),
//!   how late the sweeper and the dispatcher are, the connection pool;
//! - the quality-of-service report's headline figures per priority over the current month
//!   ([`crate::qos_metrics`]), computed from the events at most once a minute.
//!
//! The page is served at `/metrics` on the main address, or only on `metrics.listen` when that is
//! set, so that it need not be public.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use poem::http::StatusCode;
use poem::{Endpoint, EndpointExt as _, IntoResponse as _, Response, Route, handler};
use serde::{Deserialize, Serialize};
use ticket_store::Store;
use ticket_store::clock::Clock;

/// Where `/metrics` is served.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// A separate socket address serving only `/metrics` (e.g. `0.0.0.0:9090`, reachable by the
    /// scraper but not published); when absent, `/metrics` is served on `listen` with the API.
    pub listen: Option<SocketAddr>,
}

/// The path of the page.
pub const METRICS_PATH: &str = "/metrics";

/// Content type of the Prometheus text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

const SWEEPER_PASS_METRIC: &str = "ticketd_sweeper_pass_duration_seconds";
const SWEEPER_LAST_PASS_METRIC: &str = "ticketd_sweeper_last_pass_timestamp_seconds";
const SWEEPER_FAILED_METRIC: &str = "ticketd_sweeper_failed_passes_total";

/// The process's recorder, installed once (several applications in one test process share it).
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let latency = [
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ];
            let installed = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(ticket_api::observe::LATENCY_METRIC.to_owned()),
                    &latency,
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(SWEEPER_PASS_METRIC.to_owned()),
                        &latency,
                    )
                })
                .and_then(PrometheusBuilder::install_recorder);
            match installed {
                Ok(handle) => {
                    metrics::describe_counter!(
                        ticket_api::observe::REQUESTS_METRIC,
                        "HTTP requests answered, by method, route template and status."
                    );
                    metrics::describe_histogram!(
                        ticket_api::observe::LATENCY_METRIC,
                        metrics::Unit::Seconds,
                        "HTTP request latency, by method, route template and status."
                    );
                    metrics::describe_histogram!(
                        SWEEPER_PASS_METRIC,
                        metrics::Unit::Seconds,
                        "Duration of the clock sweeper's passes in this process."
                    );
                    metrics::describe_gauge!(
                        SWEEPER_LAST_PASS_METRIC,
                        "Unix time at which this process's clock sweeper last finished a pass."
                    );
                    metrics::describe_counter!(
                        SWEEPER_FAILED_METRIC,
                        "Sweeper passes that could not reach the due tickets."
                    );
                    Some(handle)
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot install the metrics recorder");
                    None
                }
            }
        })
        .as_ref()
}

/// Installs the recorder (idempotent); call before serving so the first requests are counted.
pub fn install() {
    let _ = handle();
}

/// Records a sweeper pass: its duration, whether it reached the database, when it ended.
pub fn sweeper_pass(duration: Duration, ok: bool) {
    metrics::histogram!(SWEEPER_PASS_METRIC).record(duration.as_secs_f64());
    if ok {
        metrics::gauge!(SWEEPER_LAST_PASS_METRIC).set(Utc::now().timestamp() as f64);
    } else {
        metrics::counter!(SWEEPER_FAILED_METRIC).increment(1);
    }
}

/// What the page needs.
#[derive(Clone)]
struct Page {
    store: Store,
    clock: Arc<dyn Clock>,
    qos: crate::qos_metrics::QosGauges,
}

/// The `/metrics` endpoint alone (for the separate address, or nested in the main app).
pub fn endpoint(
    store: Store,
    clock: Arc<dyn Clock>,
    policy: Arc<ticket_domain::Policy>,
) -> impl Endpoint<Output = Response> {
    install();
    let qos = crate::qos_metrics::QosGauges::new(store.clone(), policy);
    Route::new()
        .at(METRICS_PATH, metrics_page)
        .data(Page { store, clock, qos })
}

#[handler]
async fn metrics_page(page: poem::web::Data<&Page>) -> Response {
    let mut text = String::new();
    if let Some(handle) = handle() {
        handle.run_upkeep();
        text.push_str(&handle.render());
    }
    let now = page.clock.now();
    match page.store.figures().await {
        Ok(figures) => {
            render_figures(&mut text, &figures, now);
            page.qos.render(&mut text, now).await;
        }
        Err(error) => {
            tracing::warn!(%error, "metrics: cannot read the figures from the database");
            gauge_header(
                &mut text,
                "ticketd_database_up",
                "Whether the figures could be read from the database.",
            );
            let _ = writeln!(text, "ticketd_database_up 0");
        }
    }
    render_pool(&mut text, &page.store);
    Response::builder()
        .status(StatusCode::OK)
        .content_type(CONTENT_TYPE)
        .body(text)
        .into_response()
}

fn gauge_header(text: &mut String, name: &str, help: &str) {
    let _ = writeln!(text, "# HELP {name} {help}");
    let _ = writeln!(text, "# TYPE {name} gauge");
}

/// A label value as Prometheus wants it: `\`, `"` and newlines escaped.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn seconds_since(now: DateTime<Utc>, then: DateTime<Utc>) -> f64 {
    ((now - then).num_milliseconds().max(0) as f64) / 1000.0
}

fn render_figures(text: &mut String, figures: &ticket_store::stats::Figures, now: DateTime<Utc>) {
    gauge_header(
        text,
        "ticketd_database_up",
        "Whether the figures could be read from the database.",
    );
    let _ = writeln!(text, "ticketd_database_up 1");

    gauge_header(
        text,
        "ticketd_tickets",
        "Tickets by kind, state and priority.",
    );
    for t in &figures.tickets {
        let _ = writeln!(
            text,
            "ticketd_tickets{{kind=\"{}\",state=\"{}\",priority=\"P{}\"}} {}",
            label(&t.kind),
            label(&t.state),
            t.priority,
            t.count
        );
    }
    gauge_header(
        text,
        "ticketd_tickets_breached",
        "Tickets past a target (SLA breached), by kind, state and priority.",
    );
    for t in &figures.tickets {
        let _ = writeln!(
            text,
            "ticketd_tickets_breached{{kind=\"{}\",state=\"{}\",priority=\"P{}\"}} {}",
            label(&t.kind),
            label(&t.state),
            t.priority,
            t.breached
        );
    }
    gauge_header(
        text,
        "ticketd_ticket_events",
        "Clock events recorded so far: sla_warning (75 %), sla_breached, escalated.",
    );
    for (event_type, count) in &figures.events {
        let _ = writeln!(
            text,
            "ticketd_ticket_events{{type=\"{}\"}} {count}",
            label(event_type)
        );
    }
    gauge_header(
        text,
        "ticketd_outbox_mails",
        "Mails of the outbox by state: pending, sending, sent, failed, uncertain.",
    );
    const STATES: [&str; 5] = ["pending", "sending", "sent", "failed", "uncertain"];
    for state in STATES {
        let count = figures
            .outbox
            .iter()
            .find(|o| o.state == state)
            .map_or(0, |o| o.count);
        let _ = writeln!(text, "ticketd_outbox_mails{{state=\"{state}\"}} {count}");
    }
    gauge_header(
        text,
        "ticketd_outbox_oldest_age_seconds",
        "Age of the oldest mail of the outbox in each state.",
    );
    for state in STATES {
        let found = figures.outbox.iter().find(|o| o.state == state);
        let age = found
            .and_then(|o| o.oldest)
            .map_or(0.0, |oldest| seconds_since(now, oldest));
        let _ = writeln!(
            text,
            "ticketd_outbox_oldest_age_seconds{{state=\"{state}\"}} {age}"
        );
    }
    gauge_header(
        text,
        "ticketd_sweeper_lag_seconds",
        "Now minus the earliest due instant of the clock sweep not yet handled (0 when none is past).",
    );
    let lag = figures
        .earliest_due
        .map_or(0.0, |due| seconds_since(now, due));
    let _ = writeln!(text, "ticketd_sweeper_lag_seconds {lag}");
    gauge_header(
        text,
        "ticketd_dispatcher_lag_seconds",
        "Now minus the earliest instant a pending mail was due to be sent (0 when none is past).",
    );
    let lag = figures
        .earliest_mail_due
        .map_or(0.0, |due| seconds_since(now, due));
    let _ = writeln!(text, "ticketd_dispatcher_lag_seconds {lag}");
}

fn render_pool(text: &mut String, store: &Store) {
    let pool = store.pool_figures();
    gauge_header(
        text,
        "ticketd_db_pool_connections",
        "Database connections of this process: in use, idle, and the most allowed.",
    );
    let _ = writeln!(
        text,
        "ticketd_db_pool_connections{{state=\"in_use\"}} {}",
        pool.open.saturating_sub(pool.idle)
    );
    let _ = writeln!(
        text,
        "ticketd_db_pool_connections{{state=\"idle\"}} {}",
        pool.idle
    );
    let _ = writeln!(
        text,
        "ticketd_db_pool_connections{{state=\"max\"}} {}",
        pool.max
    );
}

/// How late the sweeper or the dispatcher may be before the watch logs a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StallLimits {
    pub sweeper: chrono::TimeDelta,
    pub dispatcher: chrono::TimeDelta,
    /// How often the watch looks (a minute in ticketd).
    pub every: Duration,
}

/// Every `limits.every`, reads how late the sweeper and the dispatcher are and logs a warning while one
/// is later than its limit (a stalled or disabled worker, a database that does not keep up).
pub async fn watch(
    store: Store,
    clock: Arc<dyn Clock>,
    limits: StallLimits,
    stopped: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            () = &mut stopped => return,
            () = tokio::time::sleep(limits.every) => {}
        }
        let now = clock.now();
        match store.figures().await {
            Ok(figures) => {
                if let Some(due) = figures.earliest_due
                    && now - due > limits.sweeper
                {
                    tracing::warn!(
                        lag_seconds = (now - due).num_seconds(),
                        "the clock sweeper is behind: a due ticket waits (is a sweeper running?)"
                    );
                }
                if let Some(due) = figures.earliest_mail_due
                    && now - due > limits.dispatcher
                {
                    tracing::warn!(
                        lag_seconds = (now - due).num_seconds(),
                        "the mail dispatcher is behind: a due mail waits (is a dispatcher running?)"
                    );
                }
            }
            Err(error) => tracing::warn!(%error, "watch: cannot read the figures"),
        }
    }
}
