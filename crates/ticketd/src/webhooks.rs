//! The webhook dispatcher (issue 36): sends the deliveries the store holds, signed per Standard
//! Webhooks, like the mail dispatcher sends the outbox.
//!
//! - Per endpoint one delivery at a time, the oldest first (the change feed's order): a delivery
//!   waits for the earlier ones of its endpoint, so a receiver gets a ticket's events in order.
//!   Endpoints are served side by side, at most `concurrency` at once.
//! - Claims with a lease (`lease_seconds`): several replicas are safe, and a replica killed during
//!   an attempt leaves the delivery to be sent again after the lease, under the same
//!   `webhook-id` (at least once).
//! - Requests through the guarded resolver (no loopback, private, link-local, metadata address
//!   unless allowed), redirects not followed, a timeout, the answer read up to
//!   [`MAX_ANSWER_BYTES`].

use crate::http::webhooks::{WebhookGuard, payload};
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use ticket_domain::privacy::PersonalField;
use ticket_domain::values::TicketId;
use ticket_store::Store;
use ticket_store::clock::Clock;
use ticket_store::privacy::{JournalAction, JournalRecord};
use ticket_store::tickets::TicketKey;
use ticket_store::webhooks::{Attempt, AttemptOutcome, DueDelivery, Settled, message_id};
use ticket_webhooks::resolve::{GuardedResolver, HostsLookup, Lookup, NameLookup};
use ticket_webhooks::{AddressPolicy, Network, check_url, sign};
use uuid::Uuid;

/// How much of an answer is read; the rest is not waited for.
pub const MAX_ANSWER_BYTES: usize = 4096;

/// Webhooks: where they may go and how the dispatcher sends them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    /// Whether this process sends deliveries (any number of replicas may).
    pub dispatcher_enabled: bool,
    /// Whether `http://` URLs are accepted. Never in production: a partner's events would travel
    /// in clear. Tests only.
    pub allow_http: bool,
    /// Addresses or networks accepted although not global (`127.0.0.1`, `10.1.0.0/16`): tests,
    /// or a partner reached over a private link the operator vouches for.
    pub allowed_networks: Vec<String>,
    /// Fixed addresses for some host names (like curl's `--resolve`), looked up before DNS.
    pub hosts: BTreeMap<String, Vec<IpAddr>>,
    /// Whether names outside `hosts` are looked up in DNS (off in tests: no query leaves).
    pub system_dns: bool,
    /// How long one request may take, in seconds, 1 to 60.
    pub timeout_seconds: u64,
    /// How many endpoints are sent to at once (each one delivery at a time), 1 to 256.
    pub concurrency: usize,
    /// How long a claim holds a delivery, in seconds (longer than the timeout).
    pub lease_seconds: u64,
    /// How often the dispatcher looks for due deliveries, in milliseconds.
    pub poll_interval_ms: u64,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        Self {
            dispatcher_enabled: true,
            allow_http: false,
            allowed_networks: Vec::new(),
            hosts: BTreeMap::new(),
            system_dns: true,
            timeout_seconds: 10,
            concurrency: 16,
            lease_seconds: 60,
            poll_interval_ms: 1000,
        }
    }
}

/// Looks names up in `hosts`, then in DNS if allowed; a name in neither does not resolve.
#[derive(Debug, Clone)]
struct ConfiguredLookup {
    hosts: HostsLookup,
    system_dns: bool,
}

impl NameLookup for ConfiguredLookup {
    fn lookup(&self, host: &str) -> Lookup {
        if self.system_dns || self.hosts.hosts.contains_key(&host.to_ascii_lowercase()) {
            self.hosts.lookup(host)
        } else {
            Box::pin(async {
                Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "not in webhooks.hosts",
                ))
            })
        }
    }
}

