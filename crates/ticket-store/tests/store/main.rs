//! Store tests: each runs on SQLite and on PostgreSQL, each on its own database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod changes;
mod evidence;
mod fixtures;
mod key_expiry;
mod keys;
mod lists;
mod outbox;
mod outbox_staff;
mod registry;
mod reports;
mod resilience;
mod sessions;
mod sweep;
mod tickets;
mod transparency;
mod webhooks;
