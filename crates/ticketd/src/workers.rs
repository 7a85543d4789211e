//! The daemon's background workers (clock sweeper, anonymiser, mail dispatcher, IMAP fetchers,
//! housekeeping, stall watch, separate metrics server): started on one [`TaskTracker`], asked to
//! stop by one [`CancellationToken`], and stopped within the one grace period of the process.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tokio_util::task::TaskTracker;

use ticket_store::Store;
use ticket_store::attachments::Attachments;
use ticket_store::clock::Clock;

/// The running workers, each under the name its warnings give it.
#[derive(Debug, Default)]
pub struct Workers {
    stop: CancellationToken,
    tracker: TaskTracker,
    running: Vec<(&'static str, JoinHandle<()>)>,
}

impl Workers {
    /// Completes once the workers are asked to stop: what each worker's loop waits on.
    pub fn stopped(&self) -> WaitForCancellationFutureOwned {
        self.stop.clone().cancelled_owned()
    }

    /// Starts `work` under `name`.
    pub fn spawn(&mut self, name: &'static str, work: impl Future<Output = ()> + Send + 'static) {
        self.running.push((name, self.tracker.spawn(work)));
    }

    /// Asks every worker to stop, waits for them until a second before the grace period counted
    /// from `asked` ends (that second is kept for closing the database and exiting), and stops
    /// the ones still running then.
    pub async fn stop(self, asked: Instant, grace: Duration) {
        self.stop.cancel();
        self.tracker.close();
        let deadline = asked + grace.saturating_sub(Duration::from_secs(1));
        // Timing out is not an error: the workers still running are stopped below.
        let _ = tokio::time::timeout_at(deadline, self.tracker.wait()).await;
        for (name, worker) in self.running {
            if worker.is_finished() {
                if let Err(error) = worker.await {
                    tracing::warn!(%error, "{name} ended abnormally");
                }
            } else {
                // What it was doing is left to the leases (a mail being handed over becomes
                // uncertain, the others pending) and to the next sweep.
                tracing::warn!("{name} did not stop within the grace period; stopped");
                worker.abort();
            }
        }
    }
}

/// Idempotency keys are kept at least 24 h (API conventions); older ones are forgotten hourly, so
/// the table follows the recent traffic.
pub const IDEMPOTENCY_RETENTION: chrono::TimeDelta = chrono::TimeDelta::hours(48);

/// The hourly clean-up: old idempotency keys and rate-limit events, and attachment bytes no
/// attachment names.
#[derive(Debug)]
pub struct Housekeeping {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    /// The longest public rate-limit window: older rate events are forgotten.
    pub rate_window: chrono::TimeDelta,
    pub attachments: Arc<Attachments>,
    /// How old unnamed attachment bytes must be before they are removed.
    pub orphan_grace: chrono::TimeDelta,
}

impl Housekeeping {
    /// Cleans up at once, then hourly, until `stopped` completes.
    pub async fn run(self, stopped: impl Future<Output = ()>) {
        tokio::pin!(stopped);
        loop {
            self.pass().await;
            tokio::select! {
                () = &mut stopped => return,
                () = tokio::time::sleep(Duration::from_secs(3600)) => {}
            }
        }
    }

    async fn pass(&self) {
        match self
            .store
            .purge_idempotency_keys(self.clock.now() - IDEMPOTENCY_RETENTION)
            .await
        {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "old idempotency keys forgotten"),
            Err(error) => tracing::warn!(%error, "cannot purge old idempotency keys"),
        }
        match self
            .store
            .purge_rate_events(self.clock.now() - self.rate_window)
            .await
        {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "old rate-limit events forgotten"),
            Err(error) => tracing::warn!(%error, "cannot purge old rate-limit events"),
        }
        match self
            .store
            .sweep_orphan_blobs(&self.attachments.blobs, self.clock.now(), self.orphan_grace)
            .await
        {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "attachment bytes no attachment names removed"),
            Err(error) => tracing::warn!(%error, "cannot sweep attachment bytes"),
        }
    }
}
