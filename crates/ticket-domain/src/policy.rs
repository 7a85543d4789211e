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
    /// Closure condition 3: the last reminder was sent at least this many working days before the
    /// closure, so the reporter has time to answer it.
    pub closure_after_reminder_days: u32,
    /// A closed ticket may be reopened within this many days; after that a new linked ticket is opened.
    pub reopen_window_days: u32,
    /// Traces of a connection are kept this many months: older suspicious connections can't be checked.
    pub connection_trace_months: u32,
    /// Personal data of a closed or cancelled case is anonymised this many months after the case's
    /// last change (the annex's trace lifetime), unless a legal hold suspends it.
    pub personal_data_retention_months: u32,
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
            closure_after_reminder_days: 2,
            reopen_window_days: 15,
            connection_trace_months: 6,
            personal_data_retention_months: 6,
        }
    }
}

/// The calendar and target a clock is measured against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target<'a> {
    pub calendar: &'a Calendar,
    pub amount: TimeDelta,
}

/// A policy whose numbers cannot work together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy.{key}: {reason}")]
pub struct PolicyError {
    pub key: &'static str,
    pub reason: String,
}

impl Policy {
    /// Checks what deserialisation cannot: calendars that open, thresholds that make sense, a
    /// reminder before the automatic closure.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let error = |key, reason: &str| {
            Err(PolicyError {
                key,
                reason: reason.to_owned(),
            })
        };
        if let Err(e) = self.support_calendar.validate() {
            return error("support_calendar", &e.to_string());
        }
        if let Err(e) = self.critical_calendar.validate() {
            return error("critical_calendar", &e.to_string());
        }
        if !(1..=99).contains(&self.warning_percent) {
            return error("warning_percent", "must be between 1 and 99");
        }
        if self.acknowledgement_target_days == 0 || self.critical_acknowledgement_target_hours == 0
        {
            return error(
                "acknowledgement_target_days",
                "acknowledgement targets must be positive",
            );
        }
        if self.reminder_after_days == 0 {
            return error("reminder_after_days", "must be at least 1 working day");
        }
        if self.unresponsive_after_days <= self.reminder_after_days {
            return error(
                "unresponsive_after_days",
                "must be longer than reminder_after_days, so that a reminder comes before the closure",
            );
        }
        if self.closure_after_reminder_days >= self.unresponsive_after_days {
            return error(
                "closure_after_reminder_days",
                "must be shorter than unresponsive_after_days",
            );
        }
        if self.connection_trace_months == 0 {
            return error("connection_trace_months", "must be at least 1");
        }
        if self.personal_data_retention_months == 0 {
            return error("personal_data_retention_months", "must be at least 1");
        }
        Ok(())
    }

    /// Rule "Retention": a case that ended (closed or cancelled) and has not changed since
    /// `before` is due for anonymisation; `before` is `now` minus the retention period.
    pub fn retention_cutoff(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now.checked_sub_months(Months::new(self.personal_data_retention_months))
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

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

    /// Handling target: the priority table's working days.
    pub fn handling_target(&self, priority: Priority) -> Target<'_> {
        let calendar = self.calendar_for(priority);
        let amount = calendar.working_days(self.priorities.handling_target_days(priority));
        Target { calendar, amount }
    }

    /// An incident's service limit: its maximum unavailability, a duration on the service's own
    /// availability window (a 24/7 service: elapsed time; otherwise support hours).
    pub fn service_limit<'a>(&'a self, data: &KindData) -> Option<Target<'a>> {
        let KindData::Incident(incident) = data else {
            return None;
        };
        let service = incident.service.as_ref()?;
        let seconds = service.max_unavailability_seconds.filter(|s| *s > 0)?;
        let calendar = if service.is_around_the_clock() {
            &self.critical_calendar
        } else {
            &self.support_calendar
        };
        Some(Target {
            calendar,
            amount: TimeDelta::seconds(seconds),
        })
    }

    /// The targets a clock is measured against: the table's, and for the handling clock of an
    /// incident on a service with a maximum unavailability, the service's too. Whichever deadline
    /// comes first wins.
    pub fn targets(
        &self,
        clock: ClockKind,
        priority: Priority,
        data: &KindData,
    ) -> Vec<Target<'_>> {
        match clock {
            ClockKind::Acknowledgement => vec![self.acknowledgement_target(priority)],
            ClockKind::Handling => std::iter::once(self.handling_target(priority))
                .chain(self.service_limit(data))
                .collect(),
        }
    }

    /// The oldest suspicious connection that can still be investigated.
    pub fn oldest_traceable_connection(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now.checked_sub_months(Months::new(self.connection_trace_months))
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_is_valid_and_nonsense_is_refused() {
        assert_eq!(Policy::default().validate(), Ok(()));
        let no_reminder = Policy {
            reminder_after_days: 0,
            ..Policy::default()
        };
        assert_eq!(
            no_reminder.validate().map_err(|e| e.key),
            Err("reminder_after_days")
        );
        let closure_first = Policy {
            unresponsive_after_days: 5,
            ..Policy::default()
        };
        assert_eq!(
            closure_first.validate().map_err(|e| e.key),
            Err("unresponsive_after_days")
        );
        let always_warn = Policy {
            warning_percent: 0,
            ..Policy::default()
        };
        assert!(always_warn.validate().is_err());
    }
}
