//! Staff sessions nobody uses any more end at their timeout too (issue 30): every minute, the
//! sessions past their idle or absolute timeout are ended and recorded as such in the audit list
//! (a session used again meets its timeout on that request).

use std::sync::Arc;
use std::time::Duration;
use ticket_store::Store;
use ticket_store::clock::Clock;
use ticket_store::signin::SessionLimits;

/// How often the sweep looks.
const EVERY: Duration = Duration::from_secs(60);

/// What the sweep needs.
#[derive(Debug)]
pub struct SessionSweep {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub limits: SessionLimits,
}

impl SessionSweep {
    /// Ends stale sessions every minute until `stopped` completes.
    pub async fn run(self, stopped: impl Future<Output = ()>) {
        tokio::pin!(stopped);
        loop {
            tokio::select! {
                () = &mut stopped => return,
                () = tokio::time::sleep(EVERY) => {}
            }
            match self
                .store
                .end_stale_sessions(self.limits, self.clock.now())
                .await
            {
                Ok(0) => {}
                Ok(ended) => tracing::info!(ended, "staff sessions ended by their timeout"),
                Err(error) => tracing::warn!(%error, "cannot end the timed-out staff sessions"),
            }
        }
    }
}
