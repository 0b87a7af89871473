//! Faults: a node killed with `kill -9` under load, and PostgreSQL stopped under load. Nothing
//! answered is lost, no code works twice, and an outage is a 503 with `Retry-After`, never a
//! hang or a panic. These tests stop the machine's PostgreSQL, so they live in their own test
//! binary (cargo runs test binaries one at a time).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::cluster::Cluster;
use reqwest::StatusCode;

/// The tests here stop PostgreSQL or kill nodes: one at a time.
static SERIAL: std::sync::LazyLock<tokio::sync::Mutex<()>> =
    std::sync::LazyLock::new(|| tokio::sync::Mutex::new(()));

/// Client-credentials requests against `node` until `stop`, counting successes and failures.
fn load(
    node: Arc<common::cluster::Node>,
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
    let outcome = async {
        let started = Instant::now();
        let response = node
            .http
            .post(node.url("oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", common::cluster::M2M_ID),
                ("client_secret", common::cluster::M2M_SECRET),
                ("audience", common::cluster::API),
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
