//! The change feed (issue 36): every ticket's events in the order their transactions committed,
//! read after an opaque cursor, never skipping an event whose transaction commits late.
//!
//! Each event holds a `feed_position` written in its own transaction (migration
//! `m20261207_360001_change_feed`). On PostgreSQL it is the writing transaction's id (or the
//! ticket's previous event's position when higher), and a read only returns positions below the
//! oldest transaction still in progress: a transaction that has not committed yet has a position
//! at or above its id, so it is never below the cursor of an earlier read. Events that share a
//! position are ordered by ticket and sequence. On SQLite, one writer at a time numbers its events
//! `MAX + 1` under the write lock: the numbers are commit order.
//!
//! Who may see which event is not decided here: the API filters each change through the same views
//! as a ticket's own history.

use crate::entities::{sealed_text, ticket_event};
use crate::page::{decode_opaque, encode_opaque};
use crate::tickets::{StoredEvent, stored_event};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, Statement, Value,
};
use ticket_domain::values::TicketId;
use uuid::Uuid;

/// Where a reader of the feed stands: after the event at this place. Opaque to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FeedCursor {
    position: i64,
    ticket_id: Uuid,
    seq: i64,
}

impl FeedCursor {
    /// Before every event.
    pub const START: FeedCursor = FeedCursor {
        position: -1,
        ticket_id: Uuid::nil(),
        seq: 0,
    };

    /// The cursor a client passed back; `None` when it is not one this feed gave.
    pub fn parse(text: &str) -> Option<Self> {
        let raw = decode_opaque(text)?;
        let mut parts = raw.split('|');
        let cursor = FeedCursor {
            position: parts.next()?.parse().ok()?,
            ticket_id: Uuid::parse_str(parts.next()?).ok()?,
            seq: parts.next()?.parse().ok()?,
        };
        (parts.next().is_none() && cursor.position >= 0).then_some(cursor)
    }

    /// The opaque text of this cursor.
    pub fn encode(&self) -> String {
        encode_opaque(&format!(
            "{}|{}|{}",
            self.position, self.ticket_id, self.seq
        ))
    }
}

/// One event of the feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub ticket_id: TicketId,
    pub event: StoredEvent,
    /// The cursor just after this event.
    pub cursor: FeedCursor,
}

#[derive(Debug, FromQueryResult)]
struct FeedRow {
    id: Uuid,
    ticket_id: Uuid,
    seq: i64,
    at: DateTime<Utc>,
    event_type: String,
    visibility: String,
    canonical: String,
    prev_hash: String,
    hash: String,
    feed_position: i64,
}

const COLUMNS: &str =
    "id, ticket_id, seq, at, event_type, visibility, canonical, prev_hash, hash, feed_position";

impl Store {
    /// Up to `limit` events after `after`, in commit order; every event of every ticket (the
    /// caller decides which it may show). An event not returned yet is never before the cursor of
    /// the last one returned.
    pub async fn changes_after(
        &self,
        after: FeedCursor,
        limit: u64,
    ) -> Result<Vec<Change>, StoreError> {
        let limit = i64::try_from(limit.clamp(1, 1000)).unwrap_or(1000);
        let statement = match self.backend() {
            DbBackend::Postgres => Statement::from_sql_and_values(
                DbBackend::Postgres,
                format!(
                    "WITH horizon AS (
                         SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS below)
                     SELECT {COLUMNS} FROM ticket_events
                     WHERE feed_position < (SELECT below FROM horizon)
                       AND (feed_position, ticket_id, seq) > ($1, $2, $3)
                     ORDER BY feed_position, ticket_id, seq
                     LIMIT $4"
                ),
                [
                    Value::from(after.position),
                    Value::from(after.ticket_id),
                    Value::from(after.seq),
                    Value::from(limit),
                ],
            ),
            backend => Statement::from_sql_and_values(
                backend,
                format!(
                    "SELECT {COLUMNS} FROM ticket_events
                     WHERE feed_position > ?
                     ORDER BY feed_position
                     LIMIT ?"
                ),
                [Value::from(after.position), Value::from(limit)],
            ),
        };
        let rows = FeedRow::find_by_statement(statement).all(&self.db).await?;
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let sealed = if ids.is_empty() {
            Vec::new()
        } else {
            sealed_text::Entity::find()
                .filter(sealed_text::Column::EventId.is_in(ids))
                .all(&self.db)
                .await?
        };
        rows.into_iter()
            .map(|row| {
                let cursor = FeedCursor {
                    position: row.feed_position,
                    ticket_id: row.ticket_id,
                    seq: row.seq,
                };
                let event = stored_event(
                    ticket_event::Model {
                        id: row.id,
                        ticket_id: row.ticket_id,
                        seq: row.seq,
                        at: row.at,
                        event_type: row.event_type,
                        visibility: row.visibility,
                        canonical: row.canonical,
                        prev_hash: row.prev_hash,
                        hash: row.hash,
                    },
                    &sealed,
                )?;
                Ok(Change {
                    ticket_id: TicketId(row.ticket_id),
                    event,
                    cursor,
                })
            })
            .collect()
    }
}
