//! Reading an event's stored canonical JSON for what the figures need, in one pass.
//!
//! The derived reading of [`ReportData`] (a `type`-tagged enum) first copies the whole `data`
//! object into a buffer, since in canonical JSON (members sorted) `type` comes after the other
//! members: every free text, sealed or not, was copied only to be dropped. Here the members a
//! figure reads are kept as short strings while the object is read, the others skipped without a
//! copy, and the event's kind is decided once `type` is known. Same result as the derived
//! reading (a test compares them).

use crate::input::{Cause, IncidentFacts, Outcome, ReportData, ReportEvent};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;
use ticket_domain::State;

/// The top of an event: the members a figure reads (the others are skipped).
#[derive(Deserialize)]
struct Top {
    at: DateTime<Utc>,
    #[serde(default)]
    transition: Option<(State, State)>,
    data: Data,
    /// Only in a stored fact of an incident's opening.
    #[serde(default)]
    incident: Option<IncidentFacts>,
}

/// Reads `json` (an event's canonical JSON, or the fact kept for the reports).
pub(crate) fn event(json: &str) -> Result<ReportEvent, serde_json::Error> {
    fact(json).map(|(event, _)| event)
}

/// Reads a fact kept for the reports: the event, and an incident's opening facts.
pub(crate) fn fact(json: &str) -> Result<(ReportEvent, Option<IncidentFacts>), serde_json::Error> {
    let top: Top = serde_json::from_str(json)?;
    Ok((
        ReportEvent {
            at: top.at,
            transition: top.transition,
            data: top.data.0,
        },
        top.incident,
    ))
}

/// A member's value when it is a string; anything else (a sealed text's object, a number) read
/// and dropped.
struct Loose(Option<String>);

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LooseVisitor;
        impl<'de> Visitor<'de> for LooseVisitor {
            type Value = Loose;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Loose, E> {
                Ok(Loose(Some(v.to_owned())))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Loose, E> {
                Ok(Loose(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Loose, E> {
                Ok(Loose(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Loose, E> {
                Ok(Loose(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Loose, E> {
                Ok(Loose(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Loose, E> {
                Ok(Loose(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Loose, E> {
                Ok(Loose(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Loose(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loose, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Loose(None))
            }
        }
        deserializer.deserialize_any(LooseVisitor)
    }
}

/// An escalation's cause, as stored (`{"cause": "breach", "clock": …}`).
#[derive(Deserialize)]
struct RawCause {
    cause: Loose,
    #[serde(default)]
    clock: Option<Loose>,
}

/// A qualification, as stored: only its outcome is read.
#[derive(Deserialize)]
struct RawQualification {
    outcome: Loose,
}

/// The members of `data` some figure reads, whatever the event's type.
#[derive(Default)]
struct Members {
    kind: Option<String>,
    priority: Option<String>,
    tier: Option<String>,
    to: Option<String>,
    reason: Option<String>,
    clock: Option<String>,
    organisation: Option<String>,
    cause: Option<RawCause>,
    qualification: Option<RawQualification>,
}

/// A member's name in `data`, read without a copy.
enum Key {
    Type,
    Priority,
    Tier,
    To,
    Reason,
    Clock,
    Organisation,
    Cause,
    Qualification,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member's name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "type" => Key::Type,
                    "priority" => Key::Priority,
                    "tier" => Key::Tier,
                    "to" => Key::To,
                    "reason" => Key::Reason,
                    "clock" => Key::Clock,
                    "organisation" => Key::Organisation,
                    "cause" => Key::Cause,
                    "qualification" => Key::Qualification,
                    _ => Key::Other,
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// `data`, read into the figures' [`ReportData`].
struct Data(ReportData);

fn named<T: DeserializeOwned, E: de::Error>(
    value: Option<String>,
    member: &'static str,
) -> Result<T, E> {
    let value = value.ok_or_else(|| E::missing_field(member))?;
    T::deserialize(de::value::StringDeserializer::<de::value::Error>::new(
        value,
    ))
    .map_err(|e| E::custom(format_args!("{member}: {e}")))
}

impl Members {
    fn into_data<E: de::Error>(self) -> Result<ReportData, E> {
        let Some(kind) = self.kind else {
            return Err(E::missing_field("type"));
        };
        Ok(match kind.as_str() {
            "created" => ReportData::Created {
                priority: named(self.priority, "priority")?,
                tier: named(self.tier, "tier")?,
            },
            "acknowledged" => ReportData::Acknowledged {},
            "priority_changed" => ReportData::PriorityChanged {
                to: named(self.to, "to")?,
            },
            "escalated" => {
                let cause = self.cause.ok_or_else(|| E::missing_field("cause"))?;
                let cause = match cause.cause.0.as_deref() {
                    Some("manual") => Cause::Manual {},
                    Some("breach") => Cause::Breach {
                        clock: named(cause.clock.and_then(|c| c.0), "clock")?,
                    },
                    other => {
                        return Err(E::custom(format_args!(
                            "unknown escalation cause {other:?}"
                        )));
                    }
                };
                ReportData::Escalated {
                    to: named(self.to, "to")?,
                    cause,
                }
            }
            "resolved" => ReportData::Resolved {},
            "qualified" => {
                let qualification = self
                    .qualification
                    .ok_or_else(|| E::missing_field("qualification"))?;
                ReportData::Qualified {
                    qualification: match qualification.outcome.0.as_deref() {
                        Some("confirmed") => Outcome::Confirmed,
                        Some("unfounded") => Outcome::Unfounded {},
                        other => {
                            return Err(E::custom(format_args!(
                                "unknown qualification outcome {other:?}"
                            )));
                        }
                    },
                }
            }
            "organisation_notified" => ReportData::OrganisationNotified {
                organisation: named(self.organisation, "organisation")?,
            },
            "organisation_concerned" => ReportData::OrganisationConcerned {
                organisation: named(self.organisation, "organisation")?,
            },
            "closed" => ReportData::Closed {
                reason: named(self.reason, "reason")?,
            },
            "reopened" => ReportData::Reopened {},
            "cancelled" => ReportData::Cancelled {},
            "sla_warning" => ReportData::SlaWarning {
                clock: named(self.clock, "clock")?,
            },
            "sla_breached" => ReportData::SlaBreached {
                clock: named(self.clock, "clock")?,
            },
            _ => ReportData::Other,
        })
    }
}

impl<'de> Deserialize<'de> for Data {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DataVisitor;
        impl<'de> Visitor<'de> for DataVisitor {
            type Value = Data;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an event's data")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Data, A::Error> {
                let mut m = Members::default();
                while let Some(key) = map.next_key::<Key>()? {
                    let slot = match key {
                        Key::Type => &mut m.kind,
                        Key::Priority => &mut m.priority,
                        Key::Tier => &mut m.tier,
                        Key::To => &mut m.to,
                        Key::Reason => &mut m.reason,
                        Key::Clock => &mut m.clock,
                        Key::Organisation => &mut m.organisation,
                        Key::Cause => {
                            m.cause = Some(map.next_value()?);
                            continue;
                        }
                        Key::Qualification => {
                            m.qualification = Some(map.next_value()?);
                            continue;
                        }
                        Key::Other => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    *slot = map.next_value::<Loose>()?.0;
                }
                m.into_data().map(Data)
            }
        }
        deserializer.deserialize_map(DataVisitor)
    }
}
