//! The resource owner password grant (RFC 6749 §4.3) and Auth0's `password-realm`: off unless
//! a first-party client enables it; the password checked as the login page checks it, under
//! the same brute-force protection. Driven by the `oauth2` crate; refusals over raw HTTP.

use oauth2::basic::BasicClient;
use oauth2::{
    ClientId, ClientSecret, RefreshToken, ResourceOwnerPassword, ResourceOwnerUsername, Scope,
    TokenResponse, TokenUrl,
};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use tessera::config::Config;

use crate::management::{encoded, expect_status, Mgmt};
use crate::support::*;

const REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";

/// The seed client with the password grants enabled beside its defaults.
fn with_password_grant(config: &mut Config) {
    config.clients[0].grant_types = Some(vec![
        "authorization_code".into(),
        "refresh_token".into(),
        "password".into(),
        REALM.into(),
    ]);
}

async fn password_grant(server: &TestServer, extra: &[(&str, &str)]) -> Response {
    let mut form = vec![
        ("grant_type", "password"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ];
    form.extend_from_slice(extra);
    server.token_form(&form).await
}

async fn error_of(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-store")
    );
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_first_party_app_exchanges_a_password_for_tokens_with_the_oauth2_crate() {
    let server = TestServer::start_with(with_password_grant).await;
    let client = BasicClient::new(ClientId::new(CLIENT_ID.into()))
        .set_client_secret(ClientSecret::new(CLIENT_SECRET.into()))
        .set_token_uri(TokenUrl::new(server.url("oauth/token")).unwrap());
    let http = library_http();
    let tokens = client
        .exchange_password(
            &ResourceOwnerUsername::new(EMAIL.into()),
            &ResourceOwnerPassword::new(PASSWORD.into()),
        )
        .add_scope(Scope::new("openid".into()))
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("appointments".into()))
        .add_scope(Scope::new("offline_access".into()))
        .add_extra_param("audience", API)
        .request_async(&http)
        .await
        .unwrap();
    let granted: Vec<String> = tokens
        .scopes()
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        granted,
        ["openid", "profile", "appointments", "offline_access"]
    );
    let access = tokens.access_token().secret().clone();
    let userinfo: Value = http_get_json(&server, "userinfo", &access).await;
    assert_eq!(userinfo["email"].as_str(), None, "email was not asked for");
    assert!(userinfo["sub"].as_str().unwrap().starts_with("auth0|"));

    // The refresh token it came with works, as after any other login.
    let refresh = tokens.refresh_token().unwrap().clone();
    let refreshed = client
        .exchange_refresh_token(&RefreshToken::new(refresh.secret().clone()))
        .request_async(&http)
        .await
        .unwrap();
    assert!(!refreshed.access_token().secret().is_empty());
}

async fn http_get_json(server: &TestServer, path: &str, token: &str) -> Value {
    let response = http()
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_answer_carries_an_id_token_and_without_a_scope_every_scope_of_the_api() {
    let server = TestServer::start_with(with_password_grant).await;
    let with_openid = password_grant(
        &server,
        &[
            ("username", USERNAME),
            ("password", PASSWORD),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(with_openid.status(), StatusCode::OK);
    let body: Value = with_openid.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["id_token"].is_string(), "{body}");
    assert!(body["refresh_token"].is_null(), "no offline_access: {body}");

    // Auth0: with no scope asked, the trusted application gets every scope of the API.
    let without_scope = password_grant(
        &server,
        &[
            ("username", USERNAME),
            ("password", PASSWORD),
            ("audience", API),
        ],
    )
    .await;
    assert_eq!(without_scope.status(), StatusCode::OK);
    let body: Value = without_scope.json().await.unwrap();
    assert_eq!(body["scope"], "appointments contacts");
    assert!(body["id_token"].is_null(), "no openid: {body}");

    let unknown = password_grant(
        &server,
        &[
            ("username", USERNAME),
            ("password", PASSWORD),
            ("audience", API),
            ("scope", "openid billing"),
        ],
    )
    .await;
    let body = error_of(unknown, StatusCode::BAD_REQUEST).await;
    assert_eq!(body["error"], "invalid_scope");
}

#[tokio::test]
async fn password_realm_must_name_the_database_connection() {
    let server = TestServer::start_with(with_password_grant).await;
    let realm = |realm: &'static str| {
        let server = &server;
        async move {
            server
                .token_form(&[
                    ("grant_type", REALM),
                    ("client_id", CLIENT_ID),
                    ("client_secret", CLIENT_SECRET),
                    ("username", USERNAME),
                    ("password", PASSWORD),
                    ("realm", realm),
                ])
                .await
        }
    };
    assert_eq!(
        realm("Username-Password-Authentication").await.status(),
        StatusCode::OK
    );
    let body = error_of(realm("corporate-ldap").await, StatusCode::BAD_REQUEST).await;
    assert_eq!(body["error"], "invalid_request");
    let missing = server
        .token_form(&[
            ("grant_type", REALM),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("username", USERNAME),
            ("password", PASSWORD),
        ])
        .await;
    let body = error_of(missing, StatusCode::BAD_REQUEST).await;
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("realm"),
        "{body}"
    );
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let server = TestServer::start_with(with_password_grant).await;
    let wrong = password_grant(&server, &[("username", USERNAME), ("password", "nope")]).await;
    let wrong = error_of(wrong, StatusCode::BAD_REQUEST).await;
    let unknown = password_grant(&server, &[("username", "nobody"), ("password", "nope")]).await;
    let unknown = error_of(unknown, StatusCode::BAD_REQUEST).await;
    assert_eq!(wrong, unknown);
    assert_eq!(
        wrong,
        json!({ "error": "invalid_grant", "error_description": "Wrong email or password." })
    );
}

