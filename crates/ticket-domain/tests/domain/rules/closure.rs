//! Closure conditions.

use ticket_domain::kind::{Detector, UsurpationReporter};
use ticket_domain::notify::{Recipient, Template};
use ticket_domain::refusal::Rule;
use ticket_domain::testkit::*;
use ticket_domain::{ClosureReason, Command, Policy, Role, State, next_due, sweep};

use super::{MONDAY_10H_PARIS, close, resolved};

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
    // The mail server accepts it ("notified means delivered").
    let delivered = deliver_mails(&reminded, "2026-11-30T09:00:00Z");
    let refusal = refuse(
        &delivered,
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
        &delivered,
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
    let reminded = sweep(&t, next_due(&t, &policy).unwrap(), &policy).unwrap();
    let t = deliver_mails(&reminded, "2026-11-30T09:00:00Z");
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

/// Closure condition 3 with "notified means delivered": a reminder the mail server never accepted
/// does not count — no automatic closure, and staff cannot close as "reporter unresponsive" — until
/// a reminder is delivered (and 2 working days have passed since).
#[test]
fn closure_3_needs_a_reminder_the_mail_server_accepted() {
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
    // The reminder is due and "sent" (an outbox row), but the SMTP server is down: never delivered.
    let reminded = sweep(&t, next_due(&t, &policy).unwrap(), &policy).unwrap();
    let t = reminded.ticket.clone();
    for later in ["2026-12-07T09:00:00Z", "2026-12-21T09:00:00Z"] {
        if let Some(d) = sweep(&t, at(later), &policy) {
            assert_ne!(d.ticket.state, State::Closed, "closed at {later}");
        }
        let refusal = refuse(
            &t,
            close(ClosureReason::ReporterUnresponsive, None),
            &agent,
            later,
        );
        assert_eq!(refusal.rule, Rule::ClosureConditionUnmet);
        assert!(refusal.detail.contains("delivered"), "{}", refusal.detail);
    }
    // The mail server accepts the reminder on Tuesday 1 December: 2 working days later it may close.
    let t = deliver_mails(&reminded, "2026-12-01T09:00:00Z");
    let refusal = refuse(
        &t,
        close(ClosureReason::ReporterUnresponsive, None),
        &agent,
        "2026-12-02T09:00:00Z",
    );
    assert_eq!(refusal.rule, Rule::ClosureConditionUnmet);
    apply(
        &t,
        close(ClosureReason::ReporterUnresponsive, None),
        &agent,
        "2026-12-07T09:00:00Z",
    );
    let due = next_due(&t, &policy).unwrap();
    assert_eq!(due, at("2026-12-07T09:00:00Z"));
    assert_eq!(sweep(&t, due, &policy).unwrap().ticket.state, State::Closed);
}

/// DOMAIN.md, closure condition 3: "a reminder that cannot be delivered holds the automatic closure
/// and tells the ticket's tier". A reminder of the current wait refused for good: an internal event
/// and a mail to whoever handles the ticket (its tier's mailbox when unassigned); the closure still
/// waits. A failed mail that is not a reminder, or a reminder of an earlier wait, records nothing.
#[test]
fn closure_3_an_undeliverable_reminder_tells_the_tier_and_the_closure_waits() {
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
    let reminded = sweep(&t, next_due(&t, &policy).unwrap(), &policy).unwrap();
    let reminder_at = reminded
        .records
        .iter()
        .find(|r| {
            r.notifications
                .iter()
                .any(|n| n.template == Template::ReporterReminder)
        })
        .map(|r| r.event.at)
        .expect("a reminder is queued");
    let t = reminded.ticket.clone();
    let failed = |template| Command::RecordMailUndeliverable {
        template,
        recipient: Recipient::Reporter,
        event_at: reminder_at,
        failed_at: at("2026-12-01T09:00:00Z"),
    };
    let d = apply(
        &t,
        failed(Template::ReporterReminder),
        &ticket_domain::Actor::System,
        "2026-12-01T09:00:00Z",
    );
    assert_eq!(d.records.len(), 1);
    let record = &d.records[0];
    assert_eq!(record.event.data.type_name(), "reminder_undeliverable");
    assert_eq!(
        record.event.visibility,
        ticket_domain::event::Visibility::Internal
    );
    assert_eq!(record.notifications.len(), 1);
    assert_eq!(
        record.notifications[0].template,
        Template::ReminderUndeliverable
    );
    let expected = match &t.assignee {
        Some(_) => Recipient::Assignee,
        None => Recipient::TierTeam(t.tier),
    };
    assert_eq!(record.notifications[0].recipient, expected);
    // The closure still waits for a delivered reminder.
    if let Some(later) = sweep(&d.ticket, at("2026-12-21T09:00:00Z"), &policy) {
        assert_ne!(later.ticket.state, State::Closed);
    }
    // Another mail refused: nothing recorded here.
    let d = apply(
        &t,
        failed(Template::QuestionToReporter),
        &ticket_domain::Actor::System,
        "2026-12-01T09:00:00Z",
    );
    assert!(d.records.is_empty());
    // A reminder of an earlier wait (the reporter answered since): nothing either.
    let answered = apply(
        &t,
        Command::RecordReporterAnswered {
            note: text("Réponse par téléphone"),
        },
        &agent,
        "2026-11-30T09:00:00Z",
    )
    .ticket;
    let d = apply(
        &answered,
        failed(Template::ReporterReminder),
        &ticket_domain::Actor::System,
        "2026-12-01T09:00:00Z",
    );
    assert!(d.records.is_empty());
}
