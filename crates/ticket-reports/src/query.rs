//! What a report is asked: a period of Paris days and the dimensions to group by.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Paris;
use serde::Serialize;

/// The longest period a report covers (two years and a day): beyond it a report is an export.
pub const MAX_PERIOD_DAYS: i64 = 732;

/// A dimension a report groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Priority,
    Kind,
    Organisation,
    Service,
    Tier,
    Month,
    Week,
}

impl Dimension {
    pub const ALL: [Dimension; 7] = [
        Dimension::Priority,
        Dimension::Kind,
        Dimension::Organisation,
        Dimension::Service,
        Dimension::Tier,
        Dimension::Month,
        Dimension::Week,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Dimension::Priority => "priority",
            Dimension::Kind => "kind",
            Dimension::Organisation => "organisation",
            Dimension::Service => "service",
            Dimension::Tier => "tier",
            Dimension::Month => "month",
            Dimension::Week => "week",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.name() == name)
    }

    fn is_time(self) -> bool {
        matches!(self, Dimension::Month | Dimension::Week)
    }
}

/// Why a query cannot be answered; each names the parameter at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        rule: &'static str,
        message: String,
    },
}

impl QueryError {
    fn new(field: &'static str, rule: &'static str, message: impl Into<String>) -> Self {
        QueryError::Invalid {
            field,
            rule,
            message: message.into(),
        }
    }
}

/// A checked report query: `from` and `to` are Paris days, both included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: Vec<Dimension>,
}

impl ReportQuery {
    /// Checks a query: `from` ≤ `to`, a period of at most [`MAX_PERIOD_DAYS`], each dimension at
    /// most once, month and week not together. Every broken rule is reported.
    pub fn new(
        from: NaiveDate,
        to: NaiveDate,
        group_by: Vec<Dimension>,
    ) -> Result<Self, Vec<QueryError>> {
        let mut errors = Vec::new();
        if to < from {
            errors.push(QueryError::new(
                "to",
                "after_from",
                "must not be before from",
            ));
        } else if (to - from).num_days() >= MAX_PERIOD_DAYS {
            errors.push(QueryError::new(
                "to",
                "max_period",
                format!("a report covers at most {MAX_PERIOD_DAYS} days"),
            ));
        }
        let mut seen = Vec::new();
        for d in &group_by {
            if seen.contains(d) {
                errors.push(QueryError::new(
                    "group_by",
                    "unique",
                    format!("{} is named twice", d.name()),
                ));
            }
            seen.push(*d);
        }
        if group_by.contains(&Dimension::Month) && group_by.contains(&Dimension::Week) {
            errors.push(QueryError::new(
                "group_by",
                "one_time_dimension",
                "group by month or by week, not both",
            ));
        }
        if errors.is_empty() {
            Ok(Self { from, to, group_by })
        } else {
            Err(errors)
        }
    }

    /// Parses `priority,service,month`; unknown names are errors.
    pub fn parse_group_by(text: &str) -> Result<Vec<Dimension>, QueryError> {
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|name| {
                Dimension::parse(name).ok_or_else(|| {
                    QueryError::new(
                        "group_by",
                        "enum",
                        format!(
                            "unknown dimension {name:?}: one of priority, kind, organisation, service, tier, month, week"
                        ),
                    )
                })
            })
            .collect()
    }

    /// The first instant of the period (`from` at 00:00 in Paris).
    pub fn start(&self) -> DateTime<Utc> {
        paris_midnight(self.from)
    }

    /// The first instant after the period (the day after `to` at 00:00 in Paris).
    pub fn end(&self) -> DateTime<Utc> {
        paris_midnight(self.to + Days::new(1))
    }

    pub fn groups_by(&self, dimension: Dimension) -> bool {
        self.group_by.contains(&dimension)
    }

    /// The period cut by the time dimension, if any: `(first day, start, end)` of each part.
    pub fn buckets(&self) -> Vec<(NaiveDate, DateTime<Utc>, DateTime<Utc>)> {
        let time = self.group_by.iter().copied().find(|d| d.is_time());
        let last = self.to + Days::new(1);
        let mut buckets = Vec::new();
        let mut day = self.from;
        while day < last {
            let next = match time {
                Some(Dimension::Month) => day
                    .with_day(1)
                    .and_then(|first| first.checked_add_months(Months::new(1))),
                Some(Dimension::Week) => {
                    Some(day + Days::new(u64::from(7 - day.weekday().num_days_from_monday())))
                }
                _ => None,
            }
            .map_or(last, |next| next.min(last));
            buckets.push((day, paris_midnight(day), paris_midnight(next)));
            day = next;
        }
        buckets
    }
}

/// Midnight of a Paris day, as an instant (midnight always exists in Paris: clocks change at night).
pub fn paris_midnight(day: NaiveDate) -> DateTime<Utc> {
    let local = day.and_time(chrono::NaiveTime::MIN);
    Paris
        .from_local_datetime(&local)
        .earliest()
        .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
}
