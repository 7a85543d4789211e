//! The daemon delivers the mail outbox in the background and stops it with the server.

use std::time::{Duration, Instant};
use ticket_domain::Policy;
use ticket_domain::testkit::{PARTNER, incident, partner};
use ticket_domain::values::{EmailAddress, TicketId};
use ticket_store::testkit::{Backend, TestDatabase};
use ticketd::Application;
use ticketd::config::{Config, DatabaseUrl};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_delivers_the_outbox_in_the_background_and_stops_with_it() {
    let database = TestDatabase::create(Backend::Sqlite)
        .await
        .unwrap()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: DatabaseUrl::parse(database.url.clone()).unwrap(),
        ..Config::default()
    };
    config.mail.files.dir = dir.path().join("mail");
    config.mail.dispatcher.poll_interval_ms = 50;
    let app = Application::build(config).await.unwrap();
    let store = app.store().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));

    // The daemon's clock is the system's: the ticket is opened now.
    let now = chrono::Utc::now();
    let mut new = incident(false, "2026-01-01T00:00:00Z");
    new.id = TicketId::new_v7();
    if let ticket_domain::KindData::Incident(data) = &mut new.data {
        data.started_at = now - chrono::TimeDelta::hours(1);
    }
    new.reporter_email = Some(EmailAddress::parse("email", "declarant@caisse.example").unwrap());
    store
        .create_ticket(new, &partner(PARTNER), now, &Policy::default(), None, false)
        .await
        .unwrap();

    let count = || {
        std::fs::read_dir(dir.path().join("mail"))
            .map(|entries| {
                entries
                    .filter(|e| {
                        e.as_ref()
                            .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    })
                    .count()
            })
            .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while count() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        count(),
        2,
        "the acknowledgement and the copy to partner support"
    );

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(15), server)
        .await
        .expect("ticketd stops with its dispatcher")
        .unwrap()
        .unwrap();
}
