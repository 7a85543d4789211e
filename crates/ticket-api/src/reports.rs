//! `GET /api/v1/reports/quality` and its charts: the quality-of-service report (annex 4.1 and 4.3)
//! over a period of Paris days, grouped by priority, kind, organisation, service, tier, month or
//! week; as JSON, or `text/csv` (one row per group) by `Accept`; and an SVG chart per figure.
//! Supervisors and admins read every ticket; a partner its own organisation's only.

use crate::ApiState;
use crate::ApiTag;
use crate::auth::{ApiKeyAuth, Principal};
use crate::dto::{PriorityDto, mirror_enum};
use crate::error::ApiError;
use crate::problem::FieldError;
use chrono::NaiveDate;
use poem::Request;
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::{Binary, Json, PlainText};
use poem_openapi::{ApiResponse, Object, OpenApi, ResponseContent};
use ticket_domain::Role;
use ticket_reports::chart::{self, ChartFigure};
use ticket_reports::figures::{self, Report};
use ticket_reports::query::QueryError;
use ticket_reports::{ReportQuery, csv, report};
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

mirror_enum!(
    /// A figure to chart: one bar per group (`service_unavailability`: one per service).
    ChartFigureDto <=> ticket_reports::chart::ChartFigure {
        Opened, Closed, OpenAtEnd, AcknowledgementWithinTargetShare, ResolutionWithinTargetShare,
        AcknowledgementWorkingMedian, ResolutionWorkingMedian, Warnings, Breaches, Escalations,
        ReopenRate, ServiceUnavailability
    }
);

/// Median, 90th percentile (nearest rank) and mean (rounded down) of durations, in seconds.
#[derive(Debug, Clone, Object)]
pub struct QosStatsView {
    /// Median, in seconds.
    pub median: i64,
    /// 90th percentile (nearest rank), in seconds.
    pub p90: i64,
    /// Mean, rounded down, in seconds.
    pub mean: i64,
}

impl From<figures::Stats> for QosStatsView {
    fn from(s: figures::Stats) -> Self {
        Self {
            median: s.median,
            p90: s.p90,
            mean: s.mean,
        }
    }
}

/// How long something took, and how often within its target.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct QosTimingView {
    /// How many were measured (the first acknowledgement, or the first resolution, of a ticket
    /// in the period).
    pub count: u64,
    /// Working time on the ticket's calendar (24/7 for priority 1, support hours otherwise),
    /// time waiting for the reporter excluded; absent when nothing was measured.
    pub working: Option<QosStatsView>,
    /// Elapsed time since creation; absent when nothing was measured.
    pub elapsed: Option<QosStatsView>,
    /// How many before their target was reached (a service's maximum unavailability included).
    pub within_target: u64,
    /// `within_target / count`; absent when nothing was measured.
    pub within_target_share: Option<f64>,
}

impl From<figures::Timing> for QosTimingView {
    fn from(t: figures::Timing) -> Self {
        Self {
            count: t.count,
            working: t.working.map(Into::into),
            elapsed: t.elapsed.map(Into::into),
            within_target: t.within_target,
            within_target_share: t.within_target_share,
        }
    }
}

/// Counts per SLA clock.
#[derive(Debug, Clone, Object)]
pub struct QosPerClockView {
    /// On the acknowledgement clock.
    pub acknowledgement: u64,
    /// On the handling clock.
    pub handling: u64,
}

/// Escalations per cause.
#[derive(Debug, Clone, Object)]
pub struct QosEscalationsView {
    /// Escalated by staff.
    pub manual: u64,
    /// Escalated because the acknowledgement target was reached.
    pub acknowledgement_breach: u64,
    /// Escalated because the handling target was reached.
    pub handling_breach: u64,
}

/// Closures per reason (the four closure conditions).
#[derive(Debug, Clone, Object)]
pub struct QosClosuresView {
    /// Condition 1: resolved and confirmed by the reporter.
    pub resolved_confirmed: u64,
    /// Condition 2: closed by mutual agreement.
    pub mutual_agreement: u64,
    /// Condition 3: the reporter did not answer.
    pub reporter_unresponsive: u64,
    /// Condition 4: resolved by the operator, the reporter notified.
    pub resolved_by_operator: u64,
}

