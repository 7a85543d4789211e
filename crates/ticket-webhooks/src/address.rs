//! Where a webhook may go: never a confused deputy. A partner registers a URL, and the service
//! would send requests to it from inside the operator's network; a URL naming the service's own
//! host, the internal network or a cloud metadata address would turn the service into the
//! partner's proxy. So the URL's host is resolved and refused if any of its addresses is not a
//! global unicast address, at registration and again at each delivery (a name's answer can
//! change), unless the policy allows that address (tests allow 127.0.0.1).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::Host;

/// The longest URL an endpoint may have.
pub const MAX_URL_LENGTH: usize = 2048;

/// Why an address is refused: the rule's name is stable (it is the `rule` of the 422 answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressRule {
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// RFC 1918 (10/8, 172.16/12, 192.168/16), shared address space (100.64/10), IPv6 unique
    /// local addresses (fc00::/7) and the deprecated site-local ones (fec0::/10).
    Private,
    /// 169.254/16 (cloud metadata services live at 169.254.169.254), fe80::/10.
    LinkLocal,
    /// 0.0.0.0/8, ::.
    Unspecified,
    /// 255.255.255.255.
    Broadcast,
    /// 224/4, ff00::/8.
    Multicast,
    /// Anything else that is not a global unicast address: documentation, benchmarking and
    /// reserved ranges, protocol assignments, IPv6 outside 2000::/3.
    NonGlobal,
}

impl AddressRule {
    /// The rule's name.
    pub fn name(self) -> &'static str {
        match self {
            AddressRule::Loopback => "loopback-address",
            AddressRule::Private => "private-address",
            AddressRule::LinkLocal => "link-local-address",
            AddressRule::Unspecified => "unspecified-address",
            AddressRule::Broadcast => "broadcast-address",
            AddressRule::Multicast => "multicast-address",
            AddressRule::NonGlobal => "non-global-address",
        }
    }

    /// Every rule, for documentation and tests.
    pub const ALL: [AddressRule; 7] = [
        AddressRule::Loopback,
        AddressRule::Private,
        AddressRule::LinkLocal,
        AddressRule::Unspecified,
        AddressRule::Broadcast,
        AddressRule::Multicast,
        AddressRule::NonGlobal,
    ];
}

/// A network (`10.0.0.0/8`, `::1/128`, or one address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    /// `a.b.c.d`, `a.b.c.d/n`, an IPv6 address, or one with `/n`.
    pub fn parse(text: &str) -> Option<Network> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix.parse::<u8>().ok()?)),
            None => (text, None),
        };
        let address: IpAddr = address.trim().parse().ok()?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Network { address, prefix })
    }

    /// Whether `ip` is in this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// The operator's rules for webhook URLs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    /// Whether `http://` URLs are accepted (tests only: a partner's events travel in clear).
    pub allow_http: bool,
    /// Addresses accepted although not global (tests: 127.0.0.1).
    pub allowed: Vec<Network>,
}

impl AddressPolicy {
    /// The rule `ip` breaks, if it is not global and not allowed.
    pub fn check(&self, ip: IpAddr) -> Result<(), AddressRule> {
        match classify(ip) {
            Some(rule) if !self.allowed.iter().any(|n| n.contains(ip)) => Err(rule),
            _ => Ok(()),
        }
    }
}

/// The rule a non-global address breaks; `None` for a global unicast address.
pub fn classify(ip: IpAddr) -> Option<AddressRule> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<AddressRule> {
    let [a, b, c, _] = ip.octets();
    if ip.is_broadcast() {
        Some(AddressRule::Broadcast)
    } else if a == 0 {
        Some(AddressRule::Unspecified)
    } else if ip.is_loopback() {
        Some(AddressRule::Loopback)
    } else if ip.is_private() || (a == 100 && (b & 0xc0) == 64) {
        Some(AddressRule::Private)
    } else if ip.is_link_local() {
        Some(AddressRule::LinkLocal)
    } else if ip.is_multicast() {
        Some(AddressRule::Multicast)
    } else if a >= 240
        || (a == 192 && b == 0 && (c == 0 || c == 2))
        || (a == 198 && (b & 0xfe) == 18)
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || (a == 192 && b == 88 && c == 99)
    {
        Some(AddressRule::NonGlobal)
    } else {
        None
    }
}

fn classify_v6(ip: Ipv6Addr) -> Option<AddressRule> {
    // An IPv4 address in IPv6 clothing is judged as itself (mapped ::ffff:a.b.c.d, the
    // deprecated compatible ::a.b.c.d, and the NAT64 well-known prefix 64:ff9b::/96).
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let segments = ip.segments();
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., hi, lo] = segments;
        return classify_v4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    }
    if ip.is_unspecified() {
        Some(AddressRule::Unspecified)
    } else if ip.is_loopback() {
        Some(AddressRule::Loopback)
    } else if segments[..6] == [0, 0, 0, 0, 0, 0] {
        // ::a.b.c.d (IPv4-compatible, deprecated)
        let [.., hi, lo] = segments;
        classify_v4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)))
            .or(Some(AddressRule::NonGlobal))
    } else if (segments[0] & 0xfe00) == 0xfc00 || (segments[0] & 0xffc0) == 0xfec0 {
        Some(AddressRule::Private)
    } else if (segments[0] & 0xffc0) == 0xfe80 {
        Some(AddressRule::LinkLocal)
    } else if (segments[0] & 0xff00) == 0xff00 {
        Some(AddressRule::Multicast)
    } else if (segments[0] & 0xe000) != 0x2000 || (segments[0] == 0x2001 && segments[1] == 0x0db8) {
        Some(AddressRule::NonGlobal)
    } else {
        None
    }
}

