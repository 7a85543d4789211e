//! sea-orm entities, one per table of `migrations/`.

pub mod access_journal;
pub mod access_journal_head;
pub mod api_key;
pub mod attachment;
pub mod contact;
pub mod external_erasure;
pub mod idempotency_key;
pub mod imap_mailbox;
pub mod inbound_mail;
pub mod legal_hold;
pub mod organisation;
pub mod outbox;
pub mod sealed_text;
pub mod service;
pub mod staff_member;
pub mod ticket;
pub mod ticket_event;
pub mod ticket_organisation;
pub mod ticket_search;
pub mod tracking_secret;
pub mod transparency_head;
pub mod transparency_log;
// Staff sign-in (issue 30).
pub mod auth_event;
pub mod signin_attempt;
pub mod staff_identity;
pub mod staff_session;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod webhook_endpoint;
