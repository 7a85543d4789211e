//! One test per rule of the domain document, named after the rule it checks.
//!
//! Instants: November 2026 in Paris is UTC+1, so 10:00 Paris is 09:00Z; 2026-11-23 is a Monday.

use chrono::TimeDelta;
use ticket_domain::clock::{ClockKind, Phase};
use ticket_domain::escalation::Tier;
use ticket_domain::kind::{Detector, Qualification, UsurpationReporter};
use ticket_domain::notify::{Language, Mailbox, Recipient, Template};
use ticket_domain::priority::Owner;
use ticket_domain::refusal::Rule;
use ticket_domain::testkit::*;
use ticket_domain::ticket::{Cancellation, LinkKind};
use ticket_domain::values::{StaffHandle, TicketId};
use ticket_domain::{
    ClosureProof, ClosureReason, Command, Policy, Priority, Role, State, clock_status, next_due,
    sweep,
};

const MONDAY_10H_PARIS: &str = "2026-11-23T09:00:00Z";

fn close(reason: ClosureReason, note: Option<&str>) -> Command {
    Command::Close {
        reason,
        proof: ClosureProof {
            note: note.map(text),
        },
    }
}

// ---- Ticket kinds ----

#[test]
fn kinds_incident_declared_by_a_partner_affects_its_own_organisation() {
    let d = open_as(
        &partner(PARTNER),
        incident(false, MONDAY_10H_PARIS),
        MONDAY_10H_PARIS,
    );
    assert_eq!(d.ticket.organisation, Some(org(PARTNER)));
    assert_eq!(d.ticket.state, State::New);
    assert_eq!(d.ticket.reference.to_string(), "INC-2026-000042");
    assert_eq!(event_types(&d), ["created"]);
}

#[test]
fn kinds_a_partner_declares_only_for_its_own_organisation() {
    let refusal = ticket_domain::open(
        incident(false, MONDAY_10H_PARIS),
        &partner(OTHER_PARTNER),
        at(MONDAY_10H_PARIS),
        &Policy::default(),
    )
    .unwrap_err();
    assert_eq!(refusal.rule, Rule::PartnerScope);
}

#[test]
fn kinds_partner_usurpation_is_always_handled_by_security() {
    let d = open_as(
        &partner(PARTNER),
        partner_usurpation(Detector::Partner),
        MONDAY_10H_PARIS,
    );
    assert_eq!(d.ticket.tier, Tier::Security);
    assert_eq!(d.ticket.priority, Priority::Critique);
    // Security acknowledges it; an agent neither acknowledges nor handles it.
    let refusal = refuse(
        &d.ticket,
        Command::Acknowledge { note: None },
        &staff(Role::Agent),
        MONDAY_10H_PARIS,
    );
    assert_eq!(refusal.rule, Rule::SecurityRoleRequired);
    let t = apply(
        &d.ticket,
        Command::Acknowledge { note: None },
        &staff(Role::Security),
        MONDAY_10H_PARIS,
    )
    .ticket;
    for command in [
        Command::WaitForReporter {
            question: text("?"),
        },
        Command::Resolve {
            summary: text("fait"),
        },
        Command::RecordCredentialsRevoked {
            note: text("révoqué"),
        },
    ] {
        let refusal = refuse(&t, command, &staff(Role::Agent), MONDAY_10H_PARIS);
        assert_eq!(refusal.rule, Rule::SecurityRoleRequired);
    }
    apply(
        &t,
        Command::WaitForReporter {
            question: text("?"),
        },
        &staff(Role::Security),
        MONDAY_10H_PARIS,
    );
}

#[test]
fn kinds_user_usurpation_connection_older_than_six_months_is_refused() {
    let policy = Policy::default();
    let old = user_usurpation(UsurpationReporter::User, "2026-05-22T09:00:00Z");
    let refusal = ticket_domain::open(
        old,
        &ticket_domain::Actor::PublicReporter,
        at(MONDAY_10H_PARIS),
        &policy,
    )
    .unwrap_err();
    assert_eq!(refusal.rule, Rule::ConnectionDateOutOfRange);
    assert_eq!(refusal.errors[0].field, "suspicious_connection_at");
    let future = user_usurpation(UsurpationReporter::User, "2026-11-24T09:00:00Z");
    assert!(
        ticket_domain::open(
            future,
            &ticket_domain::Actor::PublicReporter,
            at(MONDAY_10H_PARIS),
            &policy
        )
        .is_err()
    );
    let recent = user_usurpation(UsurpationReporter::User, "2026-05-24T09:00:00Z");
    assert!(
        ticket_domain::open(
            recent,
            &ticket_domain::Actor::PublicReporter,
            at(MONDAY_10H_PARIS),
            &policy
        )
        .is_ok()
    );
}

#[test]
fn kinds_user_usurpation_from_the_public_needs_consent_and_an_email() {
    let mut new = user_usurpation(UsurpationReporter::User, "2026-11-20T09:00:00Z");
    if let ticket_domain::KindData::UserUsurpation(d) = &mut new.data {
        d.consent = false;
        d.contact.email = None;
    }
    let refusal = ticket_domain::open(
        new,
        &ticket_domain::Actor::PublicReporter,
        at(MONDAY_10H_PARIS),
        &Policy::default(),
    )
    .unwrap_err();
    assert_eq!(refusal.rule, Rule::InvalidInput);
    let fields: Vec<&str> = refusal.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["consent", "contact.email"]);
}

#[test]
fn kinds_the_public_may_only_report_a_user_usurpation() {
    let refusal = ticket_domain::open(
        incident(false, MONDAY_10H_PARIS),
        &ticket_domain::Actor::PublicReporter,
        at(MONDAY_10H_PARIS),
        &Policy::default(),
    )
    .unwrap_err();
    assert_eq!(refusal.rule, Rule::RoleNotAllowed);
}

#[test]
fn kinds_two_reports_with_the_same_session_id_are_linked_not_duplicated() {
    let first = open_as(
        &partner(PARTNER),
        user_usurpation(UsurpationReporter::Partner, "2026-11-20T09:00:00Z"),
        MONDAY_10H_PARIS,
    );
    let mut second = user_usurpation(UsurpationReporter::User, "2026-11-20T09:00:00Z");
    second.same_session_as = vec![first.ticket.id];
    let second = open_as(
        &ticket_domain::Actor::PublicReporter,
        second,
        MONDAY_10H_PARIS,
    );
    assert_ne!(second.ticket.id, first.ticket.id);
    assert!(
        second
            .ticket
            .has_link(first.ticket.id, LinkKind::SameSession)
    );
    assert_eq!(event_types(&second), ["created", "linked"]);
    // The first ticket records the link too (the store applies this to it).
    let back = apply(
        &first.ticket,
        Command::Link {
            ticket: second.ticket.id,
            link: LinkKind::SameSession,
        },
        &ticket_domain::Actor::System,
        MONDAY_10H_PARIS,
    );
    assert!(
        back.ticket
            .has_link(second.ticket.id, LinkKind::SameSession)
    );
}