/// Why a URL is refused before any name is resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefusal {
    #[error("not an absolute URL")]
    Invalid,
    #[error("the URL must use https")]
    HttpsRequired,
    #[error("the URL must not carry a user name or password")]
    Credentials,
    #[error("the URL must not have a fragment")]
    Fragment,
    #[error("the URL is longer than {MAX_URL_LENGTH} characters")]
    TooLong,
    #[error("the address {address} is refused: {}", rule.name())]
    Address { address: IpAddr, rule: AddressRule },
}

impl UrlRefusal {
    /// The rule's name, for the 422 answer.
    pub fn rule(&self) -> &'static str {
        match self {
            UrlRefusal::Invalid => "url",
            UrlRefusal::HttpsRequired => "https-required",
            UrlRefusal::Credentials => "url-credentials",
            UrlRefusal::Fragment => "url-fragment",
            UrlRefusal::TooLong => "max_length",
            UrlRefusal::Address { rule, .. } => rule.name(),
        }
    }
}

/// The URL, parsed, if its form is accepted and its host (when an address) is allowed; a name is
/// resolved and checked separately ([`crate::resolve`]).
pub fn check_url(text: &str, policy: &AddressPolicy) -> Result<reqwest::Url, UrlRefusal> {
    if text.chars().count() > MAX_URL_LENGTH {
        return Err(UrlRefusal::TooLong);
    }
    let url = reqwest::Url::parse(text).map_err(|_| UrlRefusal::Invalid)?;
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_http => {}
        "http" => return Err(UrlRefusal::HttpsRequired),
        _ => return Err(UrlRefusal::Invalid),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlRefusal::Credentials);
    }
    if url.fragment().is_some() {
        return Err(UrlRefusal::Fragment);
    }
    match url.host() {
        None => Err(UrlRefusal::Invalid),
        Some(Host::Ipv4(v4)) => check_literal(IpAddr::V4(v4), policy).map(|()| url.clone()),
        Some(Host::Ipv6(v6)) => check_literal(IpAddr::V6(v6), policy).map(|()| url.clone()),
        Some(Host::Domain(_)) => Ok(url.clone()),
    }
}

fn check_literal(address: IpAddr, policy: &AddressPolicy) -> Result<(), UrlRefusal> {
    policy
        .check(address)
        .map_err(|rule| UrlRefusal::Address { address, rule })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rule(text: &str) -> Option<AddressRule> {
        classify(text.parse().unwrap())
    }

    #[test]
    fn non_global_addresses_are_named_by_their_rule() {
        for (address, expected) in [
            ("127.0.0.1", AddressRule::Loopback),
            ("127.255.0.9", AddressRule::Loopback),
            ("::1", AddressRule::Loopback),
            ("10.0.0.1", AddressRule::Private),
            ("172.16.5.4", AddressRule::Private),
            ("172.31.255.255", AddressRule::Private),
            ("192.168.0.1", AddressRule::Private),
            ("100.64.0.1", AddressRule::Private),
            ("fd12:3456::1", AddressRule::Private),
            ("169.254.169.254", AddressRule::LinkLocal),
            ("fe80::1", AddressRule::LinkLocal),
            ("0.0.0.0", AddressRule::Unspecified),
            ("::", AddressRule::Unspecified),
            ("255.255.255.255", AddressRule::Broadcast),
            ("224.0.0.1", AddressRule::Multicast),
            ("ff02::1", AddressRule::Multicast),
            ("192.0.2.1", AddressRule::NonGlobal),
            ("198.18.0.1", AddressRule::NonGlobal),
            ("240.0.0.1", AddressRule::NonGlobal),
            ("2001:db8::1", AddressRule::NonGlobal),
            ("::ffff:169.254.169.254", AddressRule::LinkLocal),
            ("::ffff:10.0.0.1", AddressRule::Private),
            ("64:ff9b::a9fe:a9fe", AddressRule::LinkLocal),
        ] {
            assert_eq!(rule(address), Some(expected), "{address}");
        }
        for global in [
            "93.184.216.34",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
        ] {
            assert_eq!(rule(global), None, "{global}");
        }
    }

    #[test]
    fn the_policy_allows_only_what_it_lists() {
        let policy = AddressPolicy {
            allow_http: true,
            allowed: vec![Network::parse("127.0.0.1").unwrap()],
        };
        assert_eq!(policy.check("127.0.0.1".parse().unwrap()), Ok(()));
        assert_eq!(
            policy.check("127.0.0.2".parse().unwrap()),
            Err(AddressRule::Loopback)
        );
        let network = Network::parse("10.1.0.0/16").unwrap();
        assert!(network.contains("10.1.200.3".parse().unwrap()));
        assert!(!network.contains("10.2.0.1".parse().unwrap()));
        assert!(Network::parse("10.0.0.0/33").is_none());
    }

    #[test]
    fn urls_are_https_without_credentials_and_literal_addresses_are_checked() {
        let strict = AddressPolicy::default();
        assert!(check_url("https://hooks.example.org/ticketd", &strict).is_ok());
        let refused = |url: &str| check_url(url, &strict).unwrap_err().rule();
        assert_eq!(refused("http://hooks.example.org/"), "https-required");
        assert_eq!(
            refused("https://user:pw@hooks.example.org/"),
            "url-credentials"
        );
        assert_eq!(refused("https://hooks.example.org/#x"), "url-fragment");
        assert_eq!(refused("https://169.254.169.254/"), "link-local-address");
        assert_eq!(refused("https://[::1]/"), "loopback-address");
        assert_eq!(refused("file:///etc/passwd"), "url");
        assert_eq!(refused("not a url"), "url");
    }
}
