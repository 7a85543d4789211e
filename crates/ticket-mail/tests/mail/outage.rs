//! An SMTP outage: mails wait with a growing backoff, then each arrives exactly once.

use crate::support::*;
use chrono::TimeDelta;
use std::collections::HashMap;
use ticket_domain::Priority;
use ticket_domain::notify::Language;
use ticket_mail::testkit::{SmtpServer, free_port, smtp_config};
use ticket_store::outbox::Status;
use ticket_store::store_test;

store_test!(
    mails_written_during_an_smtp_outage_arrive_exactly_once_when_it_ends,
    |store| async move {
        let world = World::new(store).await;
        // Nothing listens on this port yet: connections are refused.
        let port = free_port();
        let dispatcher = world.dispatcher(smtp_config(port));
        let mut tickets = Vec::new();
        for _ in 0..5 {
            tickets.push(
                world
                    .partner_incident(Priority::Normale, Language::Fr)
                    .await,
            );
        }
        let outbox = async || {
            let mut rows = Vec::new();
            for ticket in &tickets {
                rows.extend(world.store.outbox_of(ticket.ticket.id).await.unwrap());
            }
            rows
        };

        let first = dispatcher.run_until_idle().await.unwrap();
        assert_eq!((first.claimed, first.retried, first.sent), (10, 10, 0));
        let rows = outbox().await;
        for row in &rows {
            assert_eq!(row.status, Status::Pending.name());
            assert_eq!(row.attempts, 1);
            assert!(
                row.last_error
                    .as_deref()
                    .unwrap()
                    .contains("cannot open an SMTP session")
            );
            // First backoff: 60 s nominal, jittered within [30 s, 60 s].
            let wait = row.next_attempt_at - world.now();
            assert!(
                wait >= TimeDelta::seconds(30) && wait <= TimeDelta::seconds(60),
                "{wait}"
            );
        }
        // Not before the backoff: nothing is claimed.
        assert_eq!(dispatcher.run_until_idle().await.unwrap().claimed, 0);

        world.advance(TimeDelta::seconds(61));
        let second = dispatcher.run_until_idle().await.unwrap();
        assert_eq!((second.claimed, second.retried), (10, 10));
        for row in outbox().await {
            assert_eq!(row.attempts, 2, "attempts are counted");
            let wait = row.next_attempt_at - world.now();
            assert!(
                wait >= TimeDelta::seconds(60) && wait <= TimeDelta::seconds(120),
                "the backoff doubles: {wait}"
            );
        }

        // The server comes back on the same port.
        let dir = tempfile::tempdir().unwrap();
        let server = SmtpServer::start_on(port, &dir.path().join("maildir")).await;
        world.advance(TimeDelta::seconds(121));
        let third = dispatcher.run_until_idle().await.unwrap();
        assert_eq!((third.claimed, third.sent), (10, 10));
        let received = server.wait_for(10).await;
        assert_eq!(received.len(), 10);
        let mut per_message_id: HashMap<&str, usize> = HashMap::new();
        for mail in &received {
            *per_message_id.entry(mail.message_id.as_str()).or_default() += 1;
        }
        assert_eq!(per_message_id.len(), 10, "ten distinct mails");
        assert!(per_message_id.values().all(|n| *n == 1), "none twice");
        for row in outbox().await {
            assert_eq!(row.status, Status::Sent.name());
            assert_eq!(row.attempts, 3);
            assert!(per_message_id.contains_key(row.message_id.as_deref().unwrap()));
        }
        // Nothing is left to send, and nothing is sent again.
        world.advance(TimeDelta::hours(3));
        assert_eq!(dispatcher.run_until_idle().await.unwrap().claimed, 0);
        assert_eq!(server.received().len(), 10);
    }
);
