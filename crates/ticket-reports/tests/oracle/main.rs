//! The oracle test of the quality-of-service report (issue "Quality of service, measured"): a
//! generated history of more than 2,000 tickets over three months is driven through the real store
//! and domain, on SQLite and on PostgreSQL; the report computed from the stored events must equal,
//! figure for figure, the one this test computes on its own from the same events (`expected.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod expected;
mod history;

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc};
use expected::{Case, Query};
use history::{Made, Rng, make_ticket, window};
use ticket_domain::testkit::at;
use ticket_domain::{EventData, Policy, State};
use ticket_reports::{Dimension, ReportQuery, report};
use ticket_store::store_test;
use ticket_store::tickets::TicketKey;

const TICKETS: u64 = 2_100;
const WORKERS: u64 = 8;

fn paris(day: NaiveDate) -> DateTime<Utc> {
    chrono_tz::Europe::Paris
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// The parts of the period, worked out here: whole months, or weeks from Monday.
fn parts(
    from: NaiveDate,
    to: NaiveDate,
    by: Option<Dimension>,
) -> Vec<(NaiveDate, DateTime<Utc>, DateTime<Utc>)> {
    let after = to + Days::new(1);
    let mut cuts = vec![from];
    let mut d = from;
    while d < after {
        d = d + Days::new(1);
        let cut = match by {
            Some(Dimension::Month) => d.day() == 1,
            Some(Dimension::Week) => d.weekday() == chrono::Weekday::Mon,
            _ => false,
        };
        if cut && d < after {
            cuts.push(d);
        }
    }
    let mut out = Vec::new();
    for (i, c) in cuts.iter().enumerate() {
        let next = cuts.get(i + 1).copied().unwrap_or(after);
        out.push((*c, paris(*c), paris(next)));
    }
    out
}

async fn generate(store: &ticket_store::Store, policy: &Policy) -> Vec<Made> {
    let (first, last) = window();
    let horizon = at("2026-12-10T00:00:00Z");
    let minutes = (last - first).num_minutes() as u64;
    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let store = store.clone();
        let policy = policy.clone();
        workers.push(tokio::spawn(async move {
            let mut made = Vec::new();
            let mut n = w;
            while n < TICKETS {
                let mut rng =
                    Rng::new(0x9E37_79B9_7F4A_7C15 ^ (n + 1).wrapping_mul(0x0001_0000_01B3));
                let opened = first + chrono::TimeDelta::minutes(rng.below(minutes) as i64);
                made.push(make_ticket(&store, &policy, &mut rng, opened, horizon).await);
                n += WORKERS;
            }
            made
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    all
}

store_test!(
    the_report_equals_the_figures_computed_from_the_events,
    |store| async move {
        let policy = Policy::default();
        let made = generate(&store, &policy).await;
        assert!(made.len() >= 2_000);
        let mut cases = Vec::new();
        for m in made {
            let events = store
                .events(m.id)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.event)
                .collect();
            cases.push(Case { made: m, events });
        }
        assert_history_is_rich(&cases);
        let (from, to) = (day("2026-09-01"), day("2026-11-30"));
        let queries = [
            vec![
                Dimension::Priority,
                Dimension::Kind,
                Dimension::Service,
                Dimension::Tier,
                Dimension::Month,
            ],
            vec![Dimension::Organisation, Dimension::Week],
            vec![Dimension::Priority, Dimension::Month],
            vec![],
        ];
        for group_by in queries {
            let query = ReportQuery::new(from, to, group_by.clone()).unwrap();
            let histories = store
                .report_histories(query.start(), query.end(), None)
                .await
                .unwrap();
            let got = report(&query, &histories, &policy);
            let time = group_by
                .iter()
                .copied()
                .find(|d| matches!(d, Dimension::Month | Dimension::Week));
            let want = expected::expected(
                &Query {
                    from,
                    to,
                    group_by: group_by.clone(),
                    parts: parts(from, to, time),
                },
                &cases,
            );
            assert_eq!(
                got.groups.len(),
                want.groups.len(),
                "groups by {group_by:?}"
            );
            for (g, w) in got.groups.iter().zip(&want.groups) {
                assert_eq!(g, w, "group by {group_by:?}");
            }
            assert_eq!(got.services, want.services, "services");
            assert_eq!(got, want);
            // `REPORT_EXAMPLE_DIR=docs/reports` writes the example committed under docs/.
            if let Ok(dir) = std::env::var("REPORT_EXAMPLE_DIR")
                && group_by == [Dimension::Priority, Dimension::Month]
            {
                write_example(std::path::Path::new(&dir), &got);
            }
        }
        // Reading one ticket to make sure the store's own view agrees on the state.
        let one = &cases[0];
        let stored = store.get_ticket(TicketKey::Id(one.made.id)).await.unwrap();
        let last_state = one
            .events
            .iter()
            .rev()
            .find_map(|e| e.transition)
            .map(|(_, to)| to)
            .unwrap_or(State::New);
        assert_eq!(stored.ticket.state, last_state);
    }
);

/// The history has what the issue asks for: pauses, priority changes, reopenings, escalations,
/// warnings and breaches, closures of every reason, identity-theft outcomes, and overlapping
/// outages on 24/7 and office-hours services.
fn assert_history_is_rich(cases: &[Case]) {
    let count = |f: &dyn Fn(&EventData) -> bool| {
        cases
            .iter()
            .flat_map(|c| &c.events)
            .filter(|e| f(&e.data))
            .count()
    };
    assert!(count(&|d| matches!(d, EventData::WaitingForReporter { .. })) > 100);
    assert!(count(&|d| matches!(d, EventData::PriorityChanged { .. })) > 100);
    assert!(count(&|d| matches!(d, EventData::Reopened { .. })) > 10);
    assert!(
        count(&|d| matches!(d, EventData::ResolutionRejected { .. }))
            + count(&|d| matches!(d, EventData::Reopened { .. }))
            > 20
    );
    assert!(count(&|d| matches!(d, EventData::SlaWarning { .. })) > 100);
    assert!(count(&|d| matches!(d, EventData::SlaBreached { .. })) > 50);
    assert!(count(&|d| matches!(d, EventData::Escalated { .. })) > 50);
    assert!(count(&|d| matches!(d, EventData::Cancelled { .. })) > 10);
    assert!(count(&|d| matches!(d, EventData::OrganisationNotified { .. })) > 100);
    for reason in ticket_domain::ClosureReason::ALL {
        assert!(
            count(&|d| matches!(d, EventData::Closed { reason: r, .. } if *r == reason)) > 5,
            "{reason}"
        );
    }
    let around = cases
        .iter()
        .filter(|c| {
            c.made
                .service
                .as_ref()
                .is_some_and(|s| s.is_around_the_clock())
        })
        .count();
    let office = cases
        .iter()
        .filter(|c| {
            c.made
                .service
                .as_ref()
                .is_some_and(|s| !s.is_around_the_clock())
        })
        .count();
    assert!(
        around > 200 && office > 200,
        "{around} 24/7, {office} office hours"
    );
}

/// The example report committed under `docs/reports/`: CSV, JSON and three charts.
fn write_example(dir: &std::path::Path, report: &ticket_reports::Report) {
    use ticket_reports::chart::{ChartFigure, svg};
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("quality-example.csv"),
        ticket_reports::csv::to_csv(report),
    )
    .unwrap();
    let json = serde_json::to_string_pretty(report).unwrap() + "\n";
    std::fs::write(dir.join("quality-example.json"), json).unwrap();
    for figure in [
        ChartFigure::ResolutionWithinTargetShare,
        ChartFigure::Breaches,
        ChartFigure::ServiceUnavailability,
    ] {
        let chart = svg(report, figure).unwrap();
        std::fs::write(
            dir.join(format!("quality-example-{}.svg", figure.name())),
            chart,
        )
        .unwrap();
    }
}
