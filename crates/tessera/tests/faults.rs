//! Faults: a node killed with `kill -9` under load (on PostgreSQL and on SQLite), and
//! PostgreSQL stopped under load. Nothing answered is lost, no code works twice, the SQLite file
//! stays intact, and an outage is a 503 with `Retry-After`, never a hang or a panic. These tests stop the machine's PostgreSQL, so they live in their own test
//! binary (cargo runs test binaries one at a time).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::Value;
use support::cluster::{Cluster, Node};

/// The tests here stop PostgreSQL or kill nodes: one at a time.
static SERIAL: std::sync::LazyLock<tokio::sync::Mutex<()>> =
    std::sync::LazyLock::new(|| tokio::sync::Mutex::new(()));

/// Client-credentials requests against `node` until `stop`, counting successes and failures.
fn load(
    node: Arc<support::cluster::Node>,
    stop: Arc<AtomicBool>,
    ok: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while !stop.load(Ordering::Relaxed) {
            // A refused or cut connection (the node was killed) counts as a failure.
            match node.try_client_credentials().await {
                Some(StatusCode::OK) => ok.fetch_add(1, Ordering::Relaxed),
                _ => failed.fetch_add(1, Ordering::Relaxed),
            };
        }
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_killed_under_load_loses_nothing_and_the_other_keeps_serving() {
    let _serial = SERIAL.lock().await;
    let cluster = Cluster::start(2).await;
    let (a, b) = (Arc::clone(&cluster.nodes[0]), Arc::clone(&cluster.nodes[1]));
    // Issued before the crash: a redeemed code and its tokens.
    let code = cluster
        .code_with_scope("openid offline_access appointments")
        .await;
    let (status, tokens) = a.redeem(&code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let access = tokens["access_token"].as_str().unwrap().to_owned();

    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let on_b = load(
        Arc::clone(&b),
        Arc::clone(&stop),
        Arc::clone(&ok),
        Arc::clone(&failed),
    );
    let on_a = load(
        Arc::clone(&a),
        Arc::clone(&stop),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    // Real time on purpose: requests are in flight on both nodes when A dies, and B keeps
    // serving for a while after.
    tokio::time::sleep(Duration::from_millis(500)).await;
    a.kill();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::Relaxed);
    on_b.await.unwrap();
    on_a.await.unwrap();
    assert!(ok.load(Ordering::Relaxed) > 0);
    assert_eq!(
        failed.load(Ordering::Relaxed),
        0,
        "node B kept serving while A died"
    );

    a.restart();
    a.wait_ready().await;
    let userinfo = a
        .http
        .get(a.url("userinfo"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(
        userinfo.status(),
        StatusCode::OK,
        "a token answered before the crash is still valid"
    );
    let (status, body) = a.refresh(&refresh).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the refresh token issued before the crash works: {body}"
    );
    // Last, since a replayed code revokes what it issued (RFC 6749 §4.1.2).
    let (status, body) = a.redeem(&code).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the code does not work twice after a crash: {body}"
    );
}

fn postgres(action: &str) {
    let version = std::fs::read_dir("/etc/postgresql")
        .expect("a Debian PostgreSQL cluster in /etc/postgresql")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .next()
        .unwrap();
    let status = Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", &version, "main", action])
        .status()
        .expect("pg_ctlcluster");
    assert!(status.success(), "pg_ctlcluster {action} failed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_postgresql_outage_is_503_with_retry_after_and_service_resumes_without_restart() {
    let _serial = SERIAL.lock().await;
    let cluster = Cluster::start(1).await;
    let node = Arc::clone(&cluster.nodes[0]);
    assert_eq!(node.client_credentials().await.0, StatusCode::OK);

    // Load throughout the outage: every answer must be a 200 or a 503, never a 500 or a hang.
    let stop = Arc::new(AtomicBool::new(false));
    let statuses = Arc::new(std::sync::Mutex::new(Vec::new()));
    let loader = {
        let (node, stop, statuses) = (Arc::clone(&node), Arc::clone(&stop), Arc::clone(&statuses));
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let status = node.try_client_credentials().await;
                statuses.lock().unwrap().push(status);
            }
        })
    };
    postgres("stop");
    // The client, API and client grant are cached for `cache_ttl_ms` (1 s): past that, the
    // token request needs the database.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let outcome = async {
        let started = Instant::now();
        let response = node
            .http
            .post(node.url("oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", support::cluster::M2M_ID),
                ("client_secret", support::cluster::M2M_SECRET),
                ("audience", support::API),
            ])
            .send()
            .await
            .unwrap();
        let elapsed = started.elapsed();
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let jwks = node
            .http
            .get(node.url(".well-known/jwks.json"))
            .send()
            .await
            .unwrap()
            .status();
        (status, retry_after, elapsed, jwks)
    }
    .await;
    postgres("start");
    // Load goes on for a second after PostgreSQL is back (real time: the pool reconnects).
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    loader.await.unwrap();
    let seen = statuses.lock().unwrap().clone();
    assert!(
        seen.iter()
            .all(|s| matches!(s, Some(StatusCode::OK | StatusCode::SERVICE_UNAVAILABLE))),
        "only 200 and 503 under the outage: {seen:?}"
    );
    assert!(seen.contains(&Some(StatusCode::SERVICE_UNAVAILABLE)));

    let (status, retry_after, elapsed, jwks) = outcome;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(retry_after.is_some(), "a Retry-After header");
    assert!(
        elapsed < Duration::from_secs(15),
        "answered within the pool timeout, took {elapsed:?}"
    );
    assert_eq!(jwks, StatusCode::OK, "keys in memory are still served");

    let started = Instant::now();
    loop {
        if node.client_credentials().await.0 == StatusCode::OK {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "service did not resume after PostgreSQL came back"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// What a load against a SQLite node got answered before the node died.
#[derive(Default)]
struct Answered {
    /// Access tokens of client-credentials grants answered 200.
    access_tokens: Vec<String>,
    /// Codes redeemed with a 200.
    redeemed_codes: Vec<String>,
    /// Refresh tokens answered 200 and never sent again (a token sent in a request the kill cut
    /// may or may not have been rotated: it is in doubt, and left out).
    unused_refresh_tokens: Vec<String>,
    /// Refresh tokens whose rotation was answered 200: they must stay used up.
    rotated_refresh_tokens: Vec<String>,
}

type Shared = Arc<std::sync::Mutex<Answered>>;

/// A token request that may be cut by the kill: `None` unless a whole answer came back.
async fn try_token(node: &Node, form: &[(&str, &str)]) -> Option<(StatusCode, Value)> {
    let response = node
        .http
        .post(node.url("oauth/token"))
        .form(form)
        .send()
        .await
        .ok()?;
    let status = response.status();
    Some((status, response.json().await.ok()?))
}

/// A code for the signed-in `browser` (its SSO session and consent skip the pages); `None`
/// once the node is gone.
async fn try_code(cluster: &Cluster, browser: &Client) -> Option<String> {
    let node = &cluster.nodes[0];
    let query = cluster.authorize_query_with_scope("s", OFFLINE_SCOPE);
    let response = browser.get(node.url(&query)).send().await.ok()?;
    let location = response.headers().get("location")?.to_str().ok()?;
    let url = url::Url::parse(location).ok()?;
    let code = url.query_pairs().find(|(k, _)| k == "code")?.1.into_owned();
    Some(code)
}

const OFFLINE_SCOPE: &str = "openid offline_access appointments";

fn redeem_form(code: &str) -> [(&'static str, &str); 5] {
    [
        ("grant_type", "authorization_code"),
        ("client_id", support::CLIENT_ID),
        ("client_secret", support::CLIENT_SECRET),
        ("code", code),
        ("redirect_uri", support::CALLBACK),
    ]
}

fn refresh_form(token: &str) -> [(&'static str, &str); 4] {
    [
        ("grant_type", "refresh_token"),
        ("client_id", support::CLIENT_ID),
        ("client_secret", support::CLIENT_SECRET),
        ("refresh_token", token),
    ]
}

/// Client-credentials grants until the node dies.
async fn client_credentials_load(node: Arc<Node>, answered: Shared) {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", support::cluster::M2M_ID),
        ("client_secret", support::cluster::M2M_SECRET),
        ("audience", support::API),
    ];
    while let Some((StatusCode::OK, body)) = try_token(&node, &form).await {
        let token = body["access_token"].as_str().unwrap().to_owned();
        answered.lock().unwrap().access_tokens.push(token);
    }
}

/// Code flows in one signed-in browser until the node dies: authorize, redeem, and rotate the
/// refresh token once.
async fn code_flow_load(cluster: Arc<Cluster>, browser: Client, answered: Shared) {
    let node = Arc::clone(&cluster.nodes[0]);
    while let Some(code) = try_code(&cluster, &browser).await {
        let Some((status, body)) = try_token(&node, &redeem_form(&code)).await else {
            return;
        };
        assert_eq!(status, StatusCode::OK, "{body}");
        answered.lock().unwrap().redeemed_codes.push(code);
        let first = body["refresh_token"].as_str().unwrap().to_owned();
        let Some((status, body)) = try_token(&node, &refresh_form(&first)).await else {
            return;
        };
        assert_eq!(status, StatusCode::OK, "{body}");
        let second = body["refresh_token"].as_str().unwrap().to_owned();
        let mut answered = answered.lock().unwrap();
        answered.rotated_refresh_tokens.push(first);
        answered.unused_refresh_tokens.push(second);
    }
}

/// Rotates one refresh token again and again until the node dies.
async fn rotation_load(node: Arc<Node>, mut token: String, answered: Shared) {
    while let Some((status, body)) = try_token(&node, &refresh_form(&token)).await {
        assert_eq!(status, StatusCode::OK, "{body}");
        let next = body["refresh_token"].as_str().unwrap().to_owned();
        let rotated = std::mem::replace(&mut token, next);
        answered
            .lock()
            .unwrap()
            .rotated_refresh_tokens
            .push(rotated);
    }
}

/// `PRAGMA integrity_check` on the file the killed process left (its WAL included).
async fn sqlite_integrity(path: &std::path::Path) -> Vec<String> {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    rows
}

/// SQLite in WAL mode with `synchronous=NORMAL` keeps every committed transaction across a
/// process kill (only a power loss can lose the last ones), so whatever was answered is still
/// in the file after `kill -9`.
#[tokio::test(flavor = "multi_thread")]
async fn sqlite_killed_under_load_keeps_every_answered_grant_and_stays_intact() {
    let _serial = SERIAL.lock().await;
    tokio::time::timeout(Duration::from_secs(60), sqlite_kill_scenario())
        .await
        .expect("the SQLite kill -9 scenario finishes in time");
}

async fn sqlite_kill_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tessera.db");
    let cluster = Arc::new(Cluster::start_sqlite(&path).await);
    let node = Arc::clone(&cluster.nodes[0]);
    let answered: Shared = Shared::default();

    let mut browsers = Vec::new();
    let mut chains = Vec::new();
    for _ in 0..3 {
        let browser = support::cluster::browser();
        let query = cluster.authorize_query_with_scope("s", OFFLINE_SCOPE);
        let response = browser.get(node.url(&query)).send().await.unwrap();
        let login = support::location(&response);
        let callback = cluster.log_in_and_allow(&browser, &node, &login).await;
        let code = query_code(&callback);
        let (status, body) = node.redeem(&code).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        answered.lock().unwrap().redeemed_codes.push(code);
        chains.push(body["refresh_token"].as_str().unwrap().to_owned());
        browsers.push(browser);
    }

    let mut load = vec![tokio::spawn(client_credentials_load(
        Arc::clone(&node),
        Arc::clone(&answered),
    ))];
    for browser in browsers {
        load.push(tokio::spawn(code_flow_load(
            Arc::clone(&cluster),
            browser,
            Arc::clone(&answered),
        )));
    }
    for token in chains {
        load.push(tokio::spawn(rotation_load(
            Arc::clone(&node),
            token,
            Arc::clone(&answered),
        )));
    }
    // Real time on purpose: the node is killed with writes in flight.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    node.kill();
    for task in load {
        task.await.unwrap();
    }

    assert_eq!(sqlite_integrity(&path).await, ["ok"], "the file is intact");

    node.restart();
    node.wait_ready().await;
    let answered = std::mem::take(&mut *answered.lock().unwrap());
    assert!(!answered.access_tokens.is_empty(), "the load got tokens");
    assert!(
        answered.redeemed_codes.len() > 3
            && !answered.unused_refresh_tokens.is_empty()
            && answered.rotated_refresh_tokens.len() > 3,
        "the load ran code flows and rotations: {} codes, {} unused and {} rotated refresh tokens",
        answered.redeemed_codes.len(),
        answered.unused_refresh_tokens.len(),
        answered.rotated_refresh_tokens.len()
    );
    let published: Value = node
        .http
        .get(node.url(".well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> = published["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    for token in &answered.access_tokens {
        let kid = token_kid(token);
        assert!(
            kids.contains(&kid.as_str()),
            "the key of an answered token is still published"
        );
    }
    for token in &answered.unused_refresh_tokens {
        let (status, body) = node.refresh(token).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "a refresh token answered before the kill works: {body}"
        );
    }
    // Then the replays, since a replayed refresh token or code revokes what it issued
    // (RFC 9700 §4.14.2, RFC 6749 §4.1.2): a rotation answered before the kill is not undone.
    for token in &answered.rotated_refresh_tokens {
        let (status, body) = node.refresh(token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(
            body["error"], "invalid_grant",
            "rotated stays rotated: {body}"
        );
    }
    for code in &answered.redeemed_codes {
        let (status, body) = node.redeem(code).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"], "invalid_grant", "a code works once: {body}");
    }
    assert_eq!(sqlite_integrity_after_stop(&node, &path).await, ["ok"]);
}

/// The integrity check again once the restarted node has stopped too.
async fn sqlite_integrity_after_stop(node: &Node, path: &std::path::Path) -> Vec<String> {
    node.kill();
    sqlite_integrity(path).await
}

fn query_code(callback: &str) -> String {
    let url = url::Url::parse(callback).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == "code")
        .expect("a code")
        .1
        .into_owned()
}

/// The `kid` in a JWT's header.
fn token_kid(token: &str) -> String {
    use base64::Engine;
    let header = token.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    let header: Value = serde_json::from_slice(&bytes).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}
