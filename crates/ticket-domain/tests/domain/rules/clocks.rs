//! Clocks.

use chrono::TimeDelta;
use ticket_domain::clock::{ClockKind, Phase};
use ticket_domain::escalation::Tier;
use ticket_domain::notify::{Recipient, Template};
use ticket_domain::priority::Owner;
use ticket_domain::testkit::*;
use ticket_domain::{Command, Policy, Priority, Role, State, clock_status, next_due, sweep};

use super::MONDAY_10H_PARIS;

#[test]
fn clocks_acknowledgement_target_is_two_working_days() {
    let t = open_as(
        &partner(PARTNER),
        incident(false, MONDAY_10H_PARIS),
        MONDAY_10H_PARIS,
    )
    .ticket;
    let status = clock_status(
        &t,
        ClockKind::Acknowledgement,
        &Policy::default(),
        at(MONDAY_10H_PARIS),
    );
    assert_eq!(status.target, TimeDelta::minutes(2 * 510));
    // Mon 10:00–18:00 (8h) + Tue (8h30) + Wed 09:30–10:00: Wednesday 10:00 Paris.
    assert_eq!(status.deadline, Some(at("2026-11-25T09:00:00Z")));
}

#[test]
fn clocks_priority_1_acknowledgement_target_is_four_hours_around_the_clock() {
    let saturday_night = "2026-11-28T02:00:00Z";
    let t = open_as(
        &partner(PARTNER),
        incident(true, saturday_night),
        saturday_night,
    )
    .ticket;
    let status = clock_status(
        &t,
        ClockKind::Acknowledgement,
        &Policy::default(),
        at(saturday_night),
    );
    assert_eq!(status.deadline, Some(at("2026-11-28T06:00:00Z")));
    assert_eq!(status.calendar, "24/7");
}

#[test]
fn clocks_handling_target_is_counted_in_working_days_from_creation() {
    let t = open_as(
        &partner(PARTNER),
        incident(false, MONDAY_10H_PARIS),
        MONDAY_10H_PARIS,
    )
    .ticket;
    let status = clock_status(
        &t,
        ClockKind::Handling,
        &Policy::default(),
        at(MONDAY_10H_PARIS),
    );
    // Priority 3: 5 working days = 42h30; Monday 10:00 Paris a week later.
    assert_eq!(status.deadline, Some(at("2026-11-30T09:00:00Z")));
}

#[test]
fn clocks_pause_while_waiting_for_the_reporter_and_resume_on_their_answer() {
    let t = incident_in_progress(MONDAY_10H_PARIS);
    let agent = staff(Role::Agent);
    let t = apply(
        &t,
        Command::WaitForReporter {
            question: text("Quel navigateur ?"),
        },
        &agent,
        "2026-11-24T09:00:00Z",
    )
    .ticket;
    assert_eq!(t.handling_clock.phase(), Phase::Paused);
    let policy = Policy::default();
    let used_at_pause =
        clock_status(&t, ClockKind::Handling, &policy, at("2026-11-26T09:00:00Z")).used;
    assert_eq!(used_at_pause, TimeDelta::minutes(510));
    assert_eq!(
        clock_status(&t, ClockKind::Handling, &policy, at("2026-11-26T09:00:00Z")).deadline,
        None
    );
    let d = apply(
        &t,
        Command::Comment {
            body: text("Firefox"),
            internal: false,
        },
        &partner(PARTNER),
        "2026-11-26T09:00:00Z",
    );
    assert_eq!(d.ticket.state, State::InProgress);
    assert_eq!(event_types(&d), ["reporter_answered"]);
    let used = clock_status(
        &d.ticket,
        ClockKind::Handling,
        &policy,
        at("2026-11-26T11:00:00Z"),
    )
    .used;
    assert_eq!(
        used,
        TimeDelta::minutes(510 + 120),
        "waiting time never counts"
    );
}

