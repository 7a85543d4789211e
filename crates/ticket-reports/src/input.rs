//! What a report reads: each ticket's events (the evidence chain, the source of truth) and the few
//! facts fixed at its opening that no event repeats (kind, organisation, an incident's service and
//! start). Events are read from their stored canonical JSON, keeping only what the figures need:
//! free texts (sealed or not) are never looked at.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentFacts {
    pub started_at: DateTime<Utc>,
    #[serde(default)]
    pub service: Option<ServiceSnapshot>,
}

/// One event, as much of it as the figures need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportEvent {
    pub at: DateTime<Utc>,
    /// `(from, to)` when the event changed the ticket's state.
    #[serde(default)]
    pub transition: Option<(State, State)>,
    pub data: ReportData,
}

impl ReportEvent {
    /// The fact the store keeps for the reports beside the event (`report_events.fact`): this
    /// event as the figures read it, and for an incident's opening its service and start. Read
    /// back by [`ReportEvent::from_fact`]; no free text, so no personal data.
    pub fn to_fact(&self, incident: Option<&IncidentFacts>) -> Result<String, serde_json::Error> {
        #[derive(Serialize)]
        struct Fact<'a> {
            at: DateTime<Utc>,
            #[serde(skip_serializing_if = "Option::is_none")]
            transition: Option<(State, State)>,
            data: &'a ReportData,
            #[serde(skip_serializing_if = "Option::is_none")]
            incident: Option<&'a IncidentFacts>,
        }
        serde_json::to_string(&Fact {
            at: self.at,
            transition: self.transition,
            data: &self.data,
            incident,
        })
    }

    /// Reads a fact kept for the reports ([`ReportEvent::to_fact`], or an event's whole canonical
    /// JSON with an `incident` member for an incident's opening, as the migration copied them).
    pub fn from_fact(json: &str) -> Result<(Self, Option<IncidentFacts>), serde_json::Error> {
        crate::parse::fact(json)
    }

    /// Reads an event from its stored canonical JSON ([`crate::parse`]: one pass, the members no
    /// figure reads skipped without a copy; the same result as the derived `Deserialize`).
    pub fn from_canonical(json: &str) -> Result<Self, serde_json::Error> {
        crate::parse::event(json)
    }
}

/// The event kinds that move a figure; every other kind is [`ReportData::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum Cause {
    Manual {},
    Breach { clock: ClockKind },
}

/// How `security` qualified an identity-theft report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

    #[test]
    fn the_one_pass_reading_equals_the_derived_one() {
        let events = [
            r#"{"actor":{"type":"system"},"at":"2026-11-03T16:34:00Z","data":{"qualification":{"explanation":{"sealed_sha256":"91"},"outcome":"unfounded"},"type":"qualified"},"seq":3,"transition":["in_progress","resolved"],"visibility":"public"}"#,
            r#"{"at":"2026-11-03T16:34:00Z","data":{"qualification":{"outcome":"confirmed"},"type":"qualified"},"transition":null}"#,
            r#"{"at":"2026-11-20T16:25:00Z","data":{"cause":{"cause":"breach","clock":"handling"},"from":"agent","reason":{"sealed_sha256":"aa"},"to":"engineer","type":"escalated"},"transition":null}"#,
            r#"{"at":"2026-11-20T16:25:00Z","data":{"cause":{"cause":"manual"},"from":"engineer","reason":"vu","to":"supervisor","type":"escalated"}}"#,
            r#"{"actor":{"role":"agent","type":"staff"},"at":"2026-11-22T11:00:00Z","data":{"note":null,"type":"acknowledged"},"transition":["new","acknowledged"]}"#,
            r#"{"at":"2026-11-22T11:00:00Z","data":{"from":"normale","reason":"Réévaluation \"x\"","to":"critique","type":"priority_changed"}}"#,
            r#"{"at":"2026-11-22T11:00:00Z","data":{"data":{"a":[1,2,{"b":null}]},"priority":"mineure","tier":"agent","title":"T","type":"created"},"transition":null}"#,
            r#"{"at":"2026-11-22T11:00:00Z","data":{"proof":{"note":null},"reason":"mutual_agreement","type":"closed"},"transition":["resolved","closed"]}"#,
            r#"{"at":"2026-11-22T11:00:00Z","data":{"clock":"acknowledgement","type":"sla_warning"}}"#,
            r#"{"at":"2026-11-22T11:00:00Z","data":{"clock":"handling","type":"sla_breached"}}"#,
            r#"{"at":"2026-11-22T11:00:00Z","data":{"organisation":"0000000000000000000000000000000d","type":"organisation_notified"}}"#,
            r#"{"at":"2026-11-22T11:00:00Z","data":{"organisation":"0000000000000000000000000000000d","role":"service_provider","type":"organisation_concerned"}}"#,
            r#"{"at":"2026-11-22T11:00:00Z","data":{"reason":"x","type":"reopened"},"transition":["closed","in_progress"]}"#,
            r#"{"at":"2026-11-22T11:00:00Z","data":{"summary":{"sealed_sha256":"1"},"type":"resolved"},"transition":["in_progress","resolved"]}"#,
            r#"{"at":"2026-11-22T11:00:00Z","data":{"assignee":"h:alice","type":"assigned"},"transition":["acknowledged","in_progress"]}"#,
        ];
        for json in events {
            let derived: ReportEvent = serde_json::from_str(json).unwrap();
            assert_eq!(crate::parse::event(json).unwrap(), derived, "{json}");
            // The fact kept for the reports reads back as the event.
            let fact = derived.to_fact(None).unwrap();
            assert_eq!(
                ReportEvent::from_fact(&fact).unwrap(),
                (derived, None),
                "{fact}"
            );
        }
        // What the derived reading refuses, this one refuses too.
        for json in [
            r#"{"at":"2026-11-22T11:00:00Z","data":{"type":"closed"}}"#,
            r#"{"at":"2026-11-22T11:00:00Z","data":{"reason":"bof","type":"closed"}}"#,
            r#"{"at":"2026-11-22T11:00:00Z","data":{"cause":{"cause":"x"},"to":"agent","type":"escalated"}}"#,
            r#"{"data":{"type":"resolved"}}"#,
        ] {
            assert!(serde_json::from_str::<ReportEvent>(json).is_err(), "{json}");
            assert!(crate::parse::event(json).is_err(), "{json}");
        }
    }
}
