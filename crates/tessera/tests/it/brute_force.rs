//! Brute-force protection: consecutive failed logins block an account for one IP (unknown
//! names alike), a success resets, the Management API or the cool-down unblocks, an IP failing
//! across accounts is throttled, and failed client authentication is throttled per client and IP.
//! Browsers bind to 127.0.0.1 or 127.0.0.2 (loopback has the whole 127/8) to be two clients.

use std::net::{IpAddr, Ipv4Addr};

use reqwest::header::RETRY_AFTER;
use reqwest::{redirect, Client, Response, StatusCode};
use serde_json::{json, Value};
use tessera::config::Config;
use url::Url;

use crate::management::{client_credentials, expect_status, management_audience, Mgmt};
use crate::support::*;

const HOME: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
const ELSEWHERE: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const BLOCKED: &str = "Your account has been blocked after multiple consecutive login attempts.";
const THROTTLED: &str = "Too many failed logins from your network.";

fn browser_at(ip: IpAddr) -> Browser {
    let client = Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .local_address(ip)
        .build()
        .unwrap();
    Browser { client }
}

/// A browser on `ip` that has reached the login page of a new authorization.
struct LoginPage {
    browser: Browser,
    url: Url,
    html: String,
}

/// A browser behind a proxy that says it forwards for `client` (its own address is HOME).
fn behind_proxy(client: &str) -> Browser {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", client.parse().unwrap());
    let client = Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .local_address(HOME)
        .default_headers(headers)
        .build()
        .unwrap();
    Browser { client }
}

impl LoginPage {
    async fn open(server: &TestServer, ip: IpAddr) -> LoginPage {
        Self::open_in(server, browser_at(ip)).await
    }

    async fn open_in(server: &TestServer, browser: Browser) -> LoginPage {
        let authorize = server.authorize_url(&[]);
        let start = browser.get(&authorize).await;
        let (response, url) = browser
            .follow(start, &Url::parse(&authorize).unwrap())
            .await;
        assert_eq!(url.path(), "/u/login");
        let html = response.text().await.unwrap();
        LoginPage { browser, url, html }
    }

    /// Submits the form; the status and the page (or the Location of a redirect).
    async fn try_login(&self, username: &str, password: &str) -> (StatusCode, Response) {
        let response = self
            .browser
            .submit_login(&self.url, &self.html, username, password)
            .await;
        (response.status(), response)
    }

    async fn expect(&self, username: &str, password: &str, status: StatusCode) -> String {
        let (actual, response) = self.try_login(username, password).await;
        let retry_after = response.headers().get(RETRY_AFTER).cloned();
        let text = response.text().await.unwrap();
        assert_eq!(actual, status, "{text}");
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert!(retry_after.is_some(), "a Retry-After header");
        }
        text
    }

    /// `times` failed logins of `username`, each answered 401.
    async fn fail(&self, username: &str, times: u32) {
        for _ in 0..times {
            let page = self
                .expect(username, "wrong password", StatusCode::UNAUTHORIZED)
                .await;
            assert!(page.contains("Wrong username or password."), "{page}");
        }
    }

    /// The right password gets through: a redirect on to consent or the client.
    async fn succeeds(&self) {
        let (status, _) = self.try_login(USERNAME, PASSWORD).await;
        assert_eq!(status, StatusCode::FOUND, "the right password logs in");
    }

    async fn is_blocked(&self, username: &str, password: &str) {
        let page = self
            .expect(username, password, StatusCode::TOO_MANY_REQUESTS)
            .await;
        assert!(page.contains(BLOCKED), "{page}");
    }
}

fn three_attempts(config: &mut Config) {
    config.brute_force_max_attempts = 3;
}

