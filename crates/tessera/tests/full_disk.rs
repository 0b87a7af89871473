//! A full disk, for real: the database lives on a small tmpfs this test mounts (SQLite's file,
//! or a PostgreSQL tablespace), and the test fills that file system to the last byte. Requests
//! that must write get 503 with `Retry-After`, reads that need no write (JWKS, discovery,
//! userinfo) keep working, `/readyz` says the disk is full, and once space is freed the server
//! serves again by itself, with everything stored before intact (SQLite's integrity check).
//!
//! Mounting needs root (CI runs as root): without it the test fails and says why, never
//! skips. Its own test binary, so that its mounts never meet the other tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::{header, StatusCode};
use serde_json::Value;
use support::*;

/// A size-limited tmpfs mounted for one test, unmounted and removed when dropped.
struct SmallDisk {
    mount_point: PathBuf,
}

impl SmallDisk {
    fn mount(name: &str, mebibytes: u32) -> SmallDisk {
        let mount_point =
            std::env::temp_dir().join(format!("tessera-full-disk-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&mount_point).unwrap();
        let options = format!("size={mebibytes}m,mode=0755");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &options, "tmpfs"])
            .arg(&mount_point)
            .output()
            .expect("the mount command");
        assert!(
            mounted.status.success(),
            "this test mounts a {mebibytes} MiB tmpfs to fill it, which needs root (CI runs as \
             root): {}",
            String::from_utf8_lossy(&mounted.stderr)
        );
        SmallDisk { mount_point }
    }

    fn path(&self) -> &Path {
        &self.mount_point
    }

    fn filler(&self) -> PathBuf {
        self.mount_point.join("filler")
    }

    /// Writes a file until the file system has no byte left.
    fn fill(&self) {
        let mut file = std::fs::File::create(self.filler()).unwrap();
        for chunk in [1 << 20, 1 << 12, 1 << 9, 1] {
            let bytes = vec![0x5Au8; chunk];
            while file.write_all(&bytes).and_then(|()| file.flush()).is_ok() {}
        }
        let left = Command::new("df")
            .args(["--output=avail", "-B1"])
            .arg(&self.mount_point)
            .output()
            .unwrap();
        let available = String::from_utf8_lossy(&left.stdout);
        assert_eq!(
            available.lines().nth(1).map(str::trim),
            Some("0"),
            "the disk is full"
        );
    }

    fn free(&self) {
        std::fs::remove_file(self.filler()).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(&self.mount_point)
            .status();
        let _ = std::fs::remove_dir(&self.mount_point);
    }
}

/// Starts authorizations (each stores one) until one is refused: the database may hold some
/// free pages or WAL space when the disk fills, so the first few can still succeed.
async fn a_refused_write(server: &TestServer) -> reqwest::Response {
    for stored in 0..5_000 {
        let response = http().get(server.authorize_url(&[])).send().await.unwrap();
        match response.status() {
            StatusCode::SERVICE_UNAVAILABLE => {
                eprintln!("refused after {stored} authorizations stored on the full disk");
                return response;
            }
            status => assert!(
                status.is_redirection(),
                "an authorization is stored and the browser sent on, or refused: {status}"
            ),
        }
    }
    panic!("5,000 authorizations were stored on a full disk")
}

async fn status_of(server: &TestServer, path: &str, bearer: Option<&str>) -> StatusCode {
    let mut request = http().get(server.url(path));
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().status()
}

