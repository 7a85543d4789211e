//! What time makes due on a ticket (rules "Clocks (SLA)", "Escalation", closure condition 3).

use super::Decision;
use super::change::{Change, clock_of, clock_of_mut};
use crate::actor::Actor;
use crate::clock::{ClockKind, ClockStatus, warning_threshold};
use crate::closure::{self, ClosureProof, ClosureReason};
use crate::event::{EscalationCause, EventData, Visibility};
use crate::policy::{Policy, Target};
use crate::ticket::{State, Ticket};
use chrono::{DateTime, Utc};

/// Applies what time makes due on a ticket's clocks (rule "Clocks (SLA)", "Escalation", closure
/// condition 3): the 75 % warning, the breach and its escalation, reminders to a silent reporter and
/// the automatic closure. `None` when nothing is due. Each alarm fires at most once per clock, and
/// never on a stopped or paused clock: a paused clock whose target was passed (a priority raised
/// while waiting for the reporter) raises its alarms once it runs again, if still due then.
pub fn sweep(ticket: &Ticket, now: DateTime<Utc>, policy: &Policy) -> Option<Decision> {
    if !ticket.state.is_open() {
        return None;
    }
    let mut change = Change::new(ticket.clone(), Actor::System, now, policy);
    for kind in [ClockKind::Acknowledgement, ClockKind::Handling] {
        let clock = clock_of(&change.ticket, kind).clone();
        if !clock.is_running() {
            continue;
        }
        let status = clock_status(&change.ticket, kind, policy, now);
        if !clock.warning_fired
            && status.warned
            && let Some(deadline) = status.deadline.or(status.warning_at)
        {
            clock_of_mut(&mut change.ticket, kind).warning_fired = true;
            change.record(
                Visibility::Internal,
                None,
                EventData::SlaWarning {
                    clock: kind,
                    deadline,
                },
            );
        }
        if !clock.breach_fired && status.breached {
            clock_of_mut(&mut change.ticket, kind).breach_fired = true;
            let what = format!("priority {} ({})", ticket.priority.level(), ticket.priority);
            let explanation = status.explain_breach(&clock, &what).unwrap_or_default();
            change.record(
                Visibility::Internal,
                None,
                EventData::SlaBreached {
                    clock: kind,
                    deadline: status.deadline.unwrap_or(now),
                    explanation,
                },
            );
            if let Some(next) = change.ticket.tier.next() {
                let from = change.ticket.tier;
                change.ticket.tier = next;
                change.record(
                    Visibility::Internal,
                    None,
                    EventData::Escalated {
                        from,
                        to: next,
                        cause: EscalationCause::Breach { clock: kind },
                    },
                );
            }
        }
    }
    if ticket.state == State::WaitingReporter {
        if let Some(due) = next_reminder(ticket, policy)
            && due <= now
        {
            let t = &mut change.ticket;
            t.reminders_sent += 1;
            t.last_reminder_at = Some(now);
            let number = t.reminders_sent;
            change.record(Visibility::Public, None, EventData::ReminderSent { number });
        } else if let Some(due) = automatic_closure(ticket, policy)
            && due <= now
        {
            change.close(ClosureReason::ReporterUnresponsive, None);
        }
    }
    if change.events.is_empty() {
        None
    } else {
        Some(change.finish())
    }
}

/// The earliest instant at which [`sweep`] will have something to do; what the sweeper indexes.
pub fn next_due(ticket: &Ticket, policy: &Policy) -> Option<DateTime<Utc>> {
    if !ticket.state.is_open() {
        return None;
    }
    let mut due: Vec<DateTime<Utc>> = Vec::new();
    for kind in [ClockKind::Acknowledgement, ClockKind::Handling] {
        let clock = clock_of(ticket, kind);
        if !clock.is_running() {
            continue;
        }
        for target in policy.targets(kind, ticket.priority, &ticket.data) {
            if !clock.warning_fired {
                let amount = warning_threshold(target.amount, policy.warning_percent);
                due.extend(clock.instant_reaching(target.calendar, amount));
            }
            if !clock.breach_fired {
                due.extend(clock.instant_reaching(target.calendar, target.amount));
            }
        }
    }
    if ticket.state == State::WaitingReporter {
        due.extend(next_reminder(ticket, policy).or_else(|| automatic_closure(ticket, policy)));
    }
    due.into_iter().min()
}