#[test]
fn kinds_confirmed_user_usurpation_notifies_the_providers_and_advises_the_victim() {
    let t = open_as(
        &ticket_domain::Actor::PublicReporter,
        user_usurpation(UsurpationReporter::User, "2026-11-20T09:00:00Z"),
        MONDAY_10H_PARIS,
    )
    .ticket;
    assert_eq!(t.tier, Tier::Security);
    let sec = staff(Role::Security);
    let t = apply(
        &t,
        Command::Acknowledge { note: None },
        &sec,
        MONDAY_10H_PARIS,
    )
    .ticket;
    let d = apply(
        &t,
        Command::Qualify {
            qualification: Qualification::Confirmed,
        },
        &sec,
        MONDAY_10H_PARIS,
    );
    assert!(has_mail(&d, Template::VictimAdvice, Recipient::Victim));
    for o in [IDP, SP1, SP2] {
        assert!(has_mail(
            &d,
            Template::UsurpationConfirmed,
            Recipient::OrganisationContacts(org(o))
        ));
    }
    // Queued is not notified: each organisation is, once the mail server accepted its mail.
    assert!(d.ticket.concerned.iter().all(|c| c.notified_at.is_none()));
    let delivered = deliver_mails(&d, MONDAY_10H_PARIS);
    assert!(delivered.concerned.iter().all(|c| c.notified_at.is_some()));
    assert_eq!(d.ticket.state, State::InProgress);
    let again = refuse(
        &d.ticket,
        Command::Qualify {
            qualification: Qualification::Confirmed,
        },
        &sec,
        MONDAY_10H_PARIS,
    );
    assert_eq!(again.rule, Rule::AlreadyQualified);
}

#[test]
fn kinds_unfounded_user_usurpation_is_resolved_with_an_explanation_the_reporter_receives() {
    let t = open_as(
        &ticket_domain::Actor::PublicReporter,
        user_usurpation(UsurpationReporter::User, "2026-11-20T09:00:00Z"),
        MONDAY_10H_PARIS,
    )
    .ticket;
    let sec = staff(Role::Security);
    let t = apply(
        &t,
        Command::Acknowledge { note: None },
        &sec,
        MONDAY_10H_PARIS,
    )
    .ticket;
    let d = apply(
        &t,
        Command::Qualify {
            qualification: Qualification::Unfounded {
                explanation: text("La connexion venait de votre appareil habituel"),
            },
        },
        &sec,
        MONDAY_10H_PARIS,
    );
    assert_eq!(d.ticket.state, State::Resolved);
    assert!(has_mail(
        &d,
        Template::UnfoundedExplanation,
        Recipient::Reporter
    ));
    assert!(!has_mail(
        &d,
        Template::UsurpationConfirmed,
        Recipient::OrganisationContacts(org(IDP))
    ));
    // Unfounded: no organisation to notify before closing; the explanation was delivered.
    apply(
        &deliver_mails(&d, MONDAY_10H_PARIS),
        close(ClosureReason::ResolvedByOperator, None),
        &sec,
        MONDAY_10H_PARIS,
    );
}

#[test]
fn kinds_user_usurpation_is_qualified_before_it_is_resolved() {
    let t = open_as(
        &ticket_domain::Actor::PublicReporter,
        user_usurpation(UsurpationReporter::User, "2026-11-20T09:00:00Z"),
        MONDAY_10H_PARIS,
    )
    .ticket;
    let sec = staff(Role::Security);
    let t = apply(
        &t,
        Command::Acknowledge { note: None },
        &sec,
        MONDAY_10H_PARIS,
    )
    .ticket;
    let refusal = refuse(
        &t,
        Command::Resolve {
            summary: text("fait"),
        },
        &sec,
        MONDAY_10H_PARIS,
    );
    assert_eq!(refusal.rule, Rule::InvalidTransition);
}

#[test]
fn kinds_support_request_is_priority_5_by_default() {
    let d = open_as(&partner(PARTNER), support_request(), MONDAY_10H_PARIS);
    assert_eq!(d.ticket.priority, Priority::Info);
    assert_eq!(d.ticket.reference.to_string(), "DEM-2026-000042");
}

// ---- Priorities ----

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

// ---- Clocks ----

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

// ---- Lifecycle ----

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

