//! The order of a ticket list.

use super::read::now;
use super::requests::field;
use crate::ApiState;
use crate::auth::Principal;
use crate::commands::run::{require_member, staff_handle_or_invalid};
use crate::dto::{TicketPage, TicketView};
use crate::error::ApiError;
use chrono::{DateTime, Utc};
use ticket_domain::Permission;
use ticket_domain::audience::Audience;
use ticket_domain::values::OrganisationId;
use ticket_store::search::{Search, SearchScope};
use ticket_store::tickets::{AssigneeFilter, TicketFilter};
use ticket_store::tickets::{Sort, SortKey};
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

/// The order of a ticket list, ties ordered by id:
/// - `created_at`: oldest first (the default); `-created_at`: newest first;
/// - `updated_at`: least recently changed first; `-updated_at`: most recently changed first;
/// - `priority`: priority 1 (`critique`) first, then `majeure`, `normale`, `mineure`, and
///   priority 5 (`info`) last; `-priority`: `info` first, `critique` last;
/// - `deadline`: the nearest next deadline of a running clock first, tickets without one last;
///   `-deadline`: tickets without one first, then the furthest deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
pub enum TicketSort {
    /// Oldest first (the default).
    #[oai(rename = "created_at")]
    CreatedAt,
    /// Newest first.
    #[oai(rename = "-created_at")]
    CreatedAtDesc,
    /// Least recently changed first.
    #[oai(rename = "updated_at")]
    UpdatedAt,
    /// Most recently changed first.
    #[oai(rename = "-updated_at")]
    UpdatedAtDesc,
    /// Priority 1 (`critique`) first.
    #[oai(rename = "priority")]
    Priority,
    /// Priority 5 (`info`) first.
    #[oai(rename = "-priority")]
    PriorityDesc,
    /// The nearest next deadline first; tickets without a running deadline last.
    #[oai(rename = "deadline")]
    Deadline,
    /// Tickets without a running deadline first, then the furthest deadline.
    #[oai(rename = "-deadline")]
    DeadlineDesc,
}

impl From<TicketSort> for Sort {
    fn from(sort: TicketSort) -> Self {
        let (key, descending) = match sort {
            TicketSort::CreatedAt => (SortKey::Created, false),
            TicketSort::CreatedAtDesc => (SortKey::Created, true),
            TicketSort::UpdatedAt => (SortKey::Updated, false),
            TicketSort::UpdatedAtDesc => (SortKey::Updated, true),
            TicketSort::Priority => (SortKey::Priority, false),
            TicketSort::PriorityDesc => (SortKey::Priority, true),
            TicketSort::Deadline => (SortKey::Deadline, false),
            TicketSort::DeadlineDesc => (SortKey::Deadline, true),
        };
        Sort { key, descending }
    }
}

pub(crate) fn default_limit() -> u64 {
    50
}

/// 400 naming each instant filter outside the years 1 to 9999 (what the database can store).
pub(crate) fn check_instants(instants: &[(&str, Option<DateTime<Utc>>)]) -> Result<()> {
    let mut out_of_range = Vec::new();
    for &(name, instant) in instants {
        if instant.is_some_and(|i| !(1..=9999).contains(&chrono::Datelike::year(&i))) {
            out_of_range.push(field(
                name,
                "instant_range",
                "must be an instant between the years 1 and 9999",
            ));
        }
    }
    if out_of_range.is_empty() {
        Ok(())
    } else {
        Err(ApiError::malformed(out_of_range))
    }
}

/// The `assignee` filter: a member's handle, `me` (the caller's member) or `none`.
pub(crate) async fn assignee_filter(
    state: &ApiState,
    principal: &Principal,
    assignee: Option<&str>,
) -> Result<Option<AssigneeFilter>> {
    Ok(match assignee.map(str::trim) {
        None => None,
        Some("none") => Some(AssigneeFilter::Unassigned),
        Some("me") => match principal.member() {
            Some(member) => Some(AssigneeFilter::Member(member)),
            None => {
                return Err(ApiError::invalid(vec![field(
                    "assignee",
                    "caller_is_member",
                    "`me` is the staff member your key belongs to, and this key belongs to none",
                )]));
            }
        },
        Some(handle) => {
            let handle = staff_handle_or_invalid("assignee", handle)?;
            require_member(state, "assignee", &handle).await?;
            Some(AssigneeFilter::Member(handle))
        }
    })
}

/// The organisation a list is limited to: a partner's own (`None` when it asks for another's:
/// nothing to list), or the one asked for.
pub(crate) fn organisation_filter(
    principal: &Principal,
    asked: Option<Uuid>,
) -> Option<Option<OrganisationId>> {
    match principal.organisation() {
        Some(own) if asked.is_some_and(|o| o != own.0) => None,
        Some(own) => Some(Some(own)),
        None => Some(asked.map(OrganisationId)),
    }
}

/// The full-text search of `q`, over what `principal` may read; 400 naming `q` when it holds no
/// word (a letter or a digit), which would match every ticket.
pub(crate) fn search(principal: &Principal, q: Option<String>) -> Result<Option<Search>> {
    let Some(text) = q else {
        return Ok(None);
    };
    if !ticket_store::search::has_words(&text) {
        return Err(ApiError::malformed(vec![field(
            "q",
            "search_words",
            "must hold at least one word (a letter or a digit) to search for",
        )]));
    }
    Ok(Some(Search {
        text,
        scope: SearchScope {
            internal_notes: principal.actor.may(Permission::ReadInternalNotes),
            personal_data: principal.actor.is_security_or_supervisor(),
        },
    }))
}

/// One page of the tickets `filter` selects, as `principal` sees them in a list.
pub(crate) async fn ticket_page(
    state: &ApiState,
    principal: &Principal,
    filter: &TicketFilter,
    sort: TicketSort,
    limit: u64,
    cursor: Option<String>,
) -> Result<TicketPage> {
    let page = state
        .store
        .list_tickets(filter, sort.into(), limit, cursor.as_deref())
        .await?;
    let now = now(state);
    Ok(TicketPage {
        items: page
            .items
            .iter()
            .map(|t| {
                TicketView::listed(
                    &t.ticket,
                    t.version_for(Audience::of(&principal.actor)),
                    &principal.actor,
                )
                .with_actions(&t.ticket, &principal.actor, &state.policy, now)
            })
            .collect(),
        next_cursor: page.next_cursor,
    })
}