/// The earliest deadline of the ticket's clocks that are not stopped (what the triage desk sorts
/// "next deadline" on, and filters "due before" with): a running clock's deadline, or one a paused
/// clock already passed. `None` when no clock has a deadline left (done, or waiting for the
/// reporter before the target was reached). It does not depend on the instant it is computed at.
pub fn next_deadline(ticket: &Ticket, policy: &Policy) -> Option<DateTime<Utc>> {
    if !ticket.state.is_open() {
        return None;
    }
    [ClockKind::Acknowledgement, ClockKind::Handling]
        .into_iter()
        .filter(|kind| !clock_of(ticket, *kind).stopped)
        .filter_map(|kind| clock_status(ticket, kind, policy, ticket.updated_at).deadline)
        .min()
}

/// When the next reminder to a silent reporter is due, if another one is to be sent: every
/// `reminder_after_days` working days of waiting, until the wait is long enough to close.
fn next_reminder(ticket: &Ticket, policy: &Policy) -> Option<DateTime<Utc>> {
    let since = ticket.waiting_since?;
    if !ticket.reporter.can_be_notified() {
        return None;
    }
    let days = policy
        .reminder_after_days
        .checked_mul(ticket.reminders_sent + 1)?;
    if ticket.reminders_sent > 0 && days >= policy.unresponsive_after_days {
        return None;
    }
    let calendar = &policy.support_calendar;
    Some(calendar.add_working_time(since, calendar.working_days(days)))
}

/// When closure condition 3 (reporter unresponsive) will be met — the wait long enough and the last
/// reminder old enough — if the rest of the closure rules allow it then.
fn automatic_closure(ticket: &Ticket, policy: &Policy) -> Option<DateTime<Utc>> {
    let since = ticket.waiting_since?;
    if ticket.reminders_sent == 0 {
        return None;
    }
    let calendar = &policy.support_calendar;
    let waited_enough =
        calendar.add_working_time(since, calendar.working_days(policy.unresponsive_after_days));
    let answer_time = ticket
        .last_reminder_at
        .max(ticket.last_reminder_delivered_at)
        .map(|reminded| {
            calendar.add_working_time(
                reminded,
                calendar.working_days(policy.closure_after_reminder_days),
            )
        });
    let at = answer_time.map_or(waited_enough, |a| a.max(waited_enough));
    let proof = ClosureProof::default();
    closure::unmet_conditions(
        ticket,
        ClosureReason::ReporterUnresponsive,
        &proof,
        at,
        policy,
    )
    .is_empty()
    .then_some(at)
}

/// A ticket's clock against its current targets, at `now`: what the clock endpoint shows. With
/// two targets (the table's and a service's maximum unavailability), the one whose deadline comes
/// first wins; a clock with no deadline left is shown against the target it is closest to.
pub fn clock_status(
    ticket: &Ticket,
    kind: ClockKind,
    policy: &Policy,
    now: DateTime<Utc>,
) -> ClockStatus {
    let clock = clock_of(ticket, kind);
    let measure = |target: &Target<'_>| {
        clock.status(
            kind,
            target.calendar,
            target.amount,
            policy.warning_percent,
            now,
        )
    };
    let table = measure(&match kind {
        ClockKind::Acknowledgement => policy.acknowledgement_target(ticket.priority),
        ClockKind::Handling => policy.handling_target(ticket.priority),
    });
    let service = match kind {
        ClockKind::Acknowledgement => None,
        ClockKind::Handling => policy.service_limit(&ticket.data),
    };
    let Some(service) = service.map(|target| measure(&target)) else {
        return table;
    };
    // Used share of the target, compared without floating point.
    let share = |s: &ClockStatus| {
        (i128::from(s.used.num_seconds()) << 32) / i128::from(s.target.num_seconds().max(1))
    };
    let service_wins = match (service.deadline, table.deadline) {
        (Some(a), Some(b)) => a < b,
        (Some(_), None) => true,
        (None, Some(_)) => false,
        (None, None) => share(&service) > share(&table),
    };
    if service_wins { service } else { table }
}
