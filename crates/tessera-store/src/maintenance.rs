//! Keeping a database safe across time: consistent backups of a SQLite database while it
//! serves, and their restoration; which schema versions a database has and which this build
//! would apply (`tessera migrate --dry-run`). A database migrated by a newer build is refused
//! when opened, with a message saying so (see [`crate::error`]).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::Row;

use crate::{StoreError, StoreResult};

pub(crate) static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
pub(crate) static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// A migration this build knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStep {
    pub version: i64,
    pub description: String,
}

/// Where a database's schema stands against this build's migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    /// Applied, in order.
    pub applied: Vec<i64>,
    /// What opening the store would apply, in order.
    pub pending: Vec<SchemaStep>,
    /// Applied by a newer build: this one refuses the database.
    pub unknown: Vec<i64>,
}

impl SchemaStatus {
    fn of(migrator: &Migrator, applied: Vec<i64>) -> SchemaStatus {
        let known: Vec<i64> = migrator.iter().map(|m| m.version).collect();
        SchemaStatus {
            pending: migrator
                .iter()
                .filter(|m| !applied.contains(&m.version))
                .map(|m| SchemaStep {
                    version: m.version,
                    description: m.description.to_string(),
                })
                .collect(),
            unknown: applied
                .iter()
                .copied()
                .filter(|v| !known.contains(v))
                .collect(),
            applied,
        }
    }
}

/// The versions applied to the database behind `pool` (none before the first migration).
async fn applied<'c, E>(executor: E, table_exists: &'c str) -> StoreResult<Vec<i64>>
where
    E: sqlx::Executor<'c> + Copy,
    <E::Database as sqlx::Database>::Arguments<'c>: sqlx::IntoArguments<'c, E::Database>,
    for<'r> i64: sqlx::Decode<'r, E::Database> + sqlx::Type<E::Database>,
    for<'r> bool: sqlx::Decode<'r, E::Database> + sqlx::Type<E::Database>,
    usize: sqlx::ColumnIndex<<E::Database as sqlx::Database>::Row>,
{
    let exists: bool = sqlx::query(table_exists)
        .fetch_one(executor)
        .await?
        .try_get(0)?;
    if !exists {
        return Ok(Vec::new());
    }
    let rows = sqlx::query("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
        .fetch_all(executor)
        .await?;
    rows.iter()
        .map(|row| row.try_get::<i64, _>(0).map_err(StoreError::from))
        .collect()
}

/// The schema status of the SQLite database at `url`, read without changing it.
pub async fn sqlite_schema_status(url: &str) -> StoreResult<SchemaStatus> {
    let options = SqliteConnectOptions::from_str(url)?.read_only(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    let exists = "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')";
    let status = SchemaStatus::of(&SQLITE_MIGRATIONS, applied(&pool, exists).await?);
    pool.close().await;
    Ok(status)
}

/// The schema status of the PostgreSQL database at `url`, read without changing it.
pub async fn postgres_schema_status(url: &str) -> StoreResult<SchemaStatus> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await?;
    let exists = "SELECT to_regclass('_sqlx_migrations') IS NOT NULL";
    let status = SchemaStatus::of(&POSTGRES_MIGRATIONS, applied(&pool, exists).await?);
    pool.close().await;
    Ok(status)
}

/// The file a `sqlite://PATH` URL names.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or(path);
    (!path.is_empty() && !path.contains(":memory:")).then(|| PathBuf::from(path))
}

/// Writes a consistent copy of the SQLite database at `url` to `target` while it serves:
/// `VACUUM INTO` reads it in one transaction (writers go on beside it under WAL) and writes a
/// compact file. `target` must not exist.
pub async fn sqlite_backup(url: &str, target: &Path) -> StoreResult<()> {
    if target.exists() {
        return Err(StoreError::Conflict(format!(
            "{} exists already: a backup never overwrites a file",
            target.display()
        )));
    }
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(false)
        .busy_timeout(std::time::Duration::from_secs(30));
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    let target = target
        .to_str()
        .ok_or_else(|| StoreError::Internal("the backup's path is not UTF-8".into()))?;
    let done = sqlx::query("VACUUM INTO ?1")
        .bind(target)
        .execute(&pool)
        .await;
    pool.close().await;
    done?;
    Ok(())
}

/// Restores the backup `backup` as the SQLite database at `url`, which must not exist: the
/// backup must pass SQLite's integrity check and have a schema this build knows (older ones are
/// migrated when the store opens).
pub async fn sqlite_restore(backup: &Path, url: &str) -> StoreResult<SchemaStatus> {
    let target = sqlite_path(url)
        .ok_or_else(|| StoreError::Internal(format!("`{url}` names no database file")))?;
    if target.exists() {
        return Err(StoreError::Conflict(format!(
            "{} exists already: restore into a new database file (move the old one away first)",
            target.display()
        )));
    }
    let backup_url = format!("sqlite://{}", backup.display());
    let options = SqliteConnectOptions::from_str(&backup_url)?.read_only(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    let integrity: String = sqlx::query("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await?
        .try_get(0)?;
    pool.close().await;
    if integrity != "ok" {
        return Err(StoreError::Corrupt(format!(
            "{} fails SQLite's integrity check: {integrity}",
            backup.display()
        )));
    }
    let status = sqlite_schema_status(&backup_url).await?;
    if status.applied.is_empty() {
        return Err(StoreError::Corrupt(format!(
            "{} is not a Tessera database",
            backup.display()
        )));
    }
    if let Some(newer) = status.unknown.first() {
        return Err(newer_schema(*newer));
    }
    std::fs::copy(backup, &target)
        .map_err(|e| StoreError::Internal(format!("copying to {}: {e}", target.display())))?;
    Ok(status)
}

/// A database migrated by a newer build than this one.
pub(crate) fn newer_schema(version: i64) -> StoreError {
    StoreError::Migration(format!(
        "the database has schema version {version}, which this Tessera does not know: a newer \
         Tessera upgraded it. Run that version (or a newer one), or restore a backup made before \
         the upgrade"
    ))
}
