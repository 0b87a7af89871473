//! The audit log at `GET /api/v2/logs`: security events with Auth0's type codes, written in
//! the background (the tests wait for the writer to flush), filtered, paged, scoped and never
//! holding a secret.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tessera::config::{Config, TokenExchangeLogging};

use crate::management::{expect_error, expect_status, send_as, Mgmt};
use crate::support::*;

/// The list at `path` once every event queued so far is stored; `ready` must hold of it.
async fn logs_until(m: &Mgmt, path: &str, ready: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    m.server.flush_audit().await;
    let listed = expect_status(m.get(path).await, StatusCode::OK).await;
    let events = listed.as_array().unwrap().clone();
    assert!(
        ready(&events),
        "the log does not hold what the test expects: {events:#?}"
    );
    events
}

fn of_type<'a>(events: &'a [Value], code: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == code).collect()
}

/// A failed login with `password` for `username` in a new browser.
async fn failed_login(server: &TestServer, username: &str, password: &str) {
    let browser = Browser::new();
    let (page, url) = browser.open(&server.authorize_url(&[])).await;
    let html = page.text().await.unwrap();
    let response = browser.submit_login(&url, &html, username, password).await;
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "the login page again"
    );
}

/// Rotating refresh tokens, and every token exchange recorded (not one in a hundred, the
/// default): these tests read each exchange's event.
fn rotating(config: &mut Config) {
    config.clients[0].refresh_token.rotation_type = "rotating".into();
    config.log_token_exchanges = TokenExchangeLogging::Recorded;
}

