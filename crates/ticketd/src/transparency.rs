//! The transparency log's worker (issue 33): every few seconds, the chain heads of the tickets
//! whose chain grew are appended to the log and a new tree head is signed (see
//! `ticket_store::transparency`). Replicas may all run it: appends are serialised in the database.
//!
//! The log runs when `transparency.signing_key` is set (32 random bytes, base64: `openssl rand
//! -base64 32`); its public key is logged at start and served at [`KEY_PATH`], for partners,
//! auditors and witnesses.

use crate::config::ConfigError;
use base64::Engine as _;
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use ticket_log::{LogSigner, LogVerifier};
use ticket_store::Store;
use ticket_store::clock::Clock;

/// Where the log's public key is served (text: `name+keyid+base64key`).
pub const KEY_PATH: &str = "/.well-known/ticketd-transparency-key";

/// The `transparency` section of the configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TransparencyConfig {
    /// The log's Ed25519 signing key: its 32-byte seed, base64. No key, no log.
    #[serde(serialize_with = "serialize_key")]
    pub signing_key: Option<SecretString>,
    /// The name the key signs with (a host name of the operator, say).
    pub key_name: String,
    /// The log's name, the first line of each signed head.
    pub origin: String,
    /// Seconds between two appends.
    pub interval_seconds: u64,
    /// Events read from the change feed per append.
    pub batch_size: u64,
}

/// The key as itself: a configuration is serialised once `Config::redacted`, which masks it.
fn serialize_key<S: serde::Serializer>(
    key: &Option<SecretString>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match key {
        Some(key) => serializer.serialize_some(key.expose_secret()),
        None => serializer.serialize_none(),
    }
}

impl Default for TransparencyConfig {
    fn default() -> Self {
        Self {
            signing_key: None,
            key_name: "ticketd".to_owned(),
            origin: "ticketd/transparency-log".to_owned(),
            interval_seconds: 5,
            batch_size: 1000,
        }
    }
}

impl PartialEq for TransparencyConfig {
    fn eq(&self, other: &Self) -> bool {
        self.signing_key
            .as_ref()
            .map(|k| k.expose_secret().to_owned())
            == other
                .signing_key
                .as_ref()
                .map(|k| k.expose_secret().to_owned())
            && self.key_name == other.key_name
            && self.origin == other.origin
            && self.interval_seconds == other.interval_seconds
            && self.batch_size == other.batch_size
    }
}

impl TransparencyConfig {
    /// The signer, if a key is set; an error names the key and why.
    pub fn signer(&self) -> Result<Option<LogSigner>, ConfigError> {
        let Some(key) = &self.signing_key else {
            return Ok(None);
        };
        let seed: [u8; 32] = base64::engine::general_purpose::STANDARD
            .decode(key.expose_secret().trim())
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| ConfigError::Invalid {
                key: "transparency.signing_key",
                reason: "must be 32 bytes in base64 (openssl rand -base64 32)".to_owned(),
            })?;
        LogSigner::from_seed(&self.key_name, &seed)
            .map(Some)
            .ok_or_else(|| ConfigError::Invalid {
                key: "transparency.key_name",
                reason: "must be a name without spaces or '+'".to_owned(),
            })
    }

    /// Checks what serde cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.signer()?;
        if self.origin.trim().is_empty() || self.origin.contains('\n') {
            return Err(ConfigError::Invalid {
                key: "transparency.origin",
                reason: "must be one non-empty line".to_owned(),
            });
        }
        if !(1..=3600).contains(&self.interval_seconds) {
            return Err(ConfigError::Invalid {
                key: "transparency.interval_seconds",
                reason: "must be between 1 and 3600".to_owned(),
            });
        }
        if !(1..=1000).contains(&self.batch_size) {
            return Err(ConfigError::Invalid {
                key: "transparency.batch_size",
                reason: "must be between 1 and 1000".to_owned(),
            });
        }
        Ok(())
    }
}

/// The worker that appends chain heads and signs tree heads.
#[derive(Debug, Clone)]
pub struct TransparencyLog {
    store: Store,
    clock: Arc<dyn Clock>,
    signer: Arc<LogSigner>,
    origin: String,
    interval: Duration,
    batch_size: u64,
}

impl TransparencyLog {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        signer: LogSigner,
        config: &TransparencyConfig,
    ) -> Self {
        Self {
            store,
            clock,
            signer: Arc::new(signer),
            origin: config.origin.clone(),
            interval: Duration::from_secs(config.interval_seconds),
            batch_size: config.batch_size,
        }
    }

    pub fn verifier(&self) -> LogVerifier {
        self.signer.verifier()
    }

    /// Appends until every chain head committed so far is in the log; the number of heads signed.
    pub async fn pass(&self) -> Result<u64, ticket_store::StoreError> {
        let mut signed = 0;
        while self
            .store
            .log_append(
                &self.signer,
                &self.origin,
                self.clock.now(),
                self.batch_size,
            )
            .await?
            .is_some()
        {
            signed += 1;
        }
        Ok(signed)
    }

    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        loop {
            if let Err(error) = self.pass().await {
                tracing::warn!(%error, "transparency log append failed; retried at the next one");
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(self.interval) => {}
            }
        }
    }
}
