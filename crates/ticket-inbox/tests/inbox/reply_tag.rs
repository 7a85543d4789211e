//! A signed reply address that is present and wrong quarantines the mail, whatever else threads it
//! (issue 26, point 7): a tag is the one proof that the writer received a mail of the ticket.

use super::*;
use ticket_inbox::{Delivery, Source};
use ticket_store::inbound::InboundStatus;

ticket_store::store_test!(
    an_altered_reply_tag_quarantines_even_with_in_reply_to,
    |store| async move {
        let w = world(store).await;
        let signed = w.replies.for_ticket(&w.ticket.ticket.reference);
        let (head, _) = signed.rsplit_once('.').unwrap();
        let altered = format!("{head}.0000000000000000@ticketd.localhost");
        let reference = w.ticket.ticket.reference.to_string();
        // In-Reply-To and the subject's reference both name the ticket; the tag does not verify.
        let raw = message(
            CONTACT,
            &altered,
            &format!("Re: [{reference}] Question"),
            &format!(
                "In-Reply-To: {}\r\nReferences: {}\r\n",
                w.sent_id, w.sent_id
            ),
            "Je réponds avec une adresse modifiée.",
        );
        let mail = match w.inbox.receive(&raw, Source::Pipe).await.unwrap() {
            Delivery::Stored(mail) => *mail,
            Delivery::Duplicate { .. } => panic!("unexpected duplicate"),
        };
        assert_eq!(mail.status, InboundStatus::Quarantined);
        assert!(
            mail.reason
                .as_deref()
                .unwrap_or_default()
                .contains("signature does not verify"),
            "{:?}",
            mail.reason
        );
        assert!(w.comments(w.ticket.ticket.id).await.is_empty());
        // The intact tag with the same headers lands.
        let raw = message(
            CONTACT,
            &signed,
            &format!("Re: [{reference}] Question"),
            &format!("In-Reply-To: {}\r\n", w.sent_id),
            "Je réponds avec la bonne adresse.",
        );
        let mail = match w.inbox.receive(&raw, Source::Pipe).await.unwrap() {
            Delivery::Stored(mail) => *mail,
            Delivery::Duplicate { .. } => panic!("unexpected duplicate"),
        };
        assert_eq!(mail.status, InboundStatus::Landed);
    }
);
