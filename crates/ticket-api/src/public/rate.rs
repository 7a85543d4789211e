//! Rate limits of the public endpoints: a sliding window per key (an IP address, an email
//! address). On PostgreSQL the windows are kept in the database ([`RateLimiter::shared`]), so
//! replicas on one database share them and N replicas still allow the limit, not N times it; the
//! key is stored only as a keyed hash. On SQLite (one process) they are kept in memory.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use ticket_store::Store;

/// Where the windows of a shared limiter are kept: the database, under keyed hashes.
struct Shared {
    store: Store,
    /// Names the limit in the bucket, so two limits never share one.
    name: &'static str,
    /// Keys the bucket hash, so that a stored bucket cannot be traced back to an address.
    key: Vec<u8>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A limit: at most `max` events per `window_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    pub max: u32,
    pub window_seconds: i64,
}

/// Sliding windows, one per key.
#[derive(Debug)]
pub struct RateLimiter {
    limit: Limit,
    windows: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
    shared: Option<Shared>,
}

impl RateLimiter {
    /// Windows kept in this process's memory.
    pub fn new(limit: Limit) -> Self {
        Self {
            limit,
            windows: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// Windows kept in `store`'s database and shared with every replica on it; `name` tells this
    /// limit's buckets from the others', `key` (a secret shared by the replicas) keys their hash.
    pub fn shared(limit: Limit, store: Store, name: &'static str, key: &[u8]) -> Self {
        Self {
            shared: Some(Shared {
                store,
                name,
                key: key.to_vec(),
            }),
            ..Self::new(limit)
        }
    }

    /// Records an event for `key` at `now` if the limit allows it; otherwise says how many
    /// seconds to wait. A shared limiter whose database cannot be reached lets the event through
    /// (logged): what follows needs the database anyway and answers 503 itself.
    pub async fn check(&self, key: &str, now: DateTime<Utc>) -> Result<(), u64> {
        let Some(shared) = &self.shared else {
            return self.check_in_memory(key, now);
        };
        let bucket = bucket(shared, key);
        let window = TimeDelta::seconds(self.limit.window_seconds.max(1));
        match shared
            .store
            .rate_check(&bucket, self.limit.max, window, now)
            .await
        {
            Ok(verdict) => verdict,
            Err(error) => {
                tracing::warn!(%error, limit = shared.name, "rate limit not checked: database error");
                Ok(())
            }
        }
    }

    fn check_in_memory(&self, key: &str, now: DateTime<Utc>) -> Result<(), u64> {
        let window = TimeDelta::seconds(self.limit.window_seconds.max(1));
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        // Forget keys whose events all left the window, so memory follows the recent traffic.
        if windows.len() > 10_000 {
            windows.retain(|_, events| events.back().is_some_and(|last| *last > now - window));
        }
        let events = windows.entry(key.to_owned()).or_default();
        while events.front().is_some_and(|first| *first <= now - window) {
            events.pop_front();
        }
        if events.len() >= self.limit.max as usize {
            let oldest = events.front().copied().unwrap_or(now);
            let wait = (oldest + window - now).num_seconds().max(1);
            return Err(u64::try_from(wait).unwrap_or(1));
        }
        events.push_back(now);
        Ok(())
    }
}

/// `name:` and the HMAC-SHA256 of `key`, hex: what the database keeps instead of the address.
fn bucket(shared: &Shared, key: &str) -> String {
    use hmac::{Hmac, Mac as _};
    let digest = match Hmac::<sha2::Sha256>::new_from_slice(&shared.key) {
        Ok(mut mac) => {
            mac.update(shared.name.as_bytes());
            mac.update(b"\0");
            mac.update(key.as_bytes());
            hex::encode(&mac.finalize().into_bytes()[..24])
        }
        // HMAC takes keys of any length: this cannot happen.
        Err(_) => String::new(),
    };
    format!("{}:{digest}", shared.name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_refuses_the_event_over_it_and_says_when_to_retry() {
        let limiter = RateLimiter::new(Limit {
            max: 2,
            window_seconds: 3600,
        });
        let t0 = DateTime::parse_from_rfc3339("2026-11-23T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert!(limiter.check_in_memory("ip", t0).is_ok());
        assert!(
            limiter
                .check_in_memory("ip", t0 + TimeDelta::minutes(10))
                .is_ok()
        );
        assert_eq!(
            limiter.check_in_memory("ip", t0 + TimeDelta::minutes(20)),
            Err(40 * 60)
        );
        assert!(
            limiter
                .check_in_memory("other", t0 + TimeDelta::minutes(20))
                .is_ok()
        );
        assert!(
            limiter
                .check_in_memory("ip", t0 + TimeDelta::minutes(61))
                .is_ok()
        );
    }
}
