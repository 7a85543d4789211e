//! Which version of a ticket a client holds (API convention: "the ETag a client holds changes only
//! with what that client can see").
//!
//! Every write raises the ticket's internal version (the store's conditional writes use it). A
//! client is shown the version of its *audience* instead: the internal version of the last write
//! holding an event that audience can see. An `If-Match` is current when it is not older than that
//! (so an ETag staff hand to a partner is good as long as the partner's view has not changed).
//!
//! The events an audience sees:
//! - staff: every event except the service's own bookkeeping (a mail accepted by the mail server,
//!   the 75 % warning and the breach alarms, the receipt of an inbound mail);
//! - partners and the public reporter: public events only, bookkeeping excluded too.
//!
//! An event authored by a client always moves its author's audience, so that two commands sent
//! with the same `If-Match` can never both pass.

use crate::actor::Actor;
use crate::event::{Event, EventData, Visibility};

/// Who reads a ticket, as far as its version goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// Operator staff: internal notes and triage details included.
    Staff,
    /// Partners and the public reporter: public events only.
    Public,
}

impl Audience {
    /// The audience of an actor. The service itself (`System`) never holds a version: it is
    /// counted with staff, which see everything it does that is not bookkeeping.
    pub fn of(actor: &Actor) -> Audience {
        match actor {
            Actor::Partner { .. } | Actor::PublicReporter => Audience::Public,
            Actor::Staff { .. } | Actor::System => Audience::Staff,
        }
    }
}

impl EventData {
    /// The service's own record keeping, which changes nothing a client acts on: a mail accepted
    /// by the mail server (proof of a closure condition), the SLA alarms (internal, DOMAIN
    /// "Clocks"), the receipt of an inbound mail (always beside the comment or opening it made).
    pub fn is_bookkeeping(&self) -> bool {
        matches!(
            self,
            EventData::MailDelivered { .. }
                | EventData::ReminderUndeliverable { .. }
                | EventData::SlaWarning { .. }
                | EventData::SlaBreached { .. }
                | EventData::MailReceived { .. }
        )
    }
}

impl Event {
    /// Whether this event raises the version `audience` holds.
    pub fn raises_version_of(&self, audience: Audience) -> bool {
        if Audience::of(&self.actor) == audience && self.actor != Actor::System {
            return true;
        }
        if self.data.is_bookkeeping() {
            return false;
        }
        match audience {
            Audience::Staff => true,
            Audience::Public => self.visibility == Visibility::Public,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::ClockKind;
    use crate::notify::{Recipient, Template};
    use crate::values::{StaffHandle, Text};
    use chrono::{TimeZone, Utc};

    fn event(actor: Actor, visibility: Visibility, data: EventData) -> Event {
        Event {
            at: Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap(),
            actor,
            visibility,
            transition: None,
            data,
            facts: None,
        }
    }

    fn staff() -> Actor {
        Actor::Staff {
            handle: StaffHandle::parse("handle", "alice").unwrap(),
            role: crate::Role::Agent,
        }
    }

    #[test]
    fn a_delivered_mail_raises_no_client_version() {
        let delivered = event(
            Actor::System,
            Visibility::Internal,
            EventData::MailDelivered {
                template: Template::ResolutionConfirmationRequest,
                recipient: Recipient::Reporter,
                delivered_at: Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 1).unwrap(),
            },
        );
        assert!(!delivered.raises_version_of(Audience::Staff));
        assert!(!delivered.raises_version_of(Audience::Public));
        let warning = event(
            Actor::System,
            Visibility::Internal,
            EventData::SlaWarning {
                clock: ClockKind::Handling,
                deadline: Utc.with_ymd_and_hms(2026, 12, 8, 10, 0, 0).unwrap(),
            },
        );
        assert!(!warning.raises_version_of(Audience::Staff));
        assert!(!warning.raises_version_of(Audience::Public));
    }

    #[test]
    fn an_internal_note_raises_the_staff_version_only() {
        let note = event(
            staff(),
            Visibility::Internal,
            EventData::Commented {
                body: Text::parse("body", "vu", 100).unwrap(),
            },
        );
        assert!(note.raises_version_of(Audience::Staff));
        assert!(!note.raises_version_of(Audience::Public));
    }

    #[test]
    fn a_public_event_and_a_partners_own_act_raise_the_public_version() {
        let resolved = event(
            staff(),
            Visibility::Public,
            EventData::Resolved {
                summary: Text::parse("summary", "corrigé", 100).unwrap(),
            },
        );
        assert!(resolved.raises_version_of(Audience::Public));
        assert!(resolved.raises_version_of(Audience::Staff));
        let confirmed = event(
            Actor::PublicReporter,
            Visibility::Internal,
            EventData::ResolutionConfirmed,
        );
        assert!(confirmed.raises_version_of(Audience::Public));
    }
}
