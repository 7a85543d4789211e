//! `[deadlines]`: how long a request and a statement may wait on PostgreSQL before the answer is
//! 503, so that a server that stopped answering (frozen, partitioned) does not hang requests.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Bounds on waiting for PostgreSQL. (SQLite requests wait for the one writer instead: its busy
/// timeout, 30 s.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeadlinesConfig {
    /// A request still running after this many milliseconds is answered 503 with `Retry-After`,
    /// 500 to 60000.
    pub request_ms: u64,
    /// The same for requests that carry files or gather much (uploads, mail delivered by a
    /// gateway, evidence archives, the access journal's verification, data subjects' requests,
    /// downloads), 1000 to 3600000.
    pub long_request_ms: u64,
    /// PostgreSQL's `statement_timeout` for every session of the pool (migrations excepted),
    /// 500 to 3600000.
    pub statement_ms: u64,
}

impl Default for DeadlinesConfig {
    fn default() -> Self {
        Self {
            request_ms: 4000,
            long_request_ms: 120_000,
            statement_ms: ticket_store::DEFAULT_STATEMENT_TIMEOUT.as_millis() as u64,
        }
    }
}

impl DeadlinesConfig {
    /// The bounds that serde cannot check.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        for (key, value, range) in [
            ("deadlines.request_ms", self.request_ms, 500..=60_000),
            (
                "deadlines.long_request_ms",
                self.long_request_ms,
                1000..=3_600_000,
            ),
            ("deadlines.statement_ms", self.statement_ms, 500..=3_600_000),
        ] {
            if !range.contains(&value) {
                return Err((
                    key,
                    format!("must be between {} and {}", range.start(), range.end()),
                ));
            }
        }
        Ok(())
    }

    /// The per-request deadline the API applies.
    pub fn requests(&self) -> ticket_api::outage::RequestDeadline {
        ticket_api::outage::RequestDeadline {
            regular: Duration::from_millis(self.request_ms),
            long: Duration::from_millis(self.long_request_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use figment::providers::Serialized;

    #[test]
    fn deadlines_are_read_from_their_section_and_bounded() {
        let figment = Config::figment(None).merge(Serialized::default(
            "deadlines",
            DeadlinesConfig {
                request_ms: 2500,
                ..DeadlinesConfig::default()
            },
        ));
        let config = Config::from_figment(&figment).map_err(|e| e.to_string());
        assert_eq!(config.map(|c| c.deadlines.request_ms), Ok(2500));
        for wrong in [
            DeadlinesConfig {
                request_ms: 10,
                ..DeadlinesConfig::default()
            },
            DeadlinesConfig {
                statement_ms: 0,
                ..DeadlinesConfig::default()
            },
        ] {
            let figment = Config::figment(None).merge(Serialized::default("deadlines", wrong));
            assert!(Config::from_figment(&figment).is_err(), "{wrong:?}");
        }
    }
}
