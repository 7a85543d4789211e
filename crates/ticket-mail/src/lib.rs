//! Mail of the ticketing service (rule "Notifications (email)").
//!
//! The domain decides who is told what; the store writes one outbox row per notification in the
//! same transaction as the event. This crate turns rows into mails and delivers them:
//!
//! - [`templates`]: one template per [`ticket_domain::notify::Template`], French and English,
//!   plain text and HTML ([`body`]), the reference in the subject;
//! - [`message`]: Message-ID, threading per ticket, `Auto-Submitted`, `Content-Language`;
//! - [`recipients`]: mailboxes and owners from configuration, reporters, victims and partners'
//!   designated contacts from the ticket and the registry;
//! - [`transport`]: SMTP (off / STARTTLS / TLS, pooled), `.eml` files, memory;
//! - [`dispatcher`]: the loop that claims due rows, sends them and records what happened.

pub mod body;
pub mod config;
pub mod dispatcher;
pub mod message;
pub mod recipients;
pub mod reply;
pub mod templates;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod transport;
mod words;

pub use config::{MailConfig, MailConfigError, UncertainPolicy};
pub use dispatcher::{DispatchReport, Dispatcher, DispatcherWaker};
pub use templates::{MailContext, RenderedMail, render};
pub use transport::{SendError, Transport};
