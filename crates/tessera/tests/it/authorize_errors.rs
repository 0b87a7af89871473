//! `GET /authorize` errors over raw HTTP. Until the client and its redirect URI are trusted,
//! errors are shown on a page and never redirected (RFC 6749 §4.1.2.1); afterwards they go to
//! the callback with `error`, `error_description`, the unchanged `state` and `iss` (RFC 9207).

use reqwest::header::LOCATION;
use reqwest::{Response, StatusCode};
use url::Url;

use crate::support::*;

/// A 400 HTML error page with `code`, and no redirect.
async fn assert_error_page(response: Response, code: &str) -> String {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response.headers().get(LOCATION).is_none(),
        "an untrusted request must not be redirected"
    );
    let content_type = header(&response, "content-type").unwrap_or_default();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = response.text().await.unwrap();
    assert!(
        html.contains(&format!("<code>{code}</code>")),
        "the page names the error {code}: {html}"
    );
    html
}

/// A redirect to the callback with `error` = `code`, a description, `state` and `iss`.
fn assert_client_error(
    server: &TestServer,
    response: &Response,
    code: &str,
    state: Option<&str>,
) -> Url {
    let callback = client_redirect(response);
    let mut target = callback.clone();
    target.set_query(None);
    assert_eq!(target.as_str(), CALLBACK, "the registered callback");
    assert_eq!(query_param(&callback, "error").as_deref(), Some(code));
    assert!(
        query_param(&callback, "error_description").is_some_and(|d| !d.is_empty()),
        "an error_description"
    );
    assert_eq!(query_param(&callback, "state").as_deref(), state);
    assert_eq!(
        query_param(&callback, "iss").as_deref(),
        Some(server.issuer.as_str())
    );
    assert!(query_param(&callback, "code").is_none());
    callback
}

async fn get(url: &str) -> Response {
    http().get(url).send().await.unwrap()
}

async fn assert_redirect_uri_refused(variant: &str) {
    let server = TestServer::start().await;
    let response = get(&server.authorize_url(&[("redirect_uri", variant)])).await;
    let html = assert_error_page(response, "invalid_request").await;
    assert!(
        html.contains("Allowed Callback URLs"),
        "the page says the redirect_uri is not registered: {html}"
    );
}

// --- Errors shown on a page: the redirect URI cannot be trusted ---

#[tokio::test]
async fn authorize_unknown_client_shows_page_without_redirect() {
    let server = TestServer::start().await;
    let response = get(&server.authorize_url(&[("client_id", "no-such-client")])).await;
    let html = assert_error_page(response, "invalid_request").await;
    assert!(html.contains("no-such-client"), "{html}");
}

#[tokio::test]
async fn authorize_missing_client_id_shows_page() {
    let server = TestServer::start().await;
    let response = get(&server.authorize_url_without(&["client_id"], &[])).await;
    let html = assert_error_page(response, "invalid_request").await;
    assert!(html.contains("client_id"), "{html}");
}

#[tokio::test]
async fn authorize_unregistered_redirect_uri_shows_page() {
    assert_redirect_uri_refused("http://evil.example/callback").await;
}

#[tokio::test]
async fn authorize_redirect_uri_with_trailing_slash_is_not_registered() {
    assert_redirect_uri_refused("http://127.0.0.1:4000/callback/").await;
}

#[tokio::test]
async fn authorize_redirect_uri_with_other_port_is_not_registered() {
    assert_redirect_uri_refused("http://127.0.0.1:4001/callback").await;
}

#[tokio::test]
async fn authorize_redirect_uri_with_other_path_case_is_not_registered() {
    assert_redirect_uri_refused("http://127.0.0.1:4000/Callback").await;
}

#[tokio::test]
async fn authorize_redirect_uri_with_extra_query_is_not_registered() {
    assert_redirect_uri_refused("http://127.0.0.1:4000/callback?next=evil").await;
}

#[tokio::test]
async fn authorize_redirect_uri_prefix_match_is_refused() {
    assert_redirect_uri_refused("http://127.0.0.1:4000/callback/evil").await;
}

#[tokio::test]
async fn authorize_redirect_uri_userinfo_trick_is_refused() {
    assert_redirect_uri_refused("http://127.0.0.1:4000@evil.example/callback").await;
}

#[tokio::test]
async fn authorize_redirect_uri_percent_encoded_path_is_not_registered() {
    // `%63` is `c`: equivalent after normalisation, but not the registered string.
    assert_redirect_uri_refused("http://127.0.0.1:4000/%63allback").await;
}

