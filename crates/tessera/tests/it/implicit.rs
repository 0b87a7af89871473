//! The implicit grant, opt-in per client (RFC 6749 §4.2, OIDC Core §3.2, OAuth 2.0 Multiple
//! Response Types): tokens only ever in the fragment, ID tokens only with a nonce, and never a
//! refresh token.

use base64::Engine;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use tessera::config::ClientConfig;
use url::Url;

use crate::support::*;

const IMPLICIT_CLIENT: &str = "legacy-spa";

fn implicit_client() -> ClientConfig {
    ClientConfig {
        client_id: IMPLICIT_CLIENT.into(),
        client_secret: Some(CLIENT_SECRET.into()),
        name: "Legacy SPA".into(),
        callbacks: vec![CALLBACK.into()],
        grant_types: Some(vec![
            "authorization_code".into(),
            "refresh_token".into(),
            "implicit".into(),
        ]),
        ..ClientConfig::default()
    }
}

async fn server() -> TestServer {
    TestServer::start_with(|c| c.clients.push(implicit_client())).await
}

/// The implicit client's authorize URL with `extra` parameters.
fn implicit_url(server: &TestServer, extra: &[(&str, &str)]) -> String {
    let mut params = vec![("client_id", IMPLICIT_CLIENT)];
    params.extend_from_slice(extra);
    server.authorize_url(&params)
}

/// OIDC Core §3.2.2.9: the left half of the SHA-256 of the access token, base64url.
fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// A redirect to the callback carrying an error in the fragment (and nothing in the query).
fn assert_fragment_error(server: &TestServer, callback: &Url, code: &str) {
    assert!(
        callback.query().is_none(),
        "implicit responses never use the query: {callback}"
    );
    assert_eq!(
        fragment_param(callback, "error").as_deref(),
        Some(code),
        "{callback}"
    );
    assert!(fragment_param(callback, "error_description").is_some());
    assert_eq!(
        fragment_param(callback, "state").as_deref(),
        Some("opaque-state")
    );
    assert_eq!(
        fragment_param(callback, "iss").as_deref(),
        Some(server.issuer.as_str())
    );
    assert!(fragment_param(callback, "access_token").is_none());
    assert!(fragment_param(callback, "id_token").is_none());
}

#[tokio::test]
async fn id_token_token_returns_both_tokens_in_the_fragment() {
    let server = server().await;
    let callback = Browser::new()
        .sign_in(&implicit_url(
            &server,
            &[
                ("response_type", "id_token token"),
                ("nonce", "n-implicit-1"),
            ],
        ))
        .await;
    assert!(
        callback.query().is_none(),
        "nothing in the query: {callback}"
    );
    let mut base = callback.clone();
    base.set_fragment(None);
    assert_eq!(base.as_str(), CALLBACK);

    let access_token = fragment_param(&callback, "access_token").expect("an access_token");
    let id_token = fragment_param(&callback, "id_token").expect("an id_token");
    assert_eq!(
        fragment_param(&callback, "token_type").as_deref(),
        Some("Bearer")
    );
    assert_eq!(
        fragment_param(&callback, "expires_in").as_deref(),
        Some("3600")
    );
    assert_eq!(
        fragment_param(&callback, "state").as_deref(),
        Some("opaque-state")
    );
    assert_eq!(
        fragment_param(&callback, "iss").as_deref(),
        Some(server.issuer.as_str())
    );
    assert!(fragment_param(&callback, "code").is_none());
    assert!(fragment_param(&callback, "refresh_token").is_none());

    let claims = jwt_claims(&id_token);
    assert_eq!(claims["nonce"], "n-implicit-1");
    assert_eq!(claims["at_hash"], at_hash(&access_token), "{claims}");
    assert_eq!(claims["aud"], IMPLICIT_CLIENT);
    assert_eq!(claims["iss"], server.issuer);
    let access = jwt_claims(&access_token);
    assert_eq!(access["sub"], claims["sub"]);
    assert_eq!(access["client_id"], IMPLICIT_CLIENT);
    assert!(audiences(&access).contains(&API.to_owned()));

    // The access token is good at /userinfo.
    let userinfo = http()
        .get(server.url("userinfo"))
        .bearer_auth(&access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), StatusCode::OK);
}

