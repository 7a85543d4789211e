//! The dispatcher's bookkeeping, with the memory and file transports: failures are recorded,
//! never dropped; the background loop delivers promptly and stops promptly.

use crate::support::*;
use chrono::TimeDelta;
use std::time::Duration;
use ticket_domain::notify::Language;
use ticket_domain::values::TicketId;
use ticket_domain::{Actor, Priority};
use ticket_mail::config::TransportKind;
use ticket_mail::transport::{MemoryTransport, SendError};
use ticket_mail::{MailConfig, Transport};
use ticket_store::outbox::Status;
use ticket_store::registry::{NewOrganisation, OrganisationRole};
use ticket_store::store_test;

fn memory(world: &World, config: MailConfig) -> (ticket_mail::Dispatcher, MemoryTransport) {
    let memory = MemoryTransport::new();
    let dispatcher = world.dispatcher_with(config, Transport::Memory(memory.clone()));
    (dispatcher, memory)
}

store_test!(
    a_recipient_without_an_address_fails_with_a_clear_error,
    |store| async move {
        let world = World::new(store).await;
        let (dispatcher, memory) = memory(&world, MailConfig::default());
        // A partner with no designated contact declares without giving an address.
        let lonely = world
            .store
            .create_organisation(
                NewOrganisation {
                    name: ticket_domain::testkit::text("Sans contact"),
                    roles: vec![OrganisationRole::ServiceProvider],
                },
                monday(),
            )
            .await
            .unwrap();
        let mut new = ticket_domain::testkit::incident(false, "2026-11-23T08:00:00Z");
        new.id = TicketId::new_v7();
        new.organisation = Some(lonely.id);
        if let ticket_domain::KindData::Incident(data) = &mut new.data {
            data.service = None;
        }
        let actor = Actor::Partner {
            organisation: lonely.id,
            key_name: "k".into(),
        };
        let ticket = world
            .store
            .create_ticket(new, &actor, monday(), &world.policy, None, false)
            .await
            .unwrap()
            .ticket;
        let report = dispatcher.run_until_idle().await.unwrap();
        assert_eq!((report.sent, report.failed), (1, 1), "{report:?}");
        assert_eq!(
            memory.sent().len(),
            1,
            "the copy to partner support still goes"
        );
        let rows = world.store.outbox_of(ticket.ticket.id).await.unwrap();
        let failed = rows.iter().find(|r| r.status == "failed").unwrap();
        assert_eq!(failed.template, "acknowledgement_of_receipt");
        let error = failed.last_error.as_deref().unwrap();
        assert!(error.starts_with("no address for the reporter"), "{error}");
        assert!(error.contains("has no designated contact"), "{error}");
        assert_eq!(
            failed.attempts, 1,
            "not retried: no address will appear by itself"
        );
    }
);

store_test!(
    a_permanent_refusal_fails_at_once_and_temporary_ones_give_up_after_the_limit,
    |store| async move {
        let world = World::new(store).await;
        let mut config = MailConfig::default();
        config.retry.max_attempts = 3;
        let (dispatcher, memory) = memory(&world, config);
        let ticket = world
            .partner_incident(Priority::Normale, Language::Fr)
            .await;
        // First pass: one mail refused for good, the other temporarily.
        memory.fail_next(SendError::Permanent(
            "550 5.1.1 <declarant@caisse.example>: no such user".into(),
        ));
        memory.fail_next(SendError::Temporary("421 try later".into()));
        let first = dispatcher.run_until_idle().await.unwrap();
        assert_eq!((first.failed, first.retried), (1, 1), "{first:?}");
        for _ in 0..2 {
            memory.fail_next(SendError::Temporary("421 try later".into()));
            world.advance(TimeDelta::hours(2));
            dispatcher.run_until_idle().await.unwrap();
        }
        let rows = world.store.outbox_of(ticket.ticket.id).await.unwrap();
        assert!(rows.iter().all(|r| r.status == Status::Failed.name()));
        let errors: Vec<&str> = rows
            .iter()
            .filter_map(|r| r.last_error.as_deref())
            .collect();
        assert!(errors.iter().any(|e| e.contains("550 5.1.1")), "{errors:?}");
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("gave up after 3 attempts; last: 421")),
            "{errors:?}"
        );
        assert!(memory.sent().is_empty());
        // Failed mails are not picked up again.
        world.advance(TimeDelta::days(1));
        assert_eq!(dispatcher.run_until_idle().await.unwrap().claimed, 0);
    }
);

