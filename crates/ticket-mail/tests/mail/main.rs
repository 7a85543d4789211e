//! Mail tests against a real store (SQLite and PostgreSQL) and, for delivery, a real SMTP server
//! (`python3 -m aiosmtpd`) started by each test on a free port.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod delivery;
mod dispatcher;
mod exactly_once;
mod outage;
mod support;
mod threading;
mod uncertain;
