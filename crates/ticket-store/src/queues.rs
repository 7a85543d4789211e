//! The triage desk's standard queues, counted: what an agent's day starts with.

use crate::entities::ticket;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Func, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect};
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

/// One priority's counts: priority, open, new and unassigned, mine, breached, due today, waiting.
type CountsRow = (i16, i64, i64, i64, i64, i64, i64);

/// `1` for the rows where `condition` holds, else `0`: summed, a count.
fn one_if(condition: Condition) -> SimpleExpr {
    Func::sum(Expr::case(condition, 1).finally(0)).into()
}

impl Store {
    /// Counts the standard queues, for one organisation's tickets (a partner) or all (staff): one
    /// pass over the open tickets (every queue is a part of them), grouped by priority, read from
    /// the `tickets_queues` index alone.
    pub async fn queue_counts(
        &self,
        organisation: Option<OrganisationId>,
        member: Option<&StaffHandle>,
        end_of_today: DateTime<Utc>,
    ) -> Result<QueueCounts, StoreError> {
        let mut scope = open();
        if let Some(o) = organisation {
            scope = scope.add(ticket::Column::OrganisationId.eq(o.0));
        }
        let mine = match member {
            Some(handle) => {
                one_if(Condition::all().add(ticket::Column::Assignee.eq(handle.as_str())))
            }
            None => Expr::val(0i64),
        };
        let rows: Vec<CountsRow> = ticket::Entity::find()
            .select_only()
            .column(ticket::Column::Priority)
            // `COUNT(*)`, not of a column the index lacks (SQLite would read every row).
            .column_as(Expr::cust("COUNT(*)"), "open")
            .column_as(
                one_if(
                    Condition::all()
                        .add(ticket::Column::State.eq(State::New.name()))
                        .add(ticket::Column::Assignee.is_null()),
                ),
                "new_unassigned",
            )
            .column_as(mine, "mine")
            .column_as(
                one_if(Condition::all().add(ticket::Column::Breached.eq(true))),
                "breached",
            )
            .column_as(
                one_if(Condition::all().add(ticket::Column::DeadlineAt.lt(end_of_today))),
                "due_today",
            )
            .column_as(
                one_if(
                    Condition::all().add(ticket::Column::State.eq(State::WaitingReporter.name())),
                ),
                "waiting_reporter",
            )
            .filter(scope)
            .group_by(ticket::Column::Priority)
            .into_tuple()
            .all(&self.db)
            .await?;
        let total = |pick: fn(&CountsRow) -> i64| {
            u64::try_from(rows.iter().map(pick).sum::<i64>()).unwrap_or(0)
        };
        let by_priority = Priority::ALL.map(|p| {
            let n = rows
                .iter()
                .find(|row| row.0 == i16::from(p.level()))
                .map_or(0, |row| u64::try_from(row.1).unwrap_or(0));
            (p, n)
        });
        Ok(QueueCounts {
            new_unassigned: total(|r| r.2),
            mine: member.map(|_| total(|r| r.3)),
            breached: total(|r| r.4),
            due_today: total(|r| r.5),
            waiting_reporter: total(|r| r.6),
            by_priority,
        })
    }
}
