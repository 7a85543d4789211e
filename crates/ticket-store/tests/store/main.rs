//! Store tests: each runs on SQLite and on PostgreSQL, each on its own database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fixtures;
mod keys;
mod outbox;
mod registry;
mod sweep;
mod tickets;
