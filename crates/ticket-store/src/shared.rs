//! What replicas on one database must agree on: migrations applied by one of them at a time,
//! the schema version the binary expects, public rate limits counted in the database, and keys
//! generated once for all of them.

use crate::{Store, StoreError};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sqlx;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, RuntimeErr, Statement, Value};
use std::sync::Arc;
use ticket_migrations::{Migrator, MigratorTrait};

/// The PostgreSQL advisory lock under which migrations run (any constant both sides agree on:
/// "ticketd" in ASCII).
const MIGRATION_LOCK: i64 = 0x0074_6963_6b65_7464;

pub(crate) fn sqlx_error(error: sqlx::Error) -> StoreError {
    StoreError::Database(DbErr::Query(RuntimeErr::SqlxError(Arc::new(error))))
}

/// Where the database's schema stands against the migrations this binary carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaState {
    /// Migrations of this binary not applied yet: the schema is behind (serve would apply them).
    pub pending: Vec<String>,
    /// Applied migrations this binary does not know: a newer ticketd migrated the database.
    pub unknown: Vec<String>,
}

impl SchemaState {
    /// Whether the schema is exactly the one this binary expects.
    pub fn is_current(&self) -> bool {
        self.pending.is_empty() && self.unknown.is_empty()
    }
}

impl Store {
    /// Applies the migrations that are not applied yet. On PostgreSQL this runs under an advisory
    /// lock held by one connection, so replicas started together migrate one after the other (the
    /// later ones find nothing left to do) instead of racing on the same tables; the lock goes
    /// with the connection if the process dies.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        if self.backend() != DbBackend::Postgres {
            Migrator::up(self.connection(), None).await?;
            return Ok(());
        }
        // Migrations and the wait for another replica's run without the statement timeout of
        // the store's sessions: a migration of a large table, or the wait, may take minutes.
        let options = self
            .connection()
            .get_postgres_connection_pool()
            .connect_options()
            .as_ref()
            .clone()
            .options([("statement_timeout", "0")]);
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .map_err(sqlx_error)?;
        let migrations = sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(pool.clone());
        let mut holder = pool.acquire().await.map_err(sqlx_error)?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *holder)
            .await
            .map_err(sqlx_error)?;
        let migrated = Migrator::up(&migrations, None).await;
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *holder)
            .await;
        if unlocked.is_err() {
            // The lock dies with the connection: do not give it back to the pool.
            holder.detach();
        } else {
            drop(holder);
        }
        pool.close().await;
        migrated?;
        Ok(())
    }

    /// The migrations of this binary against those applied to the database.
    pub async fn schema_state(&self) -> Result<SchemaState, StoreError> {
        // `serve` migrates before it answers, so the table exists whenever this is asked.
        let applied: Vec<String> = self
            .connection()
            .query_all_raw(Statement::from_string(
                self.backend(),
                "SELECT version FROM seaql_migrations",
            ))
            .await?
            .iter()
            .map(|row| row.try_get::<String>("", "version"))
            .collect::<Result<_, _>>()?;
        let known: Vec<String> = Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        Ok(SchemaState {
            pending: known
                .iter()
                .filter(|name| !applied.contains(name))
                .cloned()
                .collect(),
            unknown: applied
                .iter()
                .filter(|name| !known.contains(name))
                .cloned()
                .collect(),
        })
    }

    /// Records one event of a rate limit's `bucket` at `now` if fewer than `max` were recorded in
    /// the `window` before it; otherwise says how many seconds to wait. The events are counted in
    /// the database, so every replica on it sees the same count; an advisory lock per bucket
    /// (PostgreSQL) makes concurrent checks of one bucket take turns. `bucket` must not be personal
    /// data (the caller hashes the address with a key).
    pub async fn rate_check(
        &self,
        bucket: &str,
        max: u32,
        window: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<Result<(), u64>, StoreError> {
        let backend = self.backend();
        let txn = self.write_transaction().await?;
        if backend == DbBackend::Postgres {
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 16))",
                [Value::from(bucket.to_owned())],
            ))
            .await?;
        }
        let since = now - window;
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            "DELETE FROM rate_events WHERE bucket = $1 AND at <= $2",
            [Value::from(bucket.to_owned()), Value::from(since)],
        ))
        .await?;
        let recent = txn
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                "SELECT at FROM rate_events WHERE bucket = $1 ORDER BY at",
                [Value::from(bucket.to_owned())],
            ))
            .await?;
        if recent.len() >= max as usize {
            let oldest: DateTime<Utc> = match recent.first() {
                Some(row) => row.try_get("", "at")?,
                None => now,
            };
            let wait = (oldest + window - now).num_seconds().max(1);
            // Nothing written: the transaction ends without a commit.
            drop(txn);
            return Ok(Err(u64::try_from(wait).unwrap_or(1)));
        }
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO rate_events (bucket, at) VALUES ($1, $2)",
            [Value::from(bucket.to_owned()), Value::from(now)],
        ))
        .await?;
        self.commit(txn).await?;
        Ok(Ok(()))
    }

    /// Forgets rate-limit events older than `before` (housekeeping: buckets nobody uses again).
    pub async fn purge_rate_events(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let result = self
            .connection()
            .execute_raw(Statement::from_sql_and_values(
                self.backend(),
                "DELETE FROM rate_events WHERE at < $1",
                [Value::from(before)],
            ))
            .await?;
        Ok(result.rows_affected())
    }

    /// A secret shared by every replica on this database: the value stored under `name`, or
    /// `generated` stored now if there is none yet (the first replica's value wins).
    pub async fn shared_secret(
        &self,
        name: &str,
        generated: &str,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let backend = self.backend();
        let txn = self.write_transaction().await?;
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO shared_secrets (name, value, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
            [
                Value::from(name.to_owned()),
                Value::from(generated.to_owned()),
                Value::from(now),
            ],
        ))
        .await?;
        let row = txn
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                "SELECT value FROM shared_secrets WHERE name = $1",
                [Value::from(name.to_owned())],
            ))
            .await?
            .ok_or(StoreError::NotFound("shared secret"))?;
        let value: String = row.try_get("", "value")?;
        self.commit(txn).await?;
        Ok(value)
    }
}
