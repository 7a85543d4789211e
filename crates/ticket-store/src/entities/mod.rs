//! sea-orm entities, one per table of `migrations/`.

pub mod api_key;
pub mod contact;
pub mod idempotency_key;
pub mod imap_mailbox;
pub mod inbound_mail;
pub mod organisation;
pub mod outbox;
pub mod service;
pub mod ticket;
pub mod ticket_event;
pub mod ticket_organisation;
pub mod tracking_secret;
