//! End-to-end tests: one binary, one module per area, each test on its own ticketd.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod attachments;
mod authz;
mod bad_input;
mod changes;
mod contract;
mod errors;
mod file_store_outage;
mod health;
mod helpers;
mod inbound;
mod keys;
mod mail;
mod openapi;
mod operator_rules;
mod privacy;
mod public_form;
mod registry;
mod round_trips;
mod stories;
mod triage;
