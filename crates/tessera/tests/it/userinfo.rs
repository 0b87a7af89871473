//! `/userinfo` (OIDC Core §5.3) with RFC 6750 Bearer errors, over raw HTTP.

use base64::Engine;
use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::support::*;

async fn userinfo_get(server: &TestServer, token: &str) -> Response {
    http()
        .get(server.url("userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// The `WWW-Authenticate` challenge, which must be a Bearer one.
fn bearer_challenge(response: &Response) -> String {
    let challenge = header(response, "www-authenticate").expect("WWW-Authenticate");
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    challenge
}

async fn assert_invalid_token(response: Response) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = bearer_challenge(&response);
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );
}

#[tokio::test]
async fn userinfo_without_token_is_401_with_bare_bearer_challenge() {
    let server = TestServer::start().await;
    let response = http().get(server.url("userinfo")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = bearer_challenge(&response);
    // RFC 6750 §3.1: no error code when the request had no authentication information.
    assert!(!challenge.contains("error="), "{challenge}");
}

#[tokio::test]
async fn userinfo_garbage_token_is_invalid_token() {
    let server = TestServer::start().await;
    assert_invalid_token(userinfo_get(&server, "not-a-jwt").await).await;
}

#[tokio::test]
async fn userinfo_tampered_token_is_invalid_token() {
    let server = TestServer::start().await;
    let tokens = server.tokens(&[]).await;
    let token = tokens["access_token"].as_str().unwrap();
    let mut claims = jwt_claims(token);
    claims["sub"] = "auth0|someone-else".into();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = b64.encode(serde_json::to_vec(&claims).unwrap());
    let parts: Vec<&str> = token.split('.').collect();
    let tampered = format!("{}.{}.{}", parts[0], payload, parts[2]);
    assert_invalid_token(userinfo_get(&server, &tampered).await).await;
    // The untampered token is fine.
    assert_eq!(userinfo_get(&server, token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn userinfo_token_without_openid_is_insufficient_scope() {
    let server = TestServer::start().await;
    // No audience: the token is for /userinfo alone, but without `openid`.
    let tokens = server
        .tokens_at(&server.authorize_url_without(&["audience"], &[("scope", "profile email")]))
        .await;
    let token = tokens["access_token"].as_str().unwrap();
    assert_eq!(audiences(&jwt_claims(token)), vec![server.url("userinfo")]);
    let response = userinfo_get(&server, token).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let challenge = bearer_challenge(&response);
    assert!(
        challenge.contains(r#"error="insufficient_scope""#),
        "{challenge}"
    );
}

#[tokio::test]
async fn userinfo_accepts_access_token_in_form_body() {
    let server = TestServer::start().await;
    let tokens = server.tokens(&[]).await;
    let token = tokens["access_token"].as_str().unwrap();
    let response = http()
        .post(server.url("userinfo"))
        .form(&[("access_token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["sub"], jwt_claims(token)["sub"]);
}

#[tokio::test]
async fn userinfo_get_with_bearer_returns_claims_per_scope() {
    let server = TestServer::start().await;
    let cases = [
        ("openid", false, false),
        ("openid profile", true, false),
        ("openid email", false, true),
        ("openid profile email", true, true),
    ];
    for (scope, profile, email) in cases {
        let tokens = server.tokens(&[("scope", scope)]).await;
        let token = tokens["access_token"].as_str().unwrap();
        let response = userinfo_get(&server, token).await;
        assert_eq!(response.status(), StatusCode::OK, "{scope}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["sub"], jwt_claims(token)["sub"], "{scope}");
        if profile {
            assert_eq!(body["name"], "Jane Doe", "{scope}: {body}");
            assert_eq!(body["nickname"], USERNAME, "{scope}: {body}");
        } else {
            assert!(body.get("name").is_none(), "{scope}: {body}");
        }
        if email {
            assert_eq!(body["email"], EMAIL, "{scope}: {body}");
            assert_eq!(body["email_verified"], true, "{scope}: {body}");
        } else {
            assert!(body.get("email").is_none(), "{scope}: {body}");
            assert!(body.get("email_verified").is_none(), "{scope}: {body}");
        }
    }
}
