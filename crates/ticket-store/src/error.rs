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
    /// A stored value could not be read back: a bug or a manual edit of the database.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
}

impl StoreError {
    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(what.to_string())
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
