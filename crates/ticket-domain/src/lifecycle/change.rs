//! A ticket being changed by one actor at one instant: the events recorded so far, and the changes
//! several commands share.

use super::clocks::clock_status;
use super::{Decision, Record};
use crate::actor::Actor;
use crate::clock::{ClockKind, SlaClock};
use crate::closure::ClosureReason;
use crate::event::{Event, EventData, TicketFacts, Visibility};
use crate::notify;
use crate::policy::Policy;
use crate::ticket::{ClosureRecord, ReporterOrigin, Resolution, State, Ticket};
use crate::values::Text;
use chrono::{DateTime, Utc};

pub(super) fn clock_of(ticket: &Ticket, kind: ClockKind) -> &SlaClock {
    match kind {
        ClockKind::Acknowledgement => &ticket.acknowledgement_clock,
        ClockKind::Handling => &ticket.handling_clock,
    }
}

pub(super) fn clock_of_mut(ticket: &mut Ticket, kind: ClockKind) -> &mut SlaClock {
    match kind {
        ClockKind::Acknowledgement => &mut ticket.acknowledgement_clock,
        ClockKind::Handling => &mut ticket.handling_clock,
    }
}

/// A ticket being changed by one actor at one instant, and the events recorded so far.
pub(super) struct Change<'p> {
    pub(super) ticket: Ticket,
    pub(super) actor: Actor,
    pub(super) now: DateTime<Utc>,
    pub(super) policy: &'p Policy,
    pub(super) events: Vec<Event>,
}

impl<'p> Change<'p> {
    pub(super) fn new(
        ticket: Ticket,
        actor: Actor,
        now: DateTime<Utc>,
        policy: &'p Policy,
    ) -> Self {
        Self {
            ticket,
            actor,
            now,
            policy,
            events: Vec::new(),
        }
    }

    /// The ticket as it stands right after the event being recorded, for the mails announcing it.
    pub(super) fn facts(&self) -> TicketFacts {
        let deadline = |kind| {
            let clock = clock_of(&self.ticket, kind);
            if clock.stopped {
                None
            } else {
                clock_status(&self.ticket, kind, self.policy, self.now).deadline
            }
        };
        TicketFacts {
            state: self.ticket.state,
            priority: self.ticket.priority,
            tier: self.ticket.tier,
            assignee: self.ticket.assignee.clone(),
            acknowledgement_deadline: deadline(ClockKind::Acknowledgement),
            handling_deadline: deadline(ClockKind::Handling),
        }
    }

    pub(super) fn record(
        &mut self,
        visibility: Visibility,
        transition: Option<(State, State)>,
        data: EventData,
    ) {
        let facts = self.facts();
        self.events.push(Event {
            at: self.now,
            actor: self.actor.clone(),
            visibility,
            transition,
            data,
            facts: Some(facts),
        });
    }

    /// Moves the ticket to `to` and records why.
    pub(super) fn transition(&mut self, to: State, visibility: Visibility, data: EventData) {
        let from = self.ticket.state;
        self.ticket.state = to;
        self.record(visibility, Some((from, to)), data);
    }

    /// Routes each event's notifications against the ticket as it stood right after that event.
    pub(super) fn finish(mut self) -> Decision {
        self.ticket.updated_at = self.now;
        let policy = self.policy;
        let ticket = &self.ticket;
        let records = self
            .events
            .into_iter()
            .map(|event| Record {
                notifications: notify::route(&event.facts_applied_to(ticket), &event, policy),
                event,
            })
            .collect();
        Decision {
            ticket: self.ticket,
            records,
        }
    }

    /// Closes the ticket for `reason` (every condition already checked).
    pub(super) fn close(&mut self, reason: ClosureReason, note: Option<Text>) {
        let now = self.now;
        let t = &mut self.ticket;
        t.acknowledgement_clock.stop(now);
        t.handling_clock.stop(now);
        t.waiting_since = None;
        t.closure = Some(ClosureRecord {
            at: now,
            reason,
            note: note.clone(),
        });
        self.transition(
            State::Closed,
            Visibility::Public,
            EventData::Closed { reason, note },
        );
    }
}

/// Records the resolution and stops the clocks (a resolution, or an unfounded report).
pub(super) fn set_resolution(ticket: &mut Ticket, now: DateTime<Utc>, summary: Text) {
    ticket.acknowledgement_clock.stop(now);
    ticket.handling_clock.stop(now);
    ticket.waiting_since = None;
    // A staff reporter follows the ticket directly; anyone else is notified once the mail server
    // accepted the mail announcing the resolution (`RecordMailDelivered`).
    let reporter_notified = matches!(ticket.reporter.origin, ReporterOrigin::Staff { .. });
    ticket.resolution = Some(Resolution {
        at: now,
        summary,
        reporter_notified,
    });
}

pub(super) fn resume_after_wait(ticket: &mut Ticket, now: DateTime<Utc>) {
    ticket.handling_clock.resume(now);
    ticket.waiting_since = None;
    ticket.reminders_sent = 0;
    ticket.last_reminder_at = None;
    ticket.last_reminder_delivered_at = None;
}

/// The reporter says the resolution does not fix it: back to work, the handling clock runs again.
pub(super) fn reopen_after_rejection(ticket: &mut Ticket, now: DateTime<Utc>) {
    ticket.resolution = None;
    ticket.confirmation = None;
    ticket.handling_clock.resume(now);
}
