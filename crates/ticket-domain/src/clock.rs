//! SLA clocks stored as run intervals (rule "Clocks (SLA)").
//!
//! A clock stores only when it ran; deadlines, warnings and breaches are derived from the intervals,
//! the calendar and the target. So a clock survives restarts, a change of priority recomputes every
//! deadline, and paused time never counts because it is simply not in any interval.

use crate::calendar::Calendar;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// The two clocks of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ClockKind {
    /// From creation to acknowledgement.
    Acknowledgement,
    /// From creation to resolution.
    Handling,
}

impl ClockKind {
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// One period during which the clock ran; `end: None` while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
}

/// A clock: its run intervals, whether it was stopped for good, and which alarms already fired.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SlaClock {
    pub intervals: Vec<Interval>,
    /// Stopped because its goal was met (acknowledged, resolved), as opposed to paused.
    pub stopped: bool,
    /// The 75 % warning was raised; it is raised at most once per clock.
    pub warning_fired: bool,
    /// The breach was recorded; it is recorded at most once per clock.
    pub breach_fired: bool,
}

/// Whether a clock runs, waits, or is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Running,
    Paused,
    Stopped,
}

impl SlaClock {
    /// A clock that starts running at `at`.
    pub fn started(at: DateTime<Utc>) -> Self {
        Self {
            intervals: vec![Interval {
                start: at,
                end: None,
            }],
            ..Self::default()
        }
    }

    pub fn phase(&self) -> Phase {
        if self.is_running() {
            Phase::Running
        } else if self.stopped {
            Phase::Stopped
        } else {
            Phase::Paused
        }
    }

    pub fn is_running(&self) -> bool {
        self.intervals.last().is_some_and(|i| i.end.is_none())
    }

    /// Pauses a running clock (waiting for the reporter). No effect otherwise.
    pub fn pause(&mut self, at: DateTime<Utc>) {
        if let Some(last) = self.intervals.last_mut()
            && last.end.is_none()
        {
            last.end = Some(at.max(last.start));
        }
    }

    /// Resumes a paused or stopped clock (reporter answered, resolution rejected, reopened).
    pub fn resume(&mut self, at: DateTime<Utc>) {
        if !self.is_running() {
            self.stopped = false;
            self.intervals.push(Interval {
                start: at,
                end: None,
            });
        }
    }

    /// Stops the clock for good: its goal was met.
    pub fn stop(&mut self, at: DateTime<Utc>) {
        self.pause(at);
        self.stopped = true;
    }

    /// Working time the clock has run until `now`.
    pub fn used(&self, calendar: &Calendar, now: DateTime<Utc>) -> TimeDelta {
        self.intervals
            .iter()
            .map(|i| calendar.working_time_between(i.start, i.end.unwrap_or(now).min(now)))
            .fold(TimeDelta::zero(), |a, b| a + b)
    }

    /// The instant at which the clock's used time reached (or, while it runs, will reach) `amount`;
    /// `None` if it is paused or stopped before reaching it.
    pub fn instant_reaching(
        &self,
        calendar: &Calendar,
        amount: TimeDelta,
    ) -> Option<DateTime<Utc>> {
        let mut used = TimeDelta::zero();
        for interval in &self.intervals {
            let remaining = amount - used;
            match interval.end {
                None => return Some(calendar.add_working_time(interval.start, remaining)),
                Some(end) => {
                    let worked = calendar.working_time_between(interval.start, end);
                    if worked >= remaining {
                        return Some(calendar.add_working_time(interval.start, remaining));
                    }
                    used += worked;
                }
            }
        }
        None
    }

    /// The clock's state against a target, at `now`.
    pub fn status(
        &self,
        kind: ClockKind,
        calendar: &Calendar,
        target: TimeDelta,
        warning_percent: u8,
        now: DateTime<Utc>,
    ) -> ClockStatus {
        let used = self.used(calendar, now);
        let warning_amount = warning_threshold(target, warning_percent);
        let deadline = self.instant_reaching(calendar, target);
        let warning_at = self.instant_reaching(calendar, warning_amount);
        ClockStatus {
            kind,
            phase: self.phase(),
            target,
            used,
            remaining: (target - used).max(TimeDelta::zero()),
            deadline,
            warning_at,
            warned: used >= warning_amount,
            breached: used >= target,
            calendar: calendar.describe(),
        }
    }
}

/// `percent` of `target`, to the second.
pub fn warning_threshold(target: TimeDelta, percent: u8) -> TimeDelta {
    TimeDelta::seconds(target.num_seconds() * i64::from(percent) / 100)
}

