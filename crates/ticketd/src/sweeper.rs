//! The clock sweeper: the background loop that applies what time made due — 75 % warnings,
//! breaches and their escalation, reminders to a silent reporter, automatic closures (rules
//! "Clocks (SLA)", "Escalation", closure condition 3).
//!
//! It sleeps until the earliest due instant of all tickets, and never longer than
//! `sweeper.max_interval_seconds`, so that a deadline another replica or a command brought forward
//! is noticed too. A pass claims due tickets in batches ([`Store::sweep_due`]) until none is left
//! that it has not seen. Time comes from the injected [`Clock`], so tests move it. State lives only
//! in the database: a restarted or second sweeper carries on where the first stopped, and each
//! firing happens once.

use crate::config::ConfigError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use ticket_domain::Policy;
use ticket_domain::values::TicketId;
use ticket_store::clock::Clock;
use ticket_store::{Store, StoreError};
use tokio::sync::watch;

/// The `sweeper` section of the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SweeperConfig {
    /// Whether this process sweeps. Replicas on one PostgreSQL database may all sweep: they share
    /// the work.
    pub enabled: bool,
    /// The longest sleep between two passes, in seconds. The sweeper wakes at the earliest due
    /// instant it knows; this bounds how late it notices one that changed meanwhile.
    pub max_interval_seconds: u64,
    /// Due tickets claimed per transaction.
    pub batch_size: u64,
}

impl Default for SweeperConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_interval_seconds: 60,
            batch_size: 100,
        }
    }
}

impl SweeperConfig {
    /// Longest allowed `max_interval_seconds`: a day, well beyond any useful value.
    const MAX_INTERVAL_LIMIT: u64 = 86_400;
    /// Largest allowed `batch_size`: a batch is one transaction holding its rows.
    const BATCH_LIMIT: u64 = 10_000;

    /// Checks what serde cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=Self::MAX_INTERVAL_LIMIT).contains(&self.max_interval_seconds) {
            return Err(ConfigError::Invalid {
                key: "sweeper.max_interval_seconds",
                reason: format!("must be between 1 and {}", Self::MAX_INTERVAL_LIMIT),
            });
        }
        if !(1..=Self::BATCH_LIMIT).contains(&self.batch_size) {
            return Err(ConfigError::Invalid {
                key: "sweeper.batch_size",
                reason: format!("must be between 1 and {}", Self::BATCH_LIMIT),
            });
        }
        Ok(())
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Batches (transactions on PostgreSQL) the pass took.
    pub batches: usize,
    /// Due tickets claimed.
    pub claimed: usize,
    /// Tickets on which something fired.
    pub swept: usize,
    /// Claimed, but nothing was due after all.
    pub unchanged: usize,
    /// Tickets that could not be swept (logged; retried at the next wake).
    pub failed: usize,
}

/// Passes started and finished, for [`SweeperHandle::sweep_now`].
#[derive(Debug, Clone, Copy, Default)]
struct Passes {
    started: u64,
    finished: u64,
}

/// Wakes a running sweeper, or waits for its next pass.
#[derive(Debug, Clone)]
pub struct SweeperHandle {
    requests: Arc<watch::Sender<u64>>,
    passes: watch::Receiver<Passes>,
}

impl SweeperHandle {
    /// Asks for a pass now instead of at the next planned wake. A request made before a pass
    /// started is answered by that pass; one made during a pass gets another.
    pub fn wake(&self) {
        self.requests.send_modify(|n| *n += 1);
    }

    /// Asks for a pass and waits until one that started after this call has finished and the
    /// sweeper has planned its next wake: what a test calls after moving time. `false` if the
    /// sweeper has stopped.
    pub async fn sweep_now(&self) -> bool {
        let mut passes = self.passes.clone();
        // A pass already running may have read the clock before the caller moved it: wait for the
        // one after.
        let target = passes.borrow_and_update().started + 1;
        self.wake();
        passes.wait_for(|p| p.finished >= target).await.is_ok()
    }
}

