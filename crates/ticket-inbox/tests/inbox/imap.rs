//! Through a real IMAP server: threading, exactly once across a crash, UIDVALIDITY, a burst.

use super::*;
use crate::dovecot::Dovecot;
use ticket_inbox::Source;
use ticket_store::inbound::InboundStatus;

ticket_store::store_test!(
    a_partner_reply_lands_once_by_each_threading_means,
    |store| async move {
        let w = world(store).await;
        let imap = Dovecot::start();
        let reference = w.ticket.ticket.reference.to_string();
        let by_message_id = message(
            CONTACT,
            "support.partenaires@ticketd.localhost",
            "Re: votre message",
            &format!(
                "In-Reply-To: {}\r\nReferences: {}\r\n",
                w.sent_id, w.sent_id
            ),
            "Réponse par Message-ID.\r\n\r\nLe 1 déc. 2026, ticketd a écrit :\r\n> Bonjour",
        );
        let by_subject = message(
            CONTACT,
            "support.partenaires@ticketd.localhost",
            &format!("Re: [{reference}] Question"),
            "",
            "Réponse par référence.\r\n-- \r\nAlice, IdP",
        );
        let signed = w.replies.for_ticket(&w.ticket.ticket.reference);
        let by_address = message(CONTACT, &signed, "Suite", "", "Réponse par adresse signée.");
        imap.deliver(
            "partners",
            "INBOX",
            &[
                by_message_id.clone(),
                by_subject,
                by_address,
                by_message_id.clone(),
            ],
        )
        .await;
        let fetcher = w.fetcher(imap.account("partners", "INBOX"));
        let report = fetcher.fetch_once().await.unwrap();
        assert_eq!(
            (report.fetched, report.stored, report.duplicates),
            (4, 3, 1)
        );
        assert_eq!(
            w.comments(w.ticket.ticket.id).await,
            vec![
                "Réponse par Message-ID.",
                "Réponse par référence.",
                "Réponse par adresse signée."
            ]
        );
        // Each comment is followed by the mail's receipt (its hash) in the evidence chain.
        let events = w.store.events(w.ticket.ticket.id).await.unwrap();
        let receipts: Vec<_> = events
            .iter()
            .filter_map(|e| match &e.event.data {
                ticket_domain::EventData::MailReceived { receipt } => Some(receipt.sha256.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(receipts.len(), 3);
        assert!(
            w.store
                .verify_chain(w.ticket.ticket.id)
                .await
                .unwrap()
                .valid
        );
        // Done on the server, and nothing comes twice.
        assert_eq!(imap.seen("partners", "INBOX").await, (4, 4));
        let again = fetcher.fetch_once().await.unwrap();
        assert_eq!(again.fetched, 0);
        imap.deliver("partners", "INBOX", &[by_message_id]).await;
        let resent = fetcher.fetch_once().await.unwrap();
        assert_eq!(
            (resent.fetched, resent.stored, resent.duplicates),
            (1, 0, 1)
        );
        assert_eq!(w.comments(w.ticket.ticket.id).await.len(), 3);
    }
);

ticket_store::store_test!(a_forged_reply_tag_is_quarantined, |store| async move {
    let w = world(store).await;
    let imap = Dovecot::start();
    let signed = w.replies.for_ticket(&w.ticket.ticket.reference);
    // The reference kept, the tag changed: someone who never received a mail of the ticket.
    let (head, _) = signed.rsplit_once('.').unwrap();
    let forged = format!("{head}.0000000000000000@ticketd.localhost");
    imap.deliver(
        "partners",
        "INBOX",
        &[message(CONTACT, &forged, "Suite", "", "Je réponds.")],
    )
    .await;
    let report = w
        .fetcher(imap.account("partners", "INBOX"))
        .fetch_once()
        .await
        .unwrap();
    assert_eq!(report.stored, 1);
    assert!(w.comments(w.ticket.ticket.id).await.is_empty());
    let quarantine = w
        .store
        .list_inbound(Some(InboundStatus::Quarantined), None, 50, None)
        .await
        .unwrap()
        .items;
    assert_eq!(quarantine.len(), 1);
    assert!(
        quarantine[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("signature does not verify")
    );
    assert_eq!(quarantine[0].ticket_id, None);
});

ticket_store::store_test!(
    a_crash_after_the_commit_lands_the_message_exactly_once,
    |store| async move {
        let w = world(store).await;
        let imap = Dovecot::start();
        let reference = w.ticket.ticket.reference.to_string();
        let reply = message(
            CONTACT,
            "support.partenaires@ticketd.localhost",
            &format!("Re: [{reference}]"),
            "",
            "Une seule fois.",
        );
        imap.deliver("partners", "INBOX", std::slice::from_ref(&reply))
            .await;
        // The fetcher got the message and committed its comment, then died before marking it done and
        // before recording its UID (the state a kill -9 leaves between the two).
        w.inbox
            .receive(&reply, Source::Imap(OperatorMailbox::PartnerSupport))
            .await
            .unwrap();
        assert_eq!(imap.seen("partners", "INBOX").await, (0, 1));
        assert_eq!(
            w.store.imap_position("partner_support").await.unwrap(),
            None
        );
        // Restarted: it fetches the message again, finds it received, marks it done.
        let report = w
            .fetcher(imap.account("partners", "INBOX"))
            .fetch_once()
            .await
            .unwrap();
        assert_eq!(
            (report.fetched, report.stored, report.duplicates),
            (1, 0, 1)
        );
        assert_eq!(imap.seen("partners", "INBOX").await, (1, 1));
        assert_eq!(
            w.comments(w.ticket.ticket.id).await,
            vec!["Une seule fois."]
        );
        // And a crash before the commit: nothing was written, the next pass lands it once.
        let second = message(
            CONTACT,
            "support.partenaires@ticketd.localhost",
            &format!("Re: [{reference}]"),
            "",
            "Après la panne.",
        );
        imap.deliver("partners", "INBOX", &[second]).await;
        let report = w
            .fetcher(imap.account("partners", "INBOX"))
            .fetch_once()
            .await
            .unwrap();
        assert_eq!((report.fetched, report.stored), (1, 1));
        assert_eq!(w.comments(w.ticket.ticket.id).await.len(), 2);
    }
);

ticket_store::store_test!(
    a_new_uidvalidity_imports_nothing_twice,
    |store| async move {
        let w = world(store).await;
        let imap = Dovecot::start();
        imap.create("partners", "Support").await;
        let reference = w.ticket.ticket.reference.to_string();
        let mails: Vec<Vec<u8>> = (1..=3)
            .map(|n| {
                message(
                    CONTACT,
                    "support.partenaires@ticketd.localhost",
                    &format!("Re: [{reference}] {n}"),
                    "",
                    &format!("Réponse {n}."),
                )
            })
            .collect();
        imap.deliver("partners", "Support", &mails[..2]).await;
        let fetcher = w.fetcher(imap.account("partners", "Support"));
        assert_eq!(fetcher.fetch_once().await.unwrap().stored, 2);
        let before = imap.uid_validity("partners", "Support").await;
        // The folder is recreated (restored from a backup, say): the same messages, new UIDs.
        imap.recreate("partners", "Support").await;
        imap.deliver("partners", "Support", &mails).await;
        assert_ne!(imap.uid_validity("partners", "Support").await, before);
        let report = fetcher.fetch_once().await.unwrap();
        assert_eq!(
            (report.fetched, report.stored, report.duplicates),
            (3, 1, 2)
        );
        assert_eq!(w.comments(w.ticket.ticket.id).await.len(), 3);
        let (validity, last) = w
            .store
            .imap_position("partner_support")
            .await
            .unwrap()
            .unwrap();
        assert_ne!(validity, before);
        assert_eq!(last, 3);
    }
);

ticket_store::store_test!(a_burst_of_200_messages_is_drained, |store| async move {
    let mut w = world(store).await;
    let mut config = mail_config();
    config.inbound.flood_max = 10_000;
    w.inbox = inbox_with(&w.store, &config);
    let imap = Dovecot::start();
    let reference = w.ticket.ticket.reference.to_string();
    let mails: Vec<Vec<u8>> = (0..200)
        .map(|n| {
            message(
                CONTACT,
                "support.partenaires@ticketd.localhost",
                &format!("Re: [{reference}]"),
                "",
                &format!("Message {n} de la rafale."),
            )
        })
        .collect();
    imap.deliver("partners", "INBOX", &mails).await;
    let started = std::time::Instant::now();
    let report = w
        .fetcher(imap.account("partners", "INBOX"))
        .fetch_once()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!((report.fetched, report.stored), (200, 200));
    assert_eq!(w.comments(w.ticket.ticket.id).await.len(), 200);
    eprintln!(
        "burst: 200 messages drained in {:.2} s ({:.0} messages/s) on {:?}",
        elapsed.as_secs_f64(),
        200.0 / elapsed.as_secs_f64(),
        w.store.backend()
    );
});
