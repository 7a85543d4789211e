//! The transparency log's storage (issue 33): the chain heads appended to the Merkle tree of
//! `ticket-log`, and the tree's signed heads.
//!
//! An append follows the change feed (its commit order, never skipping an event committed late):
//! from the cursor the last head recorded, it reads the events committed since, takes each ticket's
//! last one, and appends one leaf per ticket — `ticketd-chain-head/v1`, the ticket's id, the
//! event's sequence number and the chain's hash there, one per line — then signs the new tree head.
//! The frontier (at most 64 hashes) is kept with each head, so an append never reads earlier leaves.
//! One append at a time: PostgreSQL's advisory lock across replicas, SQLite's write lock.

use crate::changes::FeedCursor;
use crate::entities::{transparency_head, transparency_log};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, Statement, Value,
};
use ticket_log::{Frontier, Hash, LogSigner, TreeHead, leaf_hash};
use uuid::Uuid;

/// The advisory lock of appends on PostgreSQL ("tlog" in ASCII).
const APPEND_LOCK: i64 = 0x746c_6f67;

/// What a leaf of the log says: which ticket's chain reached which hash at which event.
pub fn leaf_data(ticket_id: Uuid, seq: i64, chain_head: &str) -> String {
    format!("ticketd-chain-head/v1\n{ticket_id}\n{seq}\n{chain_head}\n")
}

/// A leaf of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub index: u64,
    pub ticket_id: Uuid,
    pub seq: i64,
    pub chain_head: String,
    pub leaf_hash: Hash,
    pub logged_at: DateTime<Utc>,
}

/// A signed tree head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHead {
    pub size: u64,
    pub root: Hash,
    pub signed_at: DateTime<Utc>,
    /// The checkpoint, signed (C2SP signed note).
    pub note: String,
}

fn unhex(text: &str) -> Result<Hash, StoreError> {
    hex::decode(text)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| StoreError::Corrupt("a transparency log hash is not 64 hex digits".into()))
}

/// The frontier and feed cursor an append continues from.
fn resume(head: &transparency_head::Model) -> Result<(Frontier, FeedCursor), StoreError> {
    let peaks = head
        .peaks
        .as_bytes()
        .chunks(64)
        .map(|chunk| unhex(std::str::from_utf8(chunk).unwrap_or("")))
        .collect::<Result<Vec<_>, _>>()?;
    let frontier =
        Frontier::from_parts(u64::try_from(head.size).unwrap_or(0), peaks).ok_or_else(|| {
            StoreError::Corrupt("the transparency log's frontier does not fit its size".into())
        })?;
    let cursor = FeedCursor::parse(&head.feed_cursor).ok_or_else(|| {
        StoreError::Corrupt("the transparency log's feed cursor is unreadable".into())
    })?;
    Ok((frontier, cursor))
}

fn head_of(row: transparency_head::Model) -> Result<SignedHead, StoreError> {
    Ok(SignedHead {
        size: u64::try_from(row.size).unwrap_or(0),
        root: unhex(&row.root)?,
        signed_at: row.signed_at,
        note: row.note,
    })
}

fn entry_of(row: transparency_log::Model) -> Result<LogEntry, StoreError> {
    Ok(LogEntry {
        index: u64::try_from(row.idx).unwrap_or(0),
        ticket_id: row.ticket_id,
        seq: row.seq,
        chain_head: row.chain_head,
        leaf_hash: unhex(&row.leaf_hash)?,
        logged_at: row.logged_at,
    })
}