impl WebhooksConfig {
    /// The address policy.
    pub fn policy(&self) -> anyhow::Result<AddressPolicy> {
        let allowed = self
            .allowed_networks
            .iter()
            .map(|text| {
                Network::parse(text).ok_or_else(|| {
                    anyhow::anyhow!(
                        "webhooks.allowed_networks: `{text}` is not an address or network"
                    )
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(AddressPolicy {
            allow_http: self.allow_http,
            allowed,
        })
    }

    /// Where names are looked up.
    pub fn lookup(&self) -> Arc<dyn NameLookup> {
        Arc::new(ConfiguredLookup {
            hosts: HostsLookup {
                hosts: self
                    .hosts
                    .iter()
                    .map(|(name, addresses)| (name.to_ascii_lowercase(), addresses.clone()))
                    .collect(),
            },
            system_dns: self.system_dns,
        })
    }

    /// The registration check's policy and lookup.
    pub fn guard(&self) -> anyhow::Result<WebhookGuard> {
        Ok(WebhookGuard {
            policy: Arc::new(self.policy()?),
            lookup: self.lookup(),
        })
    }

    /// The resolver the dispatcher's client connects through.
    pub fn resolver(&self) -> anyhow::Result<Arc<dyn reqwest::dns::Resolve>> {
        Ok(Arc::new(GuardedResolver::new(
            self.lookup(),
            Arc::new(self.policy()?),
        )))
    }
}

/// A resolver behind a trait object, for reqwest's `dns_resolver` (which takes a sized type).
struct DynResolver(Arc<dyn reqwest::dns::Resolve>);

impl reqwest::dns::Resolve for DynResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        self.0.resolve(name)
    }
}

/// The webhook dispatcher of this process.
#[derive(Clone)]
pub struct WebhookDispatcher {
    store: Store,
    clock: Arc<dyn Clock>,
    client: reqwest::Client,
    policy: Arc<AddressPolicy>,
    config: WebhooksConfig,
    owner: Uuid,
    wake: Arc<tokio::sync::Notify>,
}

impl std::fmt::Debug for WebhookDispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookDispatcher")
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

impl WebhookDispatcher {
    /// A dispatcher connecting through `resolver` (the configuration's, or a test's wrapping it).
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        config: &WebhooksConfig,
        resolver: Arc<dyn reqwest::dns::Resolve>,
        wake: Arc<tokio::sync::Notify>,
    ) -> anyhow::Result<Self> {
        let timeout = Duration::from_secs(config.timeout_seconds.clamp(1, 60));
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(DynResolver(resolver)))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("ticketd-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            store,
            clock,
            client,
            policy: Arc::new(config.policy()?),
            config: config.clone(),
            owner: Uuid::now_v7(),
            wake,
        })
    }

    /// Sends what is due until `stopped` completes: at once, then at each poll or wake-up.
    pub async fn run(self, stopped: impl std::future::Future<Output = ()>) {
        tokio::pin!(stopped);
        let every = Duration::from_millis(self.config.poll_interval_ms.max(10));
        loop {
            tokio::select! {
                () = &mut stopped => return,
                _ = self.pass() => {}
            }
            tokio::select! {
                () = &mut stopped => return,
                () = tokio::time::sleep(every) => {}
                () = self.wake.notified() => {}
            }
        }
    }

    /// One pass: every endpoint's due delivery, at most `concurrency` at once. Answers how many
    /// attempts were made.
    pub async fn pass(&self) -> usize {
        let now = self.clock.now();
        let due = match self
            .store
            .due_webhook_deliveries(now, self.config.concurrency.clamp(1, 256) as u64 * 4)
            .await
        {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(%error, "cannot read the due webhook deliveries");
                return 0;
            }
        };
        futures_util::stream::iter(due)
            .map(|delivery| async move { self.deliver(delivery).await })
            .buffer_unordered(self.config.concurrency.clamp(1, 256))
            .filter(|sent| std::future::ready(*sent))
            .count()
            .await
    }

    /// Claims and sends one delivery; whether an attempt was made.
    async fn deliver(&self, delivery: DueDelivery) -> bool {
        let now = self.clock.now();
        let lease = chrono::TimeDelta::seconds(
            i64::try_from(
                self.config
                    .lease_seconds
                    .max(self.config.timeout_seconds + 5),
            )
            .unwrap_or(60),
        );
        match self
            .store
            .claim_webhook_delivery(&delivery, self.owner, now, now + lease)
            .await
        {
            Ok(true) => {}
            Ok(false) => return false,
            Err(error) => {
                tracing::warn!(%error, "cannot claim a webhook delivery");
                return false;
            }
        }
        let attempt = self.attempt(&delivery).await;
        let attempt = match attempt {
            Ok(attempt) => attempt,
            Err(error) => {
                // Left to its lease: tried again once it ends.
                tracing::warn!(%error, endpoint = %delivery.endpoint_id, "cannot prepare a webhook delivery");
                return false;
            }
        };
        let outcome = format!("{:?}", std::mem::discriminant(&attempt.outcome));
        match self
            .store
            .settle_webhook_delivery(&delivery, self.owner, attempt, rand::random::<f64>())
            .await
        {
            Ok((settled, disabled)) => {
                if let Some(endpoint) = disabled {
                    tracing::warn!(endpoint = %endpoint.id, organisation = %endpoint.organisation, "webhook endpoint disabled: every delivery failed for a day");
                }
                match settled {
                    Settled::Failed => {
                        tracing::warn!(endpoint = %delivery.endpoint_id, message = %message_id(delivery.event_id), "webhook delivery failed after 3 days of retries")
                    }
                    Settled::LeaseLost => {
                        tracing::warn!(endpoint = %delivery.endpoint_id, "a webhook delivery's lease ended before its answer: another replica sends it")
                    }
                    Settled::Delivered | Settled::Retry(_) => {
                        tracing::debug!(endpoint = %delivery.endpoint_id, outcome, "webhook attempt")
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "cannot settle a webhook delivery"),
        }
        true
    }

    /// Renders, signs and sends one delivery.
    async fn attempt(&self, delivery: &DueDelivery) -> anyhow::Result<Attempt> {
        let endpoint = self
            .store
            .get_webhook_endpoint(delivery.endpoint_id)
            .await?;
        let ticket = self
            .store
            .get_ticket(TicketKey::Id(TicketId(delivery.ticket_id)))
            .await?;
        let event = self.store.event_by_id(delivery.event_id).await?;
        let started = std::time::Instant::now();
        let at = self.clock.now();
        let Some((body, words)) = payload(&ticket, event, endpoint.organisation) else {
            return Ok(Attempt {
                at,
                latency: Duration::ZERO,
                outcome: AttemptOutcome::Withheld,
            });
        };
        if words {
            let actor = ticket_domain::Actor::Partner {
                organisation: endpoint.organisation,
                key_name: "webhook".to_owned(),
            };
            let record = JournalRecord::new(
                JournalAction::TicketRead,
                &actor,
                Some(TicketId(delivery.ticket_id)),
            )
            .fields(vec![PersonalField::OwnWords])
            .detail("webhook");
            self.store.journal(&record, at).await?;
        }
        let body = poem_openapi::types::ToJSON::to_json(&body)
            .map(|value| value.to_string())
            .unwrap_or_default();
        let outcome = self.send(&endpoint.url, delivery, at, body).await;
        Ok(Attempt {
            at,
            latency: started.elapsed(),
            outcome,
        })
    }

    async fn send(
        &self,
        url: &str,
        delivery: &DueDelivery,
        at: chrono::DateTime<chrono::Utc>,
        body: String,
    ) -> AttemptOutcome {
        // The URL's form and a literal address again (the resolver sees names only).
        let url = match check_url(url, &self.policy) {
            Ok(url) => url,
            Err(refusal) => {
                return AttemptOutcome::NoAnswer {
                    error: format!("refused: {}", refusal.rule()),
                };
            }
        };
        let secrets = match self
            .store
            .webhook_signing_secrets(delivery.endpoint_id, at)
            .await
        {
            Ok(secrets) => secrets,
            Err(error) => {
                return AttemptOutcome::NoAnswer {
                    error: format!("store: {error}"),
                };
            }
        };
        let id = message_id(delivery.event_id);
        // The wall clock's, not the service's clock: receivers check it against theirs to refuse
        // replays (Standard Webhooks: within 5 minutes).
        let timestamp = chrono::Utc::now().timestamp();
        let mut keys = vec![secrets.current.as_str()];
        keys.extend(secrets.previous.as_deref());
        let signature = match sign::signature_header(&keys, &id, timestamp, body.as_bytes()) {
            Ok(signature) => signature,
            Err(error) => {
                return AttemptOutcome::NoAnswer {
                    error: error.to_string(),
                };
            }
        };
        let response = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        let mut response = match response {
            Ok(response) => response,
            Err(error) => {
                return AttemptOutcome::NoAnswer {
                    error: describe(&error),
                };
            }
        };
        let status = response.status().as_u16();
        let mut head = Vec::new();
        while head.len() < MAX_ANSWER_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => head.extend_from_slice(&chunk),
                // A broken or slow body after the status: the status is the answer.
                Ok(None) | Err(_) => break,
            }
        }
        head.truncate(MAX_ANSWER_BYTES);
        AttemptOutcome::Answered {
            status,
            head: ticket_store::webhooks::response_head(&head),
        }
    }
}

/// Why a request got no answer, in a few words (never the URL: the log is shown to partners, and
/// lines are logged).
fn describe(error: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<ticket_webhooks::ResolveError>() {
            return match refused {
                ticket_webhooks::ResolveError::Refused { rule, .. } => {
                    format!("refused: {}", rule.name())
                }
                ticket_webhooks::ResolveError::Unresolvable => "host-unresolvable".to_owned(),
            };
        }
        source = cause.source();
    }
    if error.is_timeout() {
        "timeout".to_owned()
    } else if error.is_connect() {
        "connection failed".to_owned()
    } else {
        "request failed".to_owned()
    }
}
