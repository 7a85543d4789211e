//! The ticket as the rules see it.

use crate::actor::Actor;
use crate::clock::SlaClock;
use crate::closure::ClosureReason;
use crate::escalation::Tier;
use crate::kind::{KindData, TicketKind};
use crate::notify::Language;
use crate::priority::Priority;
use crate::values::{EmailAddress, OrganisationId, StaffHandle, Text, TicketId};
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Lifecycle states (rule "Lifecycle").
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum State {
    New,
    Acknowledged,
    InProgress,
    WaitingReporter,
    Resolved,
    Closed,
    Cancelled,
}

impl State {
    pub const ALL: [State; 7] = [
        State::New,
        State::Acknowledged,
        State::InProgress,
        State::WaitingReporter,
        State::Resolved,
        State::Closed,
        State::Cancelled,
    ];

    /// Open states: everything but closed and cancelled.
    pub fn is_open(self) -> bool {
        !matches!(self, State::Closed | State::Cancelled)
    }

    pub fn name(self) -> &'static str {
        self.into()
    }

    pub fn parse(name: &str) -> Option<State> {
        name.parse().ok()
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A human reference such as `INC-2026-000042`: kind prefix, year of creation, sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reference {
    pub kind: TicketKind,
    pub year: i32,
    pub number: u32,
}

impl Reference {
    pub fn new(kind: TicketKind, created_at: DateTime<Utc>, number: u32) -> Self {
        Self {
            kind,
            year: created_at.year(),
            number,
        }
    }

    /// Parses `INC-2026-000042` (case-insensitive prefix); `None` if it is not a reference.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.trim().splitn(3, '-');
        let prefix = parts.next()?.to_ascii_uppercase();
        let year = parts.next()?;
        let number = parts.next()?;
        let kind = TicketKind::ALL
            .into_iter()
            .find(|k| k.reference_prefix() == prefix)?;
        if year.len() != 4 || number.is_empty() || number.len() > 9 {
            return None;
        }
        if !year
            .bytes()
            .chain(number.bytes())
            .all(|b| b.is_ascii_digit())
        {
            return None;
        }
        Some(Self {
            kind,
            year: year.parse().ok()?,
            number: number.parse().ok()?,
        })
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{:04}-{:06}",
            self.kind.reference_prefix(),
            self.year,
            self.number
        )
    }
}

/// Where the report came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReporterOrigin {
    Partner { organisation: OrganisationId },
    Public,
    Staff { handle: StaffHandle },
}

/// The reporter: who is asked questions, asked to confirm, reminded and told of closure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reporter {
    pub origin: ReporterOrigin,
    /// Where to write; for a partner without one, its designated contacts.
    pub email: Option<EmailAddress>,
    pub language: Language,
}

impl Reporter {
    /// Whether `actor` is this reporter (a partner of the reporting organisation, or the public
    /// holder of the tracking link).
    pub fn is(&self, actor: &Actor) -> bool {
        match (&self.origin, actor) {
            (
                ReporterOrigin::Partner { organisation },
                Actor::Partner {
                    organisation: o, ..
                },
            ) => organisation == o,
            (ReporterOrigin::Public, Actor::PublicReporter) => true,
            (ReporterOrigin::Staff { handle }, Actor::Staff { handle: h, .. }) => handle == h,
            _ => false,
        }
    }

    /// Whether the reporter can be written to at all (staff reporters follow the ticket directly).
    pub fn can_be_notified(&self) -> bool {
        match self.origin {
            ReporterOrigin::Partner { .. } => true,
            ReporterOrigin::Public => self.email.is_some(),
            ReporterOrigin::Staff { .. } => false,
        }
    }
}

/// Why an organisation is concerned by a usurpation case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConcernedRole {
    /// The identity provider holding the victim's account.
    IdentityProvider,
    /// A service provider the usurper accessed.
    ServiceProvider,
    /// The partner being impersonated.
    ImpersonatedPartner,
}

/// An organisation that must be notified before a usurpation case may close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConcernedOrganisation {
    pub organisation: OrganisationId,
    pub role: ConcernedRole,
    pub notified_at: Option<DateTime<Utc>>,
}

/// Partner usurpation: what was done about the compromised credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CredentialsOutcome {
    Revoked {
        at: DateTime<Utc>,
        note: Text,
    },
    /// A written waiver from `security`.
    Waived {
        at: DateTime<Utc>,
        by: StaffHandle,
        note: Text,
    },
}

/// The staff's resolution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    pub at: DateTime<Utc>,
    pub summary: Text,
    /// Closure condition 4 needs the reporter told of the resolution.
    pub reporter_notified: bool,
}

/// How the reporter confirmed the resolution (closure condition 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "channel", rename_all = "snake_case")]
pub enum Confirmation {
    /// In writing, through the API or the tracking page.
    Written { at: DateTime<Utc> },
    /// Verbally, as recorded by staff in a note.
    Verbal {
        at: DateTime<Utc>,
        recorded_by: StaffHandle,
        note: Text,
    },
}

