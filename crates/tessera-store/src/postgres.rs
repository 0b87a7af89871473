//! The PostgreSQL store: shared by many stateless server nodes. Its queries are the ones the
//! SQLite store runs too (`sql_store/`; one contract test suite runs against both); here are
//! the connection, the migrations and the [`Dialect`].

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use tessera_protocol::token::RefreshGrant;
use tessera_protocol::{SecretDigest, Timestamp};

use crate::error::migration_failed;
use crate::sql::Dialect;
use crate::StoreResult;

// Mounted here, and in `sqlite.rs` (hence the allow), rather than at the crate root so that the
// SQL both stores share compiles against this store's driver: see `crate::sql`.
#[allow(clippy::duplicate_mod)]
#[path = "sql_store/mod.rs"]
mod sql_store;
type Backend = PostgresStore;

/// A store on a PostgreSQL database, shared by every node.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://…`) with a pool of `max_connections`, and migrates. The
    /// migrator holds a PostgreSQL advisory lock, so nodes starting at once migrate one at a
    /// time.
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<PostgresStore> {
        let options = PgConnectOptions::from_str(url)?;
        Self::connect_with(options, max_connections).await
    }

    /// As [`PostgresStore::connect`], with options built by the caller (e.g. a test schema).
    pub async fn connect_with(
        options: PgConnectOptions,
        max_connections: u32,
    ) -> StoreResult<PostgresStore> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        crate::maintenance::POSTGRES_MIGRATIONS
            .run(&pool)
            .await
            .map_err(migration_failed)?;
        Ok(PostgresStore { pool })
    }
}

impl Dialect for PostgresStore {
    type Db = sqlx::Postgres;

    const POSITION: &'static str = "strpos";

    const LOG_ROWS_PER_INSERT: usize = 256;

    fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn readers(&self) -> &PgPool {
        &self.pool
    }

    fn json_path(keys: &[&str]) -> String {
        format!("{{{}}}", keys.join(","))
    }

    // jsonb containment: an array contains a scalar it has among its elements.
    fn json_holds(column: &str, path: &str, value: &str) -> String {
        format!(
            "COALESCE(jsonb_typeof(CAST({column} AS jsonb) #> CAST({path} AS text[])) <> 'object'
                AND (CAST({column} AS jsonb) #> CAST({path} AS text[])) @> CAST({value} AS jsonb), FALSE)"
        )
    }

    // `FOR UPDATE SKIP LOCKED`: nodes purging at the same time take different rows.
    fn batch_delete(table: &str, condition: &str, limit: &str) -> String {
        format!(
            "DELETE FROM {table} WHERE ctid IN (SELECT ctid FROM {table} WHERE {condition} LIMIT {limit} FOR UPDATE SKIP LOCKED)"
        )
    }

    async fn rotate_refresh(
        &self,
        old: &SecretDigest,
        new: &SecretDigest,
        grant: &RefreshGrant,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let marked = sqlx::query(
            "UPDATE refresh_tokens SET rotated_at = $2, last_used_at = $2, expires_at = $3
             WHERE digest = $1 AND rotated_at IS NULL AND revoked_at IS NULL",
        )
        .bind(old.as_bytes().as_slice())
        .bind(now.0)
        .bind(grant.expires_at.map(|at| at.0))
        .execute(&mut *tx)
        .await?;
        if marked.rows_affected() != 1 {
            return Ok(false);
        }
        sql_store::bind_refresh(sqlx::query(sql_store::INSERT_REFRESH), new, grant, now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}