#[tokio::test]
async fn the_nth_failure_blocks_the_account_for_that_ip_even_with_the_right_password() {
    let server = TestServer::start_with(three_attempts).await;
    let home = LoginPage::open(&server, HOME).await;
    home.fail(USERNAME, 3).await;
    home.is_blocked(USERNAME, PASSWORD).await;
    home.is_blocked(EMAIL, "wrong password").await;
    let elsewhere = LoginPage::open(&server, ELSEWHERE).await;
    elsewhere.succeeds().await;
    // A new authorization from the blocked IP is still blocked: the block is the account's.
    LoginPage::open(&server, HOME)
        .await
        .is_blocked(USERNAME, PASSWORD)
        .await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_the_one_blocked() {
    let server = TestServer::start_with(|config| {
        three_attempts(config);
        config.trust_forwarded_for = true;
    })
    .await;
    let first = LoginPage::open_in(&server, behind_proxy("203.0.113.7")).await;
    first.fail(USERNAME, 3).await;
    first.is_blocked(USERNAME, PASSWORD).await;
    // Another client of the same proxy (the same peer address) is not blocked.
    LoginPage::open_in(&server, behind_proxy("203.0.113.8"))
        .await
        .succeeds()
        .await;
}

#[tokio::test]
async fn a_success_resets_the_consecutive_failures() {
    let server = TestServer::start_with(three_attempts).await;
    let first = LoginPage::open(&server, HOME).await;
    first.fail(USERNAME, 2).await;
    first.succeeds().await;
    let second = LoginPage::open(&server, HOME).await;
    second.fail(USERNAME, 2).await;
    second.succeeds().await;
}

#[tokio::test]
async fn an_unknown_login_name_is_counted_and_blocked_exactly_like_an_account() {
    let server = TestServer::start_with(three_attempts).await;
    let home = LoginPage::open(&server, HOME).await;
    home.fail("nobody@example.com", 3).await;
    home.is_blocked("nobody@example.com", "anything").await;
    home.is_blocked(" Nobody@Example.com ", "anything").await;
    // Known and unknown names are not blocked together.
    home.expect(USERNAME, "wrong password", StatusCode::UNAUTHORIZED)
        .await;
}

#[tokio::test]
async fn the_management_api_lists_and_lifts_blocks_by_user_id() {
    let m = Mgmt::start_with(three_attempts).await;
    let user_id = m.seed_user_id().await;
    let path = format!("/api/v2/user-blocks/{}", urlencoding(&user_id));
    assert_eq!(m.get_ok(&path).await, json!({ "blocked_for": [] }));
    let home = LoginPage::open(&m.server, HOME).await;
    home.fail(USERNAME, 3).await;
    home.is_blocked(USERNAME, PASSWORD).await;
    // The refused attempt is in the audit log as Auth0's `limit_wc`, with the user and IP.
    m.server.flush_audit().await;
    let listed = m.get_ok("/api/v2/logs?q=type:limit_wc").await;
    let blocked_events = listed.as_array().unwrap().clone();
    assert_eq!(blocked_events.len(), 1, "{blocked_events:#?}");
    assert_eq!(blocked_events[0]["user_id"], json!(user_id));
    assert_eq!(blocked_events[0]["ip"], json!("127.0.0.1"));
    let blocks = m.get_ok(&path).await;
    assert_eq!(
        blocks,
        json!({ "blocked_for": [{ "identifier": USERNAME, "ip": "127.0.0.1", "connection": "Username-Password-Authentication" }] })
    );
    expect_status(m.delete(&path).await, StatusCode::NO_CONTENT).await;
    assert_eq!(m.get_ok(&path).await, json!({ "blocked_for": [] }));
    home.succeeds().await;
}

#[tokio::test]
async fn the_management_api_lists_and_lifts_blocks_by_identifier_known_or_not() {
    let m = Mgmt::start_with(three_attempts).await;
    let home = LoginPage::open(&m.server, HOME).await;
    home.fail(EMAIL, 3).await;
    home.fail("ghost", 3).await;
    for identifier in [EMAIL, USERNAME, "ghost"] {
        let blocks = m
            .get_ok(&format!("/api/v2/user-blocks?identifier={identifier}"))
            .await;
        assert_eq!(
            blocks["blocked_for"][0]["ip"], "127.0.0.1",
            "{identifier}: {blocks}"
        );
    }
    for identifier in [USERNAME, "ghost"] {
        let path = format!("/api/v2/user-blocks?identifier={identifier}");
        expect_status(m.delete(&path).await, StatusCode::NO_CONTENT).await;
    }
    home.succeeds().await;
    let retry = LoginPage::open(&m.server, HOME).await;
    retry
        .expect("ghost", "anything", StatusCode::UNAUTHORIZED)
        .await;
}

#[tokio::test]
async fn user_blocks_need_the_users_scopes_and_an_identifier() {
    let m = Mgmt::start().await;
    let user_id = m.seed_user_id().await;
    let missing = m.get("/api/v2/user-blocks").await;
    crate::management::expect_error(
        missing,
        StatusCode::BAD_REQUEST,
        Some("invalid_query_string"),
    )
    .await;
    let unknown = m.get("/api/v2/user-blocks/auth0%7Cnobody").await;
    expect_status(unknown, StatusCode::NOT_FOUND).await;
    let anonymous = crate::management::send_as(
        &m.server,
        None,
        reqwest::Method::DELETE,
        &format!("/api/v2/user-blocks/{}", urlencoding(&user_id)),
        None,
    )
    .await;
    expect_status(anonymous, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn the_block_lifts_by_itself_after_the_cool_down() {
    let server = TestServer::start_with(|config| {
        three_attempts(config);
        config.brute_force_cooldown = 900;
    })
    .await;
    let home = LoginPage::open(&server, HOME).await;
    home.fail(USERNAME, 3).await;
    home.is_blocked(USERNAME, PASSWORD).await;
    server.clock.advance(899);
    home.is_blocked(USERNAME, PASSWORD).await;
    // Fifteen minutes on, the login page has timed out too (login_timeout): a new one.
    server.clock.advance(1);
    LoginPage::open(&server, HOME).await.succeeds().await;
}

#[tokio::test]
async fn an_ip_failing_across_accounts_is_throttled_and_others_are_not() {
    let server = TestServer::start_with(|config| config.ip_throttle_max_failures = 4).await;
    let home = LoginPage::open(&server, HOME).await;
    for name in ["a", "b", "c", "d"] {
        home.fail(name, 1).await;
    }
    let page = home
        .expect(USERNAME, PASSWORD, StatusCode::TOO_MANY_REQUESTS)
        .await;
    assert!(page.contains(THROTTLED), "{page}");
    LoginPage::open(&server, ELSEWHERE).await.succeeds().await;
}

async fn token_error(response: Response, status: StatusCode, error: &str) -> Value {
    let retry_after = response.headers().get(RETRY_AFTER).cloned();
    let body = expect_status(response, status).await;
    assert_eq!(body["error"], error, "{body}");
    if status == StatusCode::TOO_MANY_REQUESTS {
        let seconds: i64 = retry_after.unwrap().to_str().unwrap().parse().unwrap();
        assert!((1..=300).contains(&seconds), "Retry-After {seconds}");
    }
    body
}

async fn post_from(ip: IpAddr, url: String, form: &[(&str, &str)]) -> Response {
    Client::builder()
        .local_address(ip)
        .build()
        .unwrap()
        .post(url)
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn failed_client_authentication_is_throttled_per_client_and_ip() {
    let m = Mgmt::start_with(|config| config.client_auth_max_failures = 3).await;
    let server = &m.server;
    let audience = management_audience(server);
    for _ in 0..3 {
        let wrong = client_credentials(server, &m.client_id, "not-the-secret", &audience).await;
        token_error(wrong, StatusCode::UNAUTHORIZED, "invalid_client").await;
    }
    let right = client_credentials(server, &m.client_id, &m.client_secret, &audience).await;
    token_error(right, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;
    // The revocation and introspection endpoints share the count.
    for path in ["oauth/revoke", "oauth/introspect"] {
        let form = [
            ("client_id", m.client_id.as_str()),
            ("client_secret", m.client_secret.as_str()),
            ("token", "x"),
        ];
        let refused = post_from(HOME, server.url(path), &form).await;
        token_error(refused, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;
    }
    // Another client from this IP, and this client from another IP, are not throttled.
    let other = client_credentials(server, CLIENT_ID, CLIENT_SECRET, API).await;
    assert_ne!(other.status(), StatusCode::TOO_MANY_REQUESTS);
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", m.client_id.as_str()),
        ("client_secret", m.client_secret.as_str()),
        ("audience", audience.as_str()),
    ];
    let elsewhere = post_from(ELSEWHERE, server.url("oauth/token"), &form).await;
    expect_status(elsewhere, StatusCode::OK).await;
}

fn urlencoding(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Password hashing runs on the blocking pool under a semaphore as wide as the cores, so a
/// flood of logins queues behind it while the token endpoint (no argon2) keeps answering. The
/// proof is relative, measured in the same run, so it holds on a slow machine as on a fast one:
/// during the flood, the slowest token is answered faster than the average login, which waits
/// in the hashing queue. A starved executor would make tokens wait as long as logins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_flood_does_not_starve_token_issuance() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    const FLOODERS: u64 = 24;
    const TOKENS: u32 = 20;
    let m = Mgmt::start_with(|config| config.ip_throttle_max_failures = 1_000_000).await;
    let stop = Arc::new(AtomicBool::new(false));
    // Logins answered so far; waiters are woken by each answer instead of polling.
    let (answered, mut answers) = tokio::sync::watch::channel(0u64);
    let answered = Arc::new(answered);
    let waited_micros = Arc::new(AtomicU64::new(0));
    let mut flooders = Vec::new();
    for i in 0..FLOODERS {
        let page = LoginPage::open(&m.server, HOME).await;
        let (stop, answered) = (Arc::clone(&stop), Arc::clone(&answered));
        let waited = Arc::clone(&waited_micros);
        flooders.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                // A new name each time, so no account reaches the brute-force limit.
                let started = Instant::now();
                let (status, _) = page.try_login(&format!("flood-{i}-{n}"), "wrong").await;
                assert_eq!(status, StatusCode::UNAUTHORIZED);
                waited.fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
                answered.send_modify(|count| *count += 1);
                n += 1;
            }
        }));
    }
    // The hashing queue is full once every flooder has been answered at least once (a bounded
    // wait for background tasks, not a measurement).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let _ = tokio::time::timeout_at(deadline, answers.wait_for(|&n| n >= FLOODERS)).await;
    let audience = management_audience(&m.server);
    let mut slowest = Duration::ZERO;
    let (logins_before, waited_before) = (
        *answers.borrow_and_update(),
        waited_micros.load(Ordering::Relaxed),
    );
    for _ in 0..TOKENS {
        let started = Instant::now();
        let response =
            client_credentials(&m.server, &m.client_id, &m.client_secret, &audience).await;
        expect_status(response, StatusCode::OK).await;
        slowest = slowest.max(started.elapsed());
    }
    // Logins answered while the tokens were, and their average wait (at least one: the
    // flooders kept going while the tokens were issued).
    let _ = tokio::time::timeout_at(deadline, answers.wait_for(|&n| n > logins_before)).await;
    let during = *answers.borrow() - logins_before;
    let average_login = Duration::from_micros(
        (waited_micros.load(Ordering::Relaxed) - waited_before) / during.max(1),
    );
    stop.store(true, Ordering::Relaxed);
    for flooder in flooders {
        flooder.await.unwrap();
    }
    eprintln!(
        "flood: {during} logins (average {average_login:?}) while {TOKENS} tokens were issued; \
         slowest token {slowest:?}"
    );
    assert!(during > 0, "logins kept being answered during the flood");
    assert!(
        slowest < average_login,
        "the slowest token ({slowest:?}) waited as long as a login in the hashing queue \
         ({average_login:?}): token issuance was starved"
    );
}