/// The sweeper of one ticketd process.
pub struct Sweeper {
    store: Store,
    policy: Arc<Policy>,
    clock: Arc<dyn Clock>,
    max_interval: Duration,
    batch_size: u64,
    /// Counts requests for a pass ([`SweeperHandle::wake`]).
    requests: Arc<watch::Sender<u64>>,
    passes: watch::Sender<Passes>,
}

impl fmt::Debug for Sweeper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sweeper")
            .field("max_interval", &self.max_interval)
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

impl Sweeper {
    /// A sweeper over `store`, applying `policy`, with time from `clock`.
    pub fn new(
        store: Store,
        policy: Arc<Policy>,
        clock: Arc<dyn Clock>,
        config: &SweeperConfig,
    ) -> Self {
        Self {
            store,
            policy,
            clock,
            max_interval: Duration::from_secs(config.max_interval_seconds.max(1)),
            batch_size: config.batch_size.max(1),
            requests: Arc::new(watch::channel(0).0),
            passes: watch::channel(Passes::default()).0,
        }
    }

    pub fn handle(&self) -> SweeperHandle {
        SweeperHandle {
            requests: Arc::clone(&self.requests),
            passes: self.passes.subscribe(),
        }
    }

    /// One pass over every due ticket, now: what tools and benchmarks call instead of
    /// [`Sweeper::run`].
    pub async fn sweep_once(&self) -> Result<PassReport, StoreError> {
        self.pass(&AtomicBool::new(false))
            .await
            .map(|(report, _)| report)
    }

    /// Sweeps at each due instant, at least every `max_interval`, and when woken, until `shutdown`
    /// completes; the batch in progress is finished first.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        let stopping = AtomicBool::new(false);
        let mut requests = self.requests.subscribe();
        tracing::info!(
            max_interval_seconds = self.max_interval.as_secs(),
            batch_size = self.batch_size,
            "clock sweeper started"
        );
        loop {
            // Requests made so far are answered by this pass.
            requests.mark_unchanged();
            self.passes.send_modify(|p| p.started += 1);
            let started = std::time::Instant::now();
            let pass = self.pass(&stopping);
            tokio::pin!(pass);
            let outcome = tokio::select! {
                biased;
                outcome = &mut pass => Some(outcome),
                () = &mut shutdown => {
                    stopping.store(true, Ordering::Relaxed);
                    let _ = pass.await;
                    None
                }
            };
            let Some(outcome) = outcome else { break };
            crate::metrics::sweeper_pass(started.elapsed(), outcome.is_ok());
            let pause = match outcome {
                Ok((report, swept_until)) => {
                    if report.claimed > 0 {
                        tracing::info!(
                            swept = report.swept,
                            unchanged = report.unchanged,
                            failed = report.failed,
                            batches = report.batches,
                            "clock sweep"
                        );
                    }
                    self.pause_after(swept_until).await
                }
                Err(error) => {
                    tracing::warn!(
                        error = %loggable(&error),
                        "the clock sweeper cannot reach the due tickets; retrying at the next wake"
                    );
                    self.max_interval
                }
            };
            // Finished once the next wake is planned: a test that moves time after this moves it
            // while the loop sleeps.
            self.passes.send_modify(|p| p.finished += 1);
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                _ = requests.changed() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
        tracing::info!("clock sweeper stopped");
    }

    /// Batches until no due ticket is left that this pass has not seen, or until `stopping`.
    /// Returns the report and the instant the last batch swept at.
    async fn pass(
        &self,
        stopping: &AtomicBool,
    ) -> Result<(PassReport, chrono::DateTime<chrono::Utc>), StoreError> {
        let mut report = PassReport::default();
        // Tickets this pass saw but left due (failed, nothing to do, or due again at once): not
        // claimed twice in one pass, so the pass ends however the rules and the data behave.
        let mut skip: Vec<TicketId> = Vec::new();
        loop {
            let now = self.clock.now();
            let batch = self
                .store
                .sweep_due(now, &self.policy, self.batch_size, &skip)
                .await?;
            report.batches += 1;
            report.claimed += batch.claimed;
            report.swept += batch.swept.len();
            report.unchanged += batch.unchanged.len();
            report.failed += batch.failed.len();
            for swept in &batch.swept {
                tracing::debug!(ticket_id = %swept.id, "time made something due on a ticket");
                if swept.next_due.is_some_and(|due| due <= now) {
                    skip.push(swept.id);
                }
            }
            skip.extend(&batch.unchanged);
            for (id, error) in &batch.failed {
                tracing::warn!(
                    ticket_id = %id,
                    error = %loggable(error),
                    "cannot sweep a ticket; retrying at the next wake"
                );
                skip.push(*id);
            }
            let full = u64::try_from(batch.claimed).unwrap_or(u64::MAX) >= self.batch_size;
            if !full || stopping.load(Ordering::Relaxed) {
                return Ok((report, now));
            }
        }
    }

