//! One test per rule of the domain document, named after the rule it checks; one file a section
//! of the document.
//!
//! Instants: November 2026 in Paris is UTC+1, so 10:00 Paris is 09:00Z; 2026-11-23 is a Monday.

use ticket_domain::testkit::*;
use ticket_domain::{ClosureProof, ClosureReason, Command, Role};

const MONDAY_10H_PARIS: &str = "2026-11-23T09:00:00Z";

fn close(reason: ClosureReason, note: Option<&str>) -> Command {
    Command::Close {
        reason,
        proof: ClosureProof {
            note: note.map(text),
        },
    }
}

mod actors;
mod channels;
mod clocks;
mod closure;
mod escalation;
fn resolved(reporter_email: bool) -> ticket_domain::Ticket {
    let mut new = incident(false, MONDAY_10H_PARIS);
    if reporter_email {
        new.reporter_email =
            Some(ticket_domain::values::EmailAddress::parse("e", "ops@partenaire.fr").unwrap());
    }
    let t = open_as(&partner(PARTNER), new, MONDAY_10H_PARIS).ticket;
    let agent = staff(Role::Agent);
    let t = apply(
        &t,
        Command::Acknowledge { note: None },
        &agent,
        MONDAY_10H_PARIS,
    )
    .ticket;
    let d = apply(
        &t,
        Command::Resolve {
            summary: text("corrigé"),
        },
        &agent,
        MONDAY_10H_PARIS,
    );
    deliver_mails(&d, MONDAY_10H_PARIS)
}

fn closed_ticket(closed_at: &str) -> ticket_domain::Ticket {
    let t = incident_in_progress(MONDAY_10H_PARIS);
    let d = apply(
        &t,
        Command::Resolve {
            summary: text("corrigé"),
        },
        &staff(Role::Agent),
        MONDAY_10H_PARIS,
    );
    let t = deliver_mails(&d, MONDAY_10H_PARIS);
    apply(
        &t,
        close(ClosureReason::ResolvedByOperator, None),
        &staff(Role::Agent),
        closed_at,
    )
    .ticket
}

mod kinds;
mod lifecycle;
mod notifications;
mod operator;
mod priorities;
