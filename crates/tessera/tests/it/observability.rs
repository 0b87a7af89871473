//! `/healthz`, `/readyz` and Prometheus `/metrics`: counters move by exactly what was done,
//! requests are labelled by the matched route pattern, and readiness follows the store.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};

use crate::management::{encoded, Mgmt};
use crate::support::*;

async fn scrape(server: &TestServer) -> String {
    let response = http().get(server.url("metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = header(&response, "content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    response.text().await.unwrap()
}

/// The value of the sample `series` (name and labels exactly as rendered), 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |value| value.trim().parse().unwrap())
}

async fn client_credentials(m: &Mgmt) -> StatusCode {
    let body = json!({
        "grant_type": "client_credentials", "client_id": m.client_id,
        "client_secret": m.client_secret, "audience": m.audience(),
    });
    m.server.token_json(body).await.status()
}

#[tokio::test]
async fn healthz_and_readyz_answer_200_on_a_running_server() {
    let server = TestServer::start().await;
    for path in ["healthz", "readyz"] {
        let response = http().get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, json!({ "status": "ok" }), "{path}");
    }
}

#[tokio::test]
async fn metrics_count_tokens_by_grant_type_login_failures_and_requests_by_route_pattern() {
    let m = Mgmt::start().await;
    let before = scrape(&m.server).await;
    let cc = r#"tessera_tokens_issued_total{grant_type="client_credentials"}"#;
    let code = r#"tessera_tokens_issued_total{grant_type="authorization_code"}"#;
    let wrong = r#"tessera_login_failures_total{reason="wrong_password"}"#;
    let token_ok =
        r#"tessera_http_requests_total{method="POST",route="/oauth/token",status="200"}"#;
    let client_404 =
        r#"tessera_http_requests_total{method="GET",route="/api/v2/clients/{id}",status="404"}"#;
    for _ in 0..3 {
        assert_eq!(client_credentials(&m).await, StatusCode::OK);
    }
    let refused = json!({ "grant_type": "client_credentials", "client_id": m.client_id, "client_secret": "wrong", "audience": m.audience() });
    assert_eq!(
        m.server.token_json(refused).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let browser = Browser::new();
    let (page, url) = browser.open(&m.server.authorize_url(&[])).await;
    let html = page.text().await.unwrap();
    browser
        .submit_login(&url, &html, USERNAME, "wrong password")
        .await;
    for id in ["first-missing", "second-missing"] {
        let response = m.get(&format!("/api/v2/clients/{}", encoded(id))).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
    let after = scrape(&m.server).await;
    assert_eq!(sample(&after, cc) - sample(&before, cc), 3.0, "{after}");
    assert_eq!(sample(&after, code) - sample(&before, code), 0.0);
    assert_eq!(
        sample(&after, wrong) - sample(&before, wrong),
        1.0,
        "{after}"
    );
    assert_eq!(
        sample(&after, token_ok) - sample(&before, token_ok),
        3.0,
        "{after}"
    );
    let token_401 =
        r#"tessera_http_requests_total{method="POST",route="/oauth/token",status="401"}"#;
    assert_eq!(
        sample(&after, token_401) - sample(&before, token_401),
        1.0,
        "{after}"
    );
    assert_eq!(
        sample(&after, client_404) - sample(&before, client_404),
        2.0,
        "{after}"
    );
    assert!(
        !after.contains("first-missing"),
        "raw paths are never labels"
    );
    let latency =
        r#"tessera_http_request_duration_seconds_count{method="POST",route="/oauth/token"}"#;
    assert!(sample(&after, latency) >= 4.0, "{after}");
    assert!(
        after.contains("# TYPE tessera_http_request_duration_seconds histogram"),
        "{after}"
    );

    m.server.tokens(&[]).await;
    let later = scrape(&m.server).await;
    assert_eq!(sample(&later, code) - sample(&after, code), 1.0, "{later}");
}

#[tokio::test]
async fn metrics_count_refresh_token_reuse() {
    let server =
        TestServer::start_with(|c| c.clients[0].refresh_token.rotation_type = "rotating".into())
            .await;
    let r0 = server.offline_tokens_for(CLIENT_ID).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = scrape(&server).await;
    assert_eq!(server.refresh(&r0).await.status(), StatusCode::OK);
    assert_eq!(server.refresh(&r0).await.status(), StatusCode::BAD_REQUEST);
    let after = scrape(&server).await;
    let reuse = "tessera_refresh_token_reuse_detected_total";
    let refresh = r#"tessera_tokens_issued_total{grant_type="refresh_token"}"#;
    assert_eq!(
        sample(&after, reuse) - sample(&before, reuse),
        1.0,
        "{after}"
    );
    assert_eq!(
        sample(&after, refresh) - sample(&before, refresh),
        1.0,
        "{after}"
    );
}

#[tokio::test]
async fn metrics_endpoint_can_be_turned_off() {
    let server = TestServer::start_with(|c| c.metrics = false).await;
    let response = http().get(server.url("metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

/// A TCP relay to PostgreSQL that can be cut, so the test breaks the server's database
/// connection without stopping the PostgreSQL other tests use.
struct Relay {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn to(upstream: &str) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let upstream = upstream.to_owned();
        let task = tokio::spawn(async move {
            let mut pipes = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                let upstream = upstream.clone();
                pipes.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Relay { port, task }
    }

    /// Stops accepting and drops every relayed connection (the JoinSet aborts them).
    fn cut(&self) {
        self.task.abort();
    }
}

#[tokio::test]
async fn readyz_is_503_with_retry_after_when_postgresql_is_unreachable() {
    let url = std::env::var("POSTGRES_TEST_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let parsed = url::Url::parse(&url).unwrap();
    let upstream = format!(
        "{}:{}",
        parsed.host_str().unwrap(),
        parsed.port().unwrap_or(5432)
    );
    let schema = format!("tessera_readyz_{}", std::process::id());
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    for sql in [
        format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
        format!("CREATE SCHEMA {schema}"),
    ] {
        sqlx::query(&sql).execute(&admin).await.unwrap();
    }
    let relay = Relay::to(&upstream).await;
    let mut relayed = parsed.clone();
    relayed.set_port(Some(relay.port)).unwrap();
    relayed
        .query_pairs_mut()
        .append_pair("options", &format!("-c search_path={schema}"));
    let server = TestServer::start_with(|c| {
        c.database_url = relayed.to_string();
        c.database_max_connections = 2;
        // PostgreSQL needs a master secret (every node must share it).
        c.secret = Some("a master secret of at least thirty-two characters".into());
    })
    .await;
    let ready = http().get(server.url("readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);

    relay.cut();
    let started = std::time::Instant::now();
    let response = http().get(server.url("readyz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header(&response, "retry-after").as_deref(), Some("5"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable", "{body}");
    assert!(
        body["error"].as_str().is_some_and(|e| e.contains("store")),
        "{body}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the probe is bounded in time"
    );
    let live = http().get(server.url("healthz")).send().await.unwrap();
    assert_eq!(
        live.status(),
        StatusCode::OK,
        "liveness does not touch the store"
    );
    drop(server);
    let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(&admin)
        .await;
}
