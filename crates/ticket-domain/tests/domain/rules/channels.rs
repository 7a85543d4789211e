//! Channel "e-mail".

use ticket_domain::notify::{Recipient, Template};
use ticket_domain::refusal::Rule;
use ticket_domain::testkit::*;
use ticket_domain::{Command, Policy};

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
