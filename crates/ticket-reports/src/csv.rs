//! The report as `text/csv`: one row per group (RFC 4180, comma-separated, CRLF line ends), the
//! grouped dimensions first, durations in seconds, empty cells for figures without a value.

use crate::figures::{Group, Report, Stats, Timing};
use crate::query::Dimension;

/// The CSV text of a report's groups.
pub fn to_csv(report: &Report) -> String {
    let dims: Vec<Dimension> = Dimension::ALL
        .into_iter()
        .filter(|d| report.group_by.contains(d))
        .collect();
    let time_named = dims
        .iter()
        .any(|d| matches!(d, Dimension::Month | Dimension::Week));
    let mut header: Vec<String> = Vec::new();
    if time_named {
        header.push("period".into());
    }
    header.extend(
        dims.iter()
            .filter(|d| !matches!(d, Dimension::Month | Dimension::Week))
            .map(|d| d.name().to_owned()),
    );
    header.extend(FIGURES.iter().map(|s| (*s).to_owned()));
    let mut out = line(&header);
    for group in &report.groups {
        let mut row: Vec<String> = Vec::new();
        let k = &group.key;
        if time_named {
            row.push(k.period.map(|d| d.to_string()).unwrap_or_default());
        }
        for d in &dims {
            match d {
                Dimension::Priority => {
                    row.push(k.priority.map(|p| p.name().to_owned()).unwrap_or_default())
                }
                Dimension::Kind => row.push(k.kind.unwrap_or_default().to_owned()),
                Dimension::Organisation => {
                    row.push(k.organisation.map(|o| o.to_string()).unwrap_or_default())
                }
                Dimension::Service => {
                    row.push(k.service.map(|s| s.to_string()).unwrap_or_default())
                }
                Dimension::Tier => row.push(k.tier.unwrap_or_default().to_owned()),
                Dimension::Month | Dimension::Week => {}
            }
        }
        row.extend(values(group));
        out.push_str(&line(&row));
    }
    out
}

const FIGURES: [&str; 42] = [
    "opened",
    "closed",
    "cancelled",
    "open_at_end",
    "acknowledged",
    "acknowledgement_working_median",
    "acknowledgement_working_p90",
    "acknowledgement_working_mean",
    "acknowledgement_elapsed_median",
    "acknowledgement_elapsed_p90",
    "acknowledgement_elapsed_mean",
    "acknowledgement_within_target",
    "acknowledgement_within_target_share",
    "resolved_first",
    "resolution_working_median",
    "resolution_working_p90",
    "resolution_working_mean",
    "resolution_elapsed_median",
    "resolution_elapsed_p90",
    "resolution_elapsed_mean",
    "resolution_within_target",
    "resolution_within_target_share",
    "warnings_acknowledgement",
    "warnings_handling",
    "breaches_acknowledgement",
    "breaches_handling",
    "escalations_manual",
    "escalations_acknowledgement_breach",
    "escalations_handling_breach",
    "resolutions",
    "reopenings",
    "reopen_rate",
    "closed_resolved_confirmed",
    "closed_mutual_agreement",
    "closed_reporter_unresponsive",
    "closed_resolved_by_operator",
    "identity_theft_confirmed",
    "identity_theft_unfounded",
    "organisations_notified",
    "time_to_notify_median",
    "time_to_notify_p90",
    "time_to_notify_mean",
];

fn stats_cells(stats: Option<Stats>) -> [String; 3] {
    match stats {
        Some(s) => [s.median.to_string(), s.p90.to_string(), s.mean.to_string()],
        None => Default::default(),
    }
}

fn share(value: Option<f64>) -> String {
    value.map(|v| format!("{v:.4}")).unwrap_or_default()
}

fn timing(t: &Timing) -> Vec<String> {
    let mut cells = vec![t.count.to_string()];
    cells.extend(stats_cells(t.working));
    cells.extend(stats_cells(t.elapsed));
    cells.push(t.within_target.to_string());
    cells.push(share(t.within_target_share));
    cells
}

fn values(group: &Group) -> Vec<String> {
    let f = &group.figures;
    let mut cells = vec![
        f.opened.to_string(),
        f.closed.to_string(),
        f.cancelled.to_string(),
        f.open_at_end.to_string(),
    ];
    cells.extend(timing(&f.acknowledgement));
    cells.extend(timing(&f.resolution));
    for n in [
        f.warnings.acknowledgement,
        f.warnings.handling,
        f.breaches.acknowledgement,
        f.breaches.handling,
        f.escalations.manual,
        f.escalations.acknowledgement_breach,
        f.escalations.handling_breach,
        f.resolutions,
        f.reopenings,
    ] {
        cells.push(n.to_string());
    }
    cells.push(share(f.reopen_rate));
    for n in [
        f.closures.resolved_confirmed,
        f.closures.mutual_agreement,
        f.closures.reporter_unresponsive,
        f.closures.resolved_by_operator,
        f.identity_theft.confirmed,
        f.identity_theft.unfounded,
        f.identity_theft.notifications,
    ] {
        cells.push(n.to_string());
    }
    cells.extend(stats_cells(f.identity_theft.time_to_notify));
    cells
}

/// One CSV line; a cell with a comma, a quote or a line break is quoted.
fn line(cells: &[String]) -> String {
    let mut out = cells
        .iter()
        .map(|c| {
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    out
}