#[tokio::test]
async fn authorize_redirect_uri_encoded_twice_is_not_registered() {
    assert_redirect_uri_refused("http%3A%2F%2F127.0.0.1%3A4000%2Fcallback").await;
}

#[tokio::test]
async fn authorize_repeated_client_id_shows_page() {
    let server = TestServer::start().await;
    let callback = url::form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>();
    let url = server.raw_authorize_url(&format!(
        "response_type=code&client_id={CLIENT_ID}&redirect_uri={callback}&scope=openid&state=s&client_id={CLIENT_ID}"
    ));
    let html = assert_error_page(get(&url).await, "invalid_request").await;
    assert!(html.contains("client_id"), "{html}");
}

#[tokio::test]
async fn authorize_repeated_redirect_uri_shows_page() {
    let server = TestServer::start().await;
    let url = format!(
        "{}&redirect_uri={}",
        server.authorize_url(&[]),
        url::form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>()
    );
    assert_error_page(get(&url).await, "invalid_request").await;
}

// --- Errors redirected to the trusted callback ---

#[tokio::test]
async fn authorize_missing_response_type_redirects_invalid_request() {
    let server = TestServer::start().await;
    let response = get(&server.authorize_url_without(&["response_type"], &[])).await;
    let callback = assert_client_error(&server, &response, "invalid_request", Some("opaque-state"));
    assert!(query_param(&callback, "error_description")
        .unwrap()
        .contains("response_type"));
}

#[tokio::test]
async fn authorize_hybrid_response_type_redirects_unsupported_response_type() {
    let server = TestServer::start().await;
    let response = get(&server.authorize_url(&[("response_type", "code id_token")])).await;
    assert_client_error(
        &server,
        &response,
        "unsupported_response_type",
        Some("opaque-state"),
    );
}

#[tokio::test]
async fn authorize_implicit_for_a_client_without_the_implicit_grant_is_unauthorized_client_in_the_fragment(
) {
    let server = TestServer::start().await;
    let response = get(&server.authorize_url(&[("response_type", "token")])).await;
    let callback = client_redirect(&response);
    assert!(
        callback.query().is_none(),
        "errors of implicit requests never go in the query"
    );
    let fragment = Url::parse(&format!("http://x/?{}", callback.fragment().unwrap())).unwrap();
    assert_eq!(
        query_param(&fragment, "error").as_deref(),
        Some("unauthorized_client")
    );
    assert_eq!(
        query_param(&fragment, "state").as_deref(),
        Some("opaque-state")
    );
}

#[tokio::test]
async fn authorize_unknown_scope_redirects_invalid_scope() {
    let server = TestServer::start().await;
    let response = get(&server.authorize_url(&[("scope", "openid appointments bogus")])).await;
    let callback = assert_client_error(&server, &response, "invalid_scope", Some("opaque-state"));
    assert!(query_param(&callback, "error_description")
        .unwrap()
        .contains("bogus"));
}

#[tokio::test]
async fn authorize_api_scope_without_audience_redirects_invalid_scope() {
    let server = TestServer::start().await;
    let response = get(&server.authorize_url_without(&["audience"], &[])).await;
    let callback = assert_client_error(&server, &response, "invalid_scope", Some("opaque-state"));
    assert!(query_param(&callback, "error_description")
        .unwrap()
        .contains("appointments"));
}

#[tokio::test]
async fn authorize_unknown_audience_redirects_invalid_request_naming_it() {
    let server = TestServer::start().await;
    let response = get(&server.authorize_url(&[("audience", "https://unknown.example/api")])).await;
    let callback = assert_client_error(&server, &response, "invalid_request", Some("opaque-state"));
    assert!(
        query_param(&callback, "error_description")
            .unwrap()
            .contains("https://unknown.example/api"),
        "the description names the audience"
    );
}

#[tokio::test]
async fn authorize_accepts_resource_as_audience_synonym() {
    let server = TestServer::start().await;
    let url = server.authorize_url_without(&["audience"], &[("resource", API)]);
    let callback = Browser::new().sign_in(&url).await;
    let code = query_param(&callback, "code").expect("a code");
    let tokens = server.redeem(&code).await;
    let claims = jwt_claims(tokens["access_token"].as_str().unwrap());
    assert!(
        audiences(&claims).contains(&API.to_owned()),
        "aud includes the API: {claims}"
    );
}

#[tokio::test]
async fn authorize_audience_and_resource_differing_redirects_invalid_request() {
    let server = TestServer::start().await;
    let response = get(&server.authorize_url(&[("resource", "https://other.example/api")])).await;
    assert_client_error(&server, &response, "invalid_request", Some("opaque-state"));
}

