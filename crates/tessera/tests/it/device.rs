//! The device authorization grant (RFC 8628): a TV app driven by the `oauth2` crate's device
//! flow, the person activating it through `/activate`, the hosted login and consent; the
//! polling answers (`authorization_pending`, `slow_down`, `expired_token`, `access_denied`)
//! over raw HTTP, on the test's clock. The refusals, which the store decides, run on SQLite and
//! again on PostgreSQL (`…_on_postgres`).

use oauth2::basic::BasicClient;
use oauth2::{
    ClientId, DeviceAuthorizationUrl, Scope, StandardDeviceAuthorizationResponse, TokenResponse,
    TokenUrl,
};
use reqwest::StatusCode;
use serde_json::Value;
use tessera::config::{ClientConfig, Config};
use url::Url;

use crate::support::*;

const TV: &str = "living-room-tv";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The seed plus a native app allowed the device grant (a public client: no secret).
fn with_tv(config: &mut Config) {
    config.clients.push(ClientConfig {
        client_id: TV.into(),
        name: "Living room TV".into(),
        app_type: "native".into(),
        grant_types: Some(vec![DEVICE_GRANT.into(), "refresh_token".into()]),
        ..ClientConfig::default()
    });
}

async fn device_codes(server: &TestServer, client_id: &str) -> reqwest::Response {
    server
        .post_form(
            "oauth/device/code",
            &[
                ("client_id", client_id),
                ("scope", "openid profile appointments offline_access"),
                ("audience", API),
            ],
        )
        .await
}

async fn poll(server: &TestServer, device_code: &str) -> reqwest::Response {
    server
        .token_form(&[
            ("grant_type", DEVICE_GRANT),
            ("client_id", TV),
            ("device_code", device_code),
        ])
        .await
}

async fn poll_error(server: &TestServer, device_code: &str) -> String {
    let response = poll(server, device_code).await;
    assert!(response.status().is_client_error(), "{}", response.status());
    let body: Value = response.json().await.unwrap();
    body["error"].as_str().unwrap().to_owned()
}

/// The person: opens the verification URL, logs in and answers the consent page.
async fn activate(server: &TestServer, verification_uri_complete: &str, decision: &str) -> String {
    let browser = Browser::new();
    let base = Url::parse(verification_uri_complete).unwrap();
    let (login, url) = browser
        .follow(browser.get(verification_uri_complete).await, &base)
        .await;
    let html = login.text().await.unwrap();
    let consent = browser.submit_login(&url, &html, USERNAME, PASSWORD).await;
    let (consent, url) = browser.follow(consent, &url).await;
    let html = consent.text().await.unwrap();
    assert!(
        html.contains("Living room TV"),
        "the consent page names the device's app: {html}"
    );
    let answer = browser.submit_consent(&url, &html, decision).await;
    let (done, _) = browser.follow(answer, &url).await;
    assert!(
        done.url()
            .as_str()
            .starts_with(&server.url("activate/done")),
        "{}",
        done.url()
    );
    done.text().await.unwrap()
}

