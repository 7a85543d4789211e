//! End-to-end tests: one binary, one module per area, each test on its own ticketd.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod attachments;
mod authz;
mod bad_input;
mod changes;
mod client_version;
mod contract;
mod contract_polish;
mod errors;
mod evidence_offline;
mod file_store_outage;
mod health;
mod helpers;
mod identity_provider_list;
mod inbound;
mod key_expiry;
mod keys;
mod mail;
mod need_to_know;
mod need_to_know_property;
mod openapi;
mod operator_rules;
mod privacy;
mod public_form;
mod qos_metrics;
mod registry;
mod reports;
mod round_trips;
mod signin;
mod stories;
mod transparency;
mod triage;
mod webhooks;