#[tokio::test]
async fn id_token_without_nonce_is_invalid_request_in_the_fragment() {
    let server = server().await;
    let response = http()
        .get(implicit_url(&server, &[("response_type", "id_token")]))
        .send()
        .await
        .unwrap();
    assert_fragment_error(&server, &client_redirect(&response), "invalid_request");
}

#[tokio::test]
async fn client_without_the_implicit_grant_is_unauthorized_client_in_the_fragment() {
    let server = server().await;
    let response = http()
        .get(server.authorize_url(&[("response_type", "id_token token"), ("nonce", "n-1")]))
        .send()
        .await
        .unwrap();
    assert_fragment_error(&server, &client_redirect(&response), "unauthorized_client");
}

#[tokio::test]
async fn implicit_response_in_the_query_is_refused() {
    // Multiple Response Types §5: tokens must never be put in the query string.
    let server = server().await;
    let response = http()
        .get(implicit_url(
            &server,
            &[("response_type", "token"), ("response_mode", "query")],
        ))
        .send()
        .await
        .unwrap();
    assert_fragment_error(&server, &client_redirect(&response), "invalid_request");
}

#[tokio::test]
async fn token_response_never_contains_a_refresh_token() {
    let server = server().await;
    let callback = Browser::new()
        .sign_in(&implicit_url(
            &server,
            &[
                ("response_type", "token"),
                (
                    "scope",
                    "openid profile appointments contacts offline_access",
                ),
            ],
        ))
        .await;
    assert!(callback.query().is_none(), "{callback}");
    let params = fragment_params(&callback);
    let names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    assert!(names.contains(&"access_token"), "{names:?}");
    assert!(!names.contains(&"refresh_token"), "{names:?}");
    assert!(
        !names.contains(&"id_token"),
        "response_type=token asks for no ID token: {names:?}"
    );
    assert!(!names.contains(&"code"), "{names:?}");
    let scope = fragment_param(&callback, "scope").unwrap_or_default();
    assert!(!scope.split(' ').any(|s| s == "offline_access"), "{scope}");
}

/// The seed user's authorization of the implicit client, stopped at the consent page: the
/// browser, the page's URL and its HTML.
async fn at_consent(server: &TestServer, url: &str) -> (Browser, Url, String) {
    let browser = Browser::new();
    let (response, login_url) = browser.open(url).await;
    let html = response.text().await.unwrap();
    let submitted = browser
        .submit_login(&login_url, &html, USERNAME, PASSWORD)
        .await;
    let (consent, consent_url) = browser.follow(submitted, &login_url).await;
    assert_eq!(consent_url.path(), "/u/consent", "{consent_url}");
    let _ = server;
    (browser, consent_url, consent.text().await.unwrap())
}

#[tokio::test]
async fn a_user_deleted_between_login_and_consent_gets_access_denied_not_empty_tokens() {
    let m = crate::management::Mgmt::start_with(|c| c.clients.push(implicit_client())).await;
    let url = implicit_url(
        &m.server,
        &[("response_type", "id_token token"), ("nonce", "n-gone")],
    );
    let (browser, consent_url, html) = at_consent(&m.server, &url).await;
    let user_id = m.seed_user_id().await;
    let deleted = m
        .delete(&format!(
            "/api/v2/users/{}",
            crate::management::encoded(&user_id)
        ))
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let answered = browser.submit_consent(&consent_url, &html, "allow").await;
    assert_fragment_error(&m.server, &client_redirect(&answered), "access_denied");
}

#[tokio::test]
async fn a_user_blocked_after_login_gets_access_denied_from_their_sso_session() {
    let m = crate::management::Mgmt::start_with(|c| c.clients.push(implicit_client())).await;
    let url = implicit_url(
        &m.server,
        &[("response_type", "id_token token"), ("nonce", "n-blocked")],
    );
    let browser = Browser::new();
    let first = browser.sign_in(&url).await;
    assert!(fragment_param(&first, "access_token").is_some(), "{first}");
    let user_id = m.seed_user_id().await;
    let blocked = m
        .patch(
            &format!("/api/v2/users/{}", crate::management::encoded(&user_id)),
            serde_json::json!({ "blocked": true }),
        )
        .await;
    assert_eq!(blocked.status(), StatusCode::OK);
    // Logged in and consented already: /authorize answers at once, from the SSO session.
    let again = browser.get(&url).await;
    assert_fragment_error(&m.server, &client_redirect(&again), "access_denied");
}
