//! PKCE (RFC 7636) and public clients (RFC 6749 §2.1, RFC 9700 §2.1.1): a single-page app with
//! no secret completes the code flow with S256 through the `openidconnect` crate; everything
//! that weakens the binding between the code and its verifier is refused.

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use reqwest::{Response, StatusCode};
use tessera::config::ClientConfig;

use crate::support::*;

const SPA: &str = "myspa";
const SPA_CALLBACK: &str = "http://127.0.0.1:4000/spa/callback";
const PLAIN_CLIENT: &str = "legacy-native";
const PLAIN_CALLBACK: &str = "http://127.0.0.1:4000/native/callback";

/// A single-page app: public, no secret, must use PKCE.
fn spa() -> ClientConfig {
    ClientConfig {
        client_id: SPA.into(),
        name: "My SPA".into(),
        app_type: "spa".into(),
        callbacks: vec![SPA_CALLBACK.into()],
        allowed_logout_urls: vec!["http://127.0.0.1:4000/spa/".into()],
        ..ClientConfig::default()
    }
}

/// A native app configured to accept PKCE's `plain` method.
fn plain_native() -> ClientConfig {
    ClientConfig {
        client_id: PLAIN_CLIENT.into(),
        name: "Legacy Native".into(),
        app_type: "native".into(),
        callbacks: vec![PLAIN_CALLBACK.into()],
        allow_plain_pkce: true,
        ..ClientConfig::default()
    }
}

async fn server_with_spa() -> TestServer {
    TestServer::start_with(|c| c.clients.push(spa())).await
}

/// The SPA's authorize URL with `extra` parameters.
fn spa_authorize_url(server: &TestServer, extra: &[(&str, &str)]) -> String {
    let mut params = vec![("client_id", SPA), ("redirect_uri", SPA_CALLBACK)];
    params.extend_from_slice(extra);
    server.authorize_url(&params)
}

/// The SPA's code, issued for `challenge` (S256).
async fn spa_code(server: &TestServer, challenge: &str) -> String {
    let url = spa_authorize_url(
        server,
        &[
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    let callback = Browser::new().sign_in(&url).await;
    query_param(&callback, "code").expect("a code")
}

/// Redeems `code` as the SPA (no secret), with `verifier` when given.
async fn spa_redeem(server: &TestServer, code: &str, verifier: Option<&str>) -> Response {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("client_id", SPA),
        ("code", code),
        ("redirect_uri", SPA_CALLBACK),
    ];
    if let Some(verifier) = verifier {
        form.push(("code_verifier", verifier));
    }
    server.token_form(&form).await
}

/// Redeems `code` as the seed (confidential) client, with `verifier` when given.
async fn confidential_redeem(server: &TestServer, code: &str, verifier: Option<&str>) -> Response {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("code", code),
        ("redirect_uri", CALLBACK),
    ];
    if let Some(verifier) = verifier {
        form.push(("code_verifier", verifier));
    }
    server.token_form(&form).await
}

/// The redirect of a refused authorization request: `error` = `code`, with `iss` and `state`.
fn assert_redirected_error(server: &TestServer, response: &Response, code: &str) {
    let callback = client_redirect(response);
    assert_eq!(
        query_param(&callback, "error").as_deref(),
        Some(code),
        "{callback}"
    );
    assert!(query_param(&callback, "code").is_none(), "{callback}");
    assert_eq!(
        query_param(&callback, "state").as_deref(),
        Some("opaque-state")
    );
    assert_eq!(
        query_param(&callback, "iss").as_deref(),
        Some(server.issuer.as_str())
    );
}

#[tokio::test]
async fn public_client_completes_the_code_flow_with_s256_pkce_and_no_secret() {
    let server = server_with_spa().await;
    let log = Exchanges::default();
    let http = recording_http(&log);
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(server.issuer.clone()).unwrap(), &http)
            .await
            .unwrap();
    let client = CoreClient::from_provider_metadata(metadata, ClientId::new(SPA.into()), None)
        .set_redirect_uri(RedirectUrl::new(SPA_CALLBACK.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("appointments".into()))
        .add_extra_param("audience", API)
        .set_pkce_challenge(challenge)
        .url();
    assert_eq!(
        query_param(&auth_url, "code_challenge_method").as_deref(),
        Some("S256")
    );

    let callback = Browser::new().sign_in(auth_url.as_str()).await;
    assert_eq!(
        query_param(&callback, "state").as_deref(),
        Some(csrf.secret().as_str())
    );
    let code = query_param(&callback, "code").expect("a code");
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();

    // On the wire: no secret in any form, only client_id and the verifier.
    let exchanges = log.lock().unwrap().clone();
    let token_request = exchanges.last().unwrap();
    assert_eq!(token_request.status, 200);
    assert!(token_request.authorization.is_none(), "no HTTP Basic");
    let params = token_request.request_params();
    let names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    assert!(!names.contains(&"client_secret"), "{names:?}");
    assert!(names.contains(&"code_verifier"), "{names:?}");
    assert!(
        params.contains(&("client_id".into(), SPA.into())),
        "{params:?}"
    );

    let id_token = tokens.id_token().expect("an id_token");
    let claims = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .expect("a valid id_token for the SPA");
    assert_eq!(claims.audiences().len(), 1);
    assert_eq!(claims.audiences()[0].as_str(), SPA);
    let access = jwt_claims(tokens.access_token().secret());
    assert_eq!(access["client_id"], SPA);
    assert!(audiences(&access).contains(&API.to_owned()), "{access}");
    assert_eq!(access["sub"].as_str(), Some(claims.subject().as_str()));
}

