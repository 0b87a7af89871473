//! `POST /oauth/token` over raw HTTP: client authentication (RFC 6749 §2.3), the code and
//! refresh grants (§4.1.3, §6), error responses (§5.2), and the tokens issued (RFC 9068, OIDC).

use base64::Engine;
use reqwest::header::AUTHORIZATION;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tessera::config::ClientConfig;

use crate::support::*;

const OTHER_CLIENT: &str = "otherapp";
const OTHER_SECRET: &str = "otherapp-secret-0123456789abcdef0123456789ab";

fn other_client(id: &str, secret: &str) -> ClientConfig {
    ClientConfig {
        client_id: id.into(),
        client_secret: Some(secret.into()),
        name: "Other App".into(),
        callbacks: vec![CALLBACK.into()],
        ..ClientConfig::default()
    }
}

/// Posts a form to the token endpoint with an `Authorization` header.
async fn token_form_with_auth(
    server: &TestServer,
    authorization: &str,
    pairs: &[(&str, &str)],
) -> Response {
    http()
        .post(server.url("oauth/token"))
        .header(AUTHORIZATION, authorization)
        .form(pairs)
        .send()
        .await
        .unwrap()
}

/// Posts `body` as-is with `content_type`.
async fn token_raw(server: &TestServer, content_type: &str, body: &str) -> Response {
    http()
        .post(server.url("oauth/token"))
        .header("content-type", content_type)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

/// Asserts an RFC 6749 §5.2 error with `status` and `code`; returns the body.
async fn assert_token_error(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status);
    assert_no_store(&response);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    assert!(body.get("access_token").is_none());
    body
}

fn assert_no_store(response: &Response) {
    assert_eq!(
        header(response, "cache-control").as_deref(),
        Some("no-store")
    );
    assert_eq!(header(response, "pragma").as_deref(), Some("no-cache"));
}

/// A code redemption form for the seed client.
fn code_form(code: &str) -> Vec<(&'static str, String)> {
    vec![
        ("grant_type", "authorization_code".into()),
        ("client_id", CLIENT_ID.into()),
        ("client_secret", CLIENT_SECRET.into()),
        ("code", code.into()),
        ("redirect_uri", CALLBACK.into()),
    ]
}

fn pairs<'a>(form: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn sorted_keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

async fn refresh(server: &TestServer, refresh_token: &str, scope: Option<&str>) -> Response {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("refresh_token", refresh_token),
    ];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    server.token_form(&form).await
}

// --- Response headers and body encodings ---

