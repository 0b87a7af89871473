//! Backups, restores and schema upgrades: `tessera backup` copies a SQLite database while it
//! serves and `tessera restore` brings it back, with every token answered before the backup
//! still working; `tessera migrate --dry-run` says what would change; a database from every
//! earlier schema version upgrades; one from a newer Tessera is refused with a clear message.
//! The schema tests run on SQLite and PostgreSQL; PostgreSQL's backups are `pg_dump`'s, tested
//! the same way.

use std::path::Path;

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::migrate::Migrator;
use tessera::maintenance::{backup, migrate, restore};

use crate::support::process::free_port;
use crate::support::*;

const OFFLINE: &[(&str, &str)] = &[("scope", "openid profile email appointments offline_access")];

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("tessera.db").display())
}

/// An issuer on a port of its own, so that a server restored elsewhere can keep it.
fn fixed_issuer() -> (String, impl FnOnce(&mut tessera::config::Config)) {
    let port = free_port();
    let issuer = format!("http://127.0.0.1:{port}/");
    let named = issuer.clone();
    let fix = move |config: &mut tessera::config::Config| {
        config.listen = ([127, 0, 0, 1], port).into();
        config.issuer = Some(named);
    };
    (issuer, fix)
}

/// Three sign-ins with offline access: the tokens a backup must keep.
async fn sign_ins(server: &TestServer) -> Vec<Value> {
    let mut before = Vec::new();
    for _ in 0..3 {
        before.push(server.tokens(OFFLINE).await);
    }
    before
}

