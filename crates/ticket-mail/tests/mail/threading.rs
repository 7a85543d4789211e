//! Every mail of a ticket belongs to one thread in the recipient's mail client.

use crate::support::*;
use ticket_domain::notify::Language;
use ticket_domain::testkit::{staff, text};
use ticket_domain::{Command, Priority, Role};
use ticket_mail::testkit::{SmtpServer, smtp_config};
use ticket_store::store_test;

store_test!(
    three_mails_of_one_ticket_to_one_reporter_are_threaded_together,
    |store| async move {
        let world = World::new(store).await;
        let smtp = SmtpServer::start().await;
        let dispatcher = world.dispatcher(smtp_config(smtp.port()));
        let ticket = world
            .partner_incident(Priority::Normale, Language::Fr)
            .await;
        let agent = staff(Role::Agent);
        let acknowledged = world
            .execute(&ticket, Command::Acknowledge { note: None }, &agent)
            .await;
        let waiting = world
            .execute(
                &acknowledged,
                Command::WaitForReporter {
                    question: text("Quel service exactement ?"),
                },
                &agent,
            )
            .await;
        world
            .execute(
                &waiting,
                Command::Resolve {
                    summary: text("Service rétabli."),
                },
                &agent,
            )
            .await;
        let report = dispatcher.run_until_idle().await.unwrap();
        assert_eq!(report.sent, 4, "{report:?}");

        let mails = smtp.wait_for(4).await;
        let id = ticket.ticket.id;
        let root = format!("<{id}@ticketd.localhost>");
        let mut to_reporter: Vec<_> = mails.iter().filter(|m| m.rcpt_to == [DECLARANT]).collect();
        assert_eq!(to_reporter.len(), 3);
        to_reporter.sort_by_key(|m| m.message_id.clone());
        let mut sequences = Vec::new();
        let mut recipient_hashes = Vec::new();
        for mail in &to_reporter {
            // <{ticket}.{event seq}.{recipient hash}@{domain}>
            let inner = mail
                .message_id
                .strip_prefix('<')
                .and_then(|m| m.strip_suffix("@ticketd.localhost>"))
                .unwrap_or_else(|| panic!("{}", mail.message_id));
            let mut parts = inner.rsplitn(3, '.');
            let hash = parts.next().unwrap();
            let seq: i64 = parts.next().unwrap().parse().unwrap();
            assert_eq!(parts.next().unwrap(), id.to_string());
            sequences.push(seq);
            recipient_hashes.push(hash.to_owned());
            assert_eq!(mail.header("in-reply-to"), Some(root.as_str()));
            assert_eq!(mail.header("references"), Some(root.as_str()));
        }
        sequences.sort();
        assert_eq!(
            sequences,
            [1, 3, 4],
            "created, waiting for the reporter, resolved"
        );
        recipient_hashes.dedup();
        assert_eq!(recipient_hashes.len(), 1, "one recipient, one hash");
        // The copy to partner support is in the same thread, with its own Message-ID.
        let copy = mail_to(&mails, PARTNER_SUPPORT);
        assert_eq!(copy.header("references"), Some(root.as_str()));
        assert!(to_reporter.iter().all(|m| m.message_id != copy.message_id));
        // What the outbox recorded is what was sent.
        for row in world.store.outbox_of(id).await.unwrap() {
            let message_id = row.message_id.unwrap();
            assert!(mails.iter().any(|m| m.message_id == message_id));
        }
    }
);

store_test!(
    every_mail_of_a_ticket_carries_its_signed_reply_address,
    |store| async move {
        let world = World::new(store).await;
        let smtp = SmtpServer::start().await;
        let replies = ticket_mail::reply::ReplyAddresses::new(
            "support@ticketd.localhost",
            "a-reply-secret-of-at-least-32-characters",
        )
        .unwrap();
        let dispatcher = world
            .dispatcher(smtp_config(smtp.port()))
            .with_reply_addresses(replies.clone());
        let ticket = world
            .partner_incident(Priority::Normale, Language::Fr)
            .await;
        let report = dispatcher.run_until_idle().await.unwrap();
        assert_eq!(report.sent, 2, "{report:?}");
        let mails = smtp.wait_for(2).await;
        let reference = ticket.ticket.reference;
        for mail in &mails {
            let reply_to = mail.header("reply-to").expect("a Reply-To");
            assert!(
                reply_to.starts_with(&format!("support+{reference}.")),
                "{reply_to}"
            );
            // The address verifies as this ticket's, so a reply to it lands there.
            assert_eq!(
                replies.check(reply_to),
                ticket_mail::reply::ReplyTag::Signed(reference)
            );
        }
    }
);