/// How a ticket ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosureRecord {
    pub at: DateTime<Utc>,
    pub reason: ClosureReason,
    pub note: Option<Text>,
}

/// Why a ticket was cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Cancellation {
    Spam,
    Duplicate { of: TicketId },
}

/// How two tickets are related.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// Two usurpation reports with the same session id.
    SameSession,
    /// Opened after the reopen window of a closed ticket.
    FollowUpOf,
    /// A follow-up ticket was opened for this one.
    FollowedUpBy,
    /// This ticket was cancelled as a duplicate of the other.
    DuplicateOf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Link {
    pub ticket: TicketId,
    pub kind: LinkKind,
}

/// A ticket: what the rules need to decide. Stored as-is by the store, with a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: TicketId,
    pub reference: Reference,
    pub title: Text,
    pub data: KindData,
    /// The partner the ticket affects: it sees the ticket and is told of events on priorities 1–2.
    pub organisation: Option<OrganisationId>,
    pub reporter: Reporter,
    pub state: State,
    /// What the reporter proposed.
    pub proposed_priority: Option<Priority>,
    /// The effective priority.
    pub priority: Priority,
    pub tier: Tier,
    pub assignee: Option<StaffHandle>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledgement_clock: SlaClock,
    pub handling_clock: SlaClock,
    /// Since when the ticket waits for the reporter (set in `waiting_reporter`).
    pub waiting_since: Option<DateTime<Utc>>,
    /// Reminders sent during the current wait.
    pub reminders_sent: u32,
    pub resolution: Option<Resolution>,
    pub confirmation: Option<Confirmation>,
    pub closure: Option<ClosureRecord>,
    pub cancellation: Option<Cancellation>,
    pub concerned: Vec<ConcernedOrganisation>,
    pub credentials: Option<CredentialsOutcome>,
    pub links: Vec<Link>,
    /// When the last reminder of the current wait was sent (closure condition 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reminder_at: Option<DateTime<Utc>>,
    /// When the mail server last accepted a reminder of the current wait: "notified means
    /// delivered" (closure condition 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reminder_delivered_at: Option<DateTime<Utc>>,
}

impl Ticket {
    pub fn kind(&self) -> TicketKind {
        self.data.kind()
    }

    pub fn is_security_case(&self) -> bool {
        self.data.is_security_case()
    }

    /// Whether `actor` may see this ticket at all. Partners see their organisation's tickets and the
    /// ones they reported; the public reporter is checked by the API through the tracking secret.
    pub fn is_visible_to(&self, actor: &Actor) -> bool {
        match actor {
            Actor::Staff { .. } | Actor::System => true,
            Actor::Partner { organisation, .. } => {
                self.organisation == Some(*organisation)
                    || self.reporter.is(actor)
                    || self.identity_provider_concerned(*organisation)
            }
            Actor::PublicReporter => matches!(self.reporter.origin, ReporterOrigin::Public),
        }
    }

    /// Rule "Personal data": the identity provider holding the victim's account takes part in a
    /// user usurpation once `security` confirmed it (it is notified, finds the account, answers);
    /// what it sees of the victim is `privacy::disclosure`'s.
    pub fn identity_provider_concerned(&self, organisation: OrganisationId) -> bool {
        self.data.user_usurpation().is_some_and(|data| {
            data.identity_provider == Some(organisation)
                && data.qualification == Some(crate::kind::Qualification::Confirmed)
        })
    }

    pub fn has_link(&self, ticket: TicketId, kind: LinkKind) -> bool {
        self.links
            .iter()
            .any(|l| l.ticket == ticket && l.kind == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_have_a_distinct_prefix_per_kind_and_round_trip() {
        let prefixes: std::collections::HashSet<_> = TicketKind::ALL
            .iter()
            .map(|k| k.reference_prefix())
            .collect();
        assert_eq!(prefixes.len(), 4);
        let reference = Reference {
            kind: TicketKind::Incident,
            year: 2026,
            number: 42,
        };
        assert_eq!(reference.to_string(), "INC-2026-000042");
        assert_eq!(Reference::parse("INC-2026-000042"), Some(reference));
        assert_eq!(Reference::parse("inc-2026-000042"), Some(reference));
        assert_eq!(Reference::parse("XYZ-2026-000042"), None);
        assert_eq!(Reference::parse("INC-26-1"), None);
        assert_eq!(Reference::parse("INC-2026-+42"), None);
        assert_eq!(
            Reference::parse("0191e2a4-0000-7000-8000-000000000000"),
            None
        );
    }

    #[test]
    fn state_names_round_trip() {
        for state in State::ALL {
            assert_eq!(State::parse(state.name()), Some(state));
        }
        assert!(!State::Closed.is_open());
        assert!(!State::Cancelled.is_open());
        assert!(State::Resolved.is_open());
    }
}