#[tokio::test]
async fn a_tv_gets_tokens_with_the_oauth2_crates_device_flow_once_the_person_allows_it() {
    let server = TestServer::start_with(with_tv).await;
    let http = library_http();
    let client = BasicClient::new(ClientId::new(TV.into()))
        .set_token_uri(TokenUrl::new(server.url("oauth/token")).unwrap())
        .set_device_authorization_url(
            DeviceAuthorizationUrl::new(server.url("oauth/device/code")).unwrap(),
        );
    let details: StandardDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scope(Scope::new("openid".into()))
        .add_scope(Scope::new("appointments".into()))
        .add_scope(Scope::new("offline_access".into()))
        .add_extra_param("audience", API)
        .request_async(&http)
        .await
        .unwrap();
    let user_code = details.user_code().secret().clone();
    assert_eq!(user_code.len(), 9, "{user_code}");
    assert_eq!(details.verification_uri().as_str(), server.url("activate"));
    assert_eq!(details.interval().as_secs(), 5);
    let complete = details
        .verification_uri_complete()
        .unwrap()
        .secret()
        .clone();

    let page = activate(&server, &complete, "allow").await;
    assert!(page.contains("Your device is connected"), "{page}");

    // The crate's polling waits on the test's clock, not the wall clock.
    let clock = server.clock.clone();
    let tokens = client
        .exchange_device_access_token(&details)
        .request_async(
            &http,
            |wait| {
                let clock = clock.clone();
                async move { clock.advance(i64::try_from(wait.as_secs()).unwrap()) }
            },
            None,
        )
        .await
        .unwrap();
    let access = tokens.access_token().secret();
    let userinfo = http_get(&server, "userinfo", access).await;
    assert_eq!(userinfo.status(), StatusCode::OK);
    assert!(tokens.refresh_token().is_some(), "offline_access was asked");

    // The device code worked once.
    let used = poll(&server, &details.device_code().secret().clone()).await;
    let body: Value = used.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

async fn http_get(server: &TestServer, path: &str, token: &str) -> reqwest::Response {
    http()
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn polling_is_pending_until_decided_slows_down_when_too_fast_and_ends_at_expiry() {
    polling_answers_pending_slow_down_and_expired(TestServer::start_with(with_tv).await).await;
}

#[tokio::test]
async fn polling_is_pending_until_decided_slows_down_when_too_fast_and_ends_at_expiry_on_postgres()
{
    polling_answers_pending_slow_down_and_expired(TestServer::start_on_postgres(with_tv).await)
        .await;
}

async fn polling_answers_pending_slow_down_and_expired(server: TestServer) {
    let response = device_codes(&server, TV).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-store")
    );
    let codes: Value = response.json().await.unwrap();
    assert_eq!(codes["expires_in"], 900);
    let device_code = codes["device_code"].as_str().unwrap();

    assert_eq!(
        poll_error(&server, device_code).await,
        "authorization_pending"
    );
    assert_eq!(poll_error(&server, device_code).await, "slow_down");
    // After slow_down the interval is ten seconds: five is still too soon.
    server.clock.advance(5);
    assert_eq!(poll_error(&server, device_code).await, "slow_down");
    server.clock.advance(15);
    assert_eq!(
        poll_error(&server, device_code).await,
        "authorization_pending"
    );

    server.clock.advance(900);
    assert_eq!(poll_error(&server, device_code).await, "expired_token");
    // An expired user code is refused at /activate too.
    let page = Browser::new()
        .get(codes["verification_uri_complete"].as_str().unwrap())
        .await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_denied_device_gets_access_denied() {
    denied_device_gets_access_denied(TestServer::start_with(with_tv).await).await;
}

#[tokio::test]
async fn a_denied_device_gets_access_denied_on_postgres() {
    denied_device_gets_access_denied(TestServer::start_on_postgres(with_tv).await).await;
}

async fn denied_device_gets_access_denied(server: TestServer) {
    let codes: Value = device_codes(&server, TV).await.json().await.unwrap();
    let page = activate(
        &server,
        codes["verification_uri_complete"].as_str().unwrap(),
        "deny",
    )
    .await;
    assert!(page.contains("not connected"), "{page}");
    assert_eq!(
        poll_error(&server, codes["device_code"].as_str().unwrap()).await,
        "access_denied"
    );
}

#[tokio::test]
async fn user_codes_are_typed_loosely_and_anything_else_is_refused_on_the_page() {
    user_codes_are_matched_loosely_and_others_refused(TestServer::start_with(with_tv).await).await;
}

#[tokio::test]
async fn user_codes_are_typed_loosely_and_anything_else_is_refused_on_the_page_on_postgres() {
    user_codes_are_matched_loosely_and_others_refused(TestServer::start_on_postgres(with_tv).await)
        .await;
}

async fn user_codes_are_matched_loosely_and_others_refused(server: TestServer) {
    let codes: Value = device_codes(&server, TV).await.json().await.unwrap();
    let user_code = codes["user_code"].as_str().unwrap();
    let browser = Browser::new();
    let form = browser.get(&server.url("activate")).await;
    assert_eq!(form.status(), StatusCode::OK);
    assert!(form.text().await.unwrap().contains("name=\"user_code\""));
    // Lower case, no dash: still the code, on to the login page.
    let typed = user_code.replace('-', "").to_lowercase();
    let mut url = Url::parse(&server.url("activate")).unwrap();
    url.query_pairs_mut().append_pair("user_code", &typed);
    let response = browser.get(url.as_str()).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert!(header(&response, "location")
        .unwrap()
        .starts_with("/u/login"));
    for wrong in ["BCDF-GHJK", "not a code"] {
        let mut url = Url::parse(&server.url("activate")).unwrap();
        url.query_pairs_mut().append_pair("user_code", wrong);
        let response = browser.get(url.as_str()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{wrong}");
    }
    // A return to /activate/done that no activation started does nothing.
    let forged = browser
        .get(&server.url("activate/done?code=made-up&state=made-up"))
        .await;
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_grant_is_per_application_and_a_device_code_is_its_clients_only() {
    device_grant_and_codes_belong_to_their_client(TestServer::start_with(with_tv).await).await;
}

#[tokio::test]
async fn the_grant_is_per_application_and_a_device_code_is_its_clients_only_on_postgres() {
    device_grant_and_codes_belong_to_their_client(TestServer::start_on_postgres(with_tv).await)
        .await;
}

async fn device_grant_and_codes_belong_to_their_client(server: TestServer) {
    let refused = device_codes(&server, CLIENT_ID).await;
    let body: Value = refused.json().await.unwrap();
    assert_eq!(
        body["error"], "invalid_client",
        "the seed client must authenticate: {body}"
    );
    let refused = server
        .post_form(
            "oauth/device/code",
            &[("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized_client");

    let codes: Value = device_codes(&server, TV).await.json().await.unwrap();
    let other = server
        .token_form(&[
            ("grant_type", DEVICE_GRANT),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("device_code", codes["device_code"].as_str().unwrap()),
        ])
        .await;
    let body: Value = other.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized_client", "{body}");
}
