//! Revocation that holds: an access token revoked by RFC 7009, by a replayed code, with its
//! refresh-token family, or by deleting its grant, client or user — or blocking the user — is
//! refused by `/userinfo`, `/oauth/introspect` and (when it introspects) `tessera-resource`
//! until it would have expired; other tokens keep working.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tessera_resource::{IntrospectionOptions, Validator, ValidatorOptions};

use crate::management::{encoded, expect_status, Mgmt};
use crate::revocation::revoke;
use crate::support::*;

const OFFLINE: &str = "openid profile appointments contacts offline_access";

async fn userinfo(server: &TestServer, access_token: &str) -> StatusCode {
    http()
        .get(server.url("userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .status()
}

/// Whether the seed client's introspection says `token` is active.
async fn active(server: &TestServer, token: &str) -> bool {
    let response = http()
        .post(server.url("oauth/introspect"))
        .header("authorization", basic_auth(CLIENT_ID, CLIENT_SECRET))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["active"].as_bool().unwrap()
}

/// Accepted at userinfo and by introspection, or refused by both.
async fn assert_usable(server: &TestServer, access_token: &str, usable: bool) {
    let expected = if usable {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    };
    assert_eq!(userinfo(server, access_token).await, expected, "userinfo");
    assert_eq!(active(server, access_token).await, usable, "introspection");
}

fn access(tokens: &Value) -> String {
    tokens["access_token"].as_str().unwrap().to_owned()
}

async fn refreshed(server: &TestServer, refresh_token: &str) -> Value {
    let response = server.refresh(refresh_token).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_revoked_access_token_is_refused_until_it_expires_and_nothing_else_is() {
    let server = TestServer::start().await;
    let tokens = server.tokens(&[("scope", OFFLINE)]).await;
    let other = server.tokens(&[("scope", "openid profile")]).await;
    let revoked = access(&tokens);
    assert_usable(&server, &revoked, true).await;

    let response = revoke(&server, CLIENT_ID, &revoked).await;
    assert_eq!(response.status(), StatusCode::OK);
    let refused = http()
        .get(server.url("userinfo"))
        .bearer_auth(&revoked)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let challenge = header(&refused, "www-authenticate").unwrap();
    assert!(
        challenge.contains("invalid_token") && challenge.contains("revoked"),
        "{challenge}"
    );
    assert!(!active(&server, &revoked).await);

    // Revoking it again is fine (RFC 7009 §2.2); the other login's token and the refresh
    // token of this one (RFC 7009 leaves the grant alone when an access token is revoked)
    // still work, and so does the access token that refresh mints.
    assert_eq!(
        revoke(&server, CLIENT_ID, &revoked).await.status(),
        StatusCode::OK
    );
    assert_usable(&server, &access(&other), true).await;
    let next = refreshed(&server, tokens["refresh_token"].as_str().unwrap()).await;
    assert_usable(&server, &access(&next), true).await;
}

#[tokio::test]
async fn another_client_cannot_revoke_an_access_token() {
    let server = TestServer::start_with(|c| {
        c.clients.push(tessera::config::ClientConfig {
            client_id: "otherapp".into(),
            client_secret: Some(CLIENT_SECRET.into()),
            name: "Other App".into(),
            callbacks: vec![CALLBACK.into()],
            ..Default::default()
        })
    })
    .await;
    let token = access(&server.tokens(&[]).await);
    let response = revoke(&server, "otherapp", &token).await;
    expect_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_usable(&server, &token, true).await;
}

#[tokio::test]
async fn a_revoked_refresh_token_takes_every_access_token_of_its_grant_with_it() {
    let server = TestServer::start().await;
    let first = server.tokens(&[("scope", OFFLINE)]).await;
    let second = refreshed(&server, first["refresh_token"].as_str().unwrap()).await;
    let unrelated = server.tokens(&[("scope", OFFLINE)]).await;

    let response = revoke(
        &server,
        CLIENT_ID,
        second["refresh_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_usable(&server, &access(&first), false).await;
    assert_usable(&server, &access(&second), false).await;
    assert_usable(&server, &access(&unrelated), true).await;
}

#[tokio::test]
async fn a_replayed_code_refuses_the_access_token_it_issued() {
    // RFC 6749 §4.1.2: the server SHOULD revoke all tokens previously issued from the code.
    let server = TestServer::start().await;
    let code = server.code(&[("scope", OFFLINE)]).await;
    let tokens = server.redeem(&code).await;
    let rotated = refreshed(&server, tokens["refresh_token"].as_str().unwrap()).await;
    assert_usable(&server, &access(&tokens), true).await;

    let replay = server
        .token_json(json!({
            "grant_type": "authorization_code",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "code": code,
            "redirect_uri": CALLBACK,
        }))
        .await;
    expect_oauth_error(replay, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert_usable(&server, &access(&tokens), false).await;
    assert_usable(&server, &access(&rotated), false).await;
}

#[tokio::test]
async fn a_reused_refresh_token_refuses_the_access_tokens_of_its_family() {
    let server = TestServer::start_with(|c| {
        c.clients[0].refresh_token.rotation_type = "rotating".into();
    })
    .await;
    let tokens = server.tokens(&[("scope", OFFLINE)]).await;
    let old = tokens["refresh_token"].as_str().unwrap();
    let next = refreshed(&server, old).await;
    assert_usable(&server, &access(&next), true).await;

    let reuse = server.refresh(old).await;
    expect_oauth_error(reuse, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert_usable(&server, &access(&tokens), false).await;
    assert_usable(&server, &access(&next), false).await;
}

#[tokio::test]
async fn deleting_the_grant_refuses_the_users_tokens_for_that_client() {
    let m = Mgmt::start().await;
    let tokens = m.server.tokens(&[("scope", OFFLINE)]).await;
    let user_id = m.seed_user_id().await;
    let grants = m
        .get_ok(&format!("/api/v2/grants?user_id={}", encoded(&user_id)))
        .await;
    let grant = grants
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["clientID"] == CLIENT_ID)
        .unwrap_or_else(|| panic!("the seed client's grant in {grants}"));
    let id = grant["id"].as_str().unwrap();
    expect_status(
        m.delete(&format!("/api/v2/grants/{id}")).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_usable(&m.server, &access(&tokens), false).await;
    // The management client's own token (another client) is untouched.
    assert_eq!(
        m.get(&format!("/api/v2/users/{}", encoded(&user_id)))
            .await
            .status(),
        StatusCode::OK,
        "another client's token still works"
    );
}

#[tokio::test]
async fn blocking_the_user_refuses_their_tokens_issued_before_and_unblocking_lets_new_ones_work() {
    let m = Mgmt::start().await;
    let before = m.server.tokens(&[("scope", OFFLINE)]).await;
    let user_id = m.seed_user_id().await;
    let path = format!("/api/v2/users/{}", encoded(&user_id));
    expect_status(
        m.patch(&path, json!({ "blocked": true })).await,
        StatusCode::OK,
    )
    .await;
    assert_usable(&m.server, &access(&before), false).await;

    m.server.clock.advance(1);
    expect_status(
        m.patch(&path, json!({ "blocked": false })).await,
        StatusCode::OK,
    )
    .await;
    assert_usable(&m.server, &access(&before), false).await;
    let after = m.server.tokens(&[("scope", OFFLINE)]).await;
    assert_usable(&m.server, &access(&after), true).await;
}

#[tokio::test]
async fn deleting_the_user_or_the_client_refuses_their_tokens() {
    let m = Mgmt::start().await;
    let users_token = m.server.tokens(&[]).await;
    let user_id = m.seed_user_id().await;
    expect_status(
        m.delete(&format!("/api/v2/users/{}", encoded(&user_id)))
            .await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_eq!(
        userinfo(&m.server, &access(&users_token)).await,
        StatusCode::UNAUTHORIZED
    );
    assert!(!active(&m.server, &access(&users_token)).await);

    // A machine-to-machine client's token, refused once the client is deleted.
    let client = m.create_m2m_client("Reporter").await;
    let client_id = client["client_id"].as_str().unwrap();
    m.grant(client_id, API, &["appointments"]).await;
    let response = m
        .server
        .token_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", client["client_secret"].as_str().unwrap()),
            ("audience", API),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let m2m = access(&response.json().await.unwrap());
    assert!(active(&m.server, &m2m).await);
    expect_status(
        m.send(
            Method::DELETE,
            &format!("/api/v2/clients/{client_id}"),
            None,
        )
        .await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert!(!active(&m.server, &m2m).await);
}

#[tokio::test]
async fn a_revoked_token_is_accepted_again_by_nothing_until_its_expiry_passes() {
    // The deny list keeps a revoked token's row until the token expires; after that the
    // token is refused as expired anyway.
    let server = TestServer::start().await;
    let token = access(&server.tokens(&[]).await);
    revoke(&server, CLIENT_ID, &token).await;
    server.clock.advance(3_599);
    assert_usable(&server, &token, false).await;
    server.clock.advance(1);
    let response = http()
        .get(server.url("userinfo"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let challenge = header(&response, "www-authenticate").unwrap();
    assert!(challenge.contains("expired"), "{challenge}");
}

#[tokio::test]
async fn an_api_that_introspects_refuses_a_revoked_token_at_once() {
    let server = TestServer::start().await;
    let token = access(&server.tokens(&[]).await);
    let introspecting = Validator::with_options(
        server.issuer.clone(),
        API,
        ValidatorOptions {
            introspection: Some(IntrospectionOptions {
                endpoint: None,
                client_id: CLIENT_ID.into(),
                client_secret: CLIENT_SECRET.into(),
            }),
            ..Default::default()
        },
    );
    let offline_only = Validator::new(server.issuer.clone(), API);
    let now = server.clock.now().0;
    introspecting.validate_at(&token, now).await.unwrap();

    revoke(&server, CLIENT_ID, &token).await;
    let refused = introspecting.validate_at(&token, now).await.unwrap_err();
    assert_eq!(refused.code(), Some("invalid_token"), "{refused}");
    // Without introspection an API trusts the signature until the token expires.
    offline_only.validate_at(&token, now).await.unwrap();

    // Introspection with a wrong secret is the API's misconfiguration, not the token's fault.
    let misconfigured = Validator::with_options(
        server.issuer.clone(),
        API,
        ValidatorOptions {
            introspection: Some(IntrospectionOptions {
                endpoint: None,
                client_id: CLIENT_ID.into(),
                client_secret: "wrong".into(),
            }),
            ..Default::default()
        },
    );
    let other = access(&server.tokens(&[]).await);
    let error = misconfigured.validate_at(&other, now).await.unwrap_err();
    assert_eq!(error.status(), StatusCode::SERVICE_UNAVAILABLE, "{error}");
}