/// Identity-theft reports qualified in the period, and the notification of the organisations
/// concerned.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct QosIdentityTheftView {
    /// Reports confirmed by security.
    pub confirmed: u64,
    /// Reports found unfounded.
    pub unfounded: u64,
    /// Organisations concerned notified.
    pub notifications: u64,
    /// Elapsed time from the confirmation (or the organisation's addition, if later) to its
    /// notification; absent without notifications.
    pub time_to_notify: Option<QosStatsView>,
}

/// One group's figures; the key's fields are those grouped by.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct QosGroupView {
    /// First Paris day of the group's month or week (cut by the period), when grouped by time.
    pub period: Option<NaiveDate>,
    /// The ticket's priority when the figure happened, when grouped by priority.
    pub priority: Option<PriorityDto>,
    /// The ticket's kind, when grouped by kind.
    pub kind: Option<String>,
    /// The ticket's organisation, when grouped by organisation (absent for tickets of none).
    pub organisation: Option<Uuid>,
    /// The incident's service, when grouped by service (absent for other tickets).
    pub service: Option<Uuid>,
    /// The tier handling the ticket when the figure happened, when grouped by tier.
    pub tier: Option<String>,
    /// Tickets created in the period.
    pub opened: u64,
    /// Closures in the period.
    pub closed: u64,
    /// Cancellations in the period.
    pub cancelled: u64,
    /// Tickets neither closed nor cancelled at the end of the period (or of its month or week).
    pub open_at_end: u64,
    /// Time to acknowledge.
    pub acknowledgement: QosTimingView,
    /// Time to resolve (a ticket's first resolution).
    pub resolution: QosTimingView,
    /// 75 % warnings raised.
    pub warnings: QosPerClockView,
    /// Targets reached (breaches).
    pub breaches: QosPerClockView,
    /// Escalations by cause.
    pub escalations: QosEscalationsView,
    /// Resolutions (a ticket resolved again counts again).
    pub resolutions: u64,
    /// Resolutions rejected and closed tickets reopened.
    pub reopenings: u64,
    /// `reopenings / resolutions`; absent without resolutions.
    pub reopen_rate: Option<f64>,
    /// Closures by reason.
    pub closures: QosClosuresView,
    /// Identity-theft outcomes.
    pub identity_theft: QosIdentityTheftView,
}

impl From<figures::Group> for QosGroupView {
    fn from(g: figures::Group) -> Self {
        let (k, f) = (g.key, g.figures);
        let per = |p: figures::PerClock| QosPerClockView {
            acknowledgement: p.acknowledgement,
            handling: p.handling,
        };
        Self {
            period: k.period,
            priority: k.priority.map(Into::into),
            kind: k.kind.map(str::to_owned),
            organisation: k.organisation,
            service: k.service,
            tier: k.tier.map(str::to_owned),
            opened: f.opened,
            closed: f.closed,
            cancelled: f.cancelled,
            open_at_end: f.open_at_end,
            acknowledgement: f.acknowledgement.into(),
            resolution: f.resolution.into(),
            warnings: per(f.warnings),
            breaches: per(f.breaches),
            escalations: QosEscalationsView {
                manual: f.escalations.manual,
                acknowledgement_breach: f.escalations.acknowledgement_breach,
                handling_breach: f.escalations.handling_breach,
            },
            resolutions: f.resolutions,
            reopenings: f.reopenings,
            reopen_rate: f.reopen_rate,
            closures: QosClosuresView {
                resolved_confirmed: f.closures.resolved_confirmed,
                mutual_agreement: f.closures.mutual_agreement,
                reporter_unresponsive: f.closures.reporter_unresponsive,
                resolved_by_operator: f.closures.resolved_by_operator,
            },
            identity_theft: QosIdentityTheftView {
                confirmed: f.identity_theft.confirmed,
                unfounded: f.identity_theft.unfounded,
                notifications: f.identity_theft.notifications,
                time_to_notify: f.identity_theft.time_to_notify.map(Into::into),
            },
        }
    }
}

/// An incident whose own outage exceeded its service's declared maximum unavailability.
#[derive(Debug, Clone, Object)]
pub struct QosBreachingTicketView {
    /// The ticket's reference.
    pub reference: String,
    /// Its outage up to the end of the period, on the service's window, in seconds.
    pub unavailability_seconds: i64,
}

