//! Escalation.

use ticket_domain::escalation::Tier;
use ticket_domain::notify::{Mailbox, Recipient, Template};
use ticket_domain::priority::Owner;
use ticket_domain::refusal::Rule;
use ticket_domain::testkit::*;
use ticket_domain::{Command, Role};

use super::MONDAY_10H_PARIS;

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
