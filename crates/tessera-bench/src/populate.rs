//! Rows added to a store behind the server's back: a tenant with many users and a long audit
//! log (a server that scanned either at start would show it in the readiness row), and a
//! backlog of expired rows for housekeeping to purge. The rows are written with one
//! `INSERT … SELECT` per table, in the server's own schema (the server created it), so filling
//! a million rows takes seconds, not the length of a run.

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

/// Expired rows of every kind housekeeping purges.
#[derive(Debug, Clone, Copy)]
pub struct Backlog {
    /// Audit log events past the default 30-day retention.
    pub events: i64,
    /// Authorization codes, SSO sessions, pending authorizations and refresh tokens each, all
    /// past their `expires_at`.
    pub each_expired: i64,
    /// Tells this backlog's keys from another's added to the same store.
    pub generation: u32,
}

impl Backlog {
    /// Rows in all.
    pub fn rows(&self) -> i64 {
        self.events + 4 * self.each_expired
    }

    pub fn describe(&self) -> String {
        format!(
            "{} log events 60 days old, {} each of expired codes, sessions, pending \
             authorizations and refresh tokens",
            self.events, self.each_expired
        )
    }
}

/// Sixty days: past the log's default 30-day retention, and long past every expiry.
const BACKLOG_AGE: i64 = 60 * 86_400;

