//! `tessera backup`, `tessera restore` and `tessera migrate`: a consistent copy of a SQLite
//! database while the server runs, its restoration into a new database file, and the schema
//! migrations a database has and would get. PostgreSQL is backed up with its own tools
//! (`pg_dump`; docs/operations.md); the master secret is never in a backup and must be kept
//! beside it.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use tessera_store::maintenance::{
    postgres_schema_status, sqlite_backup, sqlite_restore, sqlite_schema_status, SchemaStatus,
};

use crate::config::Config;

/// `tessera backup FILE`, `tessera restore FILE`, `tessera migrate [--dry-run]`.
#[derive(Debug, Subcommand)]
pub enum Maintenance {
    /// Write a consistent copy of the SQLite database to FILE, while Tessera runs.
    Backup(FileArgs),
    /// Restore a backup as the configured SQLite database (which must not exist yet).
    Restore(FileArgs),
    /// Show the database's schema migrations; apply the pending ones unless --dry-run.
    Migrate(MigrateArgs),
}

#[derive(Debug, Args)]
pub struct FileArgs {
    /// The backup file.
    pub file: PathBuf,
    /// Configuration file (TOML); its `database_url` names the database.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Say what would change, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Configuration file (TOML); its `database_url` names the database.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
}

/// Runs a maintenance command; what to print, or why it failed.
pub async fn run(command: Maintenance) -> Result<String, String> {
    match command {
        Maintenance::Backup(args) => backup(&load(args.config.as_deref())?, &args.file).await,
        Maintenance::Restore(args) => restore(&load(args.config.as_deref())?, &args.file).await,
        Maintenance::Migrate(args) => migrate(&load(args.config.as_deref())?, args.dry_run).await,
    }
}

fn load(path: Option<&Path>) -> Result<Config, String> {
    Config::load(path).map_err(|e| e.to_string())
}

fn is_sqlite(config: &Config) -> bool {
    config.database_url.starts_with("sqlite:")
}

/// Where the master secret is, for the reminder that a backup does not hold it.
fn secret_reminder(config: &Config) -> String {
    let place = match (&config.secret, &config.secret_file) {
        (Some(_), _) => "the `secret` setting (or TESSERA_SECRET)".to_owned(),
        (None, Some(file)) => file.display().to_string(),
        (None, None) => tessera_core::secrets::dev_secret_path(&config.database_url)
            .map(|file| file.display().to_string())
            .unwrap_or_else(|| "the configured secret".to_owned()),
    };
    format!(
        "The master secret is not in the backup: keep {place} with it — signing keys, TOTP \
         secrets and mail passwords cannot be read without it."
    )
}

/// `tessera backup FILE`.
pub async fn backup(config: &Config, file: &Path) -> Result<String, String> {
    if !is_sqlite(config) {
        return Err(
            "`tessera backup` copies SQLite databases: back PostgreSQL up with pg_dump \
             (docs/operations.md, \"Backups\")"
                .to_owned(),
        );
    }
    sqlite_backup(&config.database_url, file)
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "Backed up {} to {}.\n{}",
        config.database_url,
        file.display(),
        secret_reminder(config)
    ))
}

/// `tessera restore FILE`.
pub async fn restore(config: &Config, file: &Path) -> Result<String, String> {
    if !is_sqlite(config) {
        return Err(
            "`tessera restore` restores SQLite backups: restore PostgreSQL with pg_restore or psql"
                .to_owned(),
        );
    }
    let status = sqlite_restore(file, &config.database_url)
        .await
        .map_err(|e| e.to_string())?;
    let pending = if status.pending.is_empty() {
        String::new()
    } else {
        format!(
            " Tessera will apply {} migration(s) when it starts.",
            status.pending.len()
        )
    };
    Ok(format!(
        "Restored {} as {}.{pending}\n{}",
        file.display(),
        config.database_url,
        secret_reminder(config)
    ))
}

/// `tessera migrate [--dry-run]`.
pub async fn migrate(config: &Config, dry_run: bool) -> Result<String, String> {
    let url = config.database_url.as_str();
    let status = schema_status(url).await?;
    if let Some(newer) = status.unknown.first() {
        return Err(format!(
            "the database has schema version {newer}, newer than this Tessera knows: run a newer \
             Tessera, or restore a backup made before the upgrade"
        ));
    }
    let mut report = describe(&status);
    if dry_run || status.pending.is_empty() {
        return Ok(report);
    }
    crate::open_store(config).await.map_err(|e| e.to_string())?;
    report.push_str("\nApplied.");
    Ok(report)
}

async fn schema_status(url: &str) -> Result<SchemaStatus, String> {
    let status = if url.starts_with("sqlite:") {
        sqlite_schema_status(url).await
    } else {
        postgres_schema_status(url).await
    };
    status.map_err(|e| e.to_string())
}

fn describe(status: &SchemaStatus) -> String {
    let current = status
        .applied
        .last()
        .map_or_else(|| "empty".to_owned(), |v| format!("version {v}"));
    if status.pending.is_empty() {
        return format!("The schema is up to date ({current}).");
    }
    let mut lines = vec![format!(
        "The schema is at {current}; {} migration(s) to apply:",
        status.pending.len()
    )];
    for step in &status.pending {
        lines.push(format!("  {:04} {}", step.version, step.description));
    }
    lines.join("\n")
}
