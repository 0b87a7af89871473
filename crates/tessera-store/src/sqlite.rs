//! The SQLite store: an embedded file in WAL mode, the default for a single node. Its queries
//! are the shared ones of `sql_store/`; here are the connection, the migrations and the
//! [`Dialect`].

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, SqlitePool};
use tessera_protocol::token::RefreshGrant;
use tessera_protocol::{SecretDigest, Timestamp};

use crate::error::migration_failed;
use crate::sql::Dialect;
use crate::StoreResult;

// Mounted here, and in `postgres.rs` (hence the allow), rather than at the crate root so that the
// SQL both stores share compiles against this store's driver: see `crate::sql`.
#[allow(clippy::duplicate_mod)]
#[path = "sql_store/mod.rs"]
mod sql_store;
type Backend = SqliteStore;

/// A store on one SQLite database file.
///
/// SQLite has one writer at a time: every statement that writes goes through `pool`, a single
/// connection, so writers queue in the pool instead of failing with `SQLITE_BUSY` and retrying
/// after sleeps; reads on the hot paths use `readers`, which WAL lets run beside the writer.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    readers: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://path`) and migrates it.
    /// WAL with `synchronous=NORMAL`: a power loss may lose the last transactions but never
    /// corrupts the file.
    pub async fn connect(url: &str) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        crate::maintenance::SQLITE_MIGRATIONS
            .run(&pool)
            .await
            .map_err(migration_failed)?;
        relax_user_uniqueness(&pool).await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.create_if_missing(false))
            .await?;
        Ok(SqliteStore { pool, readers })
    }
}

/// Rebuilds `users` without its UNIQUE column constraints (`sqlite_users.sql`), once: the
/// step of migration 0031 that SQLite cannot take inside a migration's transaction.
async fn relax_user_uniqueness(pool: &SqlitePool) -> StoreResult<()> {
    let mut connection = pool.acquire().await?;
    let constraints: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM pragma_index_list('users') WHERE origin = 'u'")
            .fetch_one(&mut *connection)
            .await?;
    if constraints == 0 {
        return Ok(());
    }
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *connection)
        .await?;
    let rebuilt = async {
        let mut transaction = connection.begin().await?;
        sqlx::raw_sql(include_str!("sqlite_users.sql"))
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await
    }
    .await;
    sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut *connection)
        .await?;
    Ok(rebuilt?)
}

/// A successor naming the token it replaces (`rotated_from`, the cue of migration 0010's
/// trigger); `$1`–`$12` as in `sql_store::INSERT_REFRESH`.
const ROTATE_REFRESH: &str =
    "INSERT INTO refresh_tokens (digest, family_id, client_id, user_id, scope, audience, auth_time,
        sid, family_created_at, created_at, last_used_at, expires_at, dpop_jkt, rotated_from)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12, $13)";

/// The message of the trigger's abort: a racing request rotated or revoked the token first.
const ROTATION_LOST: &str = "refresh token already rotated or revoked";

impl Dialect for SqliteStore {
    type Db = sqlx::Sqlite;

    const POSITION: &'static str = "instr";

    const LOG_ROWS_PER_INSERT: usize = 64;

    fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    fn readers(&self) -> &SqlitePool {
        &self.readers
    }

    fn json_path(keys: &[&str]) -> String {
        keys.iter()
            .fold("$".to_owned(), |path, key| format!("{path}.\"{key}\""))
    }

    // `json_each` walks an array's elements, or a scalar itself; its `value` is an SQL value
    // (booleans become 0 and 1), so the JSON text is rebuilt from the element's type.
    fn json_holds(column: &str, path: &str, value: &str) -> String {
        format!(
            "(json_type({column}, {path}) IS NOT 'object' AND EXISTS (SELECT 1 FROM json_each({column}, {path}) AS element
                WHERE (CASE element.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
                    WHEN 'null' THEN 'null' ELSE json_quote(element.value) END) = {value}))"
        )
    }

    // SQLite has one writer at a time, so batches need no row locks.
    fn batch_delete(table: &str, condition: &str, limit: &str) -> String {
        format!(
            "DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} WHERE {condition} LIMIT {limit})"
        )
    }

    /// One statement, not a transaction: each statement is a round trip to the database
    /// thread, and the trigger of migration 0010 marks `old` rotated, or aborts the insert.
    async fn rotate_refresh(
        &self,
        old: &SecretDigest,
        new: &SecretDigest,
        grant: &RefreshGrant,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let inserted = sql_store::bind_refresh(sqlx::query(ROTATE_REFRESH), new, grant, now)
            .bind(old.as_bytes().as_slice())
            .execute(&self.pool)
            .await;
        match inserted {
            Ok(_) => Ok(true),
            Err(sqlx::Error::Database(db)) if db.message() == ROTATION_LOST => Ok(false),
            Err(error) => Err(error.into()),
        }
    }
}
