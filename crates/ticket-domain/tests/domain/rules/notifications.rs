//! Notifications.

use ticket_domain::kind::{Detector, UsurpationReporter};
use ticket_domain::notify::{Language, Mailbox, Recipient, Template};
use ticket_domain::testkit::*;
use ticket_domain::{ClosureReason, Command, Priority, Role};

use super::{MONDAY_10H_PARIS, close, resolved};

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
