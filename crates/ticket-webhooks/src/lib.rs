//! Webhooks for partners (issue 36), the parts without a database: where a webhook may go (the
//! address rules and the guarded resolver the client connects through) and how it is signed
//! (Standard Webhooks). The deliveries are ticket-store's; the dispatcher is ticketd's.

pub mod address;
pub mod resolve;
pub mod sign;

pub use address::{AddressPolicy, AddressRule, Network, UrlRefusal, check_url};
pub use resolve::{GuardedResolver, HostsLookup, NameLookup, ResolveError, SystemLookup};