#[test]
fn clocks_warning_at_75_percent_then_breach_at_100_percent_escalates() {
    let policy = Policy::default();
    let t = open_as(
        &partner(PARTNER),
        incident(false, MONDAY_10H_PARIS),
        MONDAY_10H_PARIS,
    )
    .ticket;
    // Acknowledgement warning: 75 % of 17h = 12h45 → Tuesday 14:15 Paris.
    let first_due = next_due(&t, &policy).unwrap();
    assert_eq!(first_due, at("2026-11-24T13:15:00Z"));
    assert!(sweep(&t, first_due - TimeDelta::seconds(1), &policy).is_none());
    let warned = sweep(&t, first_due, &policy).unwrap();
    assert_eq!(event_types(&warned), ["sla_warning"]);
    assert!(
        sweep(&warned.ticket, first_due, &policy).is_none(),
        "a warning fires once"
    );
    let breach_at = next_due(&warned.ticket, &policy).unwrap();
    assert_eq!(breach_at, at("2026-11-25T09:00:00Z"));
    let breached = sweep(&warned.ticket, breach_at, &policy).unwrap();
    assert_eq!(event_types(&breached), ["sla_breached", "escalated"]);
    assert_eq!(breached.ticket.tier, Tier::Engineer);
    assert!(has_mail(
        &breached,
        Template::SlaBreach,
        Recipient::Owner(Owner::ProductLead)
    ));
    assert!(
        sweep(&breached.ticket, breach_at + TimeDelta::hours(1), &policy).is_none(),
        "a breach fires once"
    );
}

#[test]
fn clocks_priority_3_created_friday_17h_before_whit_monday_breaches_on_the_right_working_instant() {
    let policy = Policy::default();
    // Friday 22 May 2026, 17:00 Paris (UTC+2); Monday 25 May is Whit Monday.
    let friday = "2026-05-22T15:00:00Z";
    let mut t = open_as(&partner(PARTNER), incident(false, friday), friday).ticket;
    t = apply(
        &t,
        Command::Acknowledge { note: None },
        &staff(Role::Agent),
        friday,
    )
    .ticket;
    // 42h30: Fri 1h, Tue–Fri 34h, Monday 1 June 7h30 → 17:00 Paris.
    let status = clock_status(&t, ClockKind::Handling, &policy, at(friday));
    assert_eq!(status.deadline, Some(at("2026-06-01T15:00:00Z")));
    let mut now = at(friday);
    let mut breach = None;
    while let Some(due) = next_due(&t, &policy) {
        now = due;
        let d = sweep(&t, now, &policy).unwrap();
        if event_types(&d).contains(&"sla_breached") {
            breach = Some(now);
        }
        t = d.ticket;
    }
    assert_eq!(breach, Some(at("2026-06-01T15:00:00Z")));
    assert_eq!(t.tier, Tier::Engineer);
    assert!(now <= at("2026-06-01T15:00:00Z"));
}

#[test]
fn clocks_priority_1_escalates_at_night() {
    let policy = Policy::default();
    let friday_night = "2026-11-27T20:00:00Z";
    let t = open_as(
        &partner(PARTNER),
        incident(true, friday_night),
        friday_night,
    )
    .ticket;
    let d = sweep(&t, at("2026-11-28T00:00:00Z"), &policy).unwrap();
    assert_eq!(
        event_types(&d),
        ["sla_warning", "sla_breached", "escalated"]
    );
    assert_eq!(d.ticket.tier, Tier::Supervisor);
    assert!(has_mail(
        &d,
        Template::SlaBreach,
        Recipient::Owner(Owner::ProductionLead)
    ));
    assert!(has_mail(
        &d,
        Template::Escalation,
        Recipient::Owner(Owner::Supervisor)
    ));
}