#[tokio::test]
async fn token_responses_success_and_error_are_not_cacheable() {
    let server = TestServer::start().await;
    let code = server.code(&[]).await;
    let ok = server.token_form(&pairs(&code_form(&code))).await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_no_store(&ok);

    let reused = server.token_form(&pairs(&code_form(&code))).await;
    assert_token_error(reused, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let bad_client = server
        .token_form(&[
            ("grant_type", "authorization_code"),
            ("client_id", "nobody"),
            ("client_secret", "x"),
            ("code", "x"),
        ])
        .await;
    assert_token_error(bad_client, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let unparsable = token_raw(&server, "text/plain", "grant_type=authorization_code").await;
    assert_token_error(unparsable, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn token_json_and_form_bodies_give_the_same_response_shape() {
    let server = TestServer::start().await;
    let code_a = server.code(&[]).await;
    let code_b = server.code(&[]).await;
    let from_json = server.redeem(&code_a).await;
    let response = server.token_form(&pairs(&code_form(&code_b))).await;
    assert_eq!(response.status(), StatusCode::OK);
    let from_form: Value = response.json().await.unwrap();
    assert_eq!(sorted_keys(&from_json), sorted_keys(&from_form));
    assert_eq!(from_json["scope"], from_form["scope"]);
    assert_eq!(from_json["token_type"], "Bearer");
    assert_eq!(from_form["token_type"], "Bearer");
    assert_eq!(from_json["expires_in"], from_form["expires_in"]);
}

#[tokio::test]
async fn token_rejects_text_plain_body() {
    let server = TestServer::start().await;
    let code = server.code(&[]).await;
    let body = serde_urlencoded::to_string(code_form(&code)).unwrap();
    let response = token_raw(&server, "text/plain", &body).await;
    assert_token_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn token_rejects_malformed_json() {
    let server = TestServer::start().await;
    let response = token_raw(
        &server,
        "application/json",
        r#"{"grant_type": "authorization_code", "client_id": "#,
    )
    .await;
    assert_token_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn token_rejects_json_with_non_string_value() {
    let server = TestServer::start().await;
    let code = server.code(&[]).await;
    let response = server
        .token_json(json!({
            "grant_type": "authorization_code",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "code": [code],
            "redirect_uri": CALLBACK,
        }))
        .await;
    assert_token_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
}

// --- Client authentication ---

#[tokio::test]
async fn token_accepts_http_basic_client_authentication() {
    let server = TestServer::start().await;
    let code = server.code(&[]).await;
    let response = token_form_with_auth(
        &server,
        &basic_auth(CLIENT_ID, CLIENT_SECRET),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert!(body["access_token"].is_string());
}

#[tokio::test]
async fn token_basic_credentials_are_form_urlencoded() {
    // RFC 6749 §2.3.1: id and secret are application/x-www-form-urlencoded before Basic.
    let id = "app:two +";
    let secret = "p@ss:w+rd /%&é";
    let server = TestServer::start_with(|c| c.clients.push(other_client(id, secret))).await;
    let code = server.code(&[("client_id", id)]).await;
    let response = token_form_with_auth(
        &server,
        &basic_auth(id, secret),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        jwt_claims(body["access_token"].as_str().unwrap())["client_id"],
        id
    );
}

#[tokio::test]
async fn token_wrong_secret_is_invalid_client() {
    let server = TestServer::start().await;
    let code = server.code(&[]).await;
    let mut form = code_form(&code);
    form[2].1 = "wrong-secret".into();
    let response = server.token_form(&pairs(&form)).await;
    assert!(header(&response, "www-authenticate").is_none());
    assert_token_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn token_wrong_secret_via_basic_is_invalid_client_with_basic_challenge() {
    let server = TestServer::start().await;
    let code = server.code(&[]).await;
    let response = token_form_with_auth(
        &server,
        &basic_auth(CLIENT_ID, "wrong-secret"),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
        ],
    )
    .await;
    let challenge = header(&response, "www-authenticate").expect("WWW-Authenticate");
    assert!(challenge.starts_with("Basic"), "{challenge}");
    assert_token_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn token_unknown_client_is_invalid_client() {
    let server = TestServer::start().await;
    let code = server.code(&[]).await;
    let mut form = code_form(&code);
    form[1].1 = "no-such-client".into();
    let response = server.token_form(&pairs(&form)).await;
    assert_token_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn token_rejects_basic_and_body_secret_together() {
    let server = TestServer::start().await;
    let code = server.code(&[]).await;
    let response = token_form_with_auth(
        &server,
        &basic_auth(CLIENT_ID, CLIENT_SECRET),
        &[
            ("grant_type", "authorization_code"),
            ("client_secret", CLIENT_SECRET),
            ("code", &code),
            ("redirect_uri", CALLBACK),
        ],
    )
    .await;
    assert_token_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
}

// --- Grant types ---

#[tokio::test]
async fn token_missing_grant_type_is_invalid_request() {
    let server = TestServer::start().await;
    let code = server.code(&[]).await;
    let form: Vec<_> = code_form(&code)
        .into_iter()
        .filter(|(k, _)| *k != "grant_type")
        .collect();
    let response = server.token_form(&pairs(&form)).await;
    let body = assert_token_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("grant_type"));
}

#[tokio::test]
async fn token_password_grant_for_a_client_without_it_is_unauthorized_client() {
    let server = TestServer::start().await;
    let response = server
        .token_form(&[
            ("grant_type", "password"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("username", USERNAME),
            ("password", PASSWORD),
        ])
        .await;
    assert_token_error(response, StatusCode::BAD_REQUEST, "unauthorized_client").await;
}

#[tokio::test]
async fn token_refresh_grant_for_client_without_it_is_unauthorized_client() {
    let server = TestServer::start_with(|c| {
        c.clients[0].grant_types = Some(vec!["authorization_code".into()]);
    })
    .await;
    let response = refresh(&server, "some-refresh-token", None).await;
    assert_token_error(response, StatusCode::BAD_REQUEST, "unauthorized_client").await;
}

// --- The authorization code ---

#[tokio::test]
async fn token_rejects_reused_code() {
    let server = TestServer::start().await;
    let code = server.code(&[]).await;
    server.redeem(&code).await;
    let second = server.token_form(&pairs(&code_form(&code))).await;
    assert_token_error(second, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn token_rejects_code_issued_to_another_client() {
    let server =
        TestServer::start_with(|c| c.clients.push(other_client(OTHER_CLIENT, OTHER_SECRET))).await;
    let code = server.code(&[]).await;
    let response = server
        .token_form(&[
            ("grant_type", "authorization_code"),
            ("client_id", OTHER_CLIENT),
            ("client_secret", OTHER_SECRET),
            ("code", &code),
            ("redirect_uri", CALLBACK),
        ])
        .await;
    assert_token_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn token_rejects_redirect_uri_mismatch() {
    let server = TestServer::start().await;
    let code = server.code(&[]).await;
    let mut form = code_form(&code);
    form[4].1 = "http://127.0.0.1:4000/callback/".into();
    let response = server.token_form(&pairs(&form)).await;
    assert_token_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn token_requires_redirect_uri_sent_in_the_authorization_request() {
    let server = TestServer::start().await;
    let code = server.code(&[]).await;
    let form: Vec<_> = code_form(&code)
        .into_iter()
        .filter(|(k, _)| *k != "redirect_uri")
        .collect();
    let response = server.token_form(&pairs(&form)).await;
    assert_token_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn token_rejects_expired_code() {
    let server = TestServer::start_with(|c| c.code_lifetime = 60).await;
    let fresh = server.code(&[]).await;
    let stale = server.code(&[]).await;
    server.clock.advance(59);
    let response = server.token_form(&pairs(&code_form(&fresh))).await;
    assert_eq!(response.status(), StatusCode::OK, "still valid at 59 s");
    server.clock.advance(1);
    let response = server.token_form(&pairs(&code_form(&stale))).await;
    assert_token_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

// --- Refresh tokens ---

#[tokio::test]
async fn token_rejects_bogus_refresh_token() {
    let server = TestServer::start().await;
    let response = refresh(&server, "not-a-refresh-token", None).await;
    assert_token_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn token_refresh_cannot_widen_scope() {
    let server = TestServer::start().await;
    let tokens = server
        .tokens(&[("scope", "openid appointments offline_access")])
        .await;
    let refresh_token = tokens["refresh_token"].as_str().expect("a refresh token");
    let response = refresh(
        &server,
        refresh_token,
        Some("openid appointments contacts offline_access"),
    )
    .await;
    assert_token_error(response, StatusCode::BAD_REQUEST, "invalid_scope").await;
}

#[tokio::test]
async fn token_refresh_can_narrow_scope() {
    let server = TestServer::start().await;
    let tokens = server
        .tokens(&[("scope", "openid profile appointments offline_access")])
        .await;
    let refresh_token = tokens["refresh_token"].as_str().expect("a refresh token");
    let response = refresh(&server, refresh_token, Some("openid appointments")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_no_store(&response);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["scope"], "openid appointments");
    let claims = jwt_claims(body["access_token"].as_str().unwrap());
    assert_eq!(claims["scope"], "openid appointments");
    let id_claims = jwt_claims(body["id_token"].as_str().expect("an id_token"));
    assert!(
        id_claims.get("name").is_none(),
        "profile was dropped: {id_claims}"
    );
}

#[tokio::test]
async fn token_no_refresh_token_without_offline_access() {
    let server = TestServer::start().await;
    let tokens = server.tokens(&[]).await;
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
}

#[tokio::test]
async fn token_no_refresh_token_when_api_disallows_offline_access() {
    let server = TestServer::start_with(|c| c.apis[0].allow_offline_access = false).await;
    let tokens = server
        .tokens(&[("scope", "openid appointments offline_access")])
        .await;
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
    assert!(
        !tokens["scope"].as_str().unwrap().contains("offline_access"),
        "{tokens}"
    );
}

// --- What is issued ---

#[tokio::test]
async fn token_response_has_bearer_type_api_lifetime_and_scope() {
    let server = TestServer::start().await;
    let tokens = server.tokens(&[]).await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["scope"], "openid profile email appointments");
    assert!(tokens["access_token"].is_string());
}

#[tokio::test]
async fn access_token_header_is_at_jwt_rs256_with_published_kid() {
    let server = TestServer::start().await;
    let tokens = server.tokens(&[]).await;
    let header = jwt_header(tokens["access_token"].as_str().unwrap());
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "RS256");
    let kid = header["kid"].as_str().expect("a kid");
    assert!(server.jwks().await.find(kid).is_some(), "kid {kid} in JWKS");
}

#[tokio::test]
async fn access_token_has_rfc9068_claims() {
    let server = TestServer::start().await;
    let tokens = server.tokens(&[]).await;
    let access = tokens["access_token"].as_str().unwrap();
    let claims = jwt_claims(access);
    assert_eq!(claims["iss"], server.issuer.as_str());
    assert!(claims["sub"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(
        audiences(&claims),
        vec![API.to_owned(), server.url("userinfo")]
    );
    assert_eq!(claims["client_id"], CLIENT_ID);
    assert_eq!(claims["azp"], CLIENT_ID);
    assert_eq!(claims["scope"], "openid profile email appointments");
    let iat = claims["iat"].as_i64().expect("iat");
    let exp = claims["exp"].as_i64().expect("exp");
    assert_eq!(exp - iat, 3600);
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));

    // The signature verifies with the published key.
    let jwks = server.jwks().await;
    let kid = jwt_header(access)["kid"].as_str().unwrap().to_owned();
    let key = tessera_jwt::VerifyingKey::from_jwk(jwks.find(&kid).unwrap()).unwrap();
    let (_, verified): (_, Value) = tessera_jwt::verify(access, &key).unwrap();
    assert_eq!(verified, claims);
}

#[tokio::test]
async fn token_issues_no_id_token_without_openid() {
    let server = TestServer::start().await;
    let tokens = server.tokens(&[("scope", "appointments")]).await;
    assert!(tokens.get("id_token").is_none(), "{tokens}");
    assert!(tokens["access_token"].is_string());
}

#[tokio::test]
async fn id_token_has_client_audience_nonce_auth_time_and_at_hash() {
    let server = TestServer::start().await;
    let tokens = server.tokens(&[("nonce", "n-0S6_WzA2Mj")]).await;
    let access = tokens["access_token"].as_str().unwrap();
    let id_token = tokens["id_token"].as_str().expect("an id_token");
    let claims = jwt_claims(id_token);
    assert_eq!(claims["aud"], CLIENT_ID);
    assert_eq!(claims["iss"], server.issuer.as_str());
    assert_eq!(claims["sub"], jwt_claims(access)["sub"]);
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    let auth_time = claims["auth_time"].as_i64().expect("auth_time");
    assert!(auth_time <= claims["iat"].as_i64().unwrap());
    let digest = Sha256::digest(access.as_bytes());
    let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16]);
    assert_eq!(claims["at_hash"], expected.as_str());
}

#[tokio::test]
async fn id_token_has_no_nonce_when_none_was_sent() {
    let server = TestServer::start().await;
    let tokens = server.tokens(&[]).await;
    let claims = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert!(claims.get("nonce").is_none(), "{claims}");
}

#[tokio::test]
async fn id_token_has_name_only_with_profile_scope() {
    let server = TestServer::start().await;
    let without = jwt_claims(
        server.tokens(&[("scope", "openid email")]).await["id_token"]
            .as_str()
            .unwrap(),
    );
    assert!(without.get("name").is_none(), "{without}");
    assert!(without.get("nickname").is_none(), "{without}");
    let with = jwt_claims(
        server.tokens(&[("scope", "openid profile")]).await["id_token"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(with["name"], "Jane Doe");
}

#[tokio::test]
async fn id_token_has_email_only_with_email_scope() {
    let server = TestServer::start().await;
    let without = jwt_claims(
        server.tokens(&[("scope", "openid profile")]).await["id_token"]
            .as_str()
            .unwrap(),
    );
    assert!(without.get("email").is_none(), "{without}");
    assert!(without.get("email_verified").is_none(), "{without}");
    let with = jwt_claims(
        server.tokens(&[("scope", "openid email")]).await["id_token"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(with["email"], EMAIL);
    assert_eq!(with["email_verified"], true);
}

#[tokio::test]
async fn token_rejects_refresh_token_of_another_client() {
    let server =
        TestServer::start_with(|c| c.clients.push(other_client(OTHER_CLIENT, OTHER_SECRET))).await;
    let tokens = server
        .tokens(&[("scope", "openid appointments offline_access")])
        .await;
    let refresh_token = tokens["refresh_token"].as_str().expect("a refresh token");
    let response = server
        .token_form(&[
            ("grant_type", "refresh_token"),
            ("client_id", OTHER_CLIENT),
            ("client_secret", OTHER_SECRET),
            ("refresh_token", refresh_token),
        ])
        .await;
    assert_token_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn token_oversized_body_is_a_json_error_without_caching() {
    let server = TestServer::start().await;
    let padding = "x".repeat(100 * 1024);
    let response = server
        .token_form(&[("grant_type", "authorization_code"), ("code", &padding)])
        .await;
    assert_eq!(response.status(), reqwest::StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}