#[tokio::test]
async fn failures_count_toward_the_same_brute_force_block_as_the_login_page() {
    let server = TestServer::start_with(|c| {
        with_password_grant(c);
        c.brute_force_max_attempts = 3;
    })
    .await;
    for _ in 0..3 {
        let wrong = password_grant(&server, &[("username", USERNAME), ("password", "nope")]).await;
        assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    }
    // Blocked now, even with the right password; the answer says when to retry.
    let blocked = password_grant(&server, &[("username", USERNAME), ("password", PASSWORD)]).await;
    assert!(header(&blocked, "retry-after").is_some());
    let body = error_of(blocked, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(body["error"], "too_many_attempts");
    // The hosted login page refuses the same account from the same address.
    let browser = Browser::new();
    let (page, url) = browser.open(&server.authorize_url(&[])).await;
    let html = page.text().await.unwrap();
    let refused = browser.submit_login(&url, &html, USERNAME, PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);

    // After the cooldown the right password works again.
    server.clock.advance(15 * 60 + 1);
    let again = password_grant(&server, &[("username", USERNAME), ("password", PASSWORD)]).await;
    assert_eq!(again.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_blocked_user_is_unauthorized_and_the_grant_is_logged() {
    let m = Mgmt::start_with(with_password_grant).await;
    let ok = password_grant(&m.server, &[("username", USERNAME), ("password", PASSWORD)]).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let user_id = m.seed_user_id().await;
    expect_status(
        m.patch(
            &format!("/api/v2/users/{}", encoded(&user_id)),
            json!({ "blocked": true }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let blocked =
        password_grant(&m.server, &[("username", USERNAME), ("password", PASSWORD)]).await;
    let body = error_of(blocked, StatusCode::UNAUTHORIZED).await;
    assert_eq!(
        body,
        json!({ "error": "unauthorized", "error_description": "user is blocked" })
    );
    m.server.flush_audit().await;
    let logs = m.get_ok("/api/v2/logs?q=type%3Asepft").await;
    let logs = logs.as_array().unwrap();
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!(logs[0]["user_id"], user_id.as_str());
    assert_eq!(logs[0]["client_id"], CLIENT_ID);
}

#[tokio::test]
async fn the_grant_is_off_by_default_and_never_for_third_party_apps() {
    let off = TestServer::start().await;
    let response = password_grant(&off, &[("username", USERNAME), ("password", PASSWORD)]).await;
    let body = error_of(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(body["error"], "unauthorized_client");

    let third_party = TestServer::start_with(|c| {
        with_password_grant(c);
        c.clients[0].is_first_party = false;
    })
    .await;
    let response = password_grant(
        &third_party,
        &[("username", USERNAME), ("password", PASSWORD)],
    )
    .await;
    let body = error_of(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(body["error"], "unauthorized_client");
}
