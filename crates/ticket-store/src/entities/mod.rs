//! sea-orm entities, one per table of `migrations/`.

pub mod api_key;
pub mod contact;
pub mod idempotency_key;
pub mod organisation;
pub mod outbox;
pub mod service;
pub mod staff_member;
pub mod ticket;
pub mod ticket_event;
pub mod ticket_organisation;
pub mod ticket_search;
pub mod tracking_secret;