/// Refreshes go on while a backup is taken; how many were answered.
fn refresh_load(server: &TestServer, refresh_token: &str) -> tokio::task::JoinHandle<usize> {
    let url = server.url("oauth/token");
    let refresh = refresh_token.to_owned();
    tokio::spawn(async move {
        let mut answered = 0;
        for _ in 0..40 {
            let answer = http()
                .post(&url)
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("client_id", CLIENT_ID),
                    ("client_secret", CLIENT_SECRET),
                    ("refresh_token", refresh.as_str()),
                ])
                .send()
                .await
                .unwrap();
            answered += usize::from(answer.status() == StatusCode::OK);
        }
        answered
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_taken_under_load_restores_every_token_answered_before_it() {
    let (issuer, fixed) = fixed_issuer();
    let server = TestServer::start_with(fixed).await;
    let before = sign_ins(&server).await;

    let load = refresh_load(&server, before[0]["refresh_token"].as_str().unwrap());
    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("tessera.backup");
    let report = backup(&server.config, &file).await.unwrap();
    assert!(
        report.contains("The master secret is not in the backup"),
        "{report}"
    );
    assert!(
        load.await.unwrap() > 0,
        "the server answered during the backup"
    );
    let again = backup(&server.config, &file).await.unwrap_err();
    assert!(again.contains("exists already"), "{again}");

    // A new directory: the backup restored, the master secret kept beside it (as the report
    // says to), and a server on them with the same issuer.
    let (old_dir, config) = server.stop().await;
    let restored = tempfile::tempdir().unwrap();
    let mut restored_config = config.clone();
    restored_config.database_url = sqlite_url(restored.path());
    std::fs::copy(
        old_dir.path().join("tessera.db.secret"),
        restored.path().join("tessera.db.secret"),
    )
    .unwrap();
    let report = restore(&restored_config, &file).await.unwrap();
    assert!(report.starts_with("Restored"), "{report}");
    let twice = restore(&restored_config, &file).await.unwrap_err();
    assert!(twice.contains("exists already"), "{twice}");
    let server = TestServer::start_in(restored, restored_config).await;
    assert_eq!(server.issuer, issuer);
    every_token_still_works(&server, &before[1..]).await;
}

/// The access tokens are accepted and the refresh tokens refresh, under the same issuer (the
/// first sign-in's refresh token was used by the load, so callers leave it out).
async fn every_token_still_works(server: &TestServer, before: &[Value]) {
    for tokens in before {
        let access = tokens["access_token"].as_str().unwrap();
        let userinfo = http()
            .get(server.url("userinfo"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap();
        assert_eq!(
            userinfo.status(),
            StatusCode::OK,
            "the access token still works"
        );
        let refreshed = server
            .refresh(tokens["refresh_token"].as_str().unwrap())
            .await;
        assert_eq!(refreshed.status(), StatusCode::OK);
        let refreshed: Value = refreshed.json().await.unwrap();
        assert_eq!(
            jwt_claims(refreshed["id_token"].as_str().unwrap())["iss"],
            server.issuer
        );
    }
}

/// PostgreSQL's backup is pg_dump's (docs/operations.md): taken under the same load, restored
/// into a new database with pg_restore, with the master secret kept apart.
#[tokio::test(flavor = "multi_thread")]
async fn a_pg_dump_taken_under_load_restores_every_token_answered_before_it_on_postgres() {
    let (issuer, fixed) = fixed_issuer();
    let server = TestServer::start_on_postgres(fixed).await;
    let before = sign_ins(&server).await;
    let load = refresh_load(&server, before[0]["refresh_token"].as_str().unwrap());
    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("tessera.dump");
    let dump = {
        let (file, url) = (file.clone(), server.config.database_url.clone());
        tokio::task::spawn_blocking(move || {
            std::process::Command::new("pg_dump")
                .args(["--format=custom", "--no-owner", "--file"])
                .arg(&file)
                .arg(&url)
                .output()
                .expect("pg_dump (PostgreSQL's client tools) runs")
        })
    };
    let dumped = dump.await.unwrap();
    assert!(dumped.status.success(), "{dumped:?}");
    assert!(
        load.await.unwrap() > 0,
        "the server answered during the dump"
    );
    // The server and its database go (stop drops it); a new database gets the dump.
    let (_, config) = server.stop().await;
    let database = crate::support::cluster::Database::create().await;
    let restored = std::process::Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error", "--dbname"])
        .arg(&database.url)
        .arg(&file)
        .output()
        .unwrap();
    assert!(restored.status.success(), "{restored:?}");
    let mut restored_config = config.clone();
    restored_config.database_url = database.url.clone();
    let server = TestServer::start_in(tempfile::tempdir().unwrap(), restored_config).await;
    assert_eq!(server.issuer, issuer);
    every_token_still_works(&server, &before[1..]).await;
    server.stop().await;
}

/// The two stores, each test run on both.
#[derive(Debug, Clone, Copy)]
enum Engine {
    Sqlite,
    Postgres,
}

/// A new, empty database, removed with this value.
struct Fresh {
    url: String,
    _dir: tempfile::TempDir,
    _postgres: Option<crate::support::cluster::Database>,
}

impl Engine {
    fn migrations_dir(self) -> std::path::PathBuf {
        let name = match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        };
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../tessera-store/migrations/{name}"))
    }

    /// This build's migrations, read from their directory.
    async fn migrations(self) -> Migrator {
        Migrator::new(self.migrations_dir()).await.unwrap()
    }

    /// The first `count` of them: a database as an older Tessera left it.
    async fn older(self, count: usize) -> Migrator {
        let mut older = self.migrations().await;
        older.migrations = older.migrations[..count].to_vec().into();
        older
    }

    async fn fresh(self) -> Fresh {
        let dir = tempfile::tempdir().unwrap();
        match self {
            Engine::Sqlite => Fresh {
                url: sqlite_url(dir.path()),
                _dir: dir,
                _postgres: None,
            },
            Engine::Postgres => {
                let database = crate::support::cluster::Database::create().await;
                Fresh {
                    url: database.url.clone(),
                    _dir: dir,
                    _postgres: Some(database),
                }
            }
        }
    }

    /// Runs `sql` (or `migrator`) on the database at `url`.
    async fn run(self, url: &str, migrator: Option<&Migrator>, sql: Option<&str>) {
        match self {
            Engine::Sqlite => {
                let options = url
                    .parse::<sqlx::sqlite::SqliteConnectOptions>()
                    .unwrap()
                    .create_if_missing(true);
                let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
                if let Some(migrator) = migrator {
                    migrator.run(&pool).await.unwrap();
                }
                if let Some(sql) = sql {
                    sqlx::raw_sql(sql).execute(&pool).await.unwrap();
                }
                pool.close().await;
            }
            Engine::Postgres => {
                let pool = sqlx::PgPool::connect(url).await.unwrap();
                if let Some(migrator) = migrator {
                    migrator.run(&pool).await.unwrap();
                }
                if let Some(sql) = sql {
                    sqlx::raw_sql(sql).execute(&pool).await.unwrap();
                }
                pool.close().await;
            }
        }
    }
}

async fn every_earlier_schema_upgrades(engine: Engine) {
    let every = engine.migrations().await.migrations.len();
    assert!(every > 20, "{every} migrations");
    for count in 1..every {
        let fresh = engine.fresh().await;
        engine
            .run(&fresh.url, Some(&engine.older(count).await), None)
            .await;
        let mut config = seed_config();
        config.database_url = fresh.url.clone();
        let dry = migrate(&config, true).await.unwrap();
        assert!(
            dry.contains(&format!("{} migration(s) to apply", every - count)),
            "{dry}"
        );
        assert_eq!(
            migrate(&config, true).await.unwrap(),
            dry,
            "a dry run changes nothing"
        );
        let applied = migrate(&config, false).await.unwrap();
        assert!(applied.ends_with("Applied."), "{applied}");
        assert!(
            migrate(&config, true)
                .await
                .unwrap()
                .starts_with("The schema is up to date"),
            "from version {count}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_of_every_earlier_schema_upgrades_and_migrate_says_what_it_would_do() {
    every_earlier_schema_upgrades(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_of_every_earlier_schema_upgrades_and_migrate_says_what_it_would_do_on_postgres()
{
    every_earlier_schema_upgrades(Engine::Postgres).await;
}

async fn a_newer_schema_is_refused(engine: Engine) {
    let fresh = engine.fresh().await;
    engine
        .run(&fresh.url, Some(&engine.migrations().await), None)
        .await;
    let future = "INSERT INTO _sqlx_migrations (version, description, installed_on, success, \
                  checksum, execution_time) VALUES (99999, 'from the future', CURRENT_TIMESTAMP, \
                  TRUE, x'00', 0)";
    let future = match engine {
        Engine::Sqlite => future.to_owned(),
        Engine::Postgres => future.replace("x'00'", "'\\x00'::bytea"),
    };
    engine.run(&fresh.url, None, Some(&future)).await;
    let mut config = seed_config();
    config.database_url = fresh.url.clone();
    config.secret = Some(POSTGRES_SECRET.into());
    let refused = tessera::open_store(&config)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(
        refused.contains("schema version 99999") && refused.contains("newer Tessera"),
        "{refused}"
    );
    let dry = migrate(&config, true).await.unwrap_err();
    assert!(dry.contains("newer than this Tessera knows"), "{dry}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_upgraded_by_a_newer_tessera_is_refused_with_a_clear_message() {
    a_newer_schema_is_refused(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_upgraded_by_a_newer_tessera_is_refused_with_a_clear_message_on_postgres() {
    a_newer_schema_is_refused(Engine::Postgres).await;
}