    /// How long to sleep after a pass that swept up to `swept_until`: until the next due instant,
    /// at most `max_interval`. What the pass left due (skipped, or held by another replica) waits
    /// for the next wake.
    async fn pause_after(&self, swept_until: chrono::DateTime<chrono::Utc>) -> Duration {
        match self.store.earliest_due_after(swept_until).await {
            Ok(Some(due)) => (due - self.clock.now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(self.max_interval),
            Ok(None) => self.max_interval,
            Err(error) => {
                tracing::warn!(
                    error = %loggable(&error),
                    "the clock sweeper cannot read the next due instant"
                );
                self.max_interval
            }
        }
    }
}

/// An error as it may be logged: the serde message of corrupt data can quote the stored value,
/// which may be personal data.
fn loggable(error: &StoreError) -> String {
    match error {
        StoreError::Corrupt(_) => "corrupt stored data".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    // `Jail` closures return figment's own (large) error type.
    #![allow(clippy::result_large_err)]

    use super::*;
    use crate::config::Config;
    use figment::Jail;

    #[test]
    fn the_sweeper_is_on_by_default_every_minute_at_most_in_batches_of_100() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            let config = Config::load(None).unwrap();
            assert_eq!(
                config.sweeper,
                SweeperConfig {
                    enabled: true,
                    max_interval_seconds: 60,
                    batch_size: 100,
                }
            );
            Ok(())
        });
    }

    #[test]
    fn the_sweeper_is_set_from_the_file_and_nested_variables() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.create_file(
                "ticketd.toml",
                "[sweeper]\nmax_interval_seconds = 15\nenabled = false\n",
            )?;
            jail.set_env("TICKETD_SWEEPER__BATCH_SIZE", "25");
            let config = Config::load(Some(&jail.directory().join("ticketd.toml"))).unwrap();
            assert_eq!(
                config.sweeper,
                SweeperConfig {
                    enabled: false,
                    max_interval_seconds: 15,
                    batch_size: 25,
                }
            );
            Ok(())
        });
    }

    #[test]
    fn values_that_cannot_work_name_their_key() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("TICKETD_SWEEPER__MAX_INTERVAL_SECONDS", "0");
            let message = Config::load(None).unwrap_err().to_string();
            assert!(
                message.contains("`sweeper.max_interval_seconds`"),
                "{message}"
            );
            jail.set_env("TICKETD_SWEEPER__MAX_INTERVAL_SECONDS", "60");
            jail.set_env("TICKETD_SWEEPER__BATCH_SIZE", "0");
            let message = Config::load(None).unwrap_err().to_string();
            assert!(message.contains("`sweeper.batch_size`"), "{message}");
            Ok(())
        });
    }

    #[test]
    fn a_typo_in_the_section_is_refused() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.create_file("ticketd.toml", "[sweeper]\nmax_interval = 15\n")?;
            let message = Config::load(Some(&jail.directory().join("ticketd.toml")))
                .unwrap_err()
                .to_string();
            assert!(message.contains("max_interval"), "{message}");
            Ok(())
        });
    }

    #[test]
    fn corrupt_data_is_logged_without_its_content() {
        let error = StoreError::Corrupt("invalid type: string \"Martin\"".to_owned());
        assert_eq!(loggable(&error), "corrupt stored data");
        assert_eq!(
            loggable(&StoreError::NotFound("ticket")),
            "ticket not found"
        );
    }
}
