//! Figures for monitoring (`/metrics`), read from the database so that every replica reports the
//! same ones: tickets by kind, state and priority, breaches and escalations, the outbox by state
//! and the age of its oldest mail, how late the sweeper and the dispatcher are, the connection
//! pool. Counts and instants only: never a value of a ticket.

use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

/// Tickets of one kind, state and priority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketCount {
    pub kind: String,
    pub state: String,
    pub priority: i16,
    pub count: i64,
    /// Of which past a target (SLA breached).
    pub breached: i64,
}

/// Mails of one outbox state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxCount {
    pub state: String,
    pub count: i64,
    /// When the oldest mail in this state was queued.
    pub oldest: Option<DateTime<Utc>>,
}

/// The connection pool: open connections, idle ones, the most allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolFigures {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// Everything `/metrics` reads from the database, at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    pub tickets: Vec<TicketCount>,
    /// Events recorded so far by type, for the types monitoring follows (`sla_warning`,
    /// `sla_breached`, `escalated`), every one present.
    pub events: Vec<(String, i64)>,
    pub outbox: Vec<OutboxCount>,
    /// The earliest instant at which a ticket is due for the sweeper (at or before now: the
    /// sweeper is that late).
    pub earliest_due: Option<DateTime<Utc>>,
    /// The earliest instant at which a pending mail is due for the dispatcher.
    pub earliest_mail_due: Option<DateTime<Utc>>,
}

/// The event types monitoring counts.
pub const COUNTED_EVENTS: [&str; 3] = ["sla_warning", "sla_breached", "escalated"];

impl Store {
    /// Reads the monitoring figures (a few aggregate queries on indexed columns).
    pub async fn figures(&self) -> Result<Figures, StoreError> {
        let db = self.connection();
        let backend = self.backend();
        let tickets = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT kind, state, priority, COUNT(*) AS n, \
                 SUM(CASE WHEN breached THEN 1 ELSE 0 END) AS b \
                 FROM tickets GROUP BY kind, state, priority ORDER BY kind, state, priority",
            ))
            .await?
            .iter()
            .map(|row| {
                Ok(TicketCount {
                    kind: row.try_get("", "kind")?,
                    state: row.try_get("", "state")?,
                    priority: row.try_get("", "priority")?,
                    count: row.try_get("", "n")?,
                    breached: row.try_get::<Option<i64>>("", "b")?.unwrap_or(0),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut events = Vec::new();
        for event_type in COUNTED_EVENTS {
            let count: i64 = db
                .query_one_raw(Statement::from_sql_and_values(
                    backend,
                    "SELECT COUNT(*) AS n FROM ticket_events WHERE event_type = $1",
                    [Value::from(event_type)],
                ))
                .await?
                .map(|row| row.try_get("", "n"))
                .transpose()?
                .unwrap_or(0);
            events.push((event_type.to_owned(), count));
        }
        let outbox = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT status, COUNT(*) AS n, MIN(created_at) AS oldest \
                 FROM outbox GROUP BY status ORDER BY status",
            ))
            .await?
            .iter()
            .map(|row| {
                Ok(OutboxCount {
                    state: row.try_get("", "status")?,
                    count: row.try_get("", "n")?,
                    oldest: instant(backend, row, "oldest")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let earliest = |sql: &'static str| async move {
            match db
                .query_one_raw(Statement::from_string(backend, sql))
                .await?
            {
                Some(row) => instant(backend, &row, "m"),
                None => Ok(None),
            }
        };
        let earliest_due =
            earliest("SELECT MIN(next_due_at) AS m FROM tickets WHERE next_due_at IS NOT NULL")
                .await?;
        let earliest_mail_due =
            earliest("SELECT MIN(next_attempt_at) AS m FROM outbox WHERE status = 'pending'")
                .await?;
        Ok(Figures {
            tickets,
            events,
            outbox,
            earliest_due,
            earliest_mail_due,
        })
    }

    /// The connection pool's figures, without a query.
    pub fn pool_figures(&self) -> PoolFigures {
        let db = self.connection();
        match self.backend() {
            DbBackend::Postgres => {
                let pool = db.get_postgres_connection_pool();
                PoolFigures {
                    open: pool.size(),
                    idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                    max: pool.options().get_max_connections(),
                }
            }
            _ => {
                let pool = db.get_sqlite_connection_pool();
                PoolFigures {
                    open: pool.size(),
                    idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                    max: pool.options().get_max_connections(),
                }
            }
        }
    }
}

/// An aggregate instant: PostgreSQL gives a timestamp, SQLite the stored text.
fn instant(
    backend: DbBackend,
    row: &sea_orm::QueryResult,
    column: &str,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    if backend == DbBackend::Postgres {
        return Ok(row.try_get::<Option<DateTime<Utc>>>("", column)?);
    }
    let Some(text) = row.try_get::<Option<String>>("", column)? else {
        return Ok(None);
    };
    let parsed = DateTime::parse_from_rfc3339(&text)
        .or_else(|_| DateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f%:z"))
        .map_err(|_| StoreError::corrupt("an instant that does not parse"))?;
    Ok(Some(parsed.with_timezone(&Utc)))
}