/// One service's unavailability in the period, against its declared maximum.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct QosServiceView {
    /// The service (registry id).
    pub service: Uuid,
    /// Its organisation.
    pub organisation: Uuid,
    /// Its name, as the registry stated it when its latest incident was opened.
    pub name: String,
    /// Its availability window, as the registry states it.
    pub availability: Option<String>,
    /// Counted in elapsed time (24/7) rather than on support hours.
    pub around_the_clock: bool,
    /// Declared maximum unavailability, in seconds on its window.
    pub max_unavailability_seconds: Option<i64>,
    /// Incidents (not cancelled) whose outage touches the period.
    pub incidents: u64,
    /// From each incident's start to its resolution, on its window, overlaps counted once, in
    /// seconds.
    pub unavailability_seconds: i64,
    /// The longest outage (overlapping incidents merged), in seconds on its window.
    pub longest_outage_seconds: i64,
    /// The cumulative unavailability exceeds the declared maximum.
    pub cumulative_exceeds_maximum: bool,
    /// The longest outage exceeds the declared maximum.
    pub longest_exceeds_maximum: bool,
    /// The incidents whose own outage exceeds the declared maximum.
    pub breaching_tickets: Vec<QosBreachingTicketView>,
}

impl From<figures::ServiceFigures> for QosServiceView {
    fn from(s: figures::ServiceFigures) -> Self {
        Self {
            service: s.service,
            organisation: s.organisation,
            name: s.name,
            availability: s.availability,
            around_the_clock: s.around_the_clock,
            max_unavailability_seconds: s.max_unavailability_seconds,
            incidents: s.incidents,
            unavailability_seconds: s.unavailability_seconds,
            longest_outage_seconds: s.longest_outage_seconds,
            cumulative_exceeds_maximum: s.cumulative_exceeds_maximum,
            longest_exceeds_maximum: s.longest_exceeds_maximum,
            breaching_tickets: s
                .breaching_tickets
                .into_iter()
                .map(|b| QosBreachingTicketView {
                    reference: b.reference,
                    unavailability_seconds: b.unavailability_seconds,
                })
                .collect(),
        }
    }
}

/// A quality-of-service report.
#[derive(Debug, Clone, Object)]
pub struct QosReportView {
    /// First Paris day of the period.
    pub from: NaiveDate,
    /// Last Paris day of the period (included).
    pub to: NaiveDate,
    /// The time zone of the days: `Europe/Paris`.
    pub time_zone: String,
    /// The dimensions grouped by.
    pub group_by: Vec<String>,
    /// One entry per group with any figure.
    pub groups: Vec<QosGroupView>,
    /// The services with an incident in the period (a partner: its own).
    pub services: Vec<QosServiceView>,
}

impl From<Report> for QosReportView {
    fn from(r: Report) -> Self {
        Self {
            from: r.from,
            to: r.to,
            time_zone: r.time_zone.to_owned(),
            group_by: r.group_by.iter().map(|d| d.name().to_owned()).collect(),
            groups: r.groups.into_iter().map(Into::into).collect(),
            services: r.services.into_iter().map(Into::into).collect(),
        }
    }
}

/// The report, as JSON or CSV.
#[derive(Debug, ResponseContent)]
pub enum QosReportBody {
    Json(Json<QosReportView>),
    /// One row per group (RFC 4180), the grouped dimensions first; durations in seconds.
    #[oai(content_type = "text/csv; charset=utf-8")]
    Csv(PlainText<String>),
}

/// Answers of the report.
#[derive(Debug, ApiResponse)]
pub enum QosReportResponse {
    /// The report: JSON, or CSV when `Accept` asks for `text/csv`.
    #[oai(status = 200)]
    Ok(QosReportBody),
}

/// Answers of a chart.
#[derive(Debug, ApiResponse)]
pub enum QosChartResponse {
    /// The chart, an SVG image (no script).
    #[oai(status = 200, content_type = "image/svg+xml")]
    Ok(Binary<Vec<u8>>),
}

/// Supervisors and admins read every ticket; a partner its own organisation's; other staff not.
fn scope(principal: &Principal) -> Result<Option<Uuid>> {
    if let Some(organisation) = principal.organisation() {
        return Ok(Some(organisation.0));
    }
    match principal.role() {
        Some(Role::Supervisor | Role::Admin) => Ok(None),
        _ => Err(ApiError::forbidden(
            "report-role-required",
            "Quality-of-service reports are for supervisors, admins and partners (their own organisation).",
        )),
    }
}

fn field_error(field: &str, rule: &str, message: String) -> FieldError {
    FieldError {
        field: field.to_owned(),
        rule: rule.to_owned(),
        message,
    }
}

