//! The rules of the incident and identity-theft ticketing service.
//!
//! This crate is the product's rules written as code, and nothing else: no I/O, no async, no web or
//! database types. Every function that depends on time takes `now` as an argument, so the same rules
//! run in handlers, in the clock sweeper and in tests that move time.
//!
//! See `README.md` beside this crate for the table mapping each rule of the domain document to the
//! function that implements it.

pub mod actor;
pub mod audience;
pub mod calendar;
pub mod clock;
pub mod closure;
pub mod escalation;
pub mod event;
pub mod kind;
pub mod lifecycle;
pub mod notify;
pub mod personal;
pub mod policy;
pub mod priority;
pub mod privacy;
pub mod public_report;
pub mod refusal;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod ticket;
pub mod values;

pub use actor::{Actor, Permission, Role};
pub use calendar::Calendar;
pub use clock::{ClockKind, ClockStatus, SlaClock};
pub use closure::{ClosureProof, ClosureReason};
pub use escalation::Tier;
pub use event::{Event, EventData};
pub use kind::{KindData, TicketKind};
pub use lifecycle::{
    Action, Command, Decision, NewTicket, allowed_actions, clock_status, decide, next_deadline,
    next_due, open, sweep,
};
pub use notify::{Language, Notification, Recipient, Template};
pub use policy::Policy;
pub use priority::{Owner, Priority, PriorityTable};
pub use refusal::Refusal;
pub use ticket::{State, Ticket};
