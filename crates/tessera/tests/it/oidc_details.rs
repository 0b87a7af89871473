//! OpenID Connect details of the authorization endpoint: `nonce`, `max_age`, `prompt=login`,
//! `login_hint`, the response modes (`fragment`, `form_post`), RFC 9207 `iss` on every
//! response, the ID token's `sid`, and what discovery says about them.

use reqwest::header::LOCATION;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use url::Url;

use crate::support::*;

/// The ID token of a code redeemed by the seed client.
async fn id_token_claims(server: &TestServer, code: &str) -> Value {
    let tokens = server.redeem(code).await;
    jwt_claims(tokens["id_token"].as_str().expect("an id_token"))
}

/// Logs in on the login page the browser was sent to, and returns the callback it leads to.
async fn log_in_again(browser: &Browser, response: Response, url: &Url) -> Url {
    assert_eq!(url.path(), "/u/login", "expected the login page");
    let html = response.text().await.unwrap();
    let submitted = browser.submit_login(url, &html, USERNAME, PASSWORD).await;
    let (_, callback) = browser.follow(submitted, url).await;
    assert_eq!(callback.port(), Some(4000), "{callback}");
    callback
}

/// The parameters of an authorization response in `mode` (query or fragment).
fn response_params(url: &Url) -> Vec<(String, String)> {
    if url.fragment().is_some() {
        fragment_params(url)
    } else {
        url.query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The `action` of the first form in `html`.
fn form_action(html: &str) -> Option<String> {
    let start = html.find("action=\"")? + "action=\"".len();
    let end = html[start..].find('"')?;
    Some(html_unescape(&html[start..start + end]))
}

/// The value of the hidden input `name`, unescaped.
fn hidden(html: &str, name: &str) -> Option<String> {
    form_value(html, name).map(|v| html_unescape(&v))
}

#[tokio::test]
async fn nonce_is_echoed_in_the_id_token() {
    let server = TestServer::start().await;
    let nonce = "n-0S6_WzA2Mj-\u{e9}t\u{e9}";
    let code = server.code(&[("nonce", nonce)]).await;
    let claims = id_token_claims(&server, &code).await;
    assert_eq!(claims["nonce"], nonce);
}

#[tokio::test]
async fn max_age_zero_forces_a_new_login_and_a_fresh_auth_time() {
    let server = TestServer::start().await;
    let browser = Browser::new();
    let first = browser.sign_in(&server.authorize_url(&[])).await;
    let first_auth_time = id_token_claims(&server, &query_param(&first, "code").unwrap()).await
        ["auth_time"]
        .as_i64()
        .unwrap();
    server.clock.advance(1);

    let (response, url) = browser
        .open(&server.authorize_url(&[("max_age", "0")]))
        .await;
    let before = server.clock.now().0;
    let callback = log_in_again(&browser, response, &url).await;
    let claims = id_token_claims(&server, &query_param(&callback, "code").unwrap()).await;
    let auth_time = claims["auth_time"]
        .as_i64()
        .expect("auth_time with max_age");
    assert!(auth_time >= before, "auth_time {auth_time} < {before}");
    assert!(auth_time > first_auth_time);
}

#[tokio::test]
async fn max_age_zero_forces_a_new_login_even_right_after_one() {
    // OIDC Core §3.1.2.1 (errata set 2): max_age=0 is equivalent to prompt=login, even when the
    // last login was in the same second (the clock does not move here).
    let server = TestServer::start().await;
    let browser = Browser::new();
    // Consent first, so that the login below is the only thing the second request could skip.
    browser.sign_in(&server.authorize_url(&[])).await;
    let (response, url) = browser
        .open(&server.authorize_url(&[("prompt", "login")]))
        .await;
    log_in_again(&browser, response, &url).await;

    let (_, url) = browser
        .open(&server.authorize_url(&[("max_age", "0")]))
        .await;
    assert_eq!(
        url.path(),
        "/u/login",
        "max_age=0 must force a login; got {url}"
    );
}

#[tokio::test]
async fn prompt_login_forces_a_new_login_with_a_fresh_auth_time() {
    let server = TestServer::start().await;
    let browser = Browser::new();
    browser.sign_in(&server.authorize_url(&[])).await;
    let (response, url) = browser
        .open(&server.authorize_url(&[("prompt", "login")]))
        .await;
    let before = server.clock.now().0;
    let callback = log_in_again(&browser, response, &url).await;
    let claims = id_token_claims(&server, &query_param(&callback, "code").unwrap()).await;
    assert!(claims["auth_time"].as_i64().unwrap() >= before, "{claims}");
}

#[tokio::test]
async fn login_hint_prefills_the_username_field() {
    let server = TestServer::start().await;
    let (response, url) = Browser::new()
        .open(&server.authorize_url(&[("login_hint", EMAIL)]))
        .await;
    assert_eq!(url.path(), "/u/login");
    let html = response.text().await.unwrap();
    assert_eq!(hidden(&html, "username").as_deref(), Some(EMAIL), "{html}");
}

#[tokio::test]
async fn login_hint_is_html_escaped_on_the_login_page() {
    let server = TestServer::start().await;
    let hint = "\"><script>alert(1)</script>";
    let (response, url) = Browser::new()
        .open(&server.authorize_url(&[("login_hint", hint)]))
        .await;
    assert_eq!(url.path(), "/u/login");
    let html = response.text().await.unwrap();
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert_eq!(hidden(&html, "username").as_deref(), Some(hint), "{html}");
}

#[tokio::test]
async fn response_mode_fragment_puts_code_state_and_iss_in_the_fragment() {
    let server = TestServer::start().await;
    let callback = Browser::new()
        .sign_in(&server.authorize_url(&[("response_mode", "fragment")]))
        .await;
    assert!(
        callback.query().is_none(),
        "nothing in the query: {callback}"
    );
    let code = fragment_param(&callback, "code").expect("a code in the fragment");
    assert_eq!(
        fragment_param(&callback, "state").as_deref(),
        Some("opaque-state")
    );
    assert_eq!(
        fragment_param(&callback, "iss").as_deref(),
        Some(server.issuer.as_str())
    );
    let mut base = callback.clone();
    base.set_fragment(None);
    assert_eq!(base.as_str(), CALLBACK);
    assert!(server.redeem(&code).await["access_token"].is_string());
}

#[tokio::test]
async fn response_mode_form_post_answers_with_an_auto_submitting_form() {
    let server = TestServer::start().await;
    let browser = Browser::new();
    browser.sign_in(&server.authorize_url(&[])).await;

    let response = browser
        .get(&server.authorize_url(&[("response_mode", "form_post")]))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get(LOCATION).is_none());
    assert!(header(&response, "content-type")
        .unwrap_or_default()
        .starts_with("text/html"));
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-store")
    );
    let csp = header(&response, "content-security-policy").expect("a CSP");
    let nonce = csp
        .split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix("script-src 'nonce-"))
        .and_then(|rest| rest.strip_suffix('\''))
        .unwrap_or_else(|| panic!("a script nonce in the CSP: {csp}"))
        .to_owned();
    assert!(!nonce.is_empty());
    let script_src = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .unwrap();
    assert!(!script_src.contains("unsafe-inline"), "{csp}");

    let html = response.text().await.unwrap();
    assert!(html.contains("method=\"post\""), "{html}");
    assert_eq!(form_action(&html).as_deref(), Some(CALLBACK), "{html}");
    assert!(
        html.contains(&format!("<script nonce=\"{nonce}\">")),
        "the script carries the CSP nonce: {html}"
    );
    assert!(html.contains("submit()"), "auto-submits: {html}");
    let code = hidden(&html, "code").expect("a code field");
    assert_eq!(hidden(&html, "state").as_deref(), Some("opaque-state"));
    assert_eq!(
        hidden(&html, "iss").as_deref(),
        Some(server.issuer.as_str())
    );
    assert!(server.redeem(&code).await["access_token"].is_string());
}

