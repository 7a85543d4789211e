//! Metrics: figures that move with the work, a stalled worker seen and logged, `/metrics` on an
//! address of its own.

use crate::operations::{identity_provider, report, spawn, start_instant};
use std::sync::Arc;
use std::time::{Duration, Instant};
use ticket_store::clock::ManualClock;
use ticket_store::testkit::{Backend, TestDatabase};

fn metric(page: &str, name_and_labels: &str) -> f64 {
    page.lines()
        .find_map(|line| {
            line.strip_prefix(name_and_labels)
                .and_then(|rest| rest.strip_prefix(' '))
        })
        .map_or(0.0, |value| value.trim().parse().unwrap())
}

async fn metrics_of(client: &reqwest::Client, url: &str) -> String {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    response.text().await.unwrap()
}

/// `/metrics` moves with the work: a report makes a ticket and mails, the dispatcher sends them,
/// and requests are counted by route and status.
async fn metrics_move(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await.unwrap() else {
        return;
    };
    let mail = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(start_instant());
    let (base, app) = spawn(&database.url, &clock, |config| {
        config.mail.dispatcher.enabled = true;
        config.mail.dispatcher.poll_interval_ms = 50;
        config.mail.files.dir = mail.path().to_path_buf();
    })
    .await;
    let store = app.store().clone();
    let provider = identity_provider(&store).await;
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let client = reqwest::Client::new();
    let url = format!("{base}/metrics");

    let before = metrics_of(&client, &url).await;
    assert_eq!(metric(&before, "ticketd_database_up"), 1.0);
    assert_eq!(
        metric(&before, r#"ticketd_outbox_mails{state="sent"}"#),
        0.0
    );
    let ticket_lines = |page: &str| {
        page.lines()
            .filter(|l| l.starts_with("ticketd_tickets{"))
            .map(|l| l.rsplit_once(' ').unwrap().1.parse::<f64>().unwrap())
            .sum::<f64>()
    };
    assert_eq!(ticket_lines(&before), 0.0, "{before}");

    let response = client
        .post(format!("{base}/api/v1/public/identity-theft-reports"))
        .json(&report(provider, "claire@example.fr"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    // The dispatcher sends the report's mails; the page follows.
    let deadline = Instant::now() + Duration::from_secs(20);
    let after = loop {
        let page = metrics_of(&client, &url).await;
        if metric(&page, r#"ticketd_outbox_mails{state="pending"}"#) == 0.0
            && metric(&page, r#"ticketd_outbox_mails{state="sending"}"#) == 0.0
            && metric(&page, r#"ticketd_outbox_mails{state="sent"}"#) >= 1.0
        {
            break page;
        }
        assert!(Instant::now() < deadline, "mails not sent:\n{page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(ticket_lines(&after), 1.0, "{after}");
    assert_eq!(
        metric(
            &after,
            r#"ticketd_tickets{kind="user_usurpation",state="new",priority="P1"}"#
        ),
        1.0,
        "{after}"
    );
    assert_eq!(
        metric(
            &after,
            r#"ticketd_http_requests_total{method="POST",route="/api/v1/public/identity-theft-reports",status="201"}"#
        ),
        1.0,
        "{after}"
    );
    assert!(
        after.contains("ticketd_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/public/identity-theft-reports\",status=\"201\",le=\"0.5\"}"),
        "{after}"
    );
    for name in [
        r#"ticketd_ticket_events{type="sla_breached"}"#,
        r#"ticketd_ticket_events{type="escalated"}"#,
        r#"ticketd_outbox_oldest_age_seconds{state="pending"}"#,
        r#"ticketd_outbox_mails{state="uncertain"}"#,
        r#"ticketd_outbox_mails{state="failed"}"#,
        "ticketd_sweeper_lag_seconds",
        "ticketd_dispatcher_lag_seconds",
        r#"ticketd_db_pool_connections{state="max"}"#,
    ] {
        assert!(
            after.contains(&format!("{name} ")),
            "{name} missing:\n{after}"
        );
    }

    // The sweeper's lag: a ticket due in the past shows as lag.
    clock.advance(chrono::TimeDelta::days(30));
    let late = metrics_of(&client, &url).await;
    assert!(
        metric(&late, "ticketd_sweeper_lag_seconds") > 86_400.0,
        "{late}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_move_as_tickets_are_created_and_mails_sent_sqlite() {
    metrics_move(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_move_as_tickets_are_created_and_mails_sent_postgres() {
    metrics_move(Backend::Postgres).await;
}

/// A dispatcher that does not run shows: the pending mails age and the dispatcher's lag grows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_dispatcher_shows_on_metrics() {
    let database = TestDatabase::create(Backend::Sqlite)
        .await
        .unwrap()
        .unwrap();
    let clock = ManualClock::new(start_instant());
    let (base, app) = spawn(&database.url, &clock, |_| {}).await;
    let provider = identity_provider(app.store()).await;
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let client = reqwest::Client::new();
    let response = client
        .post(format!("{base}/api/v1/public/identity-theft-reports"))
        .json(&report(provider, "claire@example.fr"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let url = format!("{base}/metrics");
    let now = metrics_of(&client, &url).await;
    assert!(metric(&now, r#"ticketd_outbox_mails{state="pending"}"#) >= 1.0);
    assert_eq!(metric(&now, "ticketd_dispatcher_lag_seconds"), 0.0, "{now}");
    clock.advance(chrono::TimeDelta::minutes(10));
    let later = metrics_of(&client, &url).await;
    assert_eq!(
        metric(
            &later,
            r#"ticketd_outbox_oldest_age_seconds{state="pending"}"#
        ),
        600.0,
        "{later}"
    );
    assert_eq!(
        metric(&later, "ticketd_dispatcher_lag_seconds"),
        600.0,
        "{later}"
    );
}

/// Lines written by the stall watch, captured.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The stall watch logs a sweeper and a dispatcher later than their limits, and nothing while
/// they keep up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watch_logs_a_stalled_sweeper_and_dispatcher() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();

    let database = TestDatabase::create(Backend::Sqlite)
        .await
        .unwrap()
        .unwrap();
    let clock = ManualClock::new(start_instant());
    let (base, app) = spawn(&database.url, &clock, |_| {}).await;
    let store = app.store().clone();
    let provider = identity_provider(&store).await;
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/public/identity-theft-reports"))
        .json(&report(provider, "claire@example.fr"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    let limits = ticketd::metrics::StallLimits {
        sweeper: chrono::TimeDelta::minutes(3),
        dispatcher: chrono::TimeDelta::minutes(5),
        every: Duration::from_millis(50),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let clock_handle: Arc<dyn ticket_store::clock::Clock> = Arc::new(clock.clone());
    // Only the watch's lines are captured: the subscriber is its own.
    let watch = tokio::spawn(tracing::instrument::WithSubscriber::with_subscriber(
        ticketd::metrics::watch(store, clock_handle, limits, async move {
            let _ = stopped.await;
        }),
        subscriber,
    ));
    let text = || String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!text().contains("is behind"), "{}", text());

    // A month later: the ticket's deadlines and the report's mails are long due.
    clock.advance(chrono::TimeDelta::days(30));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !(text().contains("the clock sweeper is behind")
        && text().contains("the mail dispatcher is behind"))
    {
        assert!(Instant::now() < deadline, "no stall logged:\n{}", text());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(());
    watch.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_be_served_on_an_address_of_their_own() {
    let database = TestDatabase::create(Backend::Sqlite)
        .await
        .unwrap()
        .unwrap();
    let clock = ManualClock::new(start_instant());
    let (base, app) = spawn(&database.url, &clock, |config| {
        config.metrics.listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let metrics = app.metrics_addr().unwrap();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let client = reqwest::Client::new();
    let page = metrics_of(&client, &format!("http://{metrics}/metrics")).await;
    assert!(page.contains("ticketd_database_up 1"), "{page}");
    let public = client.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(public.status(), 404);
    let api = client
        .get(format!("http://{metrics}/api/v1/tickets"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 404);
}
