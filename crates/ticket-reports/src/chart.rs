//! SVG charts of a report's figures, drawn server-side with plotters' SVG backend (no JavaScript),
//! for the console and for mails: one bar per group (or per service).

use crate::figures::{GroupKey, Report};
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use serde::Serialize;

/// A figure that can be charted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartFigure {
    Opened,
    Closed,
    OpenAtEnd,
    AcknowledgementWithinTargetShare,
    ResolutionWithinTargetShare,
    AcknowledgementWorkingMedian,
    ResolutionWorkingMedian,
    Warnings,
    Breaches,
    Escalations,
    ReopenRate,
    ServiceUnavailability,
}

impl ChartFigure {
    pub const ALL: [ChartFigure; 12] = [
        ChartFigure::Opened,
        ChartFigure::Closed,
        ChartFigure::OpenAtEnd,
        ChartFigure::AcknowledgementWithinTargetShare,
        ChartFigure::ResolutionWithinTargetShare,
        ChartFigure::AcknowledgementWorkingMedian,
        ChartFigure::ResolutionWorkingMedian,
        ChartFigure::Warnings,
        ChartFigure::Breaches,
        ChartFigure::Escalations,
        ChartFigure::ReopenRate,
        ChartFigure::ServiceUnavailability,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ChartFigure::Opened => "opened",
            ChartFigure::Closed => "closed",
            ChartFigure::OpenAtEnd => "open_at_end",
            ChartFigure::AcknowledgementWithinTargetShare => "acknowledgement_within_target_share",
            ChartFigure::ResolutionWithinTargetShare => "resolution_within_target_share",
            ChartFigure::AcknowledgementWorkingMedian => "acknowledgement_working_median",
            ChartFigure::ResolutionWorkingMedian => "resolution_working_median",
            ChartFigure::Warnings => "warnings",
            ChartFigure::Breaches => "breaches",
            ChartFigure::Escalations => "escalations",
            ChartFigure::ReopenRate => "reopen_rate",
            ChartFigure::ServiceUnavailability => "service_unavailability",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    fn title(self) -> &'static str {
        match self {
            ChartFigure::Opened => "Tickets opened",
            ChartFigure::Closed => "Tickets closed",
            ChartFigure::OpenAtEnd => "Tickets open at the end of the period",
            ChartFigure::AcknowledgementWithinTargetShare => "Acknowledged within target (share)",
            ChartFigure::ResolutionWithinTargetShare => "Resolved within target (share)",
            ChartFigure::AcknowledgementWorkingMedian => {
                "Time to acknowledge, median (working hours)"
            }
            ChartFigure::ResolutionWorkingMedian => "Time to resolve, median (working hours)",
            ChartFigure::Warnings => "75 % warnings",
            ChartFigure::Breaches => "Breaches",
            ChartFigure::Escalations => "Escalations",
            ChartFigure::ReopenRate => "Reopen rate",
            ChartFigure::ServiceUnavailability => {
                "Unavailability per service (hours on its window)"
            }
        }
    }
}

/// Why a chart could not be drawn (never expected: the backend writes into a string).
#[derive(Debug, thiserror::Error)]
#[error("the chart could not be drawn: {0}")]
pub struct ChartError(String);

fn hours(seconds: i64) -> f64 {
    seconds as f64 / 3600.0
}

/// The label of a group: its key's values, joined.
pub fn label(key: &GroupKey) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(p) = key.period {
        parts.push(p.to_string());
    }
    if let Some(p) = key.priority {
        parts.push(p.name().to_owned());
    }
    if let Some(k) = key.kind {
        parts.push(k.to_owned());
    }
    if let Some(o) = key.organisation {
        parts.push(short(&o.to_string()));
    }
    if let Some(s) = key.service {
        parts.push(short(&s.to_string()));
    }
    if let Some(t) = key.tier {
        parts.push(t.to_owned());
    }
    if parts.is_empty() {
        "all".to_owned()
    } else {
        parts.join(" ")
    }
}

fn short(id: &str) -> String {
    id.rsplit('-')
        .next()
        .unwrap_or(id)
        .trim_start_matches('0')
        .to_owned()
}

/// The bars of `figure`: a label and a value per group (per service for the unavailability).
pub fn bars(report: &Report, figure: ChartFigure) -> Vec<(String, f64)> {
    if figure == ChartFigure::ServiceUnavailability {
        return report
            .services
            .iter()
            .map(|s| (s.name.clone(), hours(s.unavailability_seconds)))
            .collect();
    }
    report
        .groups
        .iter()
        .map(|g| {
            let f = &g.figures;
            let value = match figure {
                ChartFigure::Opened => f.opened as f64,
                ChartFigure::Closed => f.closed as f64,
                ChartFigure::OpenAtEnd => f.open_at_end as f64,
                ChartFigure::AcknowledgementWithinTargetShare => {
                    f.acknowledgement.within_target_share.unwrap_or(0.0)
                }
                ChartFigure::ResolutionWithinTargetShare => {
                    f.resolution.within_target_share.unwrap_or(0.0)
                }
                ChartFigure::AcknowledgementWorkingMedian => {
                    f.acknowledgement.working.map_or(0.0, |s| hours(s.median))
                }
                ChartFigure::ResolutionWorkingMedian => {
                    f.resolution.working.map_or(0.0, |s| hours(s.median))
                }
                ChartFigure::Warnings => (f.warnings.acknowledgement + f.warnings.handling) as f64,
                ChartFigure::Breaches => (f.breaches.acknowledgement + f.breaches.handling) as f64,
                ChartFigure::Escalations => {
                    let e = &f.escalations;
                    (e.manual + e.acknowledgement_breach + e.handling_breach) as f64
                }
                ChartFigure::ReopenRate => f.reopen_rate.unwrap_or(0.0),
                ChartFigure::ServiceUnavailability => 0.0,
            };
            (label(&g.key), value)
        })
        .collect()
}

/// An SVG bar chart of `figure` over the report's groups.
pub fn svg(report: &Report, figure: ChartFigure) -> Result<String, ChartError> {
    let bars = bars(report, figure);
    let caption = format!("{} — {} to {}", figure.title(), report.from, report.to);
    draw(&caption, &bars).map_err(|e| ChartError(e.to_string()))
}

fn draw(caption: &str, bars: &[(String, f64)]) -> Result<String, Box<dyn std::error::Error>> {
    let n = bars.len().max(1);
    let width = u32::try_from(160 + 48 * n)
        .unwrap_or(u32::MAX)
        .clamp(480, 4000);
    let top = bars.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
    let top = if top > 0.0 { top * 1.1 } else { 1.0 };
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, 420)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(110)
            .y_label_area_size(60)
            .build_cartesian_2d((0..n).into_segmented(), 0.0..top)?;
        let labels: Vec<String> = bars.iter().map(|(l, _)| l.clone()).collect();
        let formatter = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&formatter)
            .x_label_style(
                ("sans-serif", 11)
                    .into_font()
                    .transform(FontTransform::Rotate90),
            )
            .draw()?;
        chart.draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
            let mut bar = Rectangle::new(
                [
                    (SegmentValue::Exact(i), 0.0),
                    (SegmentValue::Exact(i + 1), *v),
                ],
                RGBColor(0, 0, 145).filled(),
            );
            bar.set_margin(0, 0, 6, 6);
            bar
        }))?;
        root.present()?;
    }
    Ok(out)
}
