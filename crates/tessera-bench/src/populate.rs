//! A populated store, to measure readiness where it matters: a tenant with many users and a
//! long audit log. A server that scanned either at start would show it in the readiness row.
//! The rows are written with one `INSERT … SELECT` per table, in the server's own schema (the
//! server created it), so filling a million rows takes seconds, not the length of a run.

use sqlx::{Connection, Executor};
use tessera_core::crypto::{hash_password_in, HashMemory};

/// How many rows to add.
#[derive(Debug, Clone, Copy)]
pub struct Population {
    pub users: i64,
    pub events: i64,
}

impl Population {
    pub fn describe(&self) -> String {
        format!("{} users, {} log events", self.users, self.events)
    }
}

const SQLITE_USERS: &str =
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
    INSERT INTO users (user_id, username, email, name, password_hash, email_verified, blocked,
        created_at, updated_at)
    SELECT 'auth0|bulk' || i, 'bulk' || i, 'bulk' || i || '@example.com', 'Bulk User ' || i,
        $2, 1, 0, $3, $3 FROM n";

const SQLITE_EVENTS: &str =
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
    INSERT INTO log_events (log_id, date, type, description, client_id, client_name, ip,
        user_agent, user_id, user_name, details)
    SELECT printf('bulk%020d', i), $3 - i / 12,
        CASE i % 3 WHEN 0 THEN 'seccft' WHEN 1 THEN 's' ELSE 'fp' END, 'bulk event',
        'bench-web', 'Bench Web', '127.0.0.1', 'tessera-bench', 'auth0|bulk' || (i % $2 + 1),
        'bulk' || (i % $2 + 1), '{}' FROM n";

const POSTGRES_USERS: &str = "INSERT INTO users (user_id, username, email, name, password_hash,
        email_verified, blocked, created_at, updated_at)
    SELECT 'auth0|bulk' || i, 'bulk' || i, 'bulk' || i || '@example.com', 'Bulk User ' || i,
        $2, TRUE, FALSE, $3, $3 FROM generate_series(1, $1::BIGINT) AS i";

const POSTGRES_EVENTS: &str = "INSERT INTO log_events (log_id, date, type, description,
        client_id, client_name, ip, user_agent, user_id, user_name, details)
    SELECT 'bulk' || lpad(i::TEXT, 20, '0'), $3 - i / 12,
        CASE i % 3 WHEN 0 THEN 'seccft' WHEN 1 THEN 's' ELSE 'fp' END, 'bulk event',
        'bench-web', 'Bench Web', '127.0.0.1', 'tessera-bench', 'auth0|bulk' || (i % $2 + 1),
        'bulk' || (i % $2 + 1), '{}' FROM generate_series(1, $1::BIGINT) AS i";

/// Adds `population` to the store at `database_url` (whose schema the server has created),
/// dated up to `now` (Unix seconds), so that none of it is past the log's retention.
pub async fn populate(database_url: &str, population: Population, now: i64) -> Result<(), String> {
    let error = |e: sqlx::Error| format!("populating {database_url}: {e}");
    // One real hash for all: every user's row is as long as an imported user's.
    let hash =
        hash_password_in("bulk password", &mut HashMemory::default()).map_err(|e| e.to_string())?;
    let rows = Rows {
        population,
        hash: &hash,
        now,
    };
    if database_url.starts_with("sqlite:") {
        let mut db = sqlx::SqliteConnection::connect(database_url)
            .await
            .map_err(error)?;
        rows.insert::<sqlx::Sqlite>(&mut db, [SQLITE_USERS, SQLITE_EVENTS])
            .await
            .map_err(error)?;
        // As the server leaves the store when it stops: the write-ahead log folded into the
        // database, so the next start is an ordinary one, not a recovery reading 300 MB of log.
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            .await
            .map_err(error)?;
        db.close().await.map_err(error)
    } else {
        let mut db = sqlx::PgConnection::connect(database_url)
            .await
            .map_err(error)?;
        rows.insert::<sqlx::Postgres>(&mut db, [POSTGRES_USERS, POSTGRES_EVENTS])
            .await
            .map_err(error)?;
        db.execute("ANALYZE").await.map_err(error)?;
        db.close().await.map_err(error)
    }
}

/// What the two statements insert; they bind the same values on either database.
struct Rows<'a> {
    population: Population,
    hash: &'a str,
    now: i64,
}

impl Rows<'_> {
    /// Runs `[users, events]` in one transaction on `db`.
    async fn insert<DB: sqlx::Database>(
        &self,
        db: &mut DB::Connection,
        [users, events]: [&str; 2],
    ) -> Result<(), sqlx::Error>
    where
        for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
        for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
        i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    {
        let mut tx = db.begin().await?;
        let users = sqlx::query(users)
            .bind(self.population.users)
            .bind(self.hash)
            .bind(self.now);
        (&mut *tx).execute(users).await?;
        let events = sqlx::query(events)
            .bind(self.population.events)
            .bind(self.population.users.max(1))
            .bind(self.now);
        (&mut *tx).execute(events).await?;
        tx.commit().await
    }
}
