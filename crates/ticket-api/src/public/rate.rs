//! Rate limits of the public endpoints: a sliding window per key (an IP address, an email
//! address), kept in memory. Several replicas each keep their own window, so the effective limit
//! is multiplied by the number of replicas; a shared store is a later step if that matters.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

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
}

impl RateLimiter {
    pub fn new(limit: Limit) -> Self {
        Self {
            limit,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Records an event for `key` at `now` if the limit allows it; otherwise says how many
    /// seconds to wait.
    pub fn check(&self, key: &str, now: DateTime<Utc>) -> Result<(), u64> {
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
        assert!(limiter.check("ip", t0).is_ok());
        assert!(limiter.check("ip", t0 + TimeDelta::minutes(10)).is_ok());
        assert_eq!(
            limiter.check("ip", t0 + TimeDelta::minutes(20)),
            Err(40 * 60)
        );
        assert!(limiter.check("other", t0 + TimeDelta::minutes(20)).is_ok());
        assert!(limiter.check("ip", t0 + TimeDelta::minutes(61)).is_ok());
    }
}
