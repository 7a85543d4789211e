//! A report's figures, as the API answers them (durations in seconds).

use crate::query::Dimension;
use chrono::NaiveDate;
use serde::Serialize;
use ticket_domain::Priority;
use uuid::Uuid;

/// A whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// First Paris day of the period.
    pub from: NaiveDate,
    /// Last Paris day of the period (included).
    pub to: NaiveDate,
    pub time_zone: &'static str,
    pub group_by: Vec<Dimension>,
    /// One entry per group that has any figure, in the order of the group keys.
    pub groups: Vec<Group>,
    /// The services with an incident in the period, against their declared maximum unavailability.
    pub services: Vec<ServiceFigures>,
}

/// Which group the figures are of: the dimensions grouped by, the others omitted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default, Serialize)]
pub struct GroupKey {
    /// First day of the month or week (or of the period, cut by the month or week).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<&'static str>,
}

/// A group's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    #[serde(flatten)]
    pub key: GroupKey,
    #[serde(flatten)]
    pub figures: Figures,
}

/// The figures of annex 4.1 for one group.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Figures {
    /// Tickets created in the period.
    pub opened: u64,
    /// Closures in the period.
    pub closed: u64,
    /// Cancellations (spam, duplicates) in the period.
    pub cancelled: u64,
    /// Tickets open (neither closed nor cancelled) at the end of the period.
    pub open_at_end: u64,
    /// First acknowledgements in the period.
    pub acknowledgement: Timing,
    /// First resolutions in the period.
    pub resolution: Timing,
    /// 75 % warnings raised in the period, per clock.
    pub warnings: PerClock,
    /// Breaches recorded in the period, per clock.
    pub breaches: PerClock,
    /// Escalations in the period, per cause.
    pub escalations: Escalations,
    /// Every resolution in the period (a reopened ticket resolved again counts again).
    pub resolutions: u64,
    /// Tickets sent back to work in the period: a resolution rejected, or a closed ticket reopened.
    pub reopenings: u64,
    /// `reopenings / resolutions`; absent without resolutions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reopen_rate: Option<f64>,
    pub closures: Closures,
    pub identity_theft: IdentityTheft,
}

/// How long something took: working time (paused time excluded, on the ticket's calendar) and
/// elapsed time, and how many made it within the target.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Timing {
    pub count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working: Option<Stats>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elapsed: Option<Stats>,
    pub within_target: u64,
    /// `within_target / count`; absent when nothing was measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within_target_share: Option<f64>,
}

/// Median, 90th percentile (nearest rank) and mean (rounded down), in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub median: i64,
    pub p90: i64,
    pub mean: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct PerClock {
    pub acknowledgement: u64,
    pub handling: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Escalations {
    pub manual: u64,
    pub acknowledgement_breach: u64,
    pub handling_breach: u64,
}

/// Closures by reason (the four closure conditions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Closures {
    pub resolved_confirmed: u64,
    pub mutual_agreement: u64,
    pub reporter_unresponsive: u64,
    pub resolved_by_operator: u64,
}

/// Identity-theft reports qualified in the period, and how fast the organisations concerned were
/// notified (elapsed, from the confirmation or from the organisation's addition if later).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct IdentityTheft {
    pub confirmed: u64,
    pub unfounded: u64,
    pub notifications: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_notify: Option<Stats>,
}

/// One service over the whole period (annex 4.3, trust-sphere annex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceFigures {
    pub service: Uuid,
    pub organisation: Uuid,
    pub name: String,
    /// The availability window as the registry states it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability: Option<String>,
    /// `true` when counted in elapsed time (a 24/7 service), `false` on support hours.
    pub around_the_clock: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_unavailability_seconds: Option<i64>,
    /// Incidents (not cancelled) whose outage touches the period.
    pub incidents: u64,
    /// Cumulative unavailability in the period on the service's window, overlaps counted once.
    pub unavailability_seconds: i64,
    /// The longest outage (overlapping incidents merged) in the period, on the service's window.
    pub longest_outage_seconds: i64,
    /// The cumulative unavailability exceeds the declared maximum.
    pub cumulative_exceeds_maximum: bool,
    /// The longest outage exceeds the declared maximum.
    pub longest_exceeds_maximum: bool,
    /// The incidents whose own outage (up to the period's end) exceeds the declared maximum.
    pub breaching_tickets: Vec<BreachingTicket>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BreachingTicket {
    pub reference: String,
    pub unavailability_seconds: i64,
}

/// Nearest-rank statistics of durations in seconds; `None` for none.
pub fn stats(values: &mut [i64]) -> Option<Stats> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    let rank = |percent: usize| values[(percent * n).div_ceil(100).max(1) - 1];
    let sum: i128 = values.iter().map(|v| i128::from(*v)).sum();
    let mean = i64::try_from(sum.div_euclid(n as i128)).unwrap_or(i64::MAX);
    Some(Stats {
        median: rank(50),
        p90: rank(90),
        mean,
    })
}
