//! Ticket kinds.

use ticket_domain::escalation::Tier;
use ticket_domain::kind::{Detector, Qualification, UsurpationReporter};
use ticket_domain::notify::{Recipient, Template};
use ticket_domain::refusal::Rule;
use ticket_domain::testkit::*;
use ticket_domain::ticket::LinkKind;
use ticket_domain::{ClosureReason, Command, Policy, Priority, Role, State};

use super::{MONDAY_10H_PARIS, close};

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
