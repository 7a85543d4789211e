//! Lifecycle.

use ticket_domain::clock::Phase;
use ticket_domain::notify::{Recipient, Template};
use ticket_domain::refusal::Rule;
use ticket_domain::testkit::*;
use ticket_domain::ticket::{Cancellation, LinkKind};
use ticket_domain::values::{StaffHandle, TicketId};
use ticket_domain::{ClosureReason, Command, Role, State};

use super::{MONDAY_10H_PARIS, closed_ticket};

#[test]
fn lifecycle_runs_from_new_to_closed_recording_who_when_why() {
    let agent = staff(Role::Agent);
    let t = open_as(
        &partner(PARTNER),
        incident(false, MONDAY_10H_PARIS),
        MONDAY_10H_PARIS,
    )
    .ticket;
    let d = apply(
        &t,
        Command::Acknowledge {
            note: Some(text("pris en compte")),
        },
        &agent,
        "2026-11-23T10:00:00Z",
    );
    let event = &d.records[0].event;
    assert_eq!(event.transition, Some((State::New, State::Acknowledged)));
    assert_eq!(event.actor, agent);
    assert_eq!(event.at, at("2026-11-23T10:00:00Z"));
    let t = apply(
        &d.ticket,
        Command::Assign {
            assignee: StaffHandle::parse("a", "alice").unwrap(),
        },
        &agent,
        "2026-11-23T10:05:00Z",
    )
    .ticket;
    assert_eq!(t.state, State::InProgress);
    let t = apply(
        &t,
        Command::Resolve {
            summary: text("redémarré"),
        },
        &agent,
        "2026-11-23T11:00:00Z",
    )
    .ticket;
    assert_eq!(t.state, State::Resolved);
    let d = apply(
        &t,
        Command::ConfirmResolution,
        &partner(PARTNER),
        "2026-11-23T12:00:00Z",
    );
    assert_eq!(d.ticket.state, State::Closed);
    assert_eq!(
        d.ticket.closure.unwrap().reason,
        ClosureReason::ResolvedConfirmed
    );
}

#[test]
fn lifecycle_resolved_returns_to_in_progress_when_the_reporter_says_it_is_not_fixed() {
    let agent = staff(Role::Agent);
    let t = incident_in_progress(MONDAY_10H_PARIS);
    let t = apply(
        &t,
        Command::Resolve {
            summary: text("corrigé"),
        },
        &agent,
        MONDAY_10H_PARIS,
    )
    .ticket;
    assert_eq!(t.handling_clock.phase(), Phase::Stopped);
    let d = apply(
        &t,
        Command::RejectResolution {
            reason: text("toujours en panne"),
        },
        &partner(PARTNER),
        "2026-11-23T10:00:00Z",
    );
    assert_eq!(d.ticket.state, State::InProgress);
    assert_eq!(d.ticket.handling_clock.phase(), Phase::Running);
    assert!(d.ticket.resolution.is_none());
}

#[test]
fn lifecycle_only_the_reporter_confirms_or_rejects_a_resolution() {
    let t = incident_in_progress(MONDAY_10H_PARIS);
    let t = apply(
        &t,
        Command::Resolve {
            summary: text("corrigé"),
        },
        &staff(Role::Agent),
        MONDAY_10H_PARIS,
    )
    .ticket;
    assert_eq!(
        refuse(
            &t,
            Command::ConfirmResolution,
            &staff(Role::Agent),
            MONDAY_10H_PARIS
        )
        .rule,
        Rule::ReporterOnly
    );
    assert_eq!(
        refuse(
            &t,
            Command::ConfirmResolution,
            &partner(OTHER_PARTNER),
            MONDAY_10H_PARIS
        )
        .rule,
        Rule::PartnerScope
    );
}

#[test]
fn lifecycle_a_closed_ticket_reopens_within_15_days() {
    let t = closed_ticket("2026-12-01T09:00:00Z");
    let d = apply(
        &t,
        Command::Reopen {
            reason: text("le problème est revenu"),
        },
        &partner(PARTNER),
        "2026-12-16T09:00:00Z",
    );
    assert_eq!(d.ticket.state, State::InProgress);
    assert!(d.ticket.closure.is_none());
    assert_eq!(d.ticket.handling_clock.phase(), Phase::Running);
}

#[test]
fn lifecycle_after_15_days_a_closed_ticket_is_followed_by_a_new_linked_ticket() {
    let t = closed_ticket("2026-12-01T09:00:00Z");
    let refusal = refuse(
        &t,
        Command::Reopen {
            reason: text("revenu"),
        },
        &partner(PARTNER),
        "2026-12-16T09:00:01Z",
    );
    assert_eq!(refusal.rule, Rule::ReopenWindowElapsed);
    let mut follow_up = incident(false, "2026-12-16T09:00:00Z");
    follow_up.follow_up_of = Some(t.id);
    let d = open_as(&partner(PARTNER), follow_up, "2026-12-16T09:00:01Z");
    assert!(d.ticket.has_link(t.id, LinkKind::FollowUpOf));
}

#[test]
fn lifecycle_any_open_state_can_be_cancelled_as_spam_or_duplicate() {
    let agent = staff(Role::Agent);
    let new = open_as(
        &partner(PARTNER),
        incident(false, MONDAY_10H_PARIS),
        MONDAY_10H_PARIS,
    )
    .ticket;
    let spam = apply(
        &new,
        Command::Cancel {
            cancellation: Cancellation::Spam,
            note: None,
        },
        &agent,
        MONDAY_10H_PARIS,
    );
    assert_eq!(spam.ticket.state, State::Cancelled);
    assert!(
        spam.records[0]
            .notifications
            .iter()
            .all(|n| n.recipient != Recipient::Reporter)
    );
    let original = TicketId::new_v7();
    let dup = apply(
        &incident_in_progress(MONDAY_10H_PARIS),
        Command::Cancel {
            cancellation: Cancellation::Duplicate { of: original },
            note: None,
        },
        &agent,
        MONDAY_10H_PARIS,
    );
    assert!(dup.ticket.has_link(original, LinkKind::DuplicateOf));
    assert!(has_mail(
        &dup,
        Template::DuplicateNotice,
        Recipient::Reporter
    ));
    let refusal = refuse(
        &spam.ticket,
        Command::Cancel {
            cancellation: Cancellation::Spam,
            note: None,
        },
        &agent,
        MONDAY_10H_PARIS,
    );
    assert_eq!(refusal.rule, Rule::InvalidTransition);
    let refusal = refuse(
        &new,
        Command::Cancel {
            cancellation: Cancellation::Duplicate { of: new.id },
            note: None,
        },
        &agent,
        MONDAY_10H_PARIS,
    );
    assert_eq!(refusal.rule, Rule::SelfReference);
}

#[test]
fn lifecycle_commands_out_of_order_are_refused_with_the_rule() {
    let t = open_as(
        &partner(PARTNER),
        incident(false, MONDAY_10H_PARIS),
        MONDAY_10H_PARIS,
    )
    .ticket;
    let refusal = refuse(
        &t,
        Command::WaitForReporter {
            question: text("?"),
        },
        &staff(Role::Agent),
        MONDAY_10H_PARIS,
    );
    assert_eq!(refusal.rule, Rule::InvalidTransition);
    assert!(
        refusal
            .detail
            .contains("it must be acknowledged or in_progress"),
        "{}",
        refusal.detail
    );
}
