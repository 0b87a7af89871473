//! What a storage failure means to the caller, decided here from the driver's error so that
//! no caller needs to know the driver (`sqlx`) or the database's error codes.

/// A storage failure. The detail is for logs, never for clients.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or is shutting down, or no connection came free in time:
    /// the request may succeed later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database cannot store more data: its disk (or quota) is full. Reads still work, and
    /// writes succeed again once space is freed.
    #[error("database full: {0}")]
    Full(String),
    /// A record with the same unique key exists already.
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// The schema could not be brought up to date when the store was opened.
    #[error("migration: {0}")]
    Migration(String),
    /// Any other failure of the database or the driver.
    #[error("database: {0}")]
    Internal(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Lets the store's code use `?` on the driver's results.
impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        let message = error.to_string();
        match error {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(message),
            sqlx::Error::Database(db) if is_unavailable_code(db.code().as_deref()) => {
                StoreError::Unavailable(message)
            }
            sqlx::Error::Database(db) if is_full_code(db.code().as_deref()) => {
                StoreError::Full(message)
            }
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
                StoreError::Corrupt(message)
            }
            // SQLite's "database is locked" (past the busy timeout) lands here too.
            _ => StoreError::Internal(message),
        }
    }
}

/// PostgreSQL's SQLSTATE class 08 (connection exception) and 57P01–57P03 (shutting down, or
/// not accepting connections yet). SQLite's codes are numbers and never match.
fn is_unavailable_code(code: Option<&str>) -> bool {
    code.is_some_and(|code| code.starts_with("08") || code.starts_with("57P0"))
}

/// SQLite's `SQLITE_FULL` (13) and PostgreSQL's `disk_full` (53100).
fn is_full_code(code: Option<&str>) -> bool {
    matches!(code, Some("13" | "53100"))
}

pub(crate) fn migration_failed(error: sqlx::migrate::MigrateError) -> StoreError {
    match error {
        sqlx::migrate::MigrateError::VersionMissing(version) => {
            crate::maintenance::newer_schema(version)
        }
        other => StoreError::Migration(other.to_string()),
    }
}

/// A unique-key violation becomes [`StoreError::Conflict`] naming `what`; only the operations
/// documented to report conflicts use it, so an unexpected violation stays an internal error.
pub(crate) fn conflict_as(what: &str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
    move |error| match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(what.to_owned())
        }
        _ => StoreError::from(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_or_exhausted_database_is_unavailable() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        for error in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::WorkerCrashed,
            sqlx::Error::Io(refused),
            sqlx::Error::Protocol("unexpected end of stream".into()),
        ] {
            let text = error.to_string();
            let mapped = StoreError::from(error);
            assert!(
                matches!(&mapped, StoreError::Unavailable(message) if *message == text),
                "{text}: {mapped:?}"
            );
        }
    }

    #[test]
    fn postgresql_connection_and_shutdown_codes_are_unavailable() {
        for code in ["08006", "08001", "57P01", "57P02", "57P03"] {
            assert!(is_unavailable_code(Some(code)), "{code}");
        }
        for code in ["23505", "57014", "40001", "5", "2067"] {
            assert!(!is_unavailable_code(Some(code)), "{code}");
        }
        assert!(!is_unavailable_code(None));
    }

    #[test]
    fn a_full_disk_is_recognised_on_both_databases() {
        assert!(is_full_code(Some("13")));
        assert!(is_full_code(Some("53100")));
        for code in [
            None,
            Some("1"),
            Some("5"),
            Some("53200"),
            Some("53300"),
            Some("131"),
        ] {
            assert!(!is_full_code(code), "{code:?}");
        }
    }

    #[test]
    fn undecodable_values_are_corrupt_and_the_rest_internal() {
        let decode = sqlx::Error::Decode("not UTF-8".into());
        assert!(
            matches!(StoreError::from(decode), StoreError::Corrupt(m) if m.contains("not UTF-8"))
        );
        let missing = sqlx::Error::ColumnNotFound("scope".into());
        assert!(
            matches!(StoreError::from(missing), StoreError::Internal(m) if m.contains("scope"))
        );
    }
}