fn checked(from: NaiveDate, to: NaiveDate, group_by: Option<&str>) -> Result<ReportQuery> {
    let dimensions = match group_by {
        Some(text) => ReportQuery::parse_group_by(text).map_err(|e| {
            let QueryError::Invalid {
                field,
                rule,
                message,
            } = e;
            ApiError::malformed(vec![field_error(field, rule, message)])
        })?,
        None => Vec::new(),
    };
    ReportQuery::new(from, to, dimensions).map_err(|errors| {
        ApiError::invalid(
            errors
                .into_iter()
                .map(
                    |QueryError::Invalid {
                         field,
                         rule,
                         message,
                     }| { field_error(field, rule, message) },
                )
                .collect(),
        )
    })
}

async fn compute(state: &ApiState, principal: &Principal, query: &ReportQuery) -> Result<Report> {
    let organisation = scope(principal)?;
    let histories = state
        .store
        .report_histories(query.start(), query.end(), organisation)
        .await?;
    let mut computed = report(query, &histories, &state.policy);
    if let Some(organisation) = organisation {
        computed.services.retain(|s| s.organisation == organisation);
    }
    Ok(computed)
}

fn wants_csv(request: &Request) -> bool {
    request
        .header("accept")
        .is_some_and(|accept| accept.to_ascii_lowercase().contains("text/csv"))
}

/// Quality-of-service reports.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportsApi;

#[OpenApi(tag = "ApiTag::Reports")]
impl ReportsApi {
    /// A quality-of-service report
    ///
    /// Per period (Paris days, `to` included) and per group: tickets opened, closed and open at
    /// the end; time to acknowledge and to resolve (median, 90th percentile, mean) in working time
    /// and elapsed, with the share within target; warnings, breaches, escalations by cause,
    /// reopenings, closures by reason, identity-theft outcomes; and per service its unavailability
    /// against its declared maximum. Computed from the events: a past period's report never
    /// changes. JSON, or `text/csv` (one row per group) when `Accept` asks for it. Supervisors and
    /// admins; a partner gets its own organisation's.
    #[oai(
        path = "/api/v1/reports/quality",
        method = "get",
        operation_id = "get_quality_report"
    )]
    async fn quality(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        request: &Request,
        /// First Paris day of the period, `YYYY-MM-DD`.
        from: Query<NaiveDate>,
        /// Last Paris day of the period (included), `YYYY-MM-DD`; at most 732 days after `from`.
        to: Query<NaiveDate>,
        /// Dimensions to group by, comma-separated: `priority`, `kind`, `organisation`,
        /// `service`, `tier`, and `month` or `week`. None: one group for the whole period.
        group_by: Query<Option<String>>,
    ) -> Result<QosReportResponse> {
        scope(&auth.0)?;
        let query = checked(from.0, to.0, group_by.0.as_deref())?;
        let computed = compute(&state, &auth.0, &query).await?;
        Ok(QosReportResponse::Ok(if wants_csv(request) {
            QosReportBody::Csv(PlainText(csv::to_csv(&computed)))
        } else {
            QosReportBody::Json(Json(computed.into()))
        }))
    }

    /// A chart of one figure of the report
    ///
    /// The same query as the report, drawn as an SVG bar chart of `figure`: one bar per group
    /// (per service for `service_unavailability`). Drawn on the server; no script.
    #[oai(
        path = "/api/v1/reports/quality/chart",
        method = "get",
        operation_id = "get_quality_chart"
    )]
    async fn chart(
        &self,
        state: Data<&ApiState>,
        auth: ApiKeyAuth,
        /// First Paris day of the period, `YYYY-MM-DD`.
        from: Query<NaiveDate>,
        /// Last Paris day of the period (included), `YYYY-MM-DD`.
        to: Query<NaiveDate>,
        /// Dimensions to group by, as for the report.
        group_by: Query<Option<String>>,
        /// The figure to draw.
        figure: Query<ChartFigureDto>,
    ) -> Result<QosChartResponse> {
        scope(&auth.0)?;
        let query = checked(from.0, to.0, group_by.0.as_deref())?;
        let computed = compute(&state, &auth.0, &query).await?;
        let figure: ChartFigure = figure.0.into();
        let svg = chart::svg(&computed, figure).map_err(|e| {
            tracing::error!(error = %e, "a report chart could not be drawn");
            ApiError::from_problem(crate::problem::Problem::internal())
        })?;
        Ok(QosChartResponse::Ok(Binary(svg.into_bytes())))
    }
}
