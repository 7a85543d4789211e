//! How many mails a second the dispatcher delivers to a local SMTP server (aiosmtpd).
//!
//! ```sh
//! cargo run --release -p ticket-mail --example dispatch_rate -- [mails] [concurrency] [memory]
//! ```
//!
//! Fills an outbox with `mails` rows (default 2000: half acknowledgements, half copies to the
//! partner support mailbox), starts `python3 -m aiosmtpd` on a free port, then times the dispatcher
//! draining the outbox: claim, render, send over SMTP, mark sent. Only the draining is timed. The
//! database is a SQLite file in a temporary folder, or PostgreSQL when `TEST_DATABASE_URL` is set
//! (a fresh database on that server). `memory` replaces SMTP by the in-memory transport, to see
//! what the database and rendering cost alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use futures_util::StreamExt as _;
use std::sync::Arc;
use std::time::Instant;
use ticket_domain::testkit::{at, incident};
use ticket_domain::values::{EmailAddress, TicketId};
use ticket_domain::{Actor, Policy};
use ticket_mail::testkit::{SmtpServer, smtp_config};
use ticket_mail::transport::MemoryTransport;
use ticket_mail::{Dispatcher, Transport};
use ticket_store::clock::ManualClock;
use ticket_store::testkit::{Backend, TestDatabase};

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mails: usize = args.first().map_or(2000, |a| a.parse().unwrap());
    let concurrency: usize = args.get(1).map_or(4, |a| a.parse().unwrap());
    let memory = args.iter().any(|a| a == "memory");
    let backend = if std::env::var_os("TEST_DATABASE_URL").is_some() {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    let database = TestDatabase::create(backend).await.unwrap().unwrap();
    let store = database.store().await.unwrap();
    let now = at("2026-11-23T09:00:00Z");

    let organisation = store
        .create_organisation(
            ticket_store::registry::NewOrganisation {
                name: ticket_domain::testkit::text("Caisse nationale"),
                roles: vec![ticket_store::registry::OrganisationRole::ServiceProvider],
            },
            now,
        )
        .await
        .unwrap();
    let actor = Actor::Partner {
        organisation: organisation.id,
        key_name: "bench".into(),
    };
    let policy = Policy::default();
    let filling = Instant::now();
    futures_util::stream::iter(0..mails.div_ceil(2))
        .map(|i| {
            let (store, actor, policy) = (&store, &actor, &policy);
            async move {
                let mut new = incident(false, "2026-11-23T08:00:00Z");
                new.id = TicketId::new_v7();
                new.organisation = Some(organisation.id);
                if let ticket_domain::KindData::Incident(data) = &mut new.data {
                    data.service = None;
                }
                new.reporter_email = Some(
                    EmailAddress::parse("email", &format!("declarant{i}@caisse.example")).unwrap(),
                );
                store
                    .create_ticket(new, actor, now, policy, None, false)
                    .await
                    .unwrap();
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let rows = mails.div_ceil(2) * 2;
    eprintln!(
        "outbox filled with {rows} rows in {:.1?}",
        filling.elapsed()
    );

    let server = if memory {
        None
    } else {
        Some(SmtpServer::start().await)
    };
    let mut config = smtp_config(server.as_ref().map_or(25, SmtpServer::port));
    config.dispatcher.concurrency = concurrency;
    config.smtp.max_idle_connections = concurrency;
    let transport = if memory {
        Transport::Memory(MemoryTransport::new())
    } else {
        Transport::from_config(&config).unwrap()
    };
    let dispatcher = Dispatcher::new(
        store.clone(),
        config,
        transport,
        Arc::new(ManualClock::new(now)),
    )
    .unwrap();

    let started = Instant::now();
    let report = dispatcher.run_until_idle().await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(report.sent, rows, "{report:?}");
    if let Some(server) = &server {
        assert_eq!(
            server.wait_for(rows).await.len(),
            rows,
            "every mail arrived"
        );
    }
    println!(
        "{} mails in {:.2} s: {:.0} mails/s ({backend:?}, {}, concurrency {concurrency}, {} CPUs)",
        report.sent,
        elapsed.as_secs_f64(),
        report.sent as f64 / elapsed.as_secs_f64(),
        if memory {
            "memory transport"
        } else {
            "SMTP to aiosmtpd"
        },
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
}