#[tokio::test]
async fn audit_log_records_logins_consent_exchanges_reuse_replay_and_key_rotation() {
    let m = Mgmt::start_with(rotating).await;
    let server = &m.server;
    failed_login(server, USERNAME, "not the password").await;
    failed_login(server, "nobody@example.com", "whatever password").await;
    let code = server
        .code(&[("scope", "openid offline_access appointments")])
        .await;
    let tokens = server.redeem(&code).await;
    let replay = server
        .token_json(json!({
            "grant_type": "authorization_code", "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET, "code": code, "redirect_uri": CALLBACK,
        }))
        .await;
    expect_oauth_error(replay, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let code = server
        .code(&[("scope", "openid offline_access appointments")])
        .await;
    let r0 = server.redeem(&code).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(server.refresh(&r0).await.status(), StatusCode::OK);
    let reused = server.refresh(&r0).await;
    expect_oauth_error(reused, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let rotated = m.post("/api/v2/keys/signing/rotate", json!({})).await;
    let rotated = expect_status(rotated, StatusCode::OK).await;

    let expected = [
        "fp",
        "fu",
        "s",
        "consent_granted",
        "seacft",
        "feacft",
        "sertft",
        "ferrt",
        "sapi",
        "seccft",
    ];
    let events = logs_until(&m, "/api/v2/logs?per_page=100", |events| {
        expected
            .iter()
            .all(|code| !of_type(events, code).is_empty())
    })
    .await;
    let user_id = m.seed_user_id().await;

    let fp = of_type(&events, "fp")[0];
    assert_eq!(fp["user_id"], user_id.as_str(), "{fp}");
    assert_eq!(fp["client_id"], CLIENT_ID, "{fp}");
    assert_eq!(fp["client_name"], "My Client App", "{fp}");
    let fu = of_type(&events, "fu")[0];
    assert_eq!(fu["user_name"], "nobody@example.com", "{fu}");
    assert!(fu["user_id"].is_null(), "{fu}");
    assert_eq!(of_type(&events, "s").len(), 2, "two successful logins");
    for code in ["s", "consent_granted", "seacft", "sertft", "ferrt"] {
        for event in of_type(&events, code) {
            assert_eq!(event["user_id"], user_id.as_str(), "{event}");
            assert_eq!(event["client_id"], CLIENT_ID, "{event}");
        }
    }
    assert_eq!(of_type(&events, "seacft").len(), 2, "two codes exchanged");
    let seacft = of_type(&events, "seacft")[0];
    assert_eq!(seacft["details"]["audience"], API, "{seacft}");
    assert_eq!(seacft["user_name"], EMAIL, "{seacft}");
    let ferrt = of_type(&events, "ferrt")[0];
    assert!(
        ferrt["details"]["refresh_tokens_revoked"].as_u64().unwrap() >= 1,
        "{ferrt}"
    );
    let feacft = of_type(&events, "feacft")[0];
    assert_eq!(feacft["client_id"], CLIENT_ID, "{feacft}");
    let sapi = of_type(&events, "sapi")[0];
    assert_eq!(sapi["details"]["kid"], rotated["kid"], "{sapi}");
    assert_eq!(sapi["client_id"], m.client_id.as_str(), "{sapi}");
    let seccft = of_type(&events, "seccft")[0];
    assert_eq!(seccft["client_id"], m.client_id.as_str(), "{seccft}");

    // Newest first by default, oldest first with sort=date:1.
    let dates: Vec<&str> = events.iter().map(|e| e["date"].as_str().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
    let oldest = expect_status(
        m.get("/api/v2/logs?per_page=100&sort=date:1").await,
        StatusCode::OK,
    )
    .await;
    let ids: Vec<&Value> = oldest
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["log_id"])
        .collect();
    let newest: Vec<&Value> = events.iter().rev().map(|e| &e["log_id"]).collect();
    assert_eq!(ids[..newest.len()], newest[..], "the same events, reversed");

    // Nothing secret: no password, secret, code or token appears anywhere.
    let text = serde_json::to_string(&events).unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    for secret in [
        PASSWORD,
        "not the password",
        "whatever password",
        CLIENT_SECRET,
        &code,
        &r0,
        refresh,
        &m.client_secret,
    ] {
        assert!(
            !text.contains(secret),
            "a secret leaked into the log: {secret}"
        );
    }

    // One event by id; the events are the server's view of the client.
    let one = &events[0];
    let path = format!("/api/v2/logs/{}", one["log_id"].as_str().unwrap());
    assert_eq!(
        &expect_status(m.get(&path).await, StatusCode::OK).await,
        one
    );
    assert_eq!(fp["ip"], "127.0.0.1", "{fp}");
    expect_error(
        m.get("/api/v2/logs/nope").await,
        StatusCode::NOT_FOUND,
        Some("inexistent_resource"),
    )
    .await;
}

#[tokio::test]
async fn audit_log_filters_by_q_terms_and_plain_parameters_and_pages_with_totals() {
    let m = Mgmt::start().await;
    failed_login(&m.server, USERNAME, "wrong one").await;
    failed_login(&m.server, USERNAME, "wrong two").await;
    failed_login(&m.server, "ghost", "wrong three").await;
    let user_id = m.seed_user_id().await;
    let encoded_user = url::form_urlencoded::byte_serialize(user_id.as_bytes()).collect::<String>();
    let q = url::form_urlencoded::byte_serialize(
        format!("type:fp AND user_id:\"{user_id}\"").as_bytes(),
    )
    .collect::<String>();
    let fp = logs_until(&m, &format!("/api/v2/logs?q={q}"), |e| e.len() == 2).await;
    assert!(fp
        .iter()
        .all(|e| e["type"] == "fp" && e["user_id"] == user_id.as_str()));
    let plain = expect_status(
        m.get(&format!("/api/v2/logs?type=fp&user_id={encoded_user}"))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(plain.as_array().unwrap(), &fp);
    let by_client = logs_until(&m, &format!("/api/v2/logs?q=client_id:{CLIENT_ID}"), |e| {
        e.len() >= 3
    })
    .await;
    assert_eq!(by_client.len(), 3, "{by_client:#?}");
    assert!(by_client.iter().all(|e| e["client_id"] == CLIENT_ID));
    let page = expect_status(
        m.get("/api/v2/logs?q=type:fp&per_page=1&page=1&include_totals=true")
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(page["total"], 2, "{page}");
    assert_eq!(
        (
            page["start"].as_u64(),
            page["limit"].as_u64(),
            page["length"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(
        page["logs"][0], fp[1],
        "the second page holds the older event"
    );
    let none = expect_status(
        m.get("/api/v2/logs?q=type:fu AND user_id:nobody").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(none, json!([]));
}

#[tokio::test]
async fn audit_log_refuses_bad_parameters_with_auth0_400s() {
    let m = Mgmt::start().await;
    for query in [
        "sort=name:1",
        "q=password:x",
        "q=type",
        "q=type:",
        "per_page=0",
        "per_page=101",
        "page=-1",
        "include_totals=maybe",
        "type=fp&q=type:fu",
    ] {
        let response = m.get(&format!("/api/v2/logs?{query}")).await;
        expect_error(
            response,
            StatusCode::BAD_REQUEST,
            Some("invalid_query_string"),
        )
        .await;
    }
}

#[tokio::test]
async fn audit_log_needs_the_read_logs_scope() {
    let m = Mgmt::start().await;
    let job = m.create_m2m_client("Log reader without the scope").await;
    let audience = m.audience();
    m.grant(
        job["client_id"].as_str().unwrap(),
        &audience,
        &["read:clients"],
    )
    .await;
    let token = crate::management::management_token(
        &m.server,
        job["client_id"].as_str().unwrap(),
        job["client_secret"].as_str().unwrap(),
    )
    .await;
    for path in ["/api/v2/logs", "/api/v2/logs/some-id"] {
        let response = send_as(&m.server, Some(&token), Method::GET, path, None).await;
        let message =
            expect_error(response, StatusCode::FORBIDDEN, Some("insufficient_scope")).await;
        assert!(message.contains("read:logs"), "{message}");
        let anonymous = send_as(&m.server, None, Method::GET, path, None).await;
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn audit_log_takes_the_ip_from_x_forwarded_for_only_when_trusted() {
    for trusted in [false, true] {
        let m = Mgmt::start_with(|c| {
            c.trust_forwarded_for = trusted;
            c.log_token_exchanges = TokenExchangeLogging::Recorded;
        })
        .await;
        let response = http()
            .post(m.server.url("oauth/token"))
            .header("x-forwarded-for", "198.51.100.1, 203.0.113.9")
            .header("user-agent", "audit-test/2.0")
            .json(&json!({
                "grant_type": "client_credentials", "client_id": m.client_id,
                "client_secret": m.client_secret, "audience": m.audience(),
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let events = logs_until(&m, "/api/v2/logs?q=type:seccft", |e| {
            e.iter().any(|e| e["user_agent"] == "audit-test/2.0")
        })
        .await;
        let event = events
            .iter()
            .find(|e| e["user_agent"] == "audit-test/2.0")
            .unwrap();
        let expected = if trusted { "203.0.113.9" } else { "127.0.0.1" };
        assert_eq!(event["ip"], expected, "trusted={trusted}: {event}");
    }
}

/// The value of the counter `name{labels}` in the server's Prometheus text.
async fn counter(server: &TestServer, series: &str) -> u64 {
    let metrics = http().get(server.url("/metrics")).send().await.unwrap();
    let text = metrics.text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0, |n| n.parse().unwrap())
}

/// `tokens` client-credentials exchanges, then a failed login; the log once that is stored.
async fn exchanges_then_a_failed_login(m: &Mgmt, tokens: usize) -> Vec<Value> {
    for _ in 0..tokens {
        m.fresh_token().await;
    }
    failed_login(&m.server, USERNAME, "not the password").await;
    logs_until(m, "/api/v2/logs?per_page=100", |events| {
        !of_type(events, "fp").is_empty()
    })
    .await
}

#[tokio::test]
async fn token_exchanges_are_sampled_by_default_and_every_one_is_counted() {
    let m = Mgmt::start_with(|config| config.log_sample_every = 2).await;
    assert_eq!(
        m.server.config.log_token_exchanges,
        TokenExchangeLogging::Sampled,
        "the default"
    );
    // The harness' own token was the first exchange; five more.
    let events = exchanges_then_a_failed_login(&m, 5).await;
    let sampled = of_type(&events, "seccft");
    assert_eq!(
        sampled.len(),
        3,
        "the 1st, 3rd and 5th of six: {sampled:#?}"
    );
    assert!(sampled.iter().all(|e| e["details"]["sampled_one_in"] == 2));
    assert_eq!(
        of_type(&events, "fp").len(),
        1,
        "failures are never sampled"
    );
    let series = "tessera_audit_events_total{type=\"seccft\"}";
    assert_eq!(
        counter(&m.server, series).await,
        6,
        "metrics count every one"
    );
}

#[tokio::test]
async fn counted_token_exchanges_are_not_stored_but_counted() {
    let m = Mgmt::start_with(|config| {
        config.log_token_exchanges = TokenExchangeLogging::Counted;
    })
    .await;
    let events = exchanges_then_a_failed_login(&m, 3).await;
    assert!(of_type(&events, "seccft").is_empty(), "{events:#?}");
    let series = "tessera_audit_events_total{type=\"seccft\"}";
    assert_eq!(counter(&m.server, series).await, 4);
    let failures = "tessera_audit_events_total{type=\"fp\"}";
    assert_eq!(counter(&m.server, failures).await, 1);
}
