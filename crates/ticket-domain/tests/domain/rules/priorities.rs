//! Priorities.

use chrono::TimeDelta;
use ticket_domain::clock::ClockKind;
use ticket_domain::escalation::Tier;
use ticket_domain::refusal::Rule;
use ticket_domain::testkit::*;
use ticket_domain::{Command, Policy, Priority, Role, clock_status};

use super::MONDAY_10H_PARIS;

#[test]
fn priorities_reporter_proposes_staff_set_the_effective_one() {
    let mut new = incident(false, MONDAY_10H_PARIS);
    new.proposed_priority = Some(Priority::Majeure);
    let t = open_as(&partner(PARTNER), new, MONDAY_10H_PARIS).ticket;
    assert_eq!(t.proposed_priority, Some(Priority::Majeure));
    assert_eq!(t.priority, Priority::Majeure);
    let d = apply(
        &t,
        Command::SetPriority {
            priority: Priority::Normale,
            reason: text("fonction secondaire"),
        },
        &staff(Role::Agent),
        MONDAY_10H_PARIS,
    );
    assert_eq!(d.ticket.priority, Priority::Normale);
    assert_eq!(d.ticket.proposed_priority, Some(Priority::Majeure));
    assert_eq!(event_types(&d), ["priority_changed"]);
}

#[test]
fn priorities_security_cases_are_priority_1() {
    let mut new = incident(true, MONDAY_10H_PARIS);
    new.proposed_priority = Some(Priority::Mineure);
    let t = open_as(&partner(PARTNER), new, MONDAY_10H_PARIS).ticket;
    assert_eq!(t.priority, Priority::Critique);
    assert_eq!(t.tier, Tier::Security);
}

#[test]
fn priorities_security_cases_cannot_go_below_2_without_the_security_role() {
    let t = open_as(
        &partner(PARTNER),
        incident(true, MONDAY_10H_PARIS),
        MONDAY_10H_PARIS,
    )
    .ticket;
    let lower = |p| Command::SetPriority {
        priority: p,
        reason: text("impact limité"),
    };
    let refusal = refuse(
        &t,
        lower(Priority::Normale),
        &staff(Role::Supervisor),
        MONDAY_10H_PARIS,
    );
    assert_eq!(refusal.rule, Rule::PriorityFloor);
    apply(
        &t,
        lower(Priority::Majeure),
        &staff(Role::Supervisor),
        MONDAY_10H_PARIS,
    );
    apply(
        &t,
        lower(Priority::Normale),
        &staff(Role::Security),
        MONDAY_10H_PARIS,
    );
}

#[test]
fn priorities_a_service_with_a_shorter_maximum_unavailability_uses_the_shorter_target() {
    let mut new = incident(false, MONDAY_10H_PARIS);
    new.proposed_priority = Some(Priority::Normale);
    if let ticket_domain::KindData::Incident(i) = &mut new.data {
        i.service.as_mut().unwrap().max_unavailability_seconds = Some(2 * 3600);
    }
    let t = open_as(&partner(PARTNER), new, MONDAY_10H_PARIS).ticket;
    let status = clock_status(
        &t,
        ClockKind::Handling,
        &Policy::default(),
        at(MONDAY_10H_PARIS),
    );
    assert_eq!(status.target, TimeDelta::hours(2));
    assert_eq!(status.deadline, Some(at("2026-11-23T11:00:00Z")));
}
