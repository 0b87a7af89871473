//! Token revocation (RFC 7009, Auth0's `POST /oauth/revoke`) and introspection (RFC 7662,
//! `POST /oauth/introspect`) over raw HTTP.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tessera::config::ClientConfig;

use crate::support::*;

const OTHER_CLIENT: &str = "otherapp";
const SPA: &str = "myspa";

fn other_client() -> ClientConfig {
    ClientConfig {
        client_id: OTHER_CLIENT.into(),
        client_secret: Some(CLIENT_SECRET.into()),
        name: "Other App".into(),
        callbacks: vec![CALLBACK.into()],
        ..ClientConfig::default()
    }
}

fn spa() -> ClientConfig {
    ClientConfig {
        client_id: SPA.into(),
        name: "My SPA".into(),
        app_type: "spa".into(),
        callbacks: vec!["http://127.0.0.1:4000/spa/callback".into()],
        ..ClientConfig::default()
    }
}

/// `POST /oauth/revoke` as `client_id` (with the seed's secret), the secret in the body.
pub async fn revoke(server: &TestServer, client_id: &str, token: &str) -> reqwest::Response {
    server
        .post_form(
            "oauth/revoke",
            &[
                ("client_id", client_id),
                ("client_secret", CLIENT_SECRET),
                ("token", token),
            ],
        )
        .await
}

/// Introspects `token` as the seed client (HTTP Basic) and returns the 200 body.
async fn introspect(server: &TestServer, token: &str) -> Value {
    let response = http()
        .post(server.url("oauth/introspect"))
        .header("authorization", basic_auth(CLIENT_ID, CLIENT_SECRET))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-store")
    );
    response.json().await.unwrap()
}