/// The scenario both databases go through: tokens before, a full disk, space freed.
async fn survives_a_full_disk(server: &TestServer, disk: &SmallDisk) {
    let before = server
        .tokens(&[("scope", "openid offline_access appointments")])
        .await;
    let access = before["access_token"].as_str().unwrap();
    let refresh = before["refresh_token"].as_str().unwrap();

    disk.fill();

    let refused = a_refused_write(server).await;
    assert!(
        refused.headers().contains_key(header::RETRY_AFTER),
        "{:?}",
        refused.headers()
    );
    let ready = http().get(server.url("readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready.headers().contains_key(header::RETRY_AFTER));
    let why: Value = ready.json().await.unwrap();
    assert!(
        why["error"].as_str().unwrap().contains("disk is full"),
        "{why}"
    );
    for path in [".well-known/jwks.json", ".well-known/openid-configuration"] {
        assert_eq!(
            status_of(server, path, None).await,
            StatusCode::OK,
            "{path}"
        );
    }
    assert_eq!(
        status_of(server, "userinfo", Some(access)).await,
        StatusCode::OK,
        "userinfo reads only"
    );
    let refreshed = server.refresh(refresh).await.status();
    assert!(
        matches!(refreshed, StatusCode::OK | StatusCode::SERVICE_UNAVAILABLE),
        "a refresh on a full disk is served or refused for now, never a 500: {refreshed}"
    );

    disk.free();

    assert_eq!(
        status_of(server, "readyz", None).await,
        StatusCode::OK,
        "ready again at once"
    );
    let after = server
        .tokens(&[("scope", "openid offline_access appointments")])
        .await;
    assert!(after["access_token"].is_string());
    let refreshed = server.refresh(refresh).await;
    assert_eq!(
        refreshed.status(),
        StatusCode::OK,
        "the refresh token stored before the disk filled still works"
    );
    assert_eq!(
        status_of(server, "userinfo", Some(access)).await,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_on_a_full_disk_refuses_writes_keeps_reading_and_recovers_intact() {
    let disk = SmallDisk::mount("sqlite", 24);
    let database = disk.path().join("tessera.db");
    let url = format!("sqlite://{}", database.display());
    let server = TestServer::start_with(|config| config.database_url = url.clone()).await;

    survives_a_full_disk(&server, &disk).await;

    server.stop().await;
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(verdict, "ok");
}

/// A PostgreSQL database whose tablespace is on `disk`; dropped with it.
struct SmallDatabase {
    name: String,
}

fn psql(sql: &str) -> std::process::Output {
    psql_on("test", sql)
}

fn psql_on(database: &str, sql: &str) -> std::process::Output {
    Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
        ])
        .args(["-d", database, "-c", sql])
        .output()
        .expect("psql")
}

impl SmallDatabase {
    fn create(disk: &SmallDisk) -> SmallDatabase {
        let name = format!("tessera_full_disk_{}", std::process::id());
        let location = disk.path().join("pg");
        std::fs::create_dir(&location).unwrap();
        let owned = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&location)
            .status()
            .unwrap();
        assert!(
            owned.success(),
            "the tablespace directory belongs to postgres"
        );
        for sql in [
            format!("CREATE TABLESPACE {name} LOCATION '{}'", location.display()),
            format!("CREATE DATABASE {name} TABLESPACE {name}"),
        ] {
            let done = psql(&sql);
            assert!(
                done.status.success(),
                "{sql}: {}",
                String::from_utf8_lossy(&done.stderr)
            );
        }
        SmallDatabase { name }
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.name)
    }
}

impl Drop for SmallDatabase {
    fn drop(&mut self) {
        let _ = psql(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
        let _ = psql(&format!("DROP TABLESPACE IF EXISTS {}", self.name));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_on_a_full_disk_refuses_writes_keeps_reading_and_recovers_intact() {
    let disk = SmallDisk::mount("postgres", 48);
    let database = SmallDatabase::create(&disk);
    let server = TestServer::start_with(|config| {
        config.database_url = database.url();
        config.secret = Some("full-disk-test-master-secret-0123456789abcdef".into());
    })
    .await;

    survives_a_full_disk(&server, &disk).await;

    server.stop().await;
    // amcheck (PostgreSQL's contrib) verifies every B-tree index against its table.
    let checked = psql_on(
        &database.name,
        "CREATE EXTENSION IF NOT EXISTS amcheck;
         SELECT count(bt_index_check(c.oid, true)) FROM pg_index i
         JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
         WHERE a.amname = 'btree' AND c.relpersistence = 'p'",
    );
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    let indexes: u32 = String::from_utf8_lossy(&checked.stdout)
        .lines()
        .last()
        .unwrap()
        .parse()
        .unwrap();
    assert!(indexes > 10, "every index checked: {indexes}");
}
