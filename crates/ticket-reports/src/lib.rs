//! Quality-of-service reports (domain rule "Quality of service", annex 4.1 and 4.3), computed from
//! the tickets' events, so that a past period's report never changes.
//!
//! Pure code: the store reads the events ([`TicketHistory`]), this crate computes the figures
//! ([`report`]) and writes them as CSV and SVG.

pub mod chart;
pub mod compute;
pub mod csv;
pub mod figures;
pub mod input;
mod parse;
pub mod query;

pub use compute::report;
pub use figures::Report;
pub use input::{IncidentFacts, ReportEvent, TicketHistory};
pub use query::{Dimension, ReportQuery};
