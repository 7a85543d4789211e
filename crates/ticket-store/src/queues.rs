//! The triage desk's standard queues, counted: what an agent's day starts with.

use crate::entities::ticket;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
use ticket_domain::values::{OrganisationId, StaffHandle};
use ticket_domain::{Priority, State};

/// How many open tickets (neither closed nor cancelled) each standard queue holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueCounts {
    /// New and assigned to nobody.
    pub new_unassigned: u64,
    /// Assigned to the caller's member; `None` when the caller is no member.
    pub mine: Option<u64>,
    /// A deadline was missed.
    pub breached: u64,
    /// The next deadline comes before the end of the day (already passed ones included).
    pub due_today: u64,
    /// Waiting for the reporter.
    pub waiting_reporter: u64,
    /// By effective priority, 1 to 5.
    pub by_priority: [(Priority, u64); 5],
}

fn open() -> Condition {
    Condition::all()
        .add(ticket::Column::State.is_not_in([State::Closed.name(), State::Cancelled.name()]))
}

impl Store {
    /// Counts the standard queues, for one organisation's tickets (a partner) or all (staff).
    pub async fn queue_counts(
        &self,
        organisation: Option<OrganisationId>,
        member: Option<&StaffHandle>,
        end_of_today: DateTime<Utc>,
    ) -> Result<QueueCounts, StoreError> {
        let scope = |condition: Condition| match organisation {
            Some(o) => condition.add(ticket::Column::OrganisationId.eq(o.0)),
            None => condition,
        };
        let count = |condition: Condition| async move {
            ticket::Entity::find()
                .filter(scope(condition))
                .count(&self.db)
                .await
        };
        let new_unassigned = count(
            Condition::all()
                .add(ticket::Column::State.eq(State::New.name()))
                .add(ticket::Column::Assignee.is_null()),
        )
        .await?;
        let mine = match member {
            Some(handle) => {
                Some(count(open().add(ticket::Column::Assignee.eq(handle.as_str()))).await?)
            }
            None => None,
        };
        let breached = count(open().add(ticket::Column::Breached.eq(true))).await?;
        let due_today = count(open().add(ticket::Column::DeadlineAt.lt(end_of_today))).await?;
        let waiting_reporter =
            count(Condition::all().add(ticket::Column::State.eq(State::WaitingReporter.name())))
                .await?;
        let rows: Vec<(i16, i64)> = ticket::Entity::find()
            .select_only()
            .column(ticket::Column::Priority)
            .column_as(ticket::Column::Id.count(), "n")
            .filter(scope(open()))
            .group_by(ticket::Column::Priority)
            .into_tuple()
            .all(&self.db)
            .await?;
        let by_priority = Priority::ALL.map(|p| {
            let n = rows
                .iter()
                .find(|(level, _)| *level == i16::from(p.level()))
                .map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0));
            (p, n)
        });
        Ok(QueueCounts {
            new_unassigned,
            mine,
            breached,
            due_today,
            waiting_reporter,
            by_priority,
        })
    }
}
