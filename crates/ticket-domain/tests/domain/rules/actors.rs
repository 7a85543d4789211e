//! Actors.

use ticket_domain::refusal::Rule;
use ticket_domain::testkit::*;
use ticket_domain::{Command, Role};

use super::MONDAY_10H_PARIS;

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