/// The statements in one database's dialect. Each binds `$1` the number of rows; the
/// population's `$2` a password hash (users) or the user count (events) and `$3` now; the
/// backlog's `$2` when its rows were written and `$3` a prefix that keeps their keys unique.
struct Sql {
    users: &'static str,
    /// Into each of the log's tables: the events other than token exchanges, then those.
    events: [&'static str; 2],
    backlog_events: [&'static str; 2],
    /// Codes, sessions, pending authorizations and refresh tokens.
    backlog: [&'static str; 4],
    /// Run after the inserts, outside their transaction.
    after: &'static str,
}

/// A backlog row holds its key, its dates and what its table requires besides: a user of the
/// store where one is referenced (sessions), an empty body where housekeeping never reads it.
const SQLITE: Sql = Sql {
    users: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
    INSERT INTO users (user_id, username, email, name, password_hash, email_verified, blocked,
        created_at, updated_at)
    SELECT 'auth0|bulk' || i, 'bulk' || i, 'bulk' || i || '@example.com', 'Bulk User ' || i,
        $2, 1, 0, $3, $3 FROM n",
    events: [
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
        INSERT INTO log_events (log_id, date, type, description, client_id, client_name, ip,
            user_agent, user_id, user_name, details)
        SELECT printf('bulk%020d', i), $3 - i / 12, CASE i % 3 WHEN 1 THEN 's' ELSE 'fp' END,
            'bulk event', 'bench-web', 'Bench Web', '127.0.0.1', 'tessera-bench',
            'auth0|bulk' || (i % $2 + 1), 'bulk' || (i % $2 + 1), '{}' FROM n WHERE i % 3 <> 0",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
        INSERT INTO exchange_log_events (log_id, date, type, description, client_id,
            client_name, ip, user_agent, user_id, user_name, details)
        SELECT printf('bulk%020d', i), $3 - i / 12, 'seccft', 'bulk event', 'bench-web',
            'Bench Web', '127.0.0.1', 'tessera-bench', 'auth0|bulk' || (i % $2 + 1),
            'bulk' || (i % $2 + 1), '{}' FROM n WHERE i % 3 = 0",
    ],
    backlog_events: [
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
        INSERT INTO log_events (log_id, date, type, description, client_id, client_name, ip,
            user_agent, user_id, user_name, details)
        SELECT $3 || i, $2 - i / 12, 's', 'expired event', 'bench-m2m', 'Bench M2M',
            '127.0.0.1', 'tessera-bench', NULL, NULL, '{}' FROM n WHERE i % 2 = 1",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
        INSERT INTO exchange_log_events (log_id, date, type, description, client_id,
            client_name, ip, user_agent, user_id, user_name, details)
        SELECT $3 || i, $2 - i / 12, 'seccft', 'expired event', 'bench-m2m', 'Bench M2M',
            '127.0.0.1', 'tessera-bench', NULL, NULL, '{}' FROM n WHERE i % 2 = 0",
    ],
    backlog: [
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
        INSERT INTO authorization_codes (digest, grant_data, created_at, expires_at)
        SELECT CAST($3 || i AS BLOB), '{}', $2, $2 + 60 FROM n",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
        INSERT INTO sessions (digest, sid, user_id, auth_time, created_at, expires_at)
        SELECT CAST($3 || i AS BLOB), $3 || i, (SELECT MIN(user_id) FROM users), $2, $2,
            $2 + 3600 FROM n",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
        INSERT INTO pending_authorizations (id, request, browser_digest, created_at, expires_at)
        SELECT $3 || i, '{}', CAST($3 || i AS BLOB), $2, $2 + 900 FROM n",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
        INSERT INTO refresh_tokens (digest, family_id, client_id, user_id, scope, audience,
            auth_time, family_created_at, created_at, last_used_at, expires_at)
        SELECT CAST($3 || i AS BLOB), $3 || i, 'bench-web', 'auth0|expired', 'openid', NULL,
            $2, $2, $2, $2, $2 + 3600 FROM n",
    ],
    // As the server leaves the store when it stops: the write-ahead log folded into the
    // database, so the next start is an ordinary one, not a recovery reading 300 MB of log.
    after: "PRAGMA wal_checkpoint(TRUNCATE)",
};

const POSTGRES: Sql = Sql {
    users: "INSERT INTO users (user_id, username, email, name, password_hash,
        email_verified, blocked, created_at, updated_at)
    SELECT 'auth0|bulk' || i, 'bulk' || i, 'bulk' || i || '@example.com', 'Bulk User ' || i,
        $2, TRUE, FALSE, $3, $3 FROM generate_series(1, $1::BIGINT) AS i",
    events: [
        "INSERT INTO log_events (log_id, date, type, description, client_id, client_name, ip,
            user_agent, user_id, user_name, details)
        SELECT 'bulk' || lpad(i::TEXT, 20, '0'), $3 - i / 12,
            CASE i % 3 WHEN 1 THEN 's' ELSE 'fp' END, 'bulk event', 'bench-web', 'Bench Web',
            '127.0.0.1', 'tessera-bench', 'auth0|bulk' || (i % $2 + 1), 'bulk' || (i % $2 + 1),
            '{}' FROM generate_series(1, $1::BIGINT) AS i WHERE i % 3 <> 0",
        "INSERT INTO exchange_log_events (log_id, date, type, description, client_id,
            client_name, ip, user_agent, user_id, user_name, details)
        SELECT 'bulk' || lpad(i::TEXT, 20, '0'), $3 - i / 12, 'seccft', 'bulk event',
            'bench-web', 'Bench Web', '127.0.0.1', 'tessera-bench', 'auth0|bulk' || (i % $2 + 1),
            'bulk' || (i % $2 + 1), '{}' FROM generate_series(1, $1::BIGINT) AS i WHERE i % 3 = 0",
    ],
    backlog_events: [
        "INSERT INTO log_events (log_id, date, type, description, client_id, client_name, ip,
            user_agent, user_id, user_name, details)
        SELECT $3 || i, $2 - i / 12, 's', 'expired event', 'bench-m2m', 'Bench M2M',
            '127.0.0.1', 'tessera-bench', NULL, NULL, '{}'
        FROM generate_series(1, $1::BIGINT) AS i WHERE i % 2 = 1",
        "INSERT INTO exchange_log_events (log_id, date, type, description, client_id,
            client_name, ip, user_agent, user_id, user_name, details)
        SELECT $3 || i, $2 - i / 12, 'seccft', 'expired event', 'bench-m2m', 'Bench M2M',
            '127.0.0.1', 'tessera-bench', NULL, NULL, '{}'
        FROM generate_series(1, $1::BIGINT) AS i WHERE i % 2 = 0",
    ],
    backlog: [
        "INSERT INTO authorization_codes (digest, grant_data, created_at, expires_at)
        SELECT convert_to($3 || i, 'UTF8'), '{}', $2, $2 + 60
        FROM generate_series(1, $1::BIGINT) AS i",
        "INSERT INTO sessions (digest, sid, user_id, auth_time, created_at, expires_at)
        SELECT convert_to($3 || i, 'UTF8'), $3 || i, (SELECT MIN(user_id) FROM users), $2, $2,
            $2 + 3600 FROM generate_series(1, $1::BIGINT) AS i",
        "INSERT INTO pending_authorizations (id, request, browser_digest, created_at, expires_at)
        SELECT $3 || i, '{}', convert_to($3 || i, 'UTF8'), $2, $2 + 900
        FROM generate_series(1, $1::BIGINT) AS i",
        "INSERT INTO refresh_tokens (digest, family_id, client_id, user_id, scope, audience,
            auth_time, family_created_at, created_at, last_used_at, expires_at)
        SELECT convert_to($3 || i, 'UTF8'), $3 || i, 'bench-web', 'auth0|expired', 'openid',
            NULL, $2, $2, $2, $2, $2 + 3600 FROM generate_series(1, $1::BIGINT) AS i",
    ],
    // Fresh statistics, as a database that grew slowly would have.
    after: "ANALYZE",
};