fn closed_ticket(closed_at: &str) -> ticket_domain::Ticket {
    let t = incident_in_progress(MONDAY_10H_PARIS);
    let d = apply(
        &t,
        Command::Resolve {
            summary: text("corrigé"),
        },
        &staff(Role::Agent),
        MONDAY_10H_PARIS,
    );
    let t = deliver_mails(&d, MONDAY_10H_PARIS);
    apply(
        &t,
        close(ClosureReason::ResolvedByOperator, None),
        &staff(Role::Agent),
        closed_at,
    )
    .ticket
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

// ---- Actors ----

#[test]
fn actors_a_partner_sees_only_its_organisations_tickets() {
    let t = open_as(
        &partner(PARTNER),
        incident(false, MONDAY_10H_PARIS),
        MONDAY_10H_PARIS,
    )
    .ticket;
    assert!(t.is_visible_to(&partner(PARTNER)));
    assert!(!t.is_visible_to(&partner(OTHER_PARTNER)));
    let refusal = refuse(
        &t,
        Command::Comment {
            body: text("bonjour"),
            internal: false,
        },
        &partner(OTHER_PARTNER),
        MONDAY_10H_PARIS,
    );
    assert_eq!(refusal.rule, Rule::PartnerScope);
}

#[test]
fn actors_partners_never_write_internal_notes_and_admins_do_not_handle_tickets() {
    let t = open_as(
        &partner(PARTNER),
        incident(false, MONDAY_10H_PARIS),
        MONDAY_10H_PARIS,
    )
    .ticket;
    let refusal = refuse(
        &t,
        Command::Comment {
            body: text("note"),
            internal: true,
        },
        &partner(PARTNER),
        MONDAY_10H_PARIS,
    );
    assert_eq!(refusal.rule, Rule::RoleNotAllowed);
    let refusal = refuse(
        &t,
        Command::Acknowledge { note: None },
        &staff(Role::Admin),
        MONDAY_10H_PARIS,
    );
    assert_eq!(refusal.rule, Rule::RoleNotAllowed);
}

/// A file as the store records it in the event.
fn attach(internal: bool) -> Command {
    Command::Attach {
        files: vec![ticket_domain::event::AttachedFile {
            id: uuid::Uuid::nil(),
            sha256: "ab".repeat(32),
            size: 3,
            media_type: "text/plain".into(),
        }],
        internal,
    }
}

#[test]
fn attachments_follow_the_rules_of_comments_and_the_event_carries_the_hash() {
    let t = open_as(
        &partner(PARTNER),
        incident(false, MONDAY_10H_PARIS),
        MONDAY_10H_PARIS,
    )
    .ticket;
    let d = apply(&t, attach(false), &partner(PARTNER), MONDAY_10H_PARIS);
    assert_eq!(event_types(&d), ["files_attached"]);
    assert_eq!(d.ticket.state, t.state, "attaching changes no state");
    assert!(matches!(
        &d.records[0].event.data,
        ticket_domain::EventData::FilesAttached { files } if files[0].sha256 == "ab".repeat(32)
    ));
    let d = apply(&t, attach(true), &staff(Role::Engineer), MONDAY_10H_PARIS);
    assert_eq!(
        d.records[0].event.visibility,
        ticket_domain::event::Visibility::Internal
    );
    for (actor, rule) in [
        (partner(PARTNER), Rule::RoleNotAllowed),
        (partner(OTHER_PARTNER), Rule::PartnerScope),
    ] {
        assert_eq!(
            refuse(&t, attach(true), &actor, MONDAY_10H_PARIS).rule,
            rule
        );
    }
    assert_eq!(
        refuse(&t, attach(false), &staff(Role::Admin), MONDAY_10H_PARIS).rule,
        Rule::RoleNotAllowed
    );
}

// ---- Escalation ----

#[test]
fn escalation_moves_one_tier_up_and_tells_the_owners_of_the_priority() {
    let agent = staff(Role::Agent);
    let t = incident_in_progress(MONDAY_10H_PARIS);
    let d = apply(
        &t,
        Command::Escalate {
            reason: text("besoin d'un développeur"),
        },
        &agent,
        MONDAY_10H_PARIS,
    );
    assert_eq!(d.ticket.tier, Tier::Engineer);
    assert!(has_mail(
        &d,
        Template::Escalation,
        Recipient::Owner(Owner::ProductLead)
    ));
    let d = apply(
        &d.ticket,
        Command::Escalate {
            reason: text("bloqué"),
        },
        &agent,
        MONDAY_10H_PARIS,
    );
    assert_eq!(d.ticket.tier, Tier::Supervisor);
    assert!(has_mail(
        &d,
        Template::Escalation,
        Recipient::Owner(Owner::Supervisor)
    ));
    let refusal = refuse(
        &d.ticket,
        Command::Escalate {
            reason: text("encore"),
        },
        &agent,
        MONDAY_10H_PARIS,
    );
    assert_eq!(refusal.rule, Rule::TopTierReached);
}

#[test]
fn escalation_of_a_security_case_goes_straight_to_the_supervisor() {
    let t = open_as(
        &partner(PARTNER),
        incident(true, MONDAY_10H_PARIS),
        MONDAY_10H_PARIS,
    )
    .ticket;
    let d = apply(
        &t,
        Command::Escalate {
            reason: text("fuite de données"),
        },
        &staff(Role::Security),
        MONDAY_10H_PARIS,
    );
    assert_eq!(d.ticket.tier, Tier::Supervisor);
    assert!(has_mail(
        &d,
        Template::Escalation,
        Recipient::Owner(Owner::ProductionLead)
    ));
    assert!(has_mail(
        &d,
        Template::SecurityAlert,
        Recipient::Mailbox(Mailbox::Security)
    ));
}

// ---- Closure conditions ----

fn resolved(reporter_email: bool) -> ticket_domain::Ticket {
    let mut new = incident(false, MONDAY_10H_PARIS);
    if reporter_email {
        new.reporter_email =
            Some(ticket_domain::values::EmailAddress::parse("e", "ops@partenaire.fr").unwrap());
    }
    let t = open_as(&partner(PARTNER), new, MONDAY_10H_PARIS).ticket;
    let agent = staff(Role::Agent);
    let t = apply(
        &t,
        Command::Acknowledge { note: None },
        &agent,
        MONDAY_10H_PARIS,
    )
    .ticket;
    let d = apply(
        &t,
        Command::Resolve {
            summary: text("corrigé"),
        },
        &agent,
        MONDAY_10H_PARIS,
    );
    deliver_mails(&d, MONDAY_10H_PARIS)
}

#[test]
fn closure_1_resolved_confirmed_needs_the_reporters_confirmation() {
    let agent = staff(Role::Agent);
    let t = resolved(false);
    let refusal = refuse(
        &t,
        close(ClosureReason::ResolvedConfirmed, None),
        &agent,
        MONDAY_10H_PARIS,
    );
    assert_eq!(refusal.rule, Rule::ClosureConditionUnmet);
    assert!(
        refusal.detail.contains("has not confirmed"),
        "{}",
        refusal.detail
    );
    // Written confirmation through the API closes it.
    let d = apply(
        &t,
        Command::ConfirmResolution,
        &partner(PARTNER),
        MONDAY_10H_PARIS,
    );
    assert_eq!(
        d.ticket.closure.unwrap().reason,
        ClosureReason::ResolvedConfirmed
    );
}

#[test]
fn closure_1_verbal_confirmation_is_recorded_by_staff_in_a_note() {
    let t = resolved(false);
    let d = apply(
        &t,
        close(
            ClosureReason::ResolvedConfirmed,
            Some("confirmé par téléphone avec M. Durand"),
        ),
        &staff(Role::Agent),
        MONDAY_10H_PARIS,
    );
    assert_eq!(d.ticket.state, State::Closed);
    assert!(matches!(
        d.ticket.confirmation,
        Some(ticket_domain::ticket::Confirmation::Verbal { .. })
    ));
    assert!(has_mail(&d, Template::ClosureNotice, Recipient::Reporter));
}

#[test]
fn closure_2_mutual_agreement_needs_a_note_saying_what_was_agreed() {
    let agent = staff(Role::Agent);
    let t = incident_in_progress(MONDAY_10H_PARIS);
    let refusal = refuse(
        &t,
        close(ClosureReason::MutualAgreement, None),
        &agent,
        MONDAY_10H_PARIS,
    );
    assert_eq!(refusal.rule, Rule::ClosureConditionUnmet);
    let d = apply(
        &t,
        close(
            ClosureReason::MutualAgreement,
            Some("contournement accepté par le partenaire"),
        ),
        &agent,
        MONDAY_10H_PARIS,
    );
    assert_eq!(d.ticket.state, State::Closed);
}

#[test]
fn closure_3_reporter_unresponsive_needs_10_working_days_of_waiting_and_a_reminder() {
    let policy = Policy::default();
    let agent = staff(Role::Agent);
    let t = incident_in_progress(MONDAY_10H_PARIS);
    let t = apply(
        &t,
        Command::WaitForReporter {
            question: text("Pouvez-vous préciser ?"),
        },
        &agent,
        MONDAY_10H_PARIS,
    )
    .ticket;
    let refusal = refuse(
        &t,
        close(ClosureReason::ReporterUnresponsive, None),
        &agent,
        "2026-12-07T09:00:00Z",
    );
    assert_eq!(refusal.rule, Rule::ClosureConditionUnmet);
    assert!(refusal.detail.contains("no reminder"), "{}", refusal.detail);
    // 5 working days later the reporter is reminded.
    let due = next_due(&t, &policy).unwrap();
    assert_eq!(due, at("2026-11-30T09:00:00Z"));
    let reminded = sweep(&t, due, &policy).unwrap();
    assert_eq!(event_types(&reminded), ["reminder_sent"]);
    assert!(has_mail(
        &reminded,
        Template::ReporterReminder,
        Recipient::Reporter
    ));
    let refusal = refuse(
        &reminded.ticket,
        close(ClosureReason::ReporterUnresponsive, None),
        &agent,
        "2026-12-07T08:59:59Z",
    );
    assert!(
        refusal.detail.contains("less than 10 working days"),
        "{}",
        refusal.detail
    );
    apply(
        &reminded.ticket,
        close(ClosureReason::ReporterUnresponsive, None),
        &agent,
        "2026-12-07T09:00:00Z",
    );
}

#[test]
fn closure_3_a_silent_reporter_is_reminded_then_the_ticket_closes_itself() {
    let policy = Policy::default();
    let t = incident_in_progress(MONDAY_10H_PARIS);
    let t = apply(
        &t,
        Command::WaitForReporter {
            question: text("?"),
        },
        &staff(Role::Agent),
        MONDAY_10H_PARIS,
    )
    .ticket;
    let t = sweep(&t, next_due(&t, &policy).unwrap(), &policy)
        .unwrap()
        .ticket;
    let due = next_due(&t, &policy).unwrap();
    assert_eq!(due, at("2026-12-07T09:00:00Z"));
    let d = sweep(&t, due, &policy).unwrap();
    assert_eq!(d.ticket.state, State::Closed);
    assert_eq!(
        d.ticket.closure.as_ref().unwrap().reason,
        ClosureReason::ReporterUnresponsive
    );
    assert!(has_mail(&d, Template::ClosureNotice, Recipient::Reporter));
    assert_eq!(next_due(&d.ticket, &policy), None);
}

#[test]
fn closure_4_resolved_by_operator_needs_the_reporter_notified_of_the_resolution() {
    let agent = staff(Role::Agent);
    let t = incident_in_progress(MONDAY_10H_PARIS);
    let refusal = refuse(
        &t,
        close(ClosureReason::ResolvedByOperator, None),
        &agent,
        MONDAY_10H_PARIS,
    );
    assert!(
        refusal.detail.contains("not resolved"),
        "{}",
        refusal.detail
    );
    let d = apply(
        &t,
        Command::Resolve {
            summary: text("corrigé"),
        },
        &agent,
        MONDAY_10H_PARIS,
    );
    assert!(has_mail(
        &d,
        Template::ResolutionConfirmationRequest,
        Recipient::Reporter
    ));
    // Queued is not notified: the refusal says the mail server has not accepted the mail yet.
    assert!(!d.ticket.resolution.as_ref().unwrap().reporter_notified);
    let refusal = refuse(
        &d.ticket,
        close(ClosureReason::ResolvedByOperator, None),
        &agent,
        MONDAY_10H_PARIS,
    );
    assert!(refusal.detail.contains("mail server"), "{}", refusal.detail);
    let t = deliver_mails(&d, MONDAY_10H_PARIS);
    assert!(t.resolution.as_ref().unwrap().reporter_notified);
    apply(
        &t,
        close(ClosureReason::ResolvedByOperator, None),
        &agent,
        MONDAY_10H_PARIS,
    );
}

#[test]
fn closure_of_a_usurpation_needs_every_organisation_concerned_notified() {
    let sec = staff(Role::Security);
    let t = open_as(
        &staff(Role::Security),
        user_usurpation(UsurpationReporter::Operator, "2026-11-20T09:00:00Z"),
        MONDAY_10H_PARIS,
    )
    .ticket;
    let t = apply(
        &t,
        Command::Acknowledge { note: None },
        &sec,
        MONDAY_10H_PARIS,
    )
    .ticket;
    let refusal = refuse(
        &t,
        close(ClosureReason::MutualAgreement, Some("accord")),
        &sec,
        MONDAY_10H_PARIS,
    );
    assert_eq!(refusal.rule, Rule::OrganisationsNotNotified);
    assert!(
        refusal.detail.contains("3 organisation(s)"),
        "{}",
        refusal.detail
    );
    let mut t = t;
    for o in [IDP, SP1, SP2] {
        t = apply(
            &t,
            Command::RecordOrganisationNotified {
                organisation: org(o),
            },
            &sec,
            MONDAY_10H_PARIS,
        )
        .ticket;
    }
    let refusal = refuse(
        &t,
        Command::RecordOrganisationNotified {
            organisation: org(OTHER_PARTNER),
        },
        &sec,
        MONDAY_10H_PARIS,
    );
    assert_eq!(refusal.rule, Rule::OrganisationNotConcerned);
    apply(
        &t,
        close(ClosureReason::MutualAgreement, Some("accord")),
        &sec,
        MONDAY_10H_PARIS,
    );
}

#[test]
fn closure_of_a_partner_usurpation_needs_credentials_revoked_or_a_waiver_from_security() {
    let sec = staff(Role::Security);
    let t = open_as(
        &partner(PARTNER),
        partner_usurpation(Detector::Partner),
        MONDAY_10H_PARIS,
    )
    .ticket;
    let refusal = refuse(
        &t,
        close(ClosureReason::MutualAgreement, Some("site fermé")),
        &sec,
        MONDAY_10H_PARIS,
    );
    assert_eq!(refusal.rule, Rule::CredentialsNotRevoked);
    let refusal = refuse(
        &t,
        Command::WaiveRevocation {
            note: text("aucun secret exposé"),
        },
        &staff(Role::Supervisor),
        MONDAY_10H_PARIS,
    );
    assert_eq!(refusal.rule, Rule::SecurityRoleRequired);
    let waived = apply(
        &t,
        Command::WaiveRevocation {
            note: text("aucun secret exposé"),
        },
        &sec,
        MONDAY_10H_PARIS,
    );
    apply(
        &waived.ticket,
        close(ClosureReason::MutualAgreement, Some("site fermé")),
        &sec,
        MONDAY_10H_PARIS,
    );
    let revoked = apply(
        &t,
        Command::RecordCredentialsRevoked {
            note: text("secret client régénéré"),
        },
        &sec,
        MONDAY_10H_PARIS,
    );
    apply(
        &revoked.ticket,
        close(ClosureReason::MutualAgreement, Some("site fermé")),
        &sec,
        MONDAY_10H_PARIS,
    );
}

// ---- Notifications ----

#[test]
fn notifications_a_new_ticket_is_acknowledged_to_the_reporter_with_a_copy_to_partner_support() {
    let d = open_as(
        &partner(PARTNER),
        incident(false, MONDAY_10H_PARIS),
        MONDAY_10H_PARIS,
    );
    assert!(has_mail(
        &d,
        Template::AcknowledgementOfReceipt,
        Recipient::Reporter
    ));
    assert!(has_mail(
        &d,
        Template::NewTicketCopy,
        Recipient::Mailbox(Mailbox::PartnerSupport)
    ));
    assert!(!has_mail(
        &d,
        Template::SecurityAlert,
        Recipient::Mailbox(Mailbox::Security)
    ));
}

#[test]
fn notifications_a_users_report_is_copied_to_user_support_and_security() {
    let mut new = user_usurpation(UsurpationReporter::User, "2026-11-20T09:00:00Z");
    new.language = Language::En;
    let d = open_as(&ticket_domain::Actor::PublicReporter, new, MONDAY_10H_PARIS);
    assert!(has_mail(
        &d,
        Template::NewTicketCopy,
        Recipient::Mailbox(Mailbox::UserSupport)
    ));
    assert!(has_mail(
        &d,
        Template::SecurityAlert,
        Recipient::Mailbox(Mailbox::Security)
    ));
    let ack = mails(&d)
        .into_iter()
        .find(|n| n.template == Template::AcknowledgementOfReceipt)
        .unwrap();
    assert_eq!(
        ack.language,
        Language::En,
        "the reporter gets their language"
    );
    let copy = mails(&d)
        .into_iter()
        .find(|n| n.template == Template::NewTicketCopy)
        .unwrap();
    assert_eq!(copy.language, Language::Fr, "mailboxes get French");
}

#[test]
fn notifications_security_cases_reach_the_security_mailbox_at_every_event() {
    let sec = staff(Role::Security);
    let t = open_as(
        &partner(PARTNER),
        incident(true, MONDAY_10H_PARIS),
        MONDAY_10H_PARIS,
    )
    .ticket;
    for command in [
        Command::Acknowledge { note: None },
        Command::Comment {
            body: text("note interne"),
            internal: true,
        },
    ] {
        let d = apply(&t, command, &sec, MONDAY_10H_PARIS);
        assert!(has_mail(
            &d,
            Template::SecurityAlert,
            Recipient::Mailbox(Mailbox::Security)
        ));
    }
}

#[test]
fn notifications_a_partner_usurpation_detected_by_the_operator_tells_the_partners_contacts() {
    let d = open_as(
        &staff(Role::Security),
        partner_usurpation(Detector::Operator),
        MONDAY_10H_PARIS,
    );
    assert!(has_mail(
        &d,
        Template::PartnerImpersonationDetected,
        Recipient::OrganisationContacts(org(PARTNER))
    ));
    let by_partner = open_as(
        &partner(PARTNER),
        partner_usurpation(Detector::Partner),
        MONDAY_10H_PARIS,
    );
    assert!(!has_mail(
        &by_partner,
        Template::PartnerImpersonationDetected,
        Recipient::OrganisationContacts(org(PARTNER))
    ));
}

#[test]
fn notifications_priority_1_and_2_tell_the_partner_of_each_event_it_may_see() {
    let mut new = incident(false, MONDAY_10H_PARIS);
    new.proposed_priority = Some(Priority::Majeure);
    let t = open_as(&staff(Role::Agent), new, MONDAY_10H_PARIS).ticket;
    let agent = staff(Role::Agent);
    let d = apply(
        &t,
        Command::Acknowledge { note: None },
        &agent,
        MONDAY_10H_PARIS,
    );
    assert!(has_mail(
        &d,
        Template::TicketUpdate,
        Recipient::OrganisationContacts(org(PARTNER))
    ));
    let note = apply(
        &d.ticket,
        Command::Comment {
            body: text("interne"),
            internal: true,
        },
        &agent,
        MONDAY_10H_PARIS,
    );
    assert!(
        mails(&note).is_empty(),
        "internal notes are never sent to partners"
    );
    let mut low = incident(false, MONDAY_10H_PARIS);
    low.proposed_priority = Some(Priority::Normale);
    let t = open_as(&staff(Role::Agent), low, MONDAY_10H_PARIS).ticket;
    let d = apply(
        &t,
        Command::Acknowledge { note: None },
        &agent,
        MONDAY_10H_PARIS,
    );
    assert!(!has_mail(
        &d,
        Template::TicketUpdate,
        Recipient::OrganisationContacts(org(PARTNER))
    ));
}

#[test]
fn notifications_the_reporter_is_asked_to_confirm_a_resolution_and_told_why_it_closed() {
    let t = resolved(true);
    let d = apply(
        &t,
        close(ClosureReason::ResolvedByOperator, None),
        &staff(Role::Agent),
        MONDAY_10H_PARIS,
    );
    let closure = mails(&d);
    assert!(
        closure
            .iter()
            .any(|n| n.template == Template::ClosureNotice && n.recipient == Recipient::Reporter)
    );
    // One mail per recipient per event.
    let mut recipients: Vec<_> = closure.iter().map(|n| n.recipient).collect();
    let before = recipients.len();
    recipients.dedup();
    assert_eq!(recipients.len(), before);
}

#[test]
fn notifications_nobody_is_mailed_about_their_own_action() {
    let t = incident_in_progress(MONDAY_10H_PARIS);
    let d = apply(
        &t,
        Command::Comment {
            body: text("une précision"),
            internal: false,
        },
        &partner(PARTNER),
        MONDAY_10H_PARIS,
    );
    assert!(mails(&d).iter().all(|n| n.recipient != Recipient::Reporter));
}

// ---- The rules as an operator reads them ----

fn with_service(
    mut new: ticket_domain::NewTicket,
    seconds: i64,
    availability: &str,
) -> ticket_domain::NewTicket {
    if let ticket_domain::KindData::Incident(i) = &mut new.data {
        let service = i.service.as_mut().unwrap();
        service.max_unavailability_seconds = Some(seconds);
        service.availability = Some(availability.to_owned());
    }
    new
}

#[test]
fn alarms_the_75_percent_warning_tells_the_assignee_or_the_tier_team_mailbox() {
    let policy = Policy::default();
    // Nobody assigned: the agents' team mailbox hears of the acknowledgement warning.
    let t = open_as(
        &partner(PARTNER),
        incident(false, MONDAY_10H_PARIS),
        MONDAY_10H_PARIS,
    )
    .ticket;
    let d = sweep(&t, next_due(&t, &policy).unwrap(), &policy).unwrap();
    assert_eq!(event_types(&d), ["sla_warning"]);
    assert!(has_mail(
        &d,
        Template::SlaWarning,
        Recipient::TierTeam(Tier::Agent)
    ));
    // Assigned: the assignee hears of the handling warning.
    let t = incident_in_progress(MONDAY_10H_PARIS);
    let d = sweep(&t, next_due(&t, &policy).unwrap(), &policy).unwrap();
    assert_eq!(event_types(&d), ["sla_warning"]);
    assert!(has_mail(&d, Template::SlaWarning, Recipient::Assignee));
    assert!(!has_mail(
        &d,
        Template::SlaWarning,
        Recipient::TierTeam(Tier::Agent)
    ));
}

#[test]
fn alarms_a_breach_tells_the_owners_of_its_priority_whatever_the_tier() {
    let policy = Policy::default();
    let sec = staff(Role::Security);
    let t = open_as(
        &partner(PARTNER),
        incident(true, MONDAY_10H_PARIS),
        MONDAY_10H_PARIS,
    )
    .ticket;
    // Already at the top tier: a breach cannot escalate, and still tells the owners.
    let t = apply(
        &t,
        Command::Escalate {
            reason: text("fuite"),
        },
        &sec,
        MONDAY_10H_PARIS,
    )
    .ticket;
    assert_eq!(t.tier, Tier::Supervisor);
    let d = sweep(&t, at("2026-11-23T14:00:00Z"), &policy).unwrap();
    assert_eq!(event_types(&d), ["sla_warning", "sla_breached"]);
    for owner in [Owner::ProductionLead, Owner::ProductLead] {
        assert!(has_mail(&d, Template::SlaBreach, Recipient::Owner(owner)));
    }
    // Once per clock: the acknowledgement breach is not told again.
    assert!(sweep(&d.ticket, at("2026-11-23T15:00:00Z"), &policy).is_none());
}

#[test]
fn alarms_never_fire_on_a_stopped_clock_and_a_priority_change_fires_each_alarm_at_most_once() {
    let policy = Policy::default();
    let agent = staff(Role::Agent);
    let mut t = open_as(
        &partner(PARTNER),
        incident(false, MONDAY_10H_PARIS),
        MONDAY_10H_PARIS,
    )
    .ticket;
    // The acknowledgement clock breaches (escalated to the engineers)…
    let breached_at = at("2026-11-25T09:00:00Z");
    while let Some(due) = next_due(&t, &policy).filter(|d| *d <= breached_at) {
        t = sweep(&t, due, &policy).unwrap().ticket;
    }
    assert!(t.acknowledgement_clock.breach_fired);
    assert_eq!(t.tier, Tier::Engineer);
    // …is acknowledged late, and the priority is lowered: nothing fires again.
    let later = "2026-11-25T10:00:00Z";
    t = apply(&t, Command::Acknowledge { note: None }, &agent, later).ticket;
    let d = apply(
        &t,
        Command::SetPriority {
            priority: Priority::Mineure,
            reason: text("contourné"),
        },
        &agent,
        later,
    );
    assert!(mails(&d).iter().all(|n| n.template != Template::Escalation));
    t = d.ticket;
    assert!(sweep(&t, at(later) + TimeDelta::seconds(1), &policy).is_none());
    assert_eq!(t.tier, Tier::Engineer);
    // Raised to priority 1, the running handling clock is measured against 2 days 24/7: its
    // warning and breach fire once each, at once.
    let d = apply(
        &t,
        Command::SetPriority {
            priority: Priority::Critique,
            reason: text("aggravé"),
        },
        &agent,
        "2026-11-25T10:00:01Z",
    );
    let d = sweep(&d.ticket, at("2026-11-25T10:00:02Z"), &policy).unwrap();
    assert_eq!(
        event_types(&d),
        ["sla_warning", "sla_breached", "escalated"]
    );
    assert!(sweep(&d.ticket, at("2026-11-26T10:00:00Z"), &policy).is_none());
    // A stopped clock raises nothing, even when a new target would put it past its deadline.
    assert_eq!(d.ticket.acknowledgement_clock.phase(), Phase::Stopped);
}

#[test]
fn priorities_a_services_maximum_unavailability_counts_on_its_own_availability_window() {
    let policy = Policy::default();
    // Friday 27 November 2026, 17:00 Paris.
    let friday = "2026-11-27T16:00:00Z";
    let deadline = |new| {
        let t = open_as(&partner(PARTNER), new, friday).ticket;
        clock_status(&t, ClockKind::Handling, &policy, at(friday)).deadline
    };
    // Down at most 48 h on a 24/7 service: 48 elapsed hours, not the table's 5 working days.
    let new = with_service(incident(false, friday), 48 * 3600, "24/7");
    assert_eq!(deadline(new), Some(at("2026-11-29T16:00:00Z")));
    // 4 h on a 24/7 service: Friday 21:00 Paris, not Monday 12:30.
    let new = with_service(incident(false, friday), 4 * 3600, "24h/24, 7j/7");
    assert_eq!(deadline(new), Some(at("2026-11-27T20:00:00Z")));
    // 4 h on an office-hours service: its own hours (Friday 1 h, Monday 3 h).
    let new = with_service(incident(false, friday), 4 * 3600, "heures ouvrées");
    assert_eq!(deadline(new), Some(at("2026-11-30T11:30:00Z")));
    // 10 days 24/7 is longer than the table's 5 working days: the table's deadline wins.
    let new = with_service(incident(false, friday), 10 * 86_400, "24/7");
    let table = deadline(incident(false, friday));
    assert_eq!(deadline(new), table);
}

#[test]
fn kinds_the_organisations_concerned_are_a_set_and_security_adds_one_found_during_the_investigation()
 {
    let sec = staff(Role::Security);
    let mut new = user_usurpation(UsurpationReporter::Operator, "2026-11-20T09:00:00Z");
    if let ticket_domain::KindData::UserUsurpation(d) = &mut new.data {
        d.service_providers = vec![org(SP1), org(SP2), org(SP1)];
    }
    let t = open_as(&sec, new, MONDAY_10H_PARIS).ticket;
    assert_eq!(t.concerned.len(), 3, "IdP, SP1 and SP2, each once");
    let t = apply(
        &t,
        Command::Acknowledge { note: None },
        &sec,
        MONDAY_10H_PARIS,
    )
    .ticket;
    let d = apply(
        &t,
        Command::Qualify {
            qualification: Qualification::Confirmed,
        },
        &sec,
        MONDAY_10H_PARIS,
    );
    let t = deliver_mails(&d, MONDAY_10H_PARIS);
    assert!(t.concerned.iter().all(|c| c.notified_at.is_some()));
    // Found during the investigation: added, told by mail, and needed before closure.
    let found = org(13);
    let add = Command::AddConcernedOrganisation {
        organisation: found,
        role: ticket_domain::ticket::ConcernedRole::ServiceProvider,
    };
    assert_eq!(
        refuse(&t, add.clone(), &staff(Role::Agent), MONDAY_10H_PARIS).rule,
        Rule::SecurityRoleRequired
    );
    let d = apply(&t, add.clone(), &sec, MONDAY_10H_PARIS);
    assert_eq!(event_types(&d), ["organisation_concerned"]);
    assert!(has_mail(
        &d,
        Template::UsurpationConfirmed,
        Recipient::OrganisationContacts(found)
    ));
    let agreed = close(ClosureReason::MutualAgreement, Some("accord"));
    assert_eq!(
        refuse(&d.ticket, agreed.clone(), &sec, MONDAY_10H_PARIS).rule,
        Rule::OrganisationsNotNotified
    );
    assert_eq!(
        refuse(&d.ticket, add, &sec, MONDAY_10H_PARIS).rule,
        Rule::InvalidInput,
        "an organisation is concerned once"
    );
    let t = deliver_mails(&d, MONDAY_10H_PARIS);
    apply(&t, agreed, &sec, MONDAY_10H_PARIS);
}

#[test]
fn closure_notified_means_the_mail_server_accepted_the_mail_not_that_it_was_queued() {
    let agent = staff(Role::Agent);
    let t = incident_in_progress(MONDAY_10H_PARIS);
    let resolved = apply(
        &t,
        Command::Resolve {
            summary: text("corrigé"),
        },
        &agent,
        "2026-11-23T10:00:00Z",
    );
    let by_operator = close(ClosureReason::ResolvedByOperator, None);
    // Queued (or failed, or uncertain): condition 4 unmet, and the refusal says why.
    let refusal = refuse(
        &resolved.ticket,
        by_operator.clone(),
        &agent,
        "2026-11-23T10:00:01Z",
    );
    assert_eq!(refusal.rule, Rule::ClosureConditionUnmet);
    assert!(
        refusal
            .detail
            .contains("not been accepted by the mail server"),
        "{}",
        refusal.detail
    );
    let delivered = |event_at: &str, actor: &ticket_domain::Actor| {
        ticket_domain::decide(
            &resolved.ticket,
            Command::RecordMailDelivered {
                template: Template::ResolutionConfirmationRequest,
                recipient: Recipient::Reporter,
                event_at: at(event_at),
                delivered_at: at("2026-11-23T11:00:00Z"),
            },
            actor,
            at("2026-11-23T11:00:00Z"),
            &Policy::default(),
        )
    };
    // Only the system records a delivery; a mail about an earlier resolution proves nothing.
    assert!(delivered("2026-11-23T10:00:00Z", &agent).is_err());
    let stale = delivered("2026-11-23T09:00:00Z", &ticket_domain::Actor::System).unwrap();
    assert!(stale.records.is_empty());
    let d = delivered("2026-11-23T10:00:00Z", &ticket_domain::Actor::System).unwrap();
    assert_eq!(event_types(&d), ["mail_delivered"]);
    assert!(mails(&d).is_empty(), "nobody is mailed that a mail arrived");
    apply(&d.ticket, by_operator, &agent, "2026-11-23T11:00:01Z");
    // A partner impersonation detected by the operator: the partner is notified once its mail
    // was accepted.
    let sec = staff(Role::Security);
    let opened = open_as(
        &sec,
        partner_usurpation(Detector::Operator),
        MONDAY_10H_PARIS,
    );
    assert!(
        opened
            .ticket
            .concerned
            .iter()
            .all(|c| c.notified_at.is_none())
    );
    let t = deliver_mails(&opened, MONDAY_10H_PARIS);
    assert!(t.concerned.iter().all(|c| c.notified_at.is_some()));
}

#[test]
fn lifecycle_staff_record_an_answer_by_another_channel_and_a_spoken_not_fixed() {
    let policy = Policy::default();
    let agent = staff(Role::Agent);
    let t = incident_in_progress(MONDAY_10H_PARIS);
    let t = apply(
        &t,
        Command::WaitForReporter {
            question: text("Quel navigateur ?"),
        },
        &agent,
        MONDAY_10H_PARIS,
    )
    .ticket;
    let d = apply(
        &t,
        Command::RecordReporterAnswered {
            note: text("Réponse par téléphone : Firefox"),
        },
        &agent,
        "2026-11-24T09:00:00Z",
    );
    assert_eq!(d.ticket.state, State::InProgress);
    assert_eq!(event_types(&d), ["reporter_answered"]);
    assert_eq!(d.ticket.handling_clock.phase(), Phase::Running);
    assert_eq!(
        clock_status(
            &d.ticket,
            ClockKind::Handling,
            &policy,
            at("2026-11-24T09:00:00Z")
        )
        .used,
        TimeDelta::zero(),
        "the day spent waiting does not count"
    );
    assert!(matches!(
        d.records[0].event.actor,
        ticket_domain::Actor::Staff { .. }
    ));
    let resolved = apply(
        &d.ticket,
        Command::Resolve {
            summary: text("corrigé"),
        },
        &agent,
        "2026-11-24T10:00:00Z",
    )
    .ticket;
    let d = apply(
        &resolved,
        Command::RecordNotFixed {
            note: text("Au téléphone : toujours en panne"),
        },
        &agent,
        "2026-11-24T11:00:00Z",
    );
    assert_eq!(d.ticket.state, State::InProgress);
    assert_eq!(event_types(&d), ["resolution_rejected"]);
    assert!(d.ticket.resolution.is_none());
    assert_eq!(d.ticket.handling_clock.phase(), Phase::Running);
    // A partner uses its own commands, not the staff's record.
    assert_eq!(
        refuse(
            &resolved,
            Command::RecordNotFixed { note: text("non") },
            &partner(PARTNER),
            "2026-11-24T11:00:00Z"
        )
        .rule,
        Rule::RoleNotAllowed
    );
}

#[test]
fn actors_only_security_and_supervisor_act_on_security_cases() {
    let cases = [
        open_as(
            &partner(PARTNER),
            incident(true, MONDAY_10H_PARIS),
            MONDAY_10H_PARIS,
        )
        .ticket,
        open_as(
            &partner(PARTNER),
            partner_usurpation(Detector::Partner),
            MONDAY_10H_PARIS,
        )
        .ticket,
        open_as(
            &ticket_domain::Actor::PublicReporter,
            user_usurpation(UsurpationReporter::User, "2026-11-20T09:00:00Z"),
            MONDAY_10H_PARIS,
        )
        .ticket,
    ];
    for t in cases {
        let acknowledged = apply(
            &t,
            Command::Acknowledge { note: None },
            &staff(Role::Supervisor),
            MONDAY_10H_PARIS,
        )
        .ticket;
        for role in [Role::Agent, Role::Engineer] {
            let who = staff(role);
            let refused = [
                (&t, Command::Acknowledge { note: None }),
                (&acknowledged, Command::Escalate { reason: text("?") }),
                (
                    &acknowledged,
                    Command::Comment {
                        body: text("réponse publique"),
                        internal: false,
                    },
                ),
                (
                    &acknowledged,
                    Command::Resolve {
                        summary: text("ok"),
                    },
                ),
                (
                    &acknowledged,
                    close(ClosureReason::MutualAgreement, Some("accord")),
                ),
                (
                    &acknowledged,
                    Command::Cancel {
                        cancellation: Cancellation::Spam,
                        note: None,
                    },
                ),
            ];
            for (ticket, command) in refused {
                let name = command.name();
                let refusal = refuse(ticket, command, &who, MONDAY_10H_PARIS);
                assert_eq!(refusal.rule, Rule::SecurityRoleRequired, "{role} {name}");
            }
            // They read it and add internal notes.
            apply(
                &acknowledged,
                Command::Comment {
                    body: text("note interne"),
                    internal: true,
                },
                &who,
                MONDAY_10H_PARIS,
            );
        }
        let sec = staff(Role::Security);
        let spam = apply(
            &acknowledged,
            Command::Cancel {
                cancellation: Cancellation::Spam,
                note: None,
            },
            &sec,
            MONDAY_10H_PARIS,
        );
        assert_eq!(spam.ticket.state, State::Cancelled);
    }
    // Reopening a closed security case: not an agent's.
    let t = open_as(
        &partner(PARTNER),
        partner_usurpation(Detector::Partner),
        MONDAY_10H_PARIS,
    )
    .ticket;
    let sec = staff(Role::Security);
    let t = apply(
        &t,
        Command::Acknowledge { note: None },
        &sec,
        MONDAY_10H_PARIS,
    )
    .ticket;
    let t = apply(
        &t,
        Command::WaiveRevocation {
            note: text("sans objet"),
        },
        &sec,
        MONDAY_10H_PARIS,
    )
    .ticket;
    let t = apply(
        &t,
        close(ClosureReason::MutualAgreement, Some("accord")),
        &sec,
        MONDAY_10H_PARIS,
    )
    .ticket;
    let reopen = Command::Reopen {
        reason: text("revenu"),
    };
    assert_eq!(
        refuse(&t, reopen.clone(), &staff(Role::Agent), MONDAY_10H_PARIS).rule,
        Rule::SecurityRoleRequired
    );
    apply(&t, reopen, &sec, MONDAY_10H_PARIS);
}

#[test]
fn lifecycle_follow_ups_link_both_ways_and_need_a_closed_ticket_past_its_reopen_window() {
    let policy = Policy::default();
    let open = incident_in_progress(MONDAY_10H_PARIS);
    let refusal = ticket_domain::lifecycle::check_follow_up(&open, at(MONDAY_10H_PARIS), &policy)
        .unwrap_err();
    assert_eq!(refusal.rule, Rule::FollowUpNotAllowed);
    assert_eq!(refusal.errors[0].field, "follow_up_of");
    let closed = closed_ticket("2026-12-01T09:00:00Z");
    assert_eq!(
        ticket_domain::lifecycle::check_follow_up(&closed, at("2026-12-10T09:00:00Z"), &policy)
            .unwrap_err()
            .rule,
        Rule::FollowUpNotAllowed,
        "within the reopen window it is reopened instead"
    );
    assert!(
        ticket_domain::lifecycle::check_follow_up(&closed, at("2026-12-16T09:00:01Z"), &policy)
            .is_ok()
    );
    let mut new = incident(false, "2026-12-16T09:00:00Z");
    new.follow_up_of = Some(closed.id);
    let follow_up = open_as(&partner(PARTNER), new, "2026-12-16T09:00:01Z").ticket;
    assert!(follow_up.has_link(closed.id, LinkKind::FollowUpOf));
    // The closed ticket records the follow-up too (the store does it in the same transaction).
    let back = apply(
        &closed,
        Command::Link {
            ticket: follow_up.id,
            link: LinkKind::FollowedUpBy,
        },
        &ticket_domain::Actor::System,
        "2026-12-16T09:00:01Z",
    );
    assert!(back.ticket.has_link(follow_up.id, LinkKind::FollowedUpBy));
    assert_eq!(back.ticket.state, State::Closed);
}

#[test]
fn closure_3_the_automatic_closure_comes_two_working_days_after_the_last_reminder() {
    let policy = Policy::default();
    let t = incident_in_progress(MONDAY_10H_PARIS);
    let t = apply(
        &t,
        Command::WaitForReporter {
            question: text("?"),
        },
        &staff(Role::Agent),
        MONDAY_10H_PARIS,
    )
    .ticket;
    // A long outage: the sweeper first runs 12 working days later (Wednesday 9 December).
    let back = at("2026-12-09T09:00:00Z");
    let d = sweep(&t, back, &policy).unwrap();
    assert_eq!(event_types(&d), ["reminder_sent"]);
    assert!(sweep(&d.ticket, back + TimeDelta::seconds(1), &policy).is_none());
    let early = refuse(
        &d.ticket,
        close(ClosureReason::ReporterUnresponsive, None),
        &staff(Role::Agent),
        "2026-12-10T09:00:00Z",
    );
    assert!(early.detail.contains("last reminder"), "{}", early.detail);
    // Two working days after the reminder: Friday 11 December, 10:00 Paris.
    let due = next_due(&d.ticket, &policy).unwrap();
    assert_eq!(due, at("2026-12-11T09:00:00Z"));
    let closed = sweep(&d.ticket, due, &policy).unwrap();
    assert_eq!(closed.ticket.state, State::Closed);
}

#[test]
fn notifications_a_mail_shows_the_ticket_as_it_stood_right_after_its_event() {
    let mut new = incident(false, MONDAY_10H_PARIS);
    new.proposed_priority = Some(Priority::Critique);
    let created = open_as(&partner(PARTNER), new, MONDAY_10H_PARIS);
    let facts = created.records[0].event.facts.clone().unwrap();
    assert_eq!(facts.priority, Priority::Critique);
    assert_eq!(facts.state, State::New);
    assert_eq!(
        facts.acknowledgement_deadline,
        Some(at("2026-11-23T13:00:00Z"))
    );
    // A second later the priority is lowered and the ticket acknowledged: the creation's mails
    // still show priority 1, state new.
    let agent = staff(Role::Agent);
    let t = apply(
        &created.ticket,
        Command::SetPriority {
            priority: Priority::Normale,
            reason: text("moins grave"),
        },
        &agent,
        "2026-11-23T09:00:01Z",
    )
    .ticket;
    let t = apply(
        &t,
        Command::Acknowledge { note: None },
        &agent,
        "2026-11-23T09:00:02Z",
    )
    .ticket;
    let then = created.records[0].event.facts_applied_to(&t);
    assert_eq!(then.priority, Priority::Critique);
    assert_eq!(then.state, State::New);
    // One decision, two events: confirmation then closure, each with its own state.
    let t = resolved(true);
    let d = apply(
        &t,
        Command::ConfirmResolution,
        &partner(PARTNER),
        MONDAY_10H_PARIS,
    );
    let states: Vec<State> = d
        .records
        .iter()
        .map(|r| r.event.facts.as_ref().unwrap().state)
        .collect();
    assert_eq!(states, [State::Resolved, State::Closed]);
}

// ---- Channel "e-mail" ----

fn receipt(opened: bool) -> ticket_domain::event::MailReceipt {
    ticket_domain::event::MailReceipt {
        mail: uuid::Uuid::from_u128(9),
        sha256: "0f".repeat(32),
        opened,
    }
}

#[test]
fn channels_a_mailed_answer_is_a_comment_then_its_receipt_and_the_handler_is_told() {
    let ticket = incident_in_progress("2026-11-23T10:00:00Z");
    let answered = apply(
        &ticket,
        Command::ReceiveMail {
            body: text("Le service est revenu."),
            internal: false,
            receipt: receipt(false),
        },
        &partner(PARTNER),
        "2026-11-23T11:00:00Z",
    );
    assert_eq!(event_types(&answered), vec!["commented", "mail_received"]);
    let receipt_event = &answered.records[1];
    assert_eq!(
        receipt_event.event.visibility,
        ticket_domain::event::Visibility::Internal
    );
    let told = &receipt_event.notifications;
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].template, Template::ReplyArrived);
    let expected = if ticket.assignee.is_some() {
        Recipient::Assignee
    } else {
        Recipient::TierTeam(ticket.tier)
    };
    assert_eq!(told[0].recipient, expected);
    // A partner outside the ticket's organisation is refused, as through the API.
    let refusal = refuse(
        &ticket,
        Command::ReceiveMail {
            body: text("Moi aussi."),
            internal: false,
            receipt: receipt(false),
        },
        &partner(OTHER_PARTNER),
        "2026-11-23T11:00:00Z",
    );
    assert_eq!(refusal.rule, Rule::PartnerScope);
}

#[test]
fn channels_a_ticket_opened_by_mail_tells_nobody_a_reply_arrived() {
    let opened = open_as(&partner(PARTNER), support_request(), "2026-11-23T10:00:00Z");
    let with_receipt = ticket_domain::lifecycle::with_mail_received(
        opened,
        receipt(true),
        &partner(PARTNER),
        at("2026-11-23T10:00:00Z"),
        &Policy::default(),
    );
    assert_eq!(event_types(&with_receipt), vec!["created", "mail_received"]);
    assert!(with_receipt.records[1].notifications.is_empty());
}
