//! Which replicas serve from this database, and where each keeps attachments' bytes.
//!
//! Replicas on one PostgreSQL must read and write the same attachment store: with a folder on each
//! machine, a file uploaded through one replica is missing on the others (a 500 on download, an
//! evidence archive that calls it erased). Every replica records itself here with the store it
//! uses and refreshes the row while it runs; one that would use another store than a live replica
//! is refused. Rows are timed with the database's clock, so replicas' clocks need not agree.
//! SQLite serves one process: nothing is recorded there.

use crate::{Store, StoreError};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement, Value};
use uuid::Uuid;

/// The advisory lock under which a replica looks at the others and records itself, so that two
/// replicas starting at once cannot both find the table empty ("replicas" in ASCII).
const JOIN_LOCK: i64 = 0x0072_6570_6c69_6361;

/// This process, as the registry records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaSelf {
    pub id: Uuid,
    /// The machine's name.
    pub host: String,
    /// Where its attachments' bytes are (`folder HOST:/path`, `s3 ENDPOINT/BUCKET`).
    pub attachments: String,
}

/// Another live replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherReplica {
    pub host: String,
    pub attachments: String,
    pub started_at: DateTime<Utc>,
}

impl std::fmt::Display for OtherReplica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the replica on {} (started {}) keeps attachments in {}",
            self.host,
            self.started_at.format("%Y-%m-%dT%H:%M:%SZ"),
            self.attachments
        )
    }
}

impl Store {
    /// Records `me` unless a live replica (seen within `stale_after`) keeps attachments elsewhere;
    /// those are returned instead, and nothing is recorded. Always `Ok(Ok(()))` on SQLite.
    pub async fn join_replicas(
        &self,
        me: &ReplicaSelf,
        stale_after: TimeDelta,
    ) -> Result<Result<(), Vec<OtherReplica>>, StoreError> {
        if self.backend() != DbBackend::Postgres {
            return Ok(Ok(()));
        }
        let txn = self.write_transaction().await?;
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [Value::from(JOIN_LOCK)],
        ))
        .await?;
        let others = live_others(&txn, me, stale_after).await?;
        if !others.is_empty() {
            drop(txn);
            return Ok(Err(others));
        }
        upsert(&txn, me).await?;
        self.commit(txn).await?;
        Ok(Ok(()))
    }

    /// Refreshes `me` (recording it again if its row went away) and returns the live replicas
    /// that keep attachments elsewhere (one started while this one was unreachable, say).
    pub async fn replica_heartbeat(
        &self,
        me: &ReplicaSelf,
        stale_after: TimeDelta,
    ) -> Result<Vec<OtherReplica>, StoreError> {
        if self.backend() != DbBackend::Postgres {
            return Ok(Vec::new());
        }
        let txn = self.write_transaction().await?;
        upsert(&txn, me).await?;
        let others = live_others(&txn, me, stale_after).await?;
        self.commit(txn).await?;
        Ok(others)
    }

    /// Forgets `me` (a clean stop), so that a replica with another store may start at once.
    pub async fn leave_replicas(&self, id: Uuid) -> Result<(), StoreError> {
        if self.backend() != DbBackend::Postgres {
            return Ok(());
        }
        self.connection()
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "DELETE FROM replicas WHERE id = $1",
                [Value::from(id)],
            ))
            .await?;
        Ok(())
    }
}

async fn upsert(txn: &DatabaseTransaction, me: &ReplicaSelf) -> Result<(), StoreError> {
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO replicas (id, host, attachments, started_at, seen_at) \
         VALUES ($1, $2, $3, now(), now()) \
         ON CONFLICT (id) DO UPDATE SET seen_at = now()",
        [
            Value::from(me.id),
            Value::from(me.host.clone()),
            Value::from(me.attachments.clone()),
        ],
    ))
    .await?;
    Ok(())
}

/// Live replicas other than `me` whose attachment store is not `me`'s; rows of replicas gone
/// silent are removed on the way.
async fn live_others(
    txn: &DatabaseTransaction,
    me: &ReplicaSelf,
    stale_after: TimeDelta,
) -> Result<Vec<OtherReplica>, StoreError> {
    let seconds = stale_after.num_milliseconds() as f64 / 1000.0;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "DELETE FROM replicas WHERE seen_at < now() - make_interval(secs => $1)",
        [Value::from(seconds)],
    ))
    .await?;
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT host, attachments, started_at FROM replicas \
             WHERE id <> $1 AND attachments <> $2 ORDER BY started_at",
            [Value::from(me.id), Value::from(me.attachments.clone())],
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(OtherReplica {
                host: row.try_get("", "host")?,
                attachments: row.try_get("", "attachments")?,
                started_at: row.try_get("", "started_at")?,
            })
        })
        .collect()
}
