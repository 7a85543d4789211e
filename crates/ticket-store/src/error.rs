use sea_orm::sqlx;
use sea_orm::sqlx::error::DatabaseError as _;
use sea_orm::{DbErr, RuntimeErr};
use ticket_domain::Refusal;

/// What can go wrong in the store. Messages never contain personal data.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row, or not visible to the caller.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The ticket changed since the caller read it (optimistic concurrency).
    #[error("the ticket was changed by someone else (version {current}, expected {expected})")]
    VersionConflict { expected: i64, current: i64 },
    /// The domain refused the command.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// A list cursor this service did not produce.
    #[error("the cursor is not one this service produced")]
    InvalidCursor,
    /// The same idempotency key was used with another request.
    #[error("this Idempotency-Key was already used with a different request")]
    IdempotencyKeyReused,
    /// A unique value already exists (e.g. an organisation name).
    #[error("{0} already exists")]
    Duplicate(&'static str),
    /// The row is still referenced and cannot be deleted (e.g. an organisation by tickets, which
    /// are evidence); the value names what references it.
    #[error("still referenced by {0}: cannot be deleted")]
    InUse(&'static str),
    /// The ticket's personal data was anonymised: nothing is left to hold or export.
    #[error("the ticket's personal data was already anonymised")]
    AlreadyAnonymised,
    /// A stored value could not be read back: a bug or a manual edit of the database.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// Files refused before anything was stored (size, count, type).
    #[error(transparent)]
    Attachment(#[from] crate::attachments::AttachmentRefusal),
    /// The blob store (folder or S3) could not be reached or could not write.
    #[error("{0}")]
    Blob(String),
    /// The database's storage fails or is short of space (see [`crate::Store::ready`]).
    #[error("the database's storage: {0}")]
    Storage(String),
}

impl StoreError {
    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(what.to_string())
    }

    /// Whether the database could not be reached or could not write: no connection within the
    /// acquire timeout, a connection lost, a full disk, an I/O error, a read-only or locked file,
    /// a server shutting down or out of resources. A passing condition of the database (answered
    /// 503 with `Retry-After`), not a bug; nothing was written.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(error) => db_unavailable(error),
            StoreError::Blob(_) | StoreError::Storage(_) => true,
            _ => false,
        }
    }

    /// Whether the database reported damage that a failing disk also produces: SQLite's
    /// `SQLITE_CORRUPT` and `SQLITE_NOTADB` come from reads that returned garbage or nothing, as
    /// well as from a damaged file. Only a look at the storage tells them apart
    /// ([`crate::Store::storage_failure`]): failing, it is an outage (503); working, corruption.
    pub fn may_be_storage_failure(&self) -> bool {
        let StoreError::Database(
            DbErr::Exec(RuntimeErr::SqlxError(error))
            | DbErr::Query(RuntimeErr::SqlxError(error))
            | DbErr::Conn(RuntimeErr::SqlxError(error)),
        ) = self
        else {
            return false;
        };
        let sqlx::Error::Database(error) = error.as_ref() else {
            return false;
        };
        error
            .try_downcast_ref::<sqlx::sqlite::SqliteError>()
            .is_some_and(|error| sqlite_code_may_be_storage(sqlite_code(error)))
    }

    /// Whether the database reported a unique-constraint violation.
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            StoreError::Database(e)
                if matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
        )
    }
}

impl From<serde_json::Error> for StoreError {
    /// serde's messages may quote the value that failed, which can be personal data: keep only
    /// the kind of error and where it is, so that the error can reach a log line.
    fn from(error: serde_json::Error) -> Self {
        StoreError::Corrupt(format!(
            "{:?} error in stored JSON at line {}, column {}",
            error.classify(),
            error.line(),
            error.column()
        ))
    }
}

fn db_unavailable(error: &DbErr) -> bool {
    match error {
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(error)) | DbErr::Query(RuntimeErr::SqlxError(error)) => {
            sqlx_unavailable(error)
        }
        _ => false,
    }
}

fn sqlx_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(error) => {
            if let Some(error) = error.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
                sqlite_code_unavailable(sqlite_code(error))
            } else if let Some(error) = error.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
            {
                postgres_state_unavailable(error.code())
            } else {
                false
            }
        }
        _ => false,
    }
}

/// A SQLite error's extended result code.
fn sqlite_code(error: &sqlx::sqlite::SqliteError) -> i32 {
    error
        .code()
        .and_then(|code| code.parse::<i32>().ok())
        .unwrap_or_default()
}

/// SQLite result codes (primary, the low byte of extended ones) of a database that cannot serve
/// now: BUSY, LOCKED, READONLY, IOERR (every `SQLITE_IOERR_*`), FULL, CANTOPEN.
fn sqlite_code_unavailable(code: i32) -> bool {
    matches!(code & 0xff, 5 | 6 | 8 | 10 | 13 | 14)
}

/// SQLite result codes of damage that a failing disk produces too: CORRUPT, NOTADB.
fn sqlite_code_may_be_storage(code: i32) -> bool {
    matches!(code & 0xff, 11 | 26)
}

/// PostgreSQL SQLSTATEs of a database that cannot serve now: classes 08 connection exception,
/// 53 insufficient resources (disk full, out of memory, too many connections), 57P operator
/// intervention (admin shutdown, crash shutdown, cannot connect now), 58 system error (I/O); and
/// 57014 query canceled (the statement timeout), 55P03 lock not available (a lock timeout), 25P03
/// idle in transaction session timeout: the database was too slow or too busy, not the request
/// wrong.
fn postgres_state_unavailable(state: &str) -> bool {
    state.starts_with("08")
        || state.starts_with("53")
        || state.starts_with("57P")
        || state.starts_with("58")
        || matches!(state, "57014" | "55P03" | "25P03")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_outages_are_unavailable_and_damage_is_not() {
        // SQLITE_IOERR_READ, SQLITE_IOERR_SHMSIZE, SQLITE_FULL, SQLITE_BUSY, SQLITE_CANTOPEN.
        for code in [266, 4874, 13, 5, 14] {
            assert!(sqlite_code_unavailable(code), "{code}");
            assert!(!sqlite_code_may_be_storage(code), "{code}");
        }
        // SQLITE_CORRUPT, SQLITE_CORRUPT_INDEX, SQLITE_NOTADB: an outage only if the storage fails.
        for code in [11, 779, 26] {
            assert!(!sqlite_code_unavailable(code), "{code}");
            assert!(sqlite_code_may_be_storage(code), "{code}");
        }
        // SQLITE_CONSTRAINT_UNIQUE: a bug or a conflict, never an outage.
        assert!(!sqlite_code_unavailable(2067));
        assert!(!sqlite_code_may_be_storage(2067));
    }

    #[test]
    fn postgres_timeouts_are_unavailable() {
        for state in [
            "57014", "55P03", "25P03", "08006", "53100", "57P01", "58030",
        ] {
            assert!(postgres_state_unavailable(state), "{state}");
        }
        for state in ["23505", "40001", "22001", "42P01"] {
            assert!(!postgres_state_unavailable(state), "{state}");
        }
    }
}