/// A value bound to a placeholder.
#[derive(Debug, Clone, Copy)]
enum Value<'a> {
    Integer(i64),
    Text(&'a str),
}

/// One statement and the values of its placeholders `$1`, `$2`, … in order.
struct Statement<'a> {
    sql: &'static str,
    values: Vec<Value<'a>>,
}

/// Now, in Unix seconds, as the server dates its rows.
pub fn unix_now() -> Result<i64, String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?;
    i64::try_from(now.as_secs()).map_err(|e| e.to_string())
}

/// Adds `population` to the store at `database_url` (whose schema the server has created),
/// dated up to `now` (Unix seconds), so that none of it is past the log's retention.
pub async fn populate(database_url: &str, population: Population, now: i64) -> Result<(), String> {
    // One real hash for all: every user's row is as long as an imported user's.
    let hash =
        hash_password_in("bulk password", &mut HashMemory::default()).map_err(|e| e.to_string())?;
    let statements = |sql: &Sql| {
        let users = Statement {
            sql: sql.users,
            values: vec![
                Value::Integer(population.users),
                Value::Text(&hash),
                Value::Integer(now),
            ],
        };
        let events = sql.events.map(|events| Statement {
            sql: events,
            values: vec![
                Value::Integer(population.events),
                Value::Integer(population.users.max(1)),
                Value::Integer(now),
            ],
        });
        std::iter::once(users).chain(events).collect()
    };
    execute(database_url, statements).await
}

/// Adds `backlog` to the store at `database_url` (whose schema the server has created): rows
/// written 60 days before `now` (Unix seconds), all expired.
pub async fn add_backlog(database_url: &str, backlog: Backlog, now: i64) -> Result<(), String> {
    let prefix = format!("backlog{}-", backlog.generation);
    let statements = |sql: &Sql| {
        let rows = |sql, rows| Statement {
            sql,
            values: vec![
                Value::Integer(rows),
                Value::Integer(now - BACKLOG_AGE),
                Value::Text(&prefix),
            ],
        };
        let events = sql.backlog_events.map(|sql| rows(sql, backlog.events));
        let expired = sql.backlog.map(|sql| rows(sql, backlog.each_expired));
        events.into_iter().chain(expired).collect()
    };
    execute(database_url, statements).await
}

/// Runs the statements `make` writes in the store's dialect in one transaction, then its
/// [`Sql::after`].
async fn execute<'a>(
    database_url: &str,
    make: impl Fn(&Sql) -> Vec<Statement<'a>>,
) -> Result<(), String> {
    let error = |e: sqlx::Error| format!("populating {database_url}: {e}");
    if database_url.starts_with("sqlite:") {
        let mut db = sqlx::SqliteConnection::connect(database_url)
            .await
            .map_err(error)?;
        in_transaction::<sqlx::Sqlite>(&mut db, &make(&SQLITE))
            .await
            .map_err(error)?;
        db.execute(SQLITE.after).await.map_err(error)?;
        db.close().await.map_err(error)
    } else {
        let mut db = sqlx::PgConnection::connect(database_url)
            .await
            .map_err(error)?;
        in_transaction::<sqlx::Postgres>(&mut db, &make(&POSTGRES))
            .await
            .map_err(error)?;
        db.execute(POSTGRES.after).await.map_err(error)?;
        db.close().await.map_err(error)
    }
}

/// Runs `statements` in one transaction on `db`; they bind the same values on either database.
async fn in_transaction<DB: sqlx::Database>(
    db: &mut DB::Connection,
    statements: &[Statement<'_>],
) -> Result<(), sqlx::Error>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut tx = db.begin().await?;
    for statement in statements {
        let mut query = sqlx::query(statement.sql);
        for value in &statement.values {
            query = match *value {
                Value::Integer(number) => query.bind(number),
                Value::Text(text) => query.bind(text),
            };
        }
        (&mut *tx).execute(query).await?;
    }
    tx.commit().await
}
