//! How long a sweep pass takes over 100,000 open tickets of which few are due.
//!
//! ```text
//! cargo run --release -p ticketd --example sweep_100k -- [postgres|sqlite] [DUE_PER_ROUND]
//! ```
//!
//! PostgreSQL needs `TEST_DATABASE_URL` (a server where a fresh database can be created); without a
//! backend named, PostgreSQL is used when that variable is set, SQLite (a temporary file) otherwise.
//! The table is filled with 100,000 open tickets due only in 2030, then, five times, a few priority-1
//! tickets are made due (warning, breach and escalation at once) and one pass of the sweeper is
//! timed. A pass with nothing due is timed too: the sweeper's cost when idle.

use anyhow::{Context as _, bail};
use chrono::{DateTime, TimeDelta, Utc};
use std::sync::Arc;
use std::time::{Duration, Instant};
use ticket_domain::testkit::{PARTNER, incident, partner};
use ticket_domain::values::TicketId;
use ticket_domain::{Policy, Priority};
use ticket_store::Store;
use ticket_store::clock::ManualClock;
use ticket_store::testkit::{Backend, TestDatabase, insert_not_due_tickets};
use ticketd::sweeper::{Sweeper, SweeperConfig};

const OPEN_TICKETS: u32 = 100_000;
const ROUNDS: i64 = 5;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let backend = match args.first().map(String::as_str) {
        Some("postgres") => Backend::Postgres,
        Some("sqlite") => Backend::Sqlite,
        None if std::env::var_os("TEST_DATABASE_URL").is_some() => Backend::Postgres,
        None => Backend::Sqlite,
        Some(other) => bail!("unknown backend `{other}`: postgres or sqlite"),
    };
    let due_per_round: usize = match args.get(1) {
        Some(n) => n.parse().context("DUE_PER_ROUND must be a number")?,
        None => 100,
    };
    let database = TestDatabase::create(backend)
        .await?
        .context("PostgreSQL needs TEST_DATABASE_URL")?;
    let store = database.store().await?;

    let filling = Instant::now();
    insert_not_due_tickets(&store, OPEN_TICKETS).await?;
    println!(
        "{backend:?}: {OPEN_TICKETS} open tickets, none due, inserted in {:.2?}",
        filling.elapsed()
    );

    let start = DateTime::parse_from_rfc3339("2026-11-23T09:00:00Z")?.with_timezone(&Utc);
    let clock = ManualClock::new(start);
    let policy = Arc::new(Policy::default());
    let sweeper = Sweeper::new(
        store.clone(),
        Arc::clone(&policy),
        Arc::new(clock.clone()),
        &SweeperConfig::default(),
    );

    let mut idle = Vec::new();
    for _ in 0..20 {
        let timer = Instant::now();
        let report = sweeper.sweep_once().await?;
        idle.push(timer.elapsed());
        anyhow::ensure!(report.claimed == 0, "nothing should be due");
    }
    println!("pass with nothing due: median {:.2?}", median(&mut idle));

    let mut passes = Vec::new();
    for round in 0..ROUNDS {
        // Six hours apart: earlier rounds' tickets are not due again (their next alarm is at 36 h).
        let created = start + TimeDelta::hours(6 * round);
        create_critical(&store, &policy, created, due_per_round).await?;
        clock.set(created + TimeDelta::hours(5));
        let timer = Instant::now();
        let report = sweeper.sweep_once().await?;
        let took = timer.elapsed();
        anyhow::ensure!(
            report.swept == due_per_round && report.failed == 0,
            "unexpected pass: {report:?}"
        );
        println!(
            "round {}: {} due tickets swept (3 events and 2 mails each) in {:.2?} ({} batches, {:.2?} per ticket)",
            round + 1,
            report.swept,
            took,
            report.batches,
            took / u32::try_from(due_per_round.max(1)).unwrap_or(u32::MAX),
        );
        passes.push(took);
    }
    println!(
        "pass over {OPEN_TICKETS} open tickets with {due_per_round} due: median {:.2?}, min {:.2?}, max {:.2?}",
        median(&mut passes),
        passes.iter().min().copied().unwrap_or_default(),
        passes.iter().max().copied().unwrap_or_default(),
    );
    Ok(())
}

/// `count` priority-1 incidents created at `at`: their warning and breach are due 5 h later.
async fn create_critical(
    store: &Store,
    policy: &Arc<Policy>,
    at: DateTime<Utc>,
    count: usize,
) -> anyhow::Result<()> {
    let mut tasks = Vec::new();
    for _ in 0..count {
        let store = store.clone();
        let policy = Arc::clone(policy);
        tasks.push(tokio::spawn(async move {
            let mut new = incident(false, "2026-01-01T00:00:00Z");
            new.proposed_priority = Some(Priority::Critique);
            new.id = TicketId::new_v7();
            store
                .create_ticket(new, &partner(PARTNER), at, &policy, None, false)
                .await
                .map(|_| ())
        }));
        if tasks.len() == 8 {
            for task in tasks.drain(..) {
                task.await??;
            }
        }
    }
    for task in tasks {
        task.await??;
    }
    Ok(())
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}