#[tokio::test]
async fn response_mode_form_post_carries_errors_too() {
    let server = TestServer::start().await;
    let response = http()
        .get(server.authorize_url(&[("response_mode", "form_post"), ("prompt", "none")]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert_eq!(form_action(&html).as_deref(), Some(CALLBACK), "{html}");
    assert_eq!(hidden(&html, "error").as_deref(), Some("login_required"));
    assert_eq!(hidden(&html, "state").as_deref(), Some("opaque-state"));
    assert_eq!(
        hidden(&html, "iss").as_deref(),
        Some(server.issuer.as_str())
    );
    assert!(hidden(&html, "code").is_none());
}

#[tokio::test]
async fn iss_is_in_every_authorization_response() {
    let server = TestServer::start().await;
    let issuer = server.issuer.clone();
    let mut responses: Vec<(&str, Url)> = Vec::new();

    let browser = Browser::new();
    responses.push((
        "code (query)",
        browser.sign_in(&server.authorize_url(&[])).await,
    ));
    responses.push((
        "code (fragment)",
        browser
            .sign_in(&server.authorize_url(&[("response_mode", "fragment")]))
            .await,
    ));
    responses.push((
        "access_denied",
        Browser::new()
            .sign_in_deciding(&server.authorize_url(&[("prompt", "consent")]), "deny")
            .await,
    ));
    for (name, extra) in [
        ("invalid_scope", vec![("scope", "openid no-such-scope")]),
        ("login_required", vec![("prompt", "none")]),
        (
            "unsupported_response_type",
            vec![("response_type", "code token")],
        ),
        (
            "unauthorized_client (fragment)",
            vec![("response_type", "token")],
        ),
        ("invalid_request", vec![("max_age", "-1")]),
    ] {
        let response = http()
            .get(server.authorize_url(&extra))
            .send()
            .await
            .unwrap();
        responses.push((name, client_redirect(&response)));
    }

    for (name, url) in &responses {
        let params = response_params(url);
        assert_eq!(
            param(&params, "iss"),
            Some(issuer.as_str()),
            "{name}: {url}"
        );
        assert_eq!(
            param(&params, "state"),
            Some("opaque-state"),
            "{name}: {url}"
        );
        let expected = name.split(' ').next().unwrap();
        if expected != "code" {
            assert_eq!(param(&params, "error"), Some(expected), "{name}: {url}");
        }
    }
}

#[tokio::test]
async fn id_token_carries_sid_shared_by_codes_of_one_sso_session() {
    let server = TestServer::start().await;
    let browser = Browser::new();
    let first = browser.sign_in(&server.authorize_url(&[])).await;
    let second = browser.sign_in(&server.authorize_url(&[])).await;
    let first = id_token_claims(&server, &query_param(&first, "code").unwrap()).await;
    let second = id_token_claims(&server, &query_param(&second, "code").unwrap()).await;
    let sid = first["sid"].as_str().expect("a sid claim");
    assert!(!sid.is_empty());
    assert_eq!(second["sid"], sid, "same SSO session, same sid");

    let other_browser = Browser::new().sign_in(&server.authorize_url(&[])).await;
    let other = id_token_claims(&server, &query_param(&other_browser, "code").unwrap()).await;
    assert_ne!(other["sid"], sid, "another session has another sid");
}

#[tokio::test]
async fn discovery_advertises_sid_logout_response_modes_and_s256_only() {
    let server = TestServer::start().await;
    let document = server.discovery().await;
    let claims = document["claims_supported"].as_array().unwrap();
    for claim in ["sid", "auth_time", "nonce", "sub", "iss"] {
        assert!(claims.contains(&json!(claim)), "{claim} in {claims:?}");
    }
    assert_eq!(document["end_session_endpoint"], server.url("oidc/logout"));
    assert_eq!(
        document["response_modes_supported"],
        json!(["query", "fragment", "form_post", "web_message"])
    );
    assert_eq!(
        document["code_challenge_methods_supported"],
        json!(["S256"])
    );
    assert_eq!(
        document["authorization_response_iss_parameter_supported"],
        true
    );
}

#[tokio::test]
async fn response_mode_form_post_escapes_the_values_it_carries() {
    let server = TestServer::start().await;
    let state = "\"><script>alert(1)</script>&x='y'";
    let response = http()
        .get(server.authorize_url(&[
            ("response_mode", "form_post"),
            ("prompt", "none"),
            ("state", state),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert_eq!(hidden(&html, "state").as_deref(), Some(state), "{html}");
}
