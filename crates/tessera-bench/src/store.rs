//! The stores a server under test runs on: a SQLite file in the run's temporary directory or a
//! PostgreSQL database (the one given, or a fresh one the suite creates beside it and drops),
//! and how much disk each takes.

use std::path::{Path, PathBuf};

use sqlx::Connection;

/// Where a server keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Store {
    /// A SQLite database file; its write-ahead log and shared memory lie beside it.
    Sqlite(PathBuf),
    /// A PostgreSQL database.
    Postgres {
        url: String,
        /// The database this one was created from, when the suite created it (and so drops
        /// it): the connection used to drop it.
        created_from: Option<String>,
    },
}

impl Store {
    /// The store `--store` names: `sqlite`, a file `bench.db` in `dir`, or a `postgres://` URL
    /// of an empty database.
    pub fn given(store: &str, dir: &Path) -> Store {
        if store == "sqlite" {
            Store::Sqlite(dir.join("bench.db"))
        } else {
            Store::Postgres {
                url: store.to_owned(),
                created_from: None,
            }
        }
    }

    /// The server's `database_url`.
    pub fn url(&self) -> String {
        match self {
            Store::Sqlite(path) => format!("sqlite://{}", path.display()),
            Store::Postgres { url, .. } => url.clone(),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Store::Postgres { .. })
    }

    /// An empty store of the same kind called `name`: a new file in `dir`, or a new database
    /// on the same PostgreSQL server (replacing one of that name a failed run left).
    pub async fn fresh(&self, dir: &Path, name: &str) -> Result<Store, String> {
        match self {
            Store::Sqlite(_) => Ok(Store::Sqlite(dir.join(format!("{name}.db")))),
            Store::Postgres { url, .. } => {
                let (server, database) = split_database(url)?;
                let new_name = format!("{database}_{name}");
                let drop = format!("DROP DATABASE IF EXISTS \"{new_name}\" WITH (FORCE)");
                let create = format!("CREATE DATABASE \"{new_name}\"");
                execute(url, &[&drop, &create]).await?;
                Ok(Store::Postgres {
                    url: format!("{server}/{new_name}"),
                    created_from: Some(url.clone()),
                })
            }
        }
    }

    /// Deletes the store once its server has stopped: a SQLite file (they all lie in the run's
    /// temporary directory), or a PostgreSQL database the suite created (one given to it
    /// stays).
    pub async fn remove(&self) -> Result<(), String> {
        match self {
            Store::Sqlite(path) => {
                for file in sqlite_files(path) {
                    if file.exists() {
                        std::fs::remove_file(&file)
                            .map_err(|e| format!("{}: {e}", file.display()))?;
                    }
                }
                Ok(())
            }
            Store::Postgres {
                created_from: None, ..
            } => Ok(()),
            Store::Postgres {
                url,
                created_from: Some(admin_url),
            } => {
                let (_, database) = split_database(url)?;
                let drop = format!("DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
                execute(admin_url, &[&drop]).await
            }
        }
    }

    /// Whether PostgreSQL's autovacuum is off on the server holding this store: then the space
    /// of deleted rows is never made reusable, and the database grows whatever the server
    /// deletes. SQLite reuses freed pages by itself.
    pub async fn autovacuum_off(&self) -> Result<bool, String> {
        match self {
            Store::Sqlite(_) => Ok(false),
            Store::Postgres { url, .. } => {
                let setting: String = scalar(url, "SHOW autovacuum").await?;
                Ok(setting == "off")
            }
        }
    }

    /// Makes the space of deleted rows reusable, as autovacuum does: a plain `VACUUM`, which
    /// does not block the server's reads and writes (PostgreSQL only; nothing on SQLite).
    pub async fn vacuum(&self) -> Result<(), String> {
        match self {
            Store::Sqlite(_) => Ok(()),
            Store::Postgres { url, .. } => execute(url, &["VACUUM"]).await,
        }
    }

    /// Bytes on disk: SQLite's file with its write-ahead log and shared memory, or what
    /// PostgreSQL reports for the database (tables, indexes, TOAST, free space not yet
    /// reused).
    pub async fn size_bytes(&self) -> Result<u64, String> {
        match self {
            Store::Sqlite(path) => Ok(sqlite_files(path)
                .iter()
                .filter_map(|file| std::fs::metadata(file).ok())
                .map(|metadata| metadata.len())
                .sum()),
            Store::Postgres { url, .. } => {
                let query = "SELECT pg_database_size(current_database())";
                let size: i64 = scalar(url, query).await?;
                u64::try_from(size).map_err(|e| e.to_string())
            }
        }
    }
}

/// Runs `statements` in order on the PostgreSQL database at `url`, each on its own, outside a
/// transaction (as `CREATE DATABASE` and `VACUUM` must run).
async fn execute(url: &str, statements: &[&str]) -> Result<(), String> {
    let mut db = sqlx::PgConnection::connect(url)
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    for &statement in statements {
        sqlx::query(statement)
            .execute(&mut db)
            .await
            .map_err(|e| format!("{statement}: {e}"))?;
    }
    db.close().await.map_err(|e| e.to_string())
}

/// The one value `query` returns from the PostgreSQL database at `url`.
async fn scalar<T>(url: &str, query: &str) -> Result<T, String>
where
    (T,): for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    T: Send + Unpin,
{
    let mut db = sqlx::PgConnection::connect(url)
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let value = sqlx::query_scalar(query)
        .fetch_one(&mut db)
        .await
        .map_err(|e| format!("{query}: {e}"))?;
    db.close().await.map_err(|e| e.to_string())?;
    Ok(value)
}

/// The database file, its write-ahead log and its shared-memory index.
fn sqlite_files(path: &Path) -> [PathBuf; 3] {
    let with_suffix = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [path.to_owned(), with_suffix("-wal"), with_suffix("-shm")]
}

/// A PostgreSQL URL as the server part and the database's name (without a query).
fn split_database(url: &str) -> Result<(&str, &str), String> {
    let (server, rest) = url
        .rsplit_once('/')
        .filter(|(server, _)| server.contains("://"))
        .ok_or_else(|| format!("no database in {url}"))?;
    let database = rest.split('?').next().unwrap_or(rest);
    if database.is_empty() || database.contains('"') {
        return Err(format!("no usable database name in {url}"));
    }
    Ok((server, database))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn a_fresh_postgres_database_is_named_after_the_given_one() {
        assert_eq!(
            split_database("postgres://postgres@127.0.0.1:5432/bench?sslmode=disable").unwrap(),
            ("postgres://postgres@127.0.0.1:5432", "bench")
        );
        assert!(split_database("postgres://postgres@127.0.0.1:5432/").is_err());
        assert!(split_database("bench").is_err());
    }

    #[test]
    fn a_sqlite_store_is_measured_with_its_log_and_shared_memory() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::given("sqlite", dir.path());
        let [db, wal, shm] = sqlite_files(&dir.path().join("bench.db"));
        std::fs::write(db, [0u8; 4096]).unwrap();
        std::fs::write(wal, [0u8; 1000]).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert_eq!(runtime.block_on(store.size_bytes()).unwrap(), 5096);
        assert!(!shm.exists());
        runtime.block_on(store.remove()).unwrap();
        assert_eq!(runtime.block_on(store.size_bytes()).unwrap(), 0);
    }
}