store_test!(
    the_file_transport_writes_one_eml_per_mail,
    |store| async move {
        let world = World::new(store).await;
        let dir = tempfile::tempdir().unwrap();
        let mut config = MailConfig {
            transport: TransportKind::Files,
            ..MailConfig::default()
        };
        config.files.dir = dir.path().join("mail");
        let dispatcher = world.dispatcher(config);
        let ticket = world
            .partner_incident(Priority::Normale, Language::Fr)
            .await;
        assert_eq!(dispatcher.run_until_idle().await.unwrap().sent, 2);
        let Transport::Files(files) = dispatcher.transport() else {
            panic!("files transport expected")
        };
        for row in world.store.outbox_of(ticket.ticket.id).await.unwrap() {
            let path = files.path_of(row.message_id.as_deref().unwrap());
            let raw = std::fs::read(&path).unwrap();
            let mail = ticket_mail::testkit::ReceivedMail::parse(&raw);
            assert_eq!(Some(mail.message_id.as_str()), row.message_id.as_deref());
            assert!(
                mail.subject
                    .starts_with(&format!("[{}]", ticket.ticket.reference))
            );
            assert!(!mail.text.is_empty() && mail.html.contains("<html lang=\"fr\">"));
        }
        assert_eq!(
            std::fs::read_dir(dir.path().join("mail")).unwrap().count(),
            2
        );
    }
);

store_test!(
    the_background_loop_delivers_when_woken_and_stops_promptly,
    |store| async move {
        let world = World::new(store).await;
        let mut config = MailConfig::default();
        // A long poll: only the wake-up can explain a prompt delivery.
        config.dispatcher.poll_interval_ms = 60_000;
        let (dispatcher, memory) = memory(&world, config);
        let waker = dispatcher.waker();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(dispatcher.run(async move {
            let _ = stopped.await;
        }));
        tokio::time::sleep(Duration::from_millis(100)).await;
        world
            .partner_incident(Priority::Normale, Language::Fr)
            .await;
        waker.wake();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while memory.sent().len() < 2 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(memory.sent().len(), 2, "delivered on wake-up");
        let asked = std::time::Instant::now();
        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(2), task)
            .await
            .expect("stops promptly")
            .unwrap();
        assert!(asked.elapsed() < Duration::from_secs(1));
    }
);

store_test!(starttls_is_required_not_opportunistic, |store| async move {
    let world = World::new(store).await;
    // aiosmtpd offers no STARTTLS: with `security = "starttls"` nothing may go in clear.
    let smtp = ticket_mail::testkit::SmtpServer::start().await;
    let mut config = ticket_mail::testkit::smtp_config(smtp.port());
    config.smtp.security = ticket_mail::config::SmtpSecurity::Starttls;
    let dispatcher = world.dispatcher(config);
    let ticket = world
        .partner_incident(Priority::Normale, Language::Fr)
        .await;
    let report = dispatcher.run_until_idle().await.unwrap();
    assert_eq!((report.claimed, report.retried), (2, 2), "{report:?}");
    for row in world.store.outbox_of(ticket.ticket.id).await.unwrap() {
        let error = row.last_error.unwrap();
        assert!(error.contains("does not offer STARTTLS"), "{error}");
    }
    assert!(smtp.received().is_empty());
});
