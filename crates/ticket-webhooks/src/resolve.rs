//! Names to addresses, checked: the resolver the webhook client connects through
//! ([`GuardedResolver`], reqwest's `dns_resolver` hook), so that the addresses checked are the
//! addresses connected to — a name cannot answer a global address to the check and a private one
//! to the connection.

use crate::address::{AddressPolicy, AddressRule};
use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

/// The addresses of a name.
pub type Lookup = Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send>>;

/// Where names are looked up.
pub trait NameLookup: Send + Sync + std::fmt::Debug {
    fn lookup(&self, host: &str) -> Lookup;
}

/// The system's resolver (`getaddrinfo`, through tokio).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemLookup;

impl NameLookup for SystemLookup {
    fn lookup(&self, host: &str) -> Lookup {
        let host = format!("{host}:0");
        Box::pin(async move {
            Ok(tokio::net::lookup_host(host)
                .await?
                .map(|a| a.ip())
                .collect())
        })
    }
}

/// Fixed answers for some names (the operator's overrides, like curl's `--resolve`; tests map
/// their names here), the system's resolver for the others.
#[derive(Debug, Clone, Default)]
pub struct HostsLookup {
    pub hosts: BTreeMap<String, Vec<IpAddr>>,
}

impl NameLookup for HostsLookup {
    fn lookup(&self, host: &str) -> Lookup {
        match self.hosts.get(&host.to_ascii_lowercase()) {
            Some(addresses) => {
                let addresses = addresses.clone();
                Box::pin(async move { Ok(addresses) })
            }
            None => SystemLookup.lookup(host),
        }
    }
}

/// Why a name is refused.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("the host name does not resolve")]
    Unresolvable,
    #[error("the host resolves to {address}, refused: {}", rule.name())]
    Refused { address: IpAddr, rule: AddressRule },
}

/// The addresses of `host` if every one is allowed by `policy`; refused if any is not (a name
/// answering one private address among public ones would reach it on some connections).
pub async fn resolve_checked(
    lookup: &dyn NameLookup,
    host: &str,
    policy: &AddressPolicy,
) -> Result<Vec<IpAddr>, ResolveError> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addresses = match host.parse::<IpAddr>() {
        Ok(address) => vec![address],
        Err(_) => lookup
            .lookup(host)
            .await
            .map_err(|_| ResolveError::Unresolvable)?,
    };
    if addresses.is_empty() {
        return Err(ResolveError::Unresolvable);
    }
    for address in &addresses {
        policy
            .check(*address)
            .map_err(|rule| ResolveError::Refused {
                address: *address,
                rule,
            })?;
    }
    Ok(addresses)
}

/// reqwest's resolver for webhook requests: every name through [`resolve_checked`].
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    lookup: Arc<dyn NameLookup>,
    policy: Arc<AddressPolicy>,
}

impl GuardedResolver {
    pub fn new(lookup: Arc<dyn NameLookup>, policy: Arc<AddressPolicy>) -> Self {
        Self { lookup, policy }
    }
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let lookup = self.lookup.clone();
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses = resolve_checked(lookup.as_ref(), &host, &policy).await?;
            let addrs: reqwest::dns::Addrs = Box::new(
                addresses
                    .into_iter()
                    .map(|ip| SocketAddr::new(ip, 0))
                    .collect::<Vec<_>>()
                    .into_iter(),
            );
            Ok(addrs)
        })
    }
}
