//! What a report reads: each ticket's events (the evidence chain, the source of truth) and the few
//! facts fixed at its opening that no event repeats (kind, organisation, an incident's service and
//! start). Events are read from their stored canonical JSON, keeping only what the figures need:
//! free texts (sealed or not) are never looked at.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use ticket_domain::clock::ClockKind;
use ticket_domain::kind::{ServiceSnapshot, TicketKind};
use ticket_domain::{ClosureReason, Priority, State, Tier};
use uuid::Uuid;

/// One ticket as a report sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketHistory {
    pub id: Uuid,
    /// The human reference (`INC-2026-000042`), to list the tickets behind a breach.
    pub reference: String,
    pub kind: TicketKind,
    /// The partner organisation the ticket belongs to, if any.
    pub organisation: Option<Uuid>,
    /// For an incident: its service as the registry stated it at opening, and when it started.
    pub incident: Option<IncidentFacts>,
    /// The events, in the chain's order.
    pub events: Vec<ReportEvent>,
}

/// What an incident's opening fixed: the service and the start of the outage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentFacts {
    pub started_at: DateTime<Utc>,
    pub service: Option<ServiceSnapshot>,
}

/// One event, as much of it as the figures need.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReportEvent {
    pub at: DateTime<Utc>,
    /// `(from, to)` when the event changed the ticket's state.
    #[serde(default)]
    pub transition: Option<(State, State)>,
    pub data: ReportData,
}

impl ReportEvent {
    /// Reads an event from its stored canonical JSON.
    pub fn from_canonical(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}

/// The event kinds that move a figure; every other kind is [`ReportData::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReportData {
    Created {
        priority: Priority,
        tier: Tier,
    },
    Acknowledged {},
    PriorityChanged {
        to: Priority,
    },
    Escalated {
        to: Tier,
        cause: Cause,
    },
    Resolved {},
    Qualified {
        qualification: Outcome,
    },
    OrganisationNotified {
        organisation: Uuid,
    },
    OrganisationConcerned {
        organisation: Uuid,
    },
    Closed {
        reason: ClosureReason,
    },
    Reopened {},
    Cancelled {},
    SlaWarning {
        clock: ClockKind,
    },
    SlaBreached {
        clock: ClockKind,
    },
    #[serde(other)]
    Other,
}

/// Why a ticket escalated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum Cause {
    Manual {},
    Breach { clock: ClockKind },
}

/// How `security` qualified an identity-theft report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Confirmed,
    Unfounded {},
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn stored_events_are_read_for_what_the_figures_need() {
        let qualified = r#"{"actor":{"type":"system"},"at":"2026-11-03T16:34:00Z","data":{"qualification":{"explanation":{"sealed_sha256":"91"},"outcome":"unfounded"},"type":"qualified"},"seq":3,"transition":["in_progress","resolved"],"visibility":"public"}"#;
        let event = ReportEvent::from_canonical(qualified).unwrap();
        assert_eq!(
            event.data,
            ReportData::Qualified {
                qualification: Outcome::Unfounded {}
            }
        );
        assert_eq!(event.transition, Some((State::InProgress, State::Resolved)));
        let escalated = r#"{"at":"2026-11-20T16:25:00Z","data":{"cause":{"cause":"breach","clock":"handling"},"from":"agent","to":"engineer","type":"escalated"},"transition":null}"#;
        assert_eq!(
            ReportEvent::from_canonical(escalated).unwrap().data,
            ReportData::Escalated {
                to: Tier::Engineer,
                cause: Cause::Breach {
                    clock: ClockKind::Handling
                }
            }
        );
        let acknowledged = r#"{"at":"2026-11-22T11:00:00Z","data":{"note":null,"type":"acknowledged"},"transition":["new","acknowledged"]}"#;
        assert_eq!(
            ReportEvent::from_canonical(acknowledged).unwrap().data,
            ReportData::Acknowledged {}
        );
        let other = r#"{"at":"2026-11-22T11:00:00Z","data":{"body":"x","type":"commented"}}"#;
        assert_eq!(
            ReportEvent::from_canonical(other).unwrap().data,
            ReportData::Other
        );
    }
}
