//! `GET /api/v1/queues`: the counts of the triage desk's standard queues.

use crate::ApiState;
use crate::ApiTag;
use crate::auth::ApiKeyAuth;
use crate::dto::Instant;
use crate::error::ApiError;
use chrono::{DateTime, Days, NaiveTime, TimeZone, Utc};
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use ticket_domain::Priority;

type Result<T> = std::result::Result<T, ApiError>;

/// Open tickets (neither closed nor cancelled) per priority.
#[derive(Debug, Clone, Object)]
pub struct PriorityCounts {
    /// Priority 1.
    pub critique: u64,
    /// Priority 2.
    pub majeure: u64,
    /// Priority 3.
    pub normale: u64,
    /// Priority 4.
    pub mineure: u64,
    /// Priority 5.
    pub info: u64,
}

/// How many tickets each standard queue holds, for the caller (a partner: its organisation's).
/// Each count is what the ticket list answers with the filters named.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct QueuesView {
    /// When the counts were taken.
    pub at: Instant,
    /// New and assigned to nobody: `state=new&assignee=none`.
    pub new_unassigned: u64,
    /// Open and assigned to the caller's staff member: `assignee=me`, open states; absent for a
    /// key that belongs to no member.
    pub mine: Option<u64>,
    /// Open with a missed deadline: `breached=true`, open states.
    pub breached: u64,
    /// Open with a next deadline before the end of today (Paris), passed ones included:
    /// `due_before` the end of today.
    pub due_today: u64,
    /// Waiting for the reporter: `waiting_reporter=true`.
    pub waiting_reporter: u64,
    /// Open tickets by effective priority.
    pub by_priority: PriorityCounts,
}

/// The queue counts.
#[derive(Debug, ApiResponse)]
pub enum QueuesResponse {
    /// The counts.
    #[oai(status = 200)]
    Ok(Json<QueuesView>),
}

/// The first instant of tomorrow in Paris: the end of "today" for the desk.
fn end_of_today(now: DateTime<Utc>) -> DateTime<Utc> {
    let paris = chrono_tz::Europe::Paris;
    let tomorrow = now
        .with_timezone(&paris)
        .date_naive()
        .checked_add_days(Days::new(1))
        .map(|day| day.and_time(NaiveTime::MIN));
    tomorrow
        .and_then(|t| paris.from_local_datetime(&t).earliest())
        .map_or(now, |t| t.with_timezone(&Utc))
}

/// The triage desk.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueuesApi;

#[OpenApi(tag = "ApiTag::Tickets")]
impl QueuesApi {
    /// Count the standard queues
    ///
    /// New and unassigned, mine, breached, due today, waiting for the reporter, and open tickets
    /// by priority. Staff count every ticket; a partner its organisation's.
    #[oai(path = "/api/v1/queues", method = "get", operation_id = "get_queues")]
    async fn queues(&self, state: Data<&ApiState>, auth: ApiKeyAuth) -> Result<QueuesResponse> {
        let principal = &auth.0;
        let now = state.clock.now();
        let member = principal.member();
        let counts = state
            .store
            .queue_counts(principal.organisation(), member.as_ref(), end_of_today(now))
            .await?;
        let of = |p: Priority| {
            counts
                .by_priority
                .iter()
                .find(|(q, _)| *q == p)
                .map_or(0, |(_, n)| *n)
        };
        Ok(QueuesResponse::Ok(Json(QueuesView {
            at: now.into(),
            new_unassigned: counts.new_unassigned,
            mine: counts.mine,
            breached: counts.breached,
            due_today: counts.due_today,
            waiting_reporter: counts.waiting_reporter,
            by_priority: PriorityCounts {
                critique: of(Priority::Critique),
                majeure: of(Priority::Majeure),
                normale: of(Priority::Normale),
                mineure: of(Priority::Mineure),
                info: of(Priority::Info),
            },
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_ends_at_midnight_in_paris() {
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|d| d.with_timezone(&Utc))
                .unwrap_or_default()
        };
        // Winter: UTC+1. 23:30 UTC on the 23rd is already the 24th in Paris.
        assert_eq!(
            end_of_today(at("2026-11-23T10:00:00Z")),
            at("2026-11-23T23:00:00Z")
        );
        assert_eq!(
            end_of_today(at("2026-11-23T23:30:00Z")),
            at("2026-11-24T23:00:00Z")
        );
    }
}
