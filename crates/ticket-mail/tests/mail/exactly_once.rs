//! Dispatchers draining a large outbox together deliver each mail exactly once: two on one
//! PostgreSQL database (as two ticketd replicas would), one on SQLite (single process).

use crate::support::*;
use futures_util::StreamExt as _;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;
use ticket_domain::Priority;
use ticket_domain::notify::Language;
use ticket_mail::testkit::{SmtpServer, smtp_config};
use ticket_mail::{Dispatcher, Transport};
use ticket_store::Store;
use ticket_store::outbox::Status;
use ticket_store::testkit::{Backend, TestDatabase};

const TICKETS: usize = 250; // two mails each

async fn drain(backend: Backend, dispatchers: usize) {
    let Some(database) = TestDatabase::create(backend).await.unwrap() else {
        return;
    };
    let world = World::new(database.store().await.unwrap()).await;
    futures_util::stream::iter(0..TICKETS)
        .map(|_| world.partner_incident(Priority::Normale, Language::Fr))
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let smtp = SmtpServer::start().await;

    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..dispatchers {
        // Each dispatcher with its own connection pool, as separate processes would have.
        let store = Store::connect(&database.url).await.unwrap();
        let config = smtp_config(smtp.port());
        let dispatcher = Dispatcher::new(
            store,
            config.clone(),
            Transport::from_config(&config).unwrap(),
            Arc::new(world.clock.clone()),
        )
        .unwrap();
        tasks.push(tokio::spawn(async move {
            let report = dispatcher.run_until_idle().await.unwrap();
            (dispatcher.worker_id().to_owned(), report)
        }));
    }
    let mut sent = 0;
    let mut per_worker = Vec::new();
    for task in tasks {
        let (worker, report) = task.await.unwrap();
        assert_eq!(report.sent, report.claimed, "{report:?}");
        sent += report.sent;
        per_worker.push((worker, report.sent));
    }
    let elapsed = started.elapsed();
    eprintln!(
        "{backend:?}: {sent} mails by {dispatchers} dispatcher(s) in {elapsed:.2?} {per_worker:?}"
    );
    assert_eq!(sent, 2 * TICKETS);
    if dispatchers > 1 {
        assert!(
            per_worker.iter().all(|(_, n)| *n > 0),
            "every dispatcher took its share: {per_worker:?}"
        );
    }

    let received = smtp.wait_for(2 * TICKETS).await;
    let mut per_message_id: HashMap<&str, usize> = HashMap::new();
    for mail in &received {
        *per_message_id.entry(mail.message_id.as_str()).or_default() += 1;
    }
    let duplicates: Vec<_> = per_message_id.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicates.is_empty(), "sent twice: {duplicates:?}");
    assert_eq!(per_message_id.len(), 2 * TICKETS, "none missing");
    let counts = world.store.count_outbox().await.unwrap();
    assert!(
        counts
            .iter()
            .all(|(status, n)| (*status == Status::Sent) == (*n == (2 * TICKETS) as u64)),
        "{counts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_dispatchers_on_one_postgres_database_deliver_500_mails_exactly_once() {
    drain(Backend::Postgres, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_dispatcher_on_sqlite_delivers_500_mails_exactly_once() {
    drain(Backend::Sqlite, 1).await;
}