fn refresh_token(tokens: &Value) -> String {
    tokens["refresh_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn revoked_refresh_token_can_no_longer_be_used() {
    let server = TestServer::start().await;
    let rt = refresh_token(&server.offline_tokens_for(CLIENT_ID).await);
    let response = server
        .post_form(
            "oauth/revoke",
            &[
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
                ("token", &rt),
                ("token_type_hint", "refresh_token"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let refresh = server.refresh(&rt).await;
    expect_oauth_error(refresh, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn revocation_with_http_basic_works() {
    let server = TestServer::start().await;
    let rt = refresh_token(&server.offline_tokens_for(CLIENT_ID).await);
    let response = http()
        .post(server.url("oauth/revoke"))
        .header("authorization", basic_auth(CLIENT_ID, CLIENT_SECRET))
        .form(&[("token", rt.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let refresh = server.refresh(&rt).await;
    expect_oauth_error(refresh, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn revoking_an_unknown_token_is_ok() {
    // RFC 7009 §2.2: an invalid token is not an error.
    let server = TestServer::start().await;
    let response = revoke(&server, CLIENT_ID, "no-such-token-0123456789").await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn revoking_another_clients_token_is_refused_and_leaves_it_working() {
    // RFC 7009 §2.1: the server verifies the token was issued to the client asking.
    let server = TestServer::start_with(|c| c.clients.push(other_client())).await;
    let rt = refresh_token(&server.offline_tokens_for(CLIENT_ID).await);
    let response = revoke(&server, OTHER_CLIENT, &rt).await;
    expect_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;

    let refresh = server.refresh(&rt).await;
    assert_eq!(
        refresh.status(),
        StatusCode::OK,
        "the token was not revoked"
    );
}

#[tokio::test]
async fn revocation_without_client_authentication_is_invalid_client() {
    let server = TestServer::start().await;
    let rt = refresh_token(&server.offline_tokens_for(CLIENT_ID).await);
    let response = server.post_form("oauth/revoke", &[("token", &rt)]).await;
    expect_oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;

    let wrong_secret = server
        .post_form(
            "oauth/revoke",
            &[
                ("client_id", CLIENT_ID),
                ("client_secret", "wrong-secret"),
                ("token", &rt),
            ],
        )
        .await;
    expect_oauth_error(wrong_secret, StatusCode::UNAUTHORIZED, "invalid_client").await;
    assert_eq!(server.refresh(&rt).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn introspection_of_an_active_access_token_describes_it() {
    let server = TestServer::start().await;
    let tokens = server.tokens(&[]).await;
    let access_token = tokens["access_token"].as_str().unwrap();
    let claims = jwt_claims(access_token);
    let body = introspect(&server, access_token).await;
    assert_eq!(body["active"], true, "{body}");
    assert_eq!(body["token_type"], "access_token", "{body}");
    assert_eq!(body["sub"], claims["sub"], "{body}");
    assert_eq!(body["client_id"], CLIENT_ID, "{body}");
    assert_eq!(body["scope"], "openid profile email appointments", "{body}");
    assert_eq!(body["exp"], claims["exp"], "{body}");
    assert!(
        body["exp"].as_i64().unwrap() > server.clock.now().0,
        "{body}"
    );
    assert_eq!(body["iss"], server.issuer, "{body}");
}

#[tokio::test]
async fn introspection_of_an_active_refresh_token_describes_it() {
    let server = TestServer::start().await;
    let tokens = server.offline_tokens_for(CLIENT_ID).await;
    let sub = jwt_claims(tokens["access_token"].as_str().unwrap())["sub"].clone();
    let body = introspect(&server, &refresh_token(&tokens)).await;
    assert_eq!(body["active"], true, "{body}");
    assert_eq!(body["token_type"], "refresh_token", "{body}");
    assert_eq!(body["client_id"], CLIENT_ID, "{body}");
    assert_eq!(body["sub"], sub, "{body}");
    assert_eq!(
        body["scope"], "openid profile appointments contacts offline_access",
        "{body}"
    );
}

#[tokio::test]
async fn introspection_of_a_revoked_or_garbage_token_is_just_inactive() {
    let server = TestServer::start().await;
    let rt = refresh_token(&server.offline_tokens_for(CLIENT_ID).await);
    assert_eq!(
        revoke(&server, CLIENT_ID, &rt).await.status(),
        StatusCode::OK
    );
    assert_eq!(introspect(&server, &rt).await, json!({ "active": false }));
    assert_eq!(
        introspect(&server, "garbage.garbage.garbage").await,
        json!({ "active": false })
    );
    assert_eq!(
        introspect(&server, "not-a-token-at-all").await,
        json!({ "active": false })
    );
}

#[tokio::test]
async fn introspection_by_a_public_client_is_invalid_client() {
    let server = TestServer::start_with(|c| c.clients.push(spa())).await;
    let tokens = server.tokens(&[]).await;
    let response = server
        .post_form(
            "oauth/introspect",
            &[
                ("client_id", SPA),
                ("token", tokens["access_token"].as_str().unwrap()),
            ],
        )
        .await;
    expect_oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn introspection_without_client_authentication_is_invalid_client() {
    let server = TestServer::start().await;
    let tokens = server.tokens(&[]).await;
    let response = server
        .post_form(
            "oauth/introspect",
            &[("token", tokens["access_token"].as_str().unwrap())],
        )
        .await;
    expect_oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn revocation_and_introspection_are_advertised_in_discovery() {
    let server = TestServer::start().await;
    let document = server.discovery().await;
    assert_eq!(document["revocation_endpoint"], server.url("oauth/revoke"));
    assert_eq!(
        document["introspection_endpoint"],
        server.url("oauth/introspect")
    );
    for key in [
        "revocation_endpoint_auth_methods_supported",
        "introspection_endpoint_auth_methods_supported",
    ] {
        let methods = document[key].as_array().expect(key);
        assert!(
            methods.contains(&json!("client_secret_basic")),
            "{key}: {methods:?}"
        );
    }
    // A public client cannot introspect, so "none" must not be advertised for it.
    assert!(!document["introspection_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("none")));
}

#[tokio::test]
async fn public_client_revokes_its_own_refresh_token_with_its_client_id() {
    // RFC 7009 §2.1: a public client identifies itself with client_id alone.
    let server = TestServer::start_with(|c| c.clients.push(spa())).await;
    let spa_callback = "http://127.0.0.1:4000/spa/callback";
    let (challenge, verifier) = openidconnect::PkceCodeChallenge::new_random_sha256();
    let callback = Browser::new()
        .sign_in(&server.authorize_url(&[
            ("client_id", SPA),
            ("redirect_uri", spa_callback),
            ("scope", "openid appointments offline_access"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ]))
        .await;
    let code = query_param(&callback, "code").unwrap();
    let response = server
        .token_form(&[
            ("grant_type", "authorization_code"),
            ("client_id", SPA),
            ("code", &code),
            ("redirect_uri", spa_callback),
            ("code_verifier", verifier.secret()),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let rt = refresh_token(&response.json().await.unwrap());

    let revoked = server
        .post_form("oauth/revoke", &[("client_id", SPA), ("token", &rt)])
        .await;
    assert_eq!(revoked.status(), StatusCode::OK);
    let refresh = server.refresh_as(SPA, None, &rt, None).await;
    expect_oauth_error(refresh, StatusCode::BAD_REQUEST, "invalid_grant").await;
}