#[tokio::test]
async fn authorize_prompt_none_without_session_redirects_login_required() {
    let server = TestServer::start().await;
    let response = get(&server.authorize_url(&[("prompt", "none")])).await;
    assert_client_error(&server, &response, "login_required", Some("opaque-state"));
}

#[tokio::test]
async fn authorize_prompt_none_without_consent_redirects_consent_required() {
    let server = TestServer::start().await;
    let browser = Browser::new();
    // Signing in for `openid` alone needs no consent, and leaves an SSO session.
    let first = browser
        .sign_in(&server.authorize_url(&[("scope", "openid")]))
        .await;
    assert!(query_param(&first, "code").is_some());
    let response = browser
        .get(&server.authorize_url(&[("prompt", "none")]))
        .await;
    assert_client_error(&server, &response, "consent_required", Some("opaque-state"));
}

#[tokio::test]
async fn authorize_prompt_none_with_session_and_consent_issues_code_without_page() {
    let server = TestServer::start().await;
    let browser = Browser::new();
    browser.sign_in(&server.authorize_url(&[])).await;
    let response = browser
        .get(&server.authorize_url(&[("prompt", "none"), ("state", "second")]))
        .await;
    let callback = client_redirect(&response);
    assert!(query_param(&callback, "code").is_some(), "{callback}");
    assert!(query_param(&callback, "error").is_none(), "{callback}");
    assert_eq!(query_param(&callback, "state").as_deref(), Some("second"));
    assert_eq!(
        query_param(&callback, "iss").as_deref(),
        Some(server.issuer.as_str())
    );
}

#[tokio::test]
async fn authorize_repeated_state_redirects_invalid_request() {
    let server = TestServer::start().await;
    let url = format!("{}&state=another", server.authorize_url(&[]));
    let response = get(&url).await;
    // Which of the two values is "the" state is unknowable, so none is echoed.
    let callback = assert_client_error(&server, &response, "invalid_request", None);
    assert!(query_param(&callback, "error_description")
        .unwrap()
        .contains("state"));
}

#[tokio::test]
async fn authorize_unknown_response_mode_redirects_invalid_request() {
    let server = TestServer::start().await;
    let response = get(&server.authorize_url(&[("response_mode", "web-message")])).await;
    let callback = assert_client_error(&server, &response, "invalid_request", Some("opaque-state"));
    assert!(callback.fragment().is_none());
}

const ODD_STATE: &str = "a b+c/d&e=f?g#h %20 100% ünïcödé ✓ 日本";

#[tokio::test]
async fn authorize_echoes_state_byte_for_byte_with_the_code() {
    let server = TestServer::start().await;
    let callback = Browser::new()
        .sign_in(&server.authorize_url(&[("state", ODD_STATE)]))
        .await;
    assert!(query_param(&callback, "code").is_some());
    assert_eq!(query_param(&callback, "state").as_deref(), Some(ODD_STATE));
}

#[tokio::test]
async fn authorize_echoes_state_byte_for_byte_with_an_error() {
    let server = TestServer::start().await;
    let response = get(&server.authorize_url(&[("state", ODD_STATE), ("prompt", "none")])).await;
    assert_client_error(&server, &response, "login_required", Some(ODD_STATE));
}

// --- Audience of the access token ---

#[tokio::test]
async fn authorize_without_audience_gives_userinfo_only_token() {
    let server = TestServer::start().await;
    let tokens = server
        .tokens_at(
            &server.authorize_url_without(&["audience"], &[("scope", "openid profile email")]),
        )
        .await;
    let access = tokens["access_token"].as_str().unwrap();
    let claims = jwt_claims(access);
    assert_eq!(audiences(&claims), vec![server.url("userinfo")]);
    let response = http()
        .get(server.url("userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let userinfo: serde_json::Value = response.json().await.unwrap();
    assert_eq!(userinfo["sub"], claims["sub"]);
    assert_eq!(userinfo["email"], EMAIL);
}

#[tokio::test]
async fn authorize_uses_default_audience_when_none_is_named() {
    let server = TestServer::start_with(|c| c.default_audience = Some(API.into())).await;
    let tokens = server
        .tokens_at(&server.authorize_url_without(&["audience"], &[]))
        .await;
    let claims = jwt_claims(tokens["access_token"].as_str().unwrap());
    let aud = audiences(&claims);
    assert!(aud.contains(&API.to_owned()), "{aud:?}");
    assert!(aud.contains(&server.url("userinfo")), "{aud:?}");
    assert_eq!(claims["scope"], "openid profile email appointments");
}