#[test]
fn clocks_breach_is_explained_in_words() {
    let policy = Policy::default();
    let friday_night = "2026-11-27T20:00:00Z";
    let t = open_as(
        &partner(PARTNER),
        incident(true, friday_night),
        friday_night,
    )
    .ticket;
    let d = sweep(&t, at("2026-11-28T00:00:00Z"), &policy).unwrap();
    let explanation = d
        .records
        .iter()
        .find_map(|r| match &r.event.data {
            ticket_domain::EventData::SlaBreached { explanation, .. } => Some(explanation.clone()),
            _ => None,
        })
        .unwrap();
    assert!(
        explanation.contains("acknowledgement target of 4h00"),
        "{explanation}"
    );
    assert!(explanation.contains("24/7"), "{explanation}");
    assert!(
        explanation.contains("priority 1 (critique)"),
        "{explanation}"
    );
}

#[test]
fn clocks_a_priority_change_recomputes_deadlines_from_the_stored_intervals() {
    let policy = Policy::default();
    let t = incident_in_progress(MONDAY_10H_PARIS);
    let d = apply(
        &t,
        Command::SetPriority {
            priority: Priority::Critique,
            reason: text("tout est en panne"),
        },
        &staff(Role::Agent),
        "2026-11-23T10:00:00Z",
    );
    let status = clock_status(
        &d.ticket,
        ClockKind::Handling,
        &policy,
        at("2026-11-23T10:00:00Z"),
    );
    // Priority 1: 2 days around the clock from creation.
    assert_eq!(status.deadline, Some(at("2026-11-25T09:00:00Z")));
}

/// "A paused clock gets its new deadline but raises its alarms only once it runs again (and only if
/// still due then)": a ticket waiting for its reporter after 28 working hours, raised to a 17-hour
/// target, stays silent while paused, then warns and breaches at once when the clock runs again.
#[test]
fn clocks_a_paused_clock_raises_no_alarm_after_a_priority_change() {
    let policy = Policy::default();
    let agent = staff(Role::Agent);
    let t = incident_in_progress(MONDAY_10H_PARIS);
    // Monday 10:00 to Thursday 12:30 (Paris): 8 + 8.5 + 8.5 + 3 = 28 working hours.
    let t = apply(
        &t,
        Command::WaitForReporter {
            question: text("Pouvez-vous préciser ?"),
        },
        &agent,
        "2026-11-26T11:30:00Z",
    )
    .ticket;
    let used = clock_status(&t, ClockKind::Handling, &policy, at("2026-11-26T11:30:00Z")).used;
    assert_eq!(used, TimeDelta::hours(28));
    let d = apply(
        &t,
        Command::SetPriority {
            priority: Priority::Majeure,
            reason: text("plus grave que prévu"),
        },
        &agent,
        "2026-11-26T12:00:00Z",
    );
    assert!(
        !event_types(&d).iter().any(|e| e.starts_with("sla_")),
        "{:?}",
        event_types(&d)
    );
    let t = d.ticket;
    // Paused: the new target is already used up, but nothing fires, now or later.
    for later in ["2026-11-26T12:01:00Z", "2026-11-30T12:00:00Z"] {
        if let Some(d) = sweep(&t, at(later), &policy) {
            let types = event_types(&d);
            assert!(
                !types
                    .iter()
                    .any(|e| e.starts_with("sla_") || *e == "escalated"),
                "alarm on a paused clock at {later}: {types:?}"
            );
        }
    }
    assert!(
        next_due(&t, &policy).is_none_or(|due| due > at("2026-11-26T12:00:00Z")),
        "{:?}",
        next_due(&t, &policy)
    );
    // The reporter answers: the clock runs, and its alarms are due at once.
    let t = apply(
        &t,
        Command::RecordReporterAnswered {
            note: text("réponse par téléphone"),
        },
        &agent,
        "2026-11-26T13:00:00Z",
    )
    .ticket;
    let d = sweep(&t, at("2026-11-26T13:01:00Z"), &policy).unwrap();
    let types = event_types(&d);
    assert!(types.contains(&"sla_warning"), "{types:?}");
    assert!(types.contains(&"sla_breached"), "{types:?}");
}