/// A clock seen at an instant: what the clock endpoint shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockStatus {
    pub kind: ClockKind,
    pub phase: Phase,
    pub target: TimeDelta,
    pub used: TimeDelta,
    pub remaining: TimeDelta,
    /// When the target is (or was) reached, if the clock runs or reached it already.
    pub deadline: Option<DateTime<Utc>>,
    /// When the warning threshold is (or was) reached.
    pub warning_at: Option<DateTime<Utc>>,
    pub warned: bool,
    pub breached: bool,
    pub calendar: String,
}

impl ClockStatus {
    /// Why the clock breached, in words a supervisor can check by hand; `None` if it did not.
    pub fn explain_breach(&self, clock: &SlaClock, what: &str) -> Option<String> {
        if !self.breached {
            return None;
        }
        let mut text = format!(
            "The {} target of {} of working time ({}) for {what} was reached",
            self.kind.name(),
            format_duration(self.target),
            self.calendar,
        );
        if let Some(deadline) = self.deadline {
            let _ = write!(text, " at {}", deadline.format("%Y-%m-%d %H:%M UTC"));
        }
        let pauses = clock.intervals.len().saturating_sub(1);
        let _ = write!(
            text,
            ". The clock ran {} in {} period{}",
            format_duration(self.used),
            clock.intervals.len(),
            if clock.intervals.len() == 1 { "" } else { "s" }
        );
        if pauses > 0 {
            let _ = write!(
                text,
                "; the {pauses} pause{} while waiting for the reporter did not count",
                if pauses == 1 { "" } else { "s" }
            );
        }
        text.push('.');
        Some(text)
    }
}

/// `3d 4h 05m` style, for people.
pub fn format_duration(duration: TimeDelta) -> String {
    let total = duration.num_seconds().max(0);
    let (days, hours, minutes) = (
        total / 86_400,
        (total % 86_400) / 3_600,
        (total % 3_600) / 60,
    );
    match (days, hours, minutes) {
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h{m:02}"),
        (d, h, m) => format!("{d}d {h}h{m:02}"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0).unwrap()
    }

    #[test]
    fn paused_time_never_counts() {
        let calendar = Calendar::always_open();
        let mut clock = SlaClock::started(at(8, 0));
        clock.pause(at(9, 0));
        clock.resume(at(12, 0));
        assert_eq!(clock.used(&calendar, at(13, 0)), TimeDelta::hours(2));
        let status = clock.status(
            ClockKind::Handling,
            &calendar,
            TimeDelta::hours(4),
            75,
            at(13, 0),
        );
        // 1h before the pause, 3h more after it.
        assert_eq!(status.deadline, Some(at(15, 0)));
        assert_eq!(status.warning_at, Some(at(14, 0)));
        assert!(!status.warned);
        assert!(!status.breached);
    }

    #[test]
    fn a_paused_clock_has_no_deadline_until_it_resumes() {
        let calendar = Calendar::always_open();
        let mut clock = SlaClock::started(at(8, 0));
        clock.pause(at(9, 0));
        assert_eq!(clock.phase(), Phase::Paused);
        assert_eq!(clock.instant_reaching(&calendar, TimeDelta::hours(4)), None);
        clock.resume(at(10, 0));
        assert_eq!(
            clock.instant_reaching(&calendar, TimeDelta::hours(4)),
            Some(at(13, 0))
        );
    }

    #[test]
    fn a_breach_reached_before_a_pause_keeps_its_instant() {
        let calendar = Calendar::always_open();
        let mut clock = SlaClock::started(at(8, 0));
        clock.stop(at(20, 0));
        let status = clock.status(
            ClockKind::Acknowledgement,
            &calendar,
            TimeDelta::hours(4),
            75,
            at(21, 0),
        );
        assert!(status.breached);
        assert_eq!(status.deadline, Some(at(12, 0)));
        let words = status
            .explain_breach(&clock, "priority 1 (critique)")
            .unwrap();
        assert!(words.contains("acknowledgement target of 4h00"), "{words}");
        assert!(words.contains("2026-11-23 12:00 UTC"), "{words}");
    }

    #[test]
    fn stop_and_resume_track_the_phase() {
        let mut clock = SlaClock::started(at(8, 0));
        assert_eq!(clock.phase(), Phase::Running);
        clock.stop(at(9, 0));
        assert_eq!(clock.phase(), Phase::Stopped);
        clock.resume(at(10, 0));
        assert_eq!(clock.phase(), Phase::Running);
        assert_eq!(clock.intervals.len(), 2);
    }

    #[test]
    fn durations_are_written_for_people() {
        assert_eq!(format_duration(TimeDelta::minutes(5)), "5m");
        assert_eq!(format_duration(TimeDelta::minutes(125)), "2h05");
        assert_eq!(format_duration(TimeDelta::hours(50)), "2d 2h00");
    }
}