impl Store {
    /// Appends the chain heads of the tickets whose chain grew since the last signed head (up to
    /// `limit` events read from the change feed) and records the new head signed by `signer`.
    /// `None` when no chain grew.
    pub async fn log_append(
        &self,
        signer: &LogSigner,
        origin: &str,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Option<SignedHead>, StoreError> {
        // The last head and the events after it are read first, outside the write transaction
        // (SQLite's writer holds the only connection that may write, and the feed is read through
        // the pool); inside it, under the lock, the head must still be the last one, or another
        // appender went first and this one starts again from its head.
        let (txn, mut frontier, changes) = loop {
            let last = transparency_head::Entity::find()
                .order_by_desc(transparency_head::Column::Size)
                .one(&self.db)
                .await?;
            let (frontier, cursor) = match &last {
                None => (Frontier::new(), FeedCursor::START),
                Some(head) => resume(head)?,
            };
            let changes = self.changes_after(cursor, limit).await?;
            if changes.is_empty() {
                return Ok(None);
            }
            let txn = self.write_transaction().await?;
            if self.backend() == DbBackend::Postgres {
                txn.execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_advisory_xact_lock($1)",
                    [Value::from(APPEND_LOCK)],
                ))
                .await?;
            }
            let now_last = transparency_head::Entity::find()
                .order_by_desc(transparency_head::Column::Size)
                .one(&txn)
                .await?
                .map(|h| h.size);
            let last_size = last.as_ref().map(|h| h.size);
            if now_last == last_size {
                break (txn, frontier, changes);
            }
            drop(txn);
        };
        let Some(end) = changes.last().map(|c| c.cursor) else {
            return Ok(None);
        };
        // Each ticket's last event of the batch, in the order of those last events.
        let mut last_of: Vec<(Uuid, i64, String)> = Vec::new();
        for change in changes.iter().rev() {
            let ticket = change.ticket_id.0;
            if !last_of.iter().any(|(t, _, _)| *t == ticket) {
                last_of.push((ticket, change.event.seq, change.event.hash.clone()));
            }
        }
        last_of.reverse();
        let mut rows = Vec::with_capacity(last_of.len());
        for (ticket_id, seq, chain_head) in last_of {
            let leaf = leaf_hash(leaf_data(ticket_id, seq, &chain_head).as_bytes());
            rows.push(transparency_log::ActiveModel {
                idx: Set(i64::try_from(frontier.size()).unwrap_or(i64::MAX)),
                ticket_id: Set(ticket_id),
                seq: Set(seq),
                chain_head: Set(chain_head),
                leaf_hash: Set(hex::encode(leaf)),
                logged_at: Set(now),
            });
            frontier.push(leaf);
        }
        for chunk in rows.chunks(200) {
            transparency_log::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await?;
        }
        let head = TreeHead {
            origin: origin.to_owned(),
            size: frontier.size(),
            root: frontier.root(),
            time: now.timestamp(),
        };
        let note = signer.sign(&head);
        let peaks: String = frontier.peaks().iter().map(hex::encode).collect();
        transparency_head::Entity::insert(transparency_head::ActiveModel {
            size: Set(i64::try_from(head.size).unwrap_or(i64::MAX)),
            root: Set(hex::encode(head.root)),
            signed_at: Set(now),
            note: Set(note.clone()),
            peaks: Set(peaks),
            feed_cursor: Set(end.encode()),
        })
        .exec(&txn)
        .await?;
        self.commit(txn).await?;
        Ok(Some(SignedHead {
            size: head.size,
            root: head.root,
            signed_at: now,
            note,
        }))
    }

    /// The latest signed head, if the log has one.
    pub async fn log_latest_head(&self) -> Result<Option<SignedHead>, StoreError> {
        transparency_head::Entity::find()
            .order_by_desc(transparency_head::Column::Size)
            .one(&self.db)
            .await?
            .map(head_of)
            .transpose()
    }

    /// The signed head of the tree of `size` leaves, if one was signed.
    pub async fn log_head(&self, size: u64) -> Result<Option<SignedHead>, StoreError> {
        transparency_head::Entity::find_by_id(i64::try_from(size).unwrap_or(i64::MAX))
            .one(&self.db)
            .await?
            .map(head_of)
            .transpose()
    }

    /// The hashes of the first `size` leaves, in order (what proofs are computed from).
    pub async fn log_leaf_hashes(&self, size: u64) -> Result<Vec<Hash>, StoreError> {
        transparency_log::Entity::find()
            .filter(transparency_log::Column::Idx.lt(i64::try_from(size).unwrap_or(i64::MAX)))
            .order_by_asc(transparency_log::Column::Idx)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| unhex(&row.leaf_hash))
            .collect()
    }

    /// Every leaf naming this ticket, in order.
    pub async fn log_entries_of(&self, ticket_id: Uuid) -> Result<Vec<LogEntry>, StoreError> {
        transparency_log::Entity::find()
            .filter(transparency_log::Column::TicketId.eq(ticket_id))
            .order_by_asc(transparency_log::Column::Idx)
            .all(&self.db)
            .await?
            .into_iter()
            .map(entry_of)
            .collect()
    }
}
