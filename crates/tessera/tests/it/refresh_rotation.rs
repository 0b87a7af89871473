//! Refresh tokens, Auth0 style (RFC 6749 §6, RFC 9700 §4.14.2): rotation with reuse detection
//! that revokes the whole family, the reuse leeway, non-rotating tokens, scope narrowing, and
//! the absolute and inactivity lifetimes.

use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::{ClientId, ClientSecret, RefreshToken, TokenResponse, TokenUrl};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use tessera::config::{Config, RefreshTokenConfig};

use crate::support::*;

/// The seed with its client's refresh token settings changed by `adjust`.
async fn server_with_refresh(adjust: impl FnOnce(&mut RefreshTokenConfig)) -> TestServer {
    TestServer::start_with(|config: &mut Config| adjust(&mut config.clients[0].refresh_token)).await
}

async fn rotating_server(leeway: i64) -> TestServer {
    server_with_refresh(|r| {
        r.rotation_type = "rotating".into();
        r.leeway = leeway;
    })
    .await
}

/// A refresh token from a fresh authorization of the seed client.
async fn first_refresh_token(server: &TestServer) -> String {
    server.offline_tokens_for(CLIENT_ID).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Refreshes successfully and returns the response body.
async fn refreshed(server: &TestServer, refresh_token: &str) -> Value {
    let response = server.refresh(refresh_token).await;
    assert_eq!(response.status(), StatusCode::OK, "refreshing should work");
    let body: Value = response.json().await.unwrap();
    assert!(body["access_token"].is_string(), "{body}");
    body
}

fn refresh_token_of(body: &Value) -> String {
    body["refresh_token"]
        .as_str()
        .expect("a refresh_token in the response")
        .to_owned()
}

async fn assert_invalid_grant(response: Response) {
    expect_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn rotating_refresh_returns_a_new_token_each_time_and_the_old_one_stops_working() {
    let server = rotating_server(0).await;
    let r0 = first_refresh_token(&server).await;
    let r1 = refresh_token_of(&refreshed(&server, &r0).await);
    let r2 = refresh_token_of(&refreshed(&server, &r1).await);
    assert_ne!(r0, r1);
    assert_ne!(r1, r2);
    assert_ne!(r0, r2);

    // r0 was rotated (leeway 0): presenting it again is refused at once.
    assert_invalid_grant(server.refresh(&r0).await).await;
}

#[tokio::test]
async fn replaying_a_rotated_refresh_token_revokes_the_whole_family() {
    let server = rotating_server(0).await;
    // Another authorization's family, which the replay must not touch.
    let unrelated = first_refresh_token(&server).await;

    let r0 = first_refresh_token(&server).await;
    let r1 = refresh_token_of(&refreshed(&server, &r0).await);
    let r2 = refresh_token_of(&refreshed(&server, &r1).await);

    // An attacker replays r1, which the legitimate client already exchanged for r2.
    assert_invalid_grant(server.refresh(&r1).await).await;
    // RFC 9700 §4.14.2: the whole family is revoked, so the newest token fails too…
    assert_invalid_grant(server.refresh(&r2).await).await;
    // …and so does the family's first token.
    assert_invalid_grant(server.refresh(&r0).await).await;

    // Other families are untouched.
    let other = refreshed(&server, &unrelated).await;
    assert!(other["refresh_token"].is_string());
}

#[tokio::test]
async fn replaying_a_rotated_refresh_token_a_second_later_revokes_the_whole_family() {
    // The same rule once the clock has moved past the rotation's second.
    let server = rotating_server(0).await;
    let r0 = first_refresh_token(&server).await;
    let r1 = refresh_token_of(&refreshed(&server, &r0).await);
    server.clock.advance(1);
    assert_invalid_grant(server.refresh(&r0).await).await;
    assert_invalid_grant(server.refresh(&r1).await).await;
}

#[tokio::test]
async fn rotated_token_reused_within_the_leeway_still_works() {
    let server = rotating_server(5).await;
    let r0 = first_refresh_token(&server).await;
    let r1 = refresh_token_of(&refreshed(&server, &r0).await);

    // A racing retry with r0 within 5 s gets tokens, and revokes nothing.
    let retry = refreshed(&server, &r0).await;
    let sibling = refresh_token_of(&retry);
    assert_ne!(sibling, r0);
    assert_ne!(sibling, r1);
    assert!(refreshed(&server, &r1).await["refresh_token"].is_string());
}

#[tokio::test]
async fn non_rotating_refresh_returns_the_same_token_which_keeps_working() {
    let server = server_with_refresh(|r| r.rotation_type = "non-rotating".into()).await;
    let r0 = first_refresh_token(&server).await;
    for _ in 0..3 {
        let body = refreshed(&server, &r0).await;
        assert_eq!(refresh_token_of(&body), r0);
    }
}

#[tokio::test]
async fn refresh_may_narrow_the_scope() {
    let server = TestServer::start().await;
    let r0 = first_refresh_token(&server).await;
    let response = server
        .refresh_as(
            CLIENT_ID,
            Some(CLIENT_SECRET),
            &r0,
            Some("openid appointments"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["scope"], "openid appointments", "{body}");
    assert_eq!(
        jwt_claims(body["access_token"].as_str().unwrap())["scope"],
        "openid appointments"
    );
    // Narrowing one response does not shrink the grant: the full scope comes back next time.
    let full = refreshed(&server, &r0).await;
    assert_eq!(
        full["scope"], "openid profile appointments contacts offline_access",
        "{full}"
    );
}

#[tokio::test]
async fn refresh_may_not_widen_the_scope() {
    let server = TestServer::start().await;
    let r0 = first_refresh_token(&server).await;
    let response = server
        .refresh_as(
            CLIENT_ID,
            Some(CLIENT_SECRET),
            &r0,
            Some("openid profile email appointments"),
        )
        .await;
    expect_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_scope").await;
    // The refused request did not use the token up.
    refreshed(&server, &r0).await;
}

#[tokio::test]
async fn refresh_token_expires_after_the_idle_lifetime() {
    let server = server_with_refresh(|r| r.idle_token_lifetime = 3600).await;
    let r0 = first_refresh_token(&server).await;
    // Each use restarts the idle lifetime: three uses 50 minutes apart keep it alive.
    for _ in 0..3 {
        server.clock.advance(3000);
        refreshed(&server, &r0).await;
    }
    server.clock.advance(3600);
    assert_invalid_grant(server.refresh(&r0).await).await;
}

#[tokio::test]
async fn refresh_token_expires_after_the_absolute_lifetime() {
    let server = server_with_refresh(|r| {
        r.token_lifetime = 7200;
        r.infinite_idle_token_lifetime = true;
    })
    .await;
    let r0 = first_refresh_token(&server).await;
    server.clock.advance(7199);
    refreshed(&server, &r0).await;
    server.clock.advance(1);
    assert_invalid_grant(server.refresh(&r0).await).await;
}

#[tokio::test]
async fn refresh_with_the_oauth2_crate_rotates_the_token() {
    let server = rotating_server(0).await;
    let r0 = first_refresh_token(&server).await;
    let client = BasicClient::new(ClientId::new(CLIENT_ID.into()))
        .set_client_secret(ClientSecret::new(CLIENT_SECRET.into()))
        .set_token_uri(TokenUrl::new(server.url("oauth/token")).unwrap());
    let http = library_http();

    let first = client
        .exchange_refresh_token(&RefreshToken::new(r0.clone()))
        .request_async(&http)
        .await
        .unwrap();
    let r1 = first.refresh_token().expect("a rotated refresh token");
    assert_ne!(r1.secret(), &r0);
    assert_eq!(
        first.expires_in(),
        Some(Duration::from_secs(3600)),
        "the API's token lifetime"
    );
    let claims = jwt_claims(first.access_token().secret());
    assert_eq!(claims["client_id"], CLIENT_ID);
    assert!(audiences(&claims).contains(&API.to_owned()));

    let second = client
        .exchange_refresh_token(r1)
        .request_async(&http)
        .await
        .unwrap();
    let r2 = second.refresh_token().expect("a rotated refresh token");
    assert_ne!(r2.secret(), r1.secret());
}
