//! The ticket list: filters, sorts and keyset pagination.

use super::{StoredTicket, from_row};
use crate::entities::ticket;
use crate::page::Page;
use crate::page::{decode_opaque, encode_opaque, fetch_limit};
use crate::search::Search;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use ticket_domain::escalation::Tier;
use ticket_domain::kind::TicketKind;
use ticket_domain::values::{OrganisationId, ServiceId, StaffHandle};
use ticket_domain::{Priority, State};
use uuid::Uuid;

/// Filters of the ticket list; every field narrows the result, and they combine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketFilter {
    /// In any of these states (none: any state).
    pub states: Vec<State>,
    pub kind: Option<TicketKind>,
    /// Of any of these effective priorities (none: any priority).
    pub priorities: Vec<Priority>,
    /// Of this organisation, or read by it (see `read_by_organisation`).
    pub organisation: Option<OrganisationId>,
    /// On this service of the registry (incidents).
    pub service: Option<ServiceId>,
    pub assignee: Option<AssigneeFilter>,
    pub tier: Option<Tier>,
    pub breached: Option<bool>,
    /// Waiting for the reporter (`true`) or not (`false`).
    pub waiting_reporter: Option<bool>,
    /// Whose next deadline comes before this instant.
    pub due_before: Option<DateTime<Utc>>,
    /// Full-text search, in what the caller may search.
    pub search: Option<Search>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub updated_from: Option<DateTime<Utc>>,
    pub updated_before: Option<DateTime<Utc>>,
    /// Linked to this authentication session or event id (user usurpations).
    pub session: Option<Uuid>,
}

/// Whose tickets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssigneeFilter {
    /// Assigned to this member.
    Member(StaffHandle),
    /// Assigned to nobody.
    Unassigned,
}

/// What the list is sorted on; ties are broken by id (time-ordered), in the same direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum SortKey {
    /// Effective priority level (1 = critique first when ascending).
    Priority,
    /// The next deadline of a running clock; tickets without one come after every deadline.
    Deadline,
    #[default]
    Created,
    Updated,
}

impl SortKey {
    pub const ALL: [SortKey; 4] = [
        SortKey::Priority,
        SortKey::Deadline,
        SortKey::Created,
        SortKey::Updated,
    ];

    fn tag(self) -> &'static str {
        match self {
            SortKey::Priority => "p",
            SortKey::Deadline => "d",
            SortKey::Created => "c",
            SortKey::Updated => "u",
        }
    }

    fn column(self) -> ticket::Column {
        match self {
            SortKey::Priority => ticket::Column::Priority,
            SortKey::Deadline => ticket::Column::DeadlineAt,
            SortKey::Created => ticket::Column::CreatedAt,
            SortKey::Updated => ticket::Column::UpdatedAt,
        }
    }
}

/// A sort: key and direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

