//! Authorization code replay (RFC 6749 §4.1.2, §10.5; RFC 9700 §4.14.2): a code is good once,
//! and presenting it again revokes what its first redemption issued.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::*;

async fn redeem_form(server: &TestServer, code: &str) -> reqwest::Response {
    server
        .token_form(&[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("code", code),
            ("redirect_uri", CALLBACK),
        ])
        .await
}

#[tokio::test]
async fn code_redeemed_twice_is_invalid_grant_and_revokes_the_first_refresh_token() {
    let server = TestServer::start().await;
    let code = server
        .code(&[(
            "scope",
            "openid profile appointments contacts offline_access",
        )])
        .await;
    let first = redeem_form(&server, &code).await;
    assert_eq!(first.status(), StatusCode::OK);
    let first: Value = first.json().await.unwrap();
    let refresh_token = first["refresh_token"].as_str().expect("a refresh token");

    let second = redeem_form(&server, &code).await;
    expect_oauth_error(second, StatusCode::BAD_REQUEST, "invalid_grant").await;

    let refresh = server.refresh(refresh_token).await;
    expect_oauth_error(refresh, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn code_replay_also_revokes_refresh_tokens_rotated_from_the_first_one() {
    let server = TestServer::start_with(|c| {
        c.clients[0].refresh_token.rotation_type = "rotating".into();
    })
    .await;
    let code = server
        .code(&[(
            "scope",
            "openid profile appointments contacts offline_access",
        )])
        .await;
    let first: Value = redeem_form(&server, &code).await.json().await.unwrap();
    let r0 = first["refresh_token"].as_str().unwrap();
    let rotated = server.refresh(r0).await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let rotated: Value = rotated.json().await.unwrap();
    let r1 = rotated["refresh_token"].as_str().unwrap();

    let replay = redeem_form(&server, &code).await;
    expect_oauth_error(replay, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let refresh = server.refresh(r1).await;
    expect_oauth_error(refresh, StatusCode::BAD_REQUEST, "invalid_grant").await;
}