#[tokio::test]
async fn public_client_without_code_challenge_is_refused_invalid_request() {
    let server = server_with_spa().await;
    let response = http()
        .get(spa_authorize_url(&server, &[]))
        .send()
        .await
        .unwrap();
    let callback = client_redirect(&response);
    assert_eq!(
        callback.as_str().split('?').next(),
        Some(SPA_CALLBACK),
        "the error goes to the SPA's callback"
    );
    assert_redirected_error(&server, &response, "invalid_request");
}

#[tokio::test]
async fn wrong_code_verifier_is_invalid_grant() {
    let server = server_with_spa().await;
    let (challenge, _verifier) = PkceCodeChallenge::new_random_sha256();
    let code = spa_code(&server, challenge.as_str()).await;
    let (_, other_verifier) = PkceCodeChallenge::new_random_sha256();
    let response = spa_redeem(&server, &code, Some(other_verifier.secret())).await;
    expect_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn missing_code_verifier_is_invalid_grant() {
    let server = server_with_spa().await;
    let (challenge, _verifier) = PkceCodeChallenge::new_random_sha256();
    let code = spa_code(&server, challenge.as_str()).await;
    let response = spa_redeem(&server, &code, None).await;
    expect_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn code_verifier_for_a_code_issued_without_challenge_is_invalid_grant() {
    // RFC 9700 §4.8.2: PKCE downgrade. The seed client is confidential and sent no challenge.
    let server = TestServer::start().await;
    let code = server.code(&[]).await;
    let (_, verifier) = PkceCodeChallenge::new_random_sha256();
    let response = confidential_redeem(&server, &code, Some(verifier.secret())).await;
    expect_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn confidential_client_may_use_pkce_too() {
    let server = TestServer::start().await;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let code = server
        .code(&[
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .await;
    let response = confidential_redeem(&server, &code, Some(verifier.secret())).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["access_token"].is_string(), "{body}");

    // And, having sent a challenge, it cannot skip the verifier.
    let code = server
        .code(&[
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .await;
    let response = confidential_redeem(&server, &code, None).await;
    expect_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn plain_code_challenge_method_is_refused_invalid_request() {
    let server = server_with_spa().await;
    let verifier = "a".repeat(43);
    for extra in [
        vec![
            ("code_challenge", verifier.as_str()),
            ("code_challenge_method", "plain"),
        ],
        // RFC 7636 §4.3: no method means plain.
        vec![("code_challenge", verifier.as_str())],
    ] {
        let response = http()
            .get(spa_authorize_url(&server, &extra))
            .send()
            .await
            .unwrap();
        assert_redirected_error(&server, &response, "invalid_request");
    }
}

async fn plain_redeem(server: &TestServer, code: &str, verifier: &str) -> Response {
    server
        .token_form(&[
            ("grant_type", "authorization_code"),
            ("client_id", PLAIN_CLIENT),
            ("code", code),
            ("redirect_uri", PLAIN_CALLBACK),
            ("code_verifier", verifier),
        ])
        .await
}

#[tokio::test]
async fn plain_code_challenge_method_works_for_a_client_allowed_it() {
    let server = TestServer::start_with(|c| c.clients.push(plain_native())).await;
    let verifier = "plain-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";
    let url = server.authorize_url(&[
        ("client_id", PLAIN_CLIENT),
        ("redirect_uri", PLAIN_CALLBACK),
        ("code_challenge", verifier),
        ("code_challenge_method", "plain"),
    ]);
    let callback = Browser::new().sign_in(&url).await;
    let code = query_param(&callback, "code").expect("a code");
    let response = plain_redeem(&server, &code, verifier).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        jwt_claims(body["access_token"].as_str().unwrap())["client_id"],
        PLAIN_CLIENT
    );

    // The plain verifier must still equal the challenge.
    let callback = Browser::new().sign_in(&url).await;
    let code = query_param(&callback, "code").expect("a code");
    let response = plain_redeem(&server, &code, &format!("{verifier}x")).await;
    expect_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn public_client_sending_a_client_secret_is_invalid_client() {
    let server = server_with_spa().await;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let code = spa_code(&server, challenge.as_str()).await;
    let response = server
        .token_form(&[
            ("grant_type", "authorization_code"),
            ("client_id", SPA),
            ("client_secret", "anything-at-all"),
            ("code", &code),
            ("redirect_uri", SPA_CALLBACK),
            ("code_verifier", verifier.secret()),
        ])
        .await;
    expect_oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;

    // Via HTTP Basic as well, with the challenge RFC 6749 §5.2 asks for.
    let response = http()
        .post(server.url("oauth/token"))
        .header("authorization", basic_auth(SPA, "anything-at-all"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", SPA_CALLBACK),
            ("code_verifier", verifier.secret().as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        header(&response, "www-authenticate").is_some_and(|v| v.starts_with("Basic")),
        "a Basic challenge"
    );
    expect_oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
}