/// What `deadline_at` holds for a ticket without a running deadline: the end of time, so that the
/// deadline sort and its keyset need no NULL handling and put such tickets last (ascending).
pub fn no_deadline() -> DateTime<Utc> {
    // 9999-12-31T23:59:59Z: representable on both databases.
    DateTime::from_timestamp(253_402_300_799, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The sort key of the last row of a page, and its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortValue {
    Level(i16),
    Instant(DateTime<Utc>),
}

/// A ticket list cursor: the sort it belongs to and the last row's (key, id). Opaque to clients
/// (base64url); a cursor of another sort is refused rather than misread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TicketCursor {
    sort: Sort,
    value: SortValue,
    id: Uuid,
}

impl TicketCursor {
    fn of(sort: Sort, row: &ticket::Model) -> Self {
        let value = match sort.key {
            SortKey::Priority => SortValue::Level(row.priority),
            SortKey::Deadline => SortValue::Instant(row.deadline_at.unwrap_or_else(no_deadline)),
            SortKey::Created => SortValue::Instant(row.created_at),
            SortKey::Updated => SortValue::Instant(row.updated_at),
        };
        Self {
            sort,
            value,
            id: row.id,
        }
    }

    fn encode(&self) -> String {
        let value = match self.value {
            SortValue::Level(level) => level.to_string(),
            SortValue::Instant(at) => at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        };
        let direction = if self.sort.descending { "-" } else { "+" };
        encode_opaque(&format!(
            "t1|{}{direction}|{value}|{}",
            self.sort.key.tag(),
            self.id
        ))
    }

    fn decode(text: &str, sort: Sort) -> Option<Self> {
        let raw = decode_opaque(text)?;
        let mut parts = raw.splitn(4, '|');
        let (version, which, value, id) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let direction = if sort.descending { "-" } else { "+" };
        if version != "t1" || which != format!("{}{direction}", sort.key.tag()) {
            return None;
        }
        let value = match sort.key {
            SortKey::Priority => SortValue::Level(value.parse().ok()?),
            _ => SortValue::Instant(
                DateTime::parse_from_rfc3339(value)
                    .ok()?
                    .with_timezone(&Utc),
            ),
        };
        Some(Self {
            sort,
            value,
            id: Uuid::parse_str(id).ok()?,
        })
    }
}

impl Store {
    /// A page of tickets matching `filter`, in `sort` order then id (keyset pagination: the
    /// cursor is the last row's sort key and id, so pages never skip or repeat rows, even while
    /// tickets are created, and never use OFFSET).
    pub async fn list_tickets(
        &self,
        filter: &TicketFilter,
        sort: Sort,
        limit: u64,
        cursor: Option<&str>,
    ) -> Result<Page<StoredTicket>, StoreError> {
        let hits = match &filter.search {
            Some(search) => crate::search::sparse_hits(&self.db, search).await?,
            None => None,
        };
        let rows =
            narrowed_list_query(self.backend(), filter, hits.as_deref(), sort, limit, cursor)?
                .all(&self.db)
                .await?;
        Page::from_rows(
            rows,
            limit,
            |row| TicketCursor::of(sort, row).encode(),
            from_row,
        )
    }
}

/// The list query: filters, then keyset pagination on (sort key, id), one row more than the page
/// to know whether another page follows. Public so that tests and the benchmark can check its plan.
pub fn list_query(
    backend: sea_orm::DbBackend,
    filter: &TicketFilter,
    sort: Sort,
    limit: u64,
    cursor: Option<&str>,
) -> Result<sea_orm::Select<ticket::Entity>, StoreError> {
    narrowed_list_query(backend, filter, None, sort, limit, cursor)
}

/// The tickets of other organisations that `organisation` reads one by one
/// (`Ticket::is_visible_to`), so that its list agrees with its reads: those it reported, and the
/// confirmed user usurpations whose identity provider it is (`Ticket::identity_provider_concerned`).
/// They live in the ticket's document; the id is a UUID (hex digits and hyphens only), written
/// into the expression as text.
fn read_by_organisation(organisation: OrganisationId, backend: sea_orm::DbBackend) -> Expr {
    let id = organisation.0.hyphenated().to_string();
    let kind = TicketKind::UserUsurpation.name();
    Expr::cust(match backend {
        sea_orm::DbBackend::Postgres => format!(
            "((\"tickets\".\"document\" -> 'reporter' -> 'origin' ->> 'organisation') = '{id}' \
             OR (\"tickets\".\"kind\" = '{kind}' \
             AND (\"tickets\".\"document\" -> 'data' ->> 'identity_provider') = '{id}' \
             AND (\"tickets\".\"document\" -> 'data' -> 'qualification' ->> 'outcome') = 'confirmed'))"
        ),
        _ => format!(
            "(json_extract(\"tickets\".\"document\", '$.reporter.origin.organisation') = '{id}' \
             OR (\"tickets\".\"kind\" = '{kind}' \
             AND json_extract(\"tickets\".\"document\", '$.data.identity_provider') = '{id}' \
             AND json_extract(\"tickets\".\"document\", '$.data.qualification.outcome') = 'confirmed'))"
        ),
    })
}

/// The rows `filter` keeps (`hits`: the search's hits when already found).
fn filter_condition(
    backend: sea_orm::DbBackend,
    filter: &TicketFilter,
    hits: Option<&[Uuid]>,
) -> Condition {
    let mut condition = Condition::all();
    if !filter.states.is_empty() {
        condition =
            condition.add(ticket::Column::State.is_in(filter.states.iter().map(|s| s.name())));
    }
    if let Some(kind) = filter.kind {
        condition = condition.add(ticket::Column::Kind.eq(kind.name()));
    }
    if !filter.priorities.is_empty() {
        condition = condition.add(
            ticket::Column::Priority.is_in(filter.priorities.iter().map(|p| i16::from(p.level()))),
        );
    }
    if let Some(organisation) = filter.organisation {
        condition = condition.add(
            Condition::any()
                .add(ticket::Column::OrganisationId.eq(organisation.0))
                .add(read_by_organisation(organisation, backend)),
        );
    }
    if let Some(service) = filter.service {
        condition = condition.add(ticket::Column::ServiceId.eq(service.0));
    }
    match &filter.assignee {
        Some(AssigneeFilter::Member(handle)) => {
            condition = condition.add(ticket::Column::Assignee.eq(handle.as_str()));
        }
        Some(AssigneeFilter::Unassigned) => {
            condition = condition.add(ticket::Column::Assignee.is_null());
        }
        None => {}
    }
    if let Some(tier) = filter.tier {
        condition = condition.add(ticket::Column::Tier.eq(tier.name()));
    }
    if let Some(breached) = filter.breached {
        condition = condition.add(ticket::Column::Breached.eq(breached));
    }
    match filter.waiting_reporter {
        Some(true) => {
            condition = condition.add(ticket::Column::State.eq(State::WaitingReporter.name()));
        }
        Some(false) => {
            condition = condition.add(ticket::Column::State.ne(State::WaitingReporter.name()));
        }
        None => {}
    }
    if let Some(before) = filter.due_before {
        condition = condition.add(ticket::Column::DeadlineAt.lt(before));
    }
    if let Some(search) = &filter.search {
        condition = condition.add(match hits {
            Some(ids) => ticket::Column::Id.is_in(ids.iter().copied()),
            None => crate::search::matches(search, backend),
        });
    }
    if let Some(from) = filter.created_from {
        condition = condition.add(ticket::Column::CreatedAt.gte(from));
    }
    if let Some(before) = filter.created_before {
        condition = condition.add(ticket::Column::CreatedAt.lt(before));
    }
    if let Some(from) = filter.updated_from {
        condition = condition.add(ticket::Column::UpdatedAt.gte(from));
    }
    if let Some(before) = filter.updated_before {
        condition = condition.add(ticket::Column::UpdatedAt.lt(before));
    }
    if let Some(session) = filter.session {
        condition = condition.add(ticket::Column::SessionId.eq(session));
    }
    condition
}

/// [`list_query`], with the search's hits already found when they are few (see
/// `search::sparse_hits`).
fn narrowed_list_query(
    backend: sea_orm::DbBackend,
    filter: &TicketFilter,
    hits: Option<&[Uuid]>,
    sort: Sort,
    limit: u64,
    cursor: Option<&str>,
) -> Result<sea_orm::Select<ticket::Entity>, StoreError> {
    let mut condition = filter_condition(backend, filter, hits);
    let column = sort.key.column();
    if let Some(text) = cursor {
        let after = TicketCursor::decode(text, sort).ok_or(StoreError::InvalidCursor)?;
        let value = match after.value {
            SortValue::Level(level) => Expr::val(level),
            SortValue::Instant(at) => Expr::val(at),
        };
        // A row-value comparison, so that the database seeks the (key, id) index to the cursor
        // instead of filtering every row before it (PostgreSQL and SQLite both support it).
        let row = Expr::tuple([Expr::col(column), Expr::col(ticket::Column::Id)]);
        let key = Expr::tuple([value, Expr::val(after.id)]);
        condition = condition.add(if sort.descending {
            row.lt(key)
        } else {
            row.gt(key)
        });
    }
    let order = if sort.descending {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    Ok(ticket::Entity::find()
        .filter(condition)
        .order_by(column, order.clone())
        .order_by(ticket::Column::Id, order)
        .limit(fetch_limit(limit)))
}
