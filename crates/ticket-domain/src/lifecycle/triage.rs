//! Commands that sort and route a ticket: acknowledge, assign, set the priority, escalate, cancel,
//! link (rules "Priorities", "Lifecycle", "Escalation").

use super::change::Change;
use super::permits::check_priority;
use crate::event::{EscalationCause, EventData, Visibility};
use crate::priority::Priority;
use crate::refusal::{Refusal, Rule};
use crate::ticket::{Cancellation, Link, LinkKind, State};
use crate::values::{StaffHandle, Text, TicketId};

pub(super) fn acknowledge(change: &mut Change<'_>, note: Option<Text>) -> Result<(), Refusal> {
    let now = change.now;
    let t = &mut change.ticket;
    t.acknowledged_at = Some(now);
    t.acknowledgement_clock.stop(now);
    change.transition(
        State::Acknowledged,
        Visibility::Public,
        EventData::Acknowledged { note },
    );
    Ok(())
}

/// Assigning an acknowledged ticket starts the work on it.
pub(super) fn assign(change: &mut Change<'_>, assignee: StaffHandle) -> Result<(), Refusal> {
    let state = change.ticket.state;
    change.ticket.assignee = Some(assignee.clone());
    let data = EventData::Assigned { assignee };
    if state == State::Acknowledged {
        change.transition(State::InProgress, Visibility::Internal, data);
    } else {
        change.record(Visibility::Internal, None, data);
    }
    Ok(())
}

pub(super) fn set_priority(
    change: &mut Change<'_>,
    priority: Priority,
    reason: Text,
) -> Result<(), Refusal> {
    check_priority(&change.ticket, &change.actor, priority)?;
    // The running clocks are measured against the new target from now on; an alarm that already
    // fired on a clock does not fire again (rule "Clocks (SLA)").
    let from = change.ticket.priority;
    change.ticket.priority = priority;
    change.record(
        Visibility::Public,
        None,
        EventData::PriorityChanged {
            from,
            to: priority,
            reason,
        },
    );
    Ok(())
}

/// A manual escalation: one tier up (rule "Escalation").
pub(super) fn escalate(change: &mut Change<'_>, reason: Text) -> Result<(), Refusal> {
    let from = change.ticket.tier;
    let next = from.next().ok_or_else(|| {
        Refusal::new(
            Rule::TopTierReached,
            "the ticket is already with the supervisor",
        )
    })?;
    change.ticket.tier = next;
    change.record(
        Visibility::Internal,
        None,
        EventData::Escalated {
            from,
            to: next,
            cause: EscalationCause::Manual { reason },
        },
    );
    Ok(())
}

/// Any open ticket may be cancelled as spam or as the duplicate of another, which it then links.
pub(super) fn cancel(
    change: &mut Change<'_>,
    cancellation: Cancellation,
    note: Option<Text>,
) -> Result<(), Refusal> {
    if let Cancellation::Duplicate { of } = &cancellation {
        if *of == change.ticket.id {
            return Err(Refusal::new(
                Rule::SelfReference,
                "a ticket cannot duplicate itself",
            ));
        }
        change.ticket.links.push(Link {
            ticket: *of,
            kind: LinkKind::DuplicateOf,
        });
    }
    let now = change.now;
    let t = &mut change.ticket;
    t.cancellation = Some(cancellation.clone());
    t.acknowledgement_clock.stop(now);
    t.handling_clock.stop(now);
    t.waiting_since = None;
    change.transition(
        State::Cancelled,
        Visibility::Public,
        EventData::Cancelled { cancellation, note },
    );
    Ok(())
}

/// Links another ticket; linking twice the same way records nothing new.
pub(super) fn link(
    change: &mut Change<'_>,
    other: TicketId,
    link: LinkKind,
) -> Result<(), Refusal> {
    if other == change.ticket.id {
        return Err(Refusal::new(
            Rule::SelfReference,
            "a ticket cannot be linked to itself",
        ));
    }
    if !change.ticket.has_link(other, link) {
        change.ticket.links.push(Link {
            ticket: other,
            kind: link,
        });
        change.record(
            Visibility::Internal,
            None,
            EventData::Linked {
                ticket: other,
                link,
            },
        );
    }
    Ok(())
}
