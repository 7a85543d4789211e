//! The operator's policy: every number of the domain document is a default here, not a constant.

use crate::calendar::Calendar;
use crate::clock::ClockKind;
use crate::kind::KindData;
use crate::priority::{Priority, PriorityTable};
use chrono::{DateTime, Months, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// Configurable rules, with the annexes' values as defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Policy {
    pub priorities: PriorityTable,
    /// Support hours: Mon–Fri 09:30–18:00 Europe/Paris, French public holidays excluded.
    pub support_calendar: Calendar,
    /// Priority 1 runs 24/7.
    pub critical_calendar: Calendar,
    /// Acknowledgement target in working days ("48 heures ouvrées").
    pub acknowledgement_target_days: u32,
    /// Acknowledgement target of priority 1, in hours on the 24/7 calendar.
    pub critical_acknowledgement_target_hours: u32,
    /// At this share of a target a warning is raised.
    pub warning_percent: u8,
    /// A silent reporter is reminded after this many working days of waiting (and again after each
    /// further period of the same length).
    pub reminder_after_days: u32,
    /// Closure condition 3: waited at least this many working days, with a reminder sent.
    pub unresponsive_after_days: u32,
    /// A closed ticket may be reopened within this many days; after that a new linked ticket is opened.
    pub reopen_window_days: u32,
    /// Traces of a connection are kept this many months: older suspicious connections can't be checked.
    pub connection_trace_months: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            priorities: PriorityTable::default(),
            support_calendar: Calendar::french_support_hours(),
            critical_calendar: Calendar::always_open(),
            acknowledgement_target_days: 2,
            critical_acknowledgement_target_hours: 4,
            warning_percent: 75,
            reminder_after_days: 5,
            unresponsive_after_days: 10,
            reopen_window_days: 15,
            connection_trace_months: 6,
        }
    }
}

/// The calendar and target a clock is measured against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target<'a> {
    pub calendar: &'a Calendar,
    pub amount: TimeDelta,
}

impl Policy {
    /// Priority 1 runs on the 24/7 calendar, the others on support hours.
    pub fn calendar_for(&self, priority: Priority) -> &Calendar {
        if priority == Priority::Critique {
            &self.critical_calendar
        } else {
            &self.support_calendar
        }
    }

    /// Acknowledgement target: 2 working days after creation; priority 1: 4 hours, 24/7.
    pub fn acknowledgement_target(&self, priority: Priority) -> Target<'_> {
        let calendar = self.calendar_for(priority);
        let amount = if priority == Priority::Critique {
            TimeDelta::hours(i64::from(self.critical_acknowledgement_target_hours))
        } else {
            calendar.working_days(self.acknowledgement_target_days)
        };
        Target { calendar, amount }
    }

    /// Handling target: the priority table's working days, or the service's maximum unavailability
    /// when that is shorter.
    pub fn handling_target(&self, priority: Priority, data: &KindData) -> Target<'_> {
        let calendar = self.calendar_for(priority);
        let table = calendar.working_days(self.priorities.handling_target_days(priority));
        let service_limit = match data {
            KindData::Incident(incident) => incident
                .service
                .as_ref()
                .and_then(|s| s.max_unavailability_seconds)
                .filter(|s| *s > 0)
                .map(TimeDelta::seconds),
            _ => None,
        };
        let amount = service_limit.map_or(table, |limit| limit.min(table));
        Target { calendar, amount }
    }

    pub fn target(&self, clock: ClockKind, priority: Priority, data: &KindData) -> Target<'_> {
        match clock {
            ClockKind::Acknowledgement => self.acknowledgement_target(priority),
            ClockKind::Handling => self.handling_target(priority, data),
        }
    }

    /// The oldest suspicious connection that can still be investigated.
    pub fn oldest_traceable_connection(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now.checked_sub_months(Months::new(self.connection_trace_months))
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
}
