//! The report's outputs on a small hand-written history: the query's checks, CSV (one row per
//! group) and SVG charts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::NaiveDate;
use ticket_domain::Policy;
use ticket_domain::kind::TicketKind;
use ticket_reports::chart::{ChartFigure, svg};
use ticket_reports::csv::to_csv;
use ticket_reports::{Dimension, ReportEvent, ReportQuery, TicketHistory, report};
use uuid::Uuid;

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn event(json: &str) -> ReportEvent {
    ReportEvent::from_canonical(json).unwrap()
}

fn ticket(n: u128, priority: &str, opened: &str, acknowledged: &str) -> TicketHistory {
    TicketHistory {
        id: Uuid::from_u128(n),
        reference: format!("DEM-2026-{n:06}"),
        kind: TicketKind::SupportRequest,
        organisation: Some(Uuid::from_u128(1)),
        incident: None,
        events: vec![
            event(&format!(
                r#"{{"at":"{opened}","data":{{"type":"created","priority":"{priority}","tier":"agent"}}}}"#
            )),
            event(&format!(
                r#"{{"at":"{acknowledged}","data":{{"type":"acknowledged","note":null}},"transition":["new","acknowledged"]}}"#
            )),
        ],
    }
}

fn histories() -> Vec<TicketHistory> {
    vec![
        // Monday 23 November 2026, support hours 09:30–18:00 Paris (UTC+1).
        ticket(1, "normale", "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z"),
        ticket(2, "normale", "2026-11-23T16:00:00Z", "2026-11-24T09:30:00Z"),
        ticket(
            3,
            "critique",
            "2026-11-23T22:00:00Z",
            "2026-11-24T03:00:00Z",
        ),
    ]
}

#[test]
fn acknowledgement_times_are_working_time_on_the_priority_calendar() {
    let query = ReportQuery::new(
        day("2026-11-01"),
        day("2026-11-30"),
        vec![Dimension::Priority],
    )
    .unwrap();
    let r = report(&query, &histories(), &Policy::default());
    assert_eq!(r.groups.len(), 2);
    let normale = &r.groups[1].figures.acknowledgement;
    // 1 h, and 17:00→18:00 + 09:30→10:30 Paris = 2 h.
    let working = normale.working.unwrap();
    assert_eq!(
        (working.median, working.p90, working.mean),
        (3600, 7200, 5400)
    );
    assert_eq!(normale.elapsed.unwrap().p90, 17 * 3600 + 1800);
    let critique = &r.groups[0].figures.acknowledgement;
    // 24/7: 5 h, past the 4 h target.
    assert_eq!(critique.working.unwrap().median, 5 * 3600);
    assert_eq!((critique.count, critique.within_target), (1, 0));
    assert_eq!(r.groups[0].figures.open_at_end, 1);
}

#[test]
fn csv_has_one_row_per_group_and_a_header() {
    let query = ReportQuery::new(
        day("2026-11-01"),
        day("2026-11-30"),
        vec![Dimension::Priority, Dimension::Week],
    )
    .unwrap();
    let r = report(&query, &histories(), &Policy::default());
    let csv = to_csv(&r);
    let lines: Vec<&str> = csv.split_terminator("\r\n").collect();
    assert_eq!(lines.len(), 1 + r.groups.len());
    assert!(
        lines[0].starts_with("period,priority,opened,closed,"),
        "{}",
        lines[0]
    );
    let width = lines[0].split(',').count();
    assert!(lines.iter().all(|l| l.split(',').count() == width));
    assert!(
        lines[1].starts_with("2026-11-23,critique,1,0,0,1,1,18000,"),
        "{}",
        lines[1]
    );
}

#[test]
fn each_figure_is_an_svg_bar_chart() {
    let query = ReportQuery::new(
        day("2026-11-01"),
        day("2026-11-30"),
        vec![Dimension::Priority],
    )
    .unwrap();
    let r = report(&query, &histories(), &Policy::default());
    for figure in ChartFigure::ALL {
        let chart = svg(&r, figure).unwrap();
        assert!(chart.starts_with("<svg"), "{figure:?}");
        assert!(!chart.contains("<script"), "{figure:?}");
    }
    let opened = svg(&r, ChartFigure::Opened).unwrap();
    assert!(opened.contains("critique") && opened.contains("normale"));
    assert!(opened.contains("Tickets opened"));
}

#[test]
fn queries_are_checked() {
    let errors = ReportQuery::new(day("2026-12-01"), day("2026-11-01"), vec![]).unwrap_err();
    assert_eq!(errors.len(), 1);
    let errors = ReportQuery::new(
        day("2026-11-01"),
        day("2026-11-30"),
        vec![Dimension::Month, Dimension::Week, Dimension::Month],
    )
    .unwrap_err();
    assert_eq!(errors.len(), 2);
    assert!(ReportQuery::parse_group_by("priority,colour").is_err());
    assert_eq!(
        ReportQuery::parse_group_by("priority, service").unwrap(),
        vec![Dimension::Priority, Dimension::Service]
    );
    assert!(ReportQuery::new(day("2024-01-01"), day("2026-12-31"), vec![]).is_err());
}
