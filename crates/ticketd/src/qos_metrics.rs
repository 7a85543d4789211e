//! The quality-of-service report's headline figures on `/metrics`, per priority, over the current
//! Paris month so far: first acknowledgements and first resolutions measured, how many within
//! their target (and the share), breaches per clock. The same computation as
//! `GET /api/v1/reports/quality?group_by=priority` (`ticket-reports`, from the events), so the
//! gauges and the report agree.
//!
//! A report reads every event of the month: it is computed at most once per [`REFRESH`] of the
//! service's clock (at the first scrape after that), not at every scrape; concurrent scrapes wait
//! for the one computation.

use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{DateTime, Datelike, TimeDelta, Utc};
use ticket_domain::{Policy, Priority};
use ticket_reports::figures::Figures;
use ticket_reports::{Dimension, ReportQuery, report};
use ticket_store::Store;

/// How long a computed set of figures is served before it is computed again.
pub const REFRESH: TimeDelta = TimeDelta::seconds(60);

/// The figures of one computation.
#[derive(Debug, Clone)]
struct Computed {
    at: DateTime<Utc>,
    month_start: DateTime<Utc>,
    per_priority: Vec<(Priority, Figures)>,
}

/// The cached headline figures, shared by the scrapes of one process.
#[derive(Debug, Clone)]
pub struct QosGauges {
    store: Store,
    policy: Arc<Policy>,
    cached: Arc<tokio::sync::Mutex<Option<Computed>>>,
}

impl QosGauges {
    pub fn new(store: Store, policy: Arc<Policy>) -> Self {
        Self {
            store,
            policy,
            cached: Arc::new(tokio::sync::Mutex::new(None)),
        }
    }

    /// Appends the gauges to `text` (nothing when the figures cannot be read: the page says
    /// `ticketd_database_up 0` already in that case).
    pub async fn render(&self, text: &mut String, now: DateTime<Utc>) {
        let mut cached = self.cached.lock().await;
        let fresh = cached
            .as_ref()
            .is_some_and(|c| c.at <= now && now - c.at < REFRESH);
        if !fresh {
            match self.compute(now).await {
                Ok(computed) => *cached = Some(computed),
                Err(error) => {
                    tracing::warn!(%error, "metrics: cannot compute the quality-of-service figures");
                    return;
                }
            }
        }
        if let Some(computed) = cached.as_ref() {
            write_gauges(text, computed);
        }
    }

    async fn compute(&self, now: DateTime<Utc>) -> Result<Computed, String> {
        let today = now.with_timezone(&chrono_tz::Europe::Paris).date_naive();
        let first = today.with_day(1).unwrap_or(today);
        // A month so far: never an invalid period.
        let query = ReportQuery::new(first, today, vec![Dimension::Priority])
            .map_err(|_| "the month so far is not a valid period".to_owned())?;
        let histories = self
            .store
            .report_histories(query.start(), query.end(), None)
            .await
            .map_err(|e| e.to_string())?;
        let computed = report(&query, &histories, &self.policy);
        let per_priority = Priority::ALL
            .iter()
            .map(|p| {
                let figures = computed
                    .groups
                    .iter()
                    .find(|g| g.key.priority == Some(*p))
                    .map(|g| g.figures.clone())
                    .unwrap_or_default();
                (*p, figures)
            })
            .collect();
        Ok(Computed {
            at: now,
            month_start: query.start(),
            per_priority,
        })
    }
}

fn header(text: &mut String, name: &str, help: &str) {
    let _ = writeln!(text, "# HELP {name} {help}");
    let _ = writeln!(text, "# TYPE {name} gauge");
}

fn write_gauges(text: &mut String, computed: &Computed) {
    header(
        text,
        "ticketd_qos_month_start_timestamp_seconds",
        "Unix time of the start of the Paris month the ticketd_qos_* figures cover (so far).",
    );
    let _ = writeln!(
        text,
        "ticketd_qos_month_start_timestamp_seconds {}",
        computed.month_start.timestamp()
    );
    header(
        text,
        "ticketd_qos_computed_timestamp_seconds",
        "Unix time (service clock) at which the ticketd_qos_* figures were computed.",
    );
    let _ = writeln!(
        text,
        "ticketd_qos_computed_timestamp_seconds {}",
        computed.at.timestamp()
    );
    type Pick = fn(&Figures) -> u64;
    let counts: [(&str, &str, Pick, Pick); 3] = [
        (
            "ticketd_qos_measured",
            "First acknowledgements and first resolutions this month, by priority and clock.",
            |f| f.acknowledgement.count,
            |f| f.resolution.count,
        ),
        (
            "ticketd_qos_within_target",
            "Of them, those within their target, by priority and clock.",
            |f| f.acknowledgement.within_target,
            |f| f.resolution.within_target,
        ),
        (
            "ticketd_qos_breaches",
            "SLA breaches recorded this month, by priority and clock.",
            |f| f.breaches.acknowledgement,
            |f| f.breaches.handling,
        ),
    ];
    for (name, help, acknowledgement, handling) in counts {
        header(text, name, help);
        for (priority, figures) in &computed.per_priority {
            let level = priority.level();
            let _ = writeln!(
                text,
                "{name}{{priority=\"P{level}\",clock=\"acknowledgement\"}} {}",
                acknowledgement(figures)
            );
            let _ = writeln!(
                text,
                "{name}{{priority=\"P{level}\",clock=\"handling\"}} {}",
                handling(figures)
            );
        }
    }
    header(
        text,
        "ticketd_qos_within_target_ratio",
        "Share within target this month (absent while nothing was measured), by priority and clock.",
    );
    for (priority, figures) in &computed.per_priority {
        let level = priority.level();
        for (clock, share) in [
            (
                "acknowledgement",
                figures.acknowledgement.within_target_share,
            ),
            ("handling", figures.resolution.within_target_share),
        ] {
            if let Some(share) = share {
                let _ = writeln!(
                    text,
                    "ticketd_qos_within_target_ratio{{priority=\"P{level}\",clock=\"{clock}\"}} {share}"
                );
            }
        }
    }
}
