//! The hosted login and consent pages, and SSO, over raw HTTP with a cookie-keeping browser.

use reqwest::header::LOCATION;
use reqwest::{Response, StatusCode};
use url::Url;

use crate::support::*;

/// Starts an authorization in `browser` and returns the hosted page it lands on.
async fn open(browser: &Browser, authorize_url: &str) -> (Response, Url) {
    let base = Url::parse(authorize_url).unwrap();
    browser
        .follow(browser.get(authorize_url).await, &base)
        .await
}

/// The login page of a fresh authorization with the seed's defaults.
async fn login_page(server: &TestServer, browser: &Browser) -> (Url, String) {
    let (response, url) = open(browser, &server.authorize_url(&[])).await;
    assert_eq!(url.path(), "/u/login", "expected the login page");
    assert_eq!(response.status(), StatusCode::OK);
    (url, response.text().await.unwrap())
}

/// Logs in on a fresh authorization and returns the consent page it leads to.
async fn consent_page(
    server: &TestServer,
    browser: &Browser,
    extra: &[(&str, &str)],
) -> (Url, String) {
    let (response, url) = open(browser, &server.authorize_url(extra)).await;
    let (response, url) = if url.path() == "/u/login" {
        let html = response.text().await.unwrap();
        let submitted = browser.submit_login(&url, &html, USERNAME, PASSWORD).await;
        browser.follow(submitted, &url).await
    } else {
        (response, url)
    };
    assert_eq!(url.path(), "/u/consent", "expected the consent page");
    assert_eq!(response.status(), StatusCode::OK);
    (url, response.text().await.unwrap())
}

fn has_session_cookie(response: &Response) -> bool {
    set_cookies(response)
        .iter()
        .any(|c| c.starts_with("tessera_session="))
}

fn assert_hosted_page_headers(response: &Response) {
    let csp = header(response, "content-security-policy").expect("a CSP");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(header(response, "x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(
        header(response, "cache-control").as_deref(),
        Some("no-store")
    );
}

#[tokio::test]
async fn login_page_has_username_password_and_hidden_state_and_csrf_fields() {
    let server = TestServer::start().await;
    let (_, html) = login_page(&server, &Browser::new()).await;
    assert!(html.contains(r#"name="username""#), "{html}");
    assert!(
        html.contains(r#"type="password""#) && html.contains(r#"name="password""#),
        "{html}"
    );
    assert!(html.contains(r#"type="hidden" name="state""#), "{html}");
    assert!(
        html.contains(r#"type="hidden" name="csrf_token""#),
        "{html}"
    );
    assert!(form_value(&html, "state").is_some_and(|v| !v.is_empty()));
    assert!(form_value(&html, "csrf_token").is_some_and(|v| !v.is_empty()));
}

#[tokio::test]
async fn login_with_wrong_password_shows_401_page_without_session() {
    let server = TestServer::start().await;
    let browser = Browser::new();
    let (url, html) = login_page(&server, &browser).await;
    let response = browser
        .submit_login(&url, &html, USERNAME, "not the password")
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(!has_session_cookie(&response));
    assert!(response.headers().get(LOCATION).is_none());
    let page = response.text().await.unwrap();
    assert!(page.contains("Wrong username or password."), "{page}");
    // The form is shown again, usable for another try.
    assert!(form_value(&page, "csrf_token").is_some());
}

#[tokio::test]
async fn login_with_unknown_user_shows_the_same_message() {
    let server = TestServer::start().await;
    let browser = Browser::new();
    let (url, html) = login_page(&server, &browser).await;
    let response = browser.submit_login(&url, &html, "nobody", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(!has_session_cookie(&response));
    let page = response.text().await.unwrap();
    assert!(page.contains("Wrong username or password."), "{page}");
}

#[tokio::test]
async fn login_by_email_address_works() {
    let server = TestServer::start().await;
    let browser = Browser::new();
    let (url, html) = login_page(&server, &browser).await;
    let response = browser.submit_login(&url, &html, EMAIL, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert!(has_session_cookie(&response));
    assert!(location(&response).starts_with("/u/consent?"));
}

#[tokio::test]
async fn login_with_wrong_csrf_token_is_forbidden() {
    let server = TestServer::start().await;
    let browser = Browser::new();
    let (url, html) = login_page(&server, &browser).await;
    let state = form_value(&html, "state").unwrap();
    let response = browser
        .post_form(
            url.join("/u/login").unwrap().as_str(),
            &[
                ("state", &state),
                ("csrf_token", "forged-token"),
                ("username", USERNAME),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(!has_session_cookie(&response));
    assert!(response.headers().get(LOCATION).is_none());
}

#[tokio::test]
async fn login_posted_from_another_browser_is_forbidden() {
    let server = TestServer::start().await;
    let (url, html) = login_page(&server, &Browser::new()).await;
    let attacker = Browser::new();
    let response = attacker.submit_login(&url, &html, USERNAME, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(!has_session_cookie(&response));
}

#[tokio::test]
async fn session_cookie_is_httponly_samesite_lax_and_not_secure_on_http() {
    let server = TestServer::start().await;
    assert!(server.issuer.starts_with("http://"));
    let browser = Browser::new();
    let (url, html) = login_page(&server, &browser).await;
    let response = browser.submit_login(&url, &html, USERNAME, PASSWORD).await;
    let cookie = set_cookies(&response)
        .into_iter()
        .find(|c| c.starts_with("tessera_session="))
        .expect("a session cookie");
    let attributes: Vec<String> = cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    assert!(attributes.iter().any(|a| a == "httponly"), "{cookie}");
    assert!(attributes.iter().any(|a| a == "samesite=lax"), "{cookie}");
    assert!(!attributes.iter().any(|a| a == "secure"), "{cookie}");
}

#[tokio::test]
async fn second_authorization_in_same_browser_skips_login_and_consent() {
    let server = TestServer::start().await;
    let browser = Browser::new();
    browser.sign_in(&server.authorize_url(&[])).await;
    let response = browser
        .get(&server.authorize_url(&[("state", "again")]))
        .await;
    let callback = client_redirect(&response);
    assert!(query_param(&callback, "code").is_some(), "{callback}");
    assert_eq!(query_param(&callback, "state").as_deref(), Some("again"));
}

#[tokio::test]
async fn asking_a_new_scope_shows_consent_again_listing_it() {
    let server = TestServer::start().await;
    let browser = Browser::new();
    browser.sign_in(&server.authorize_url(&[])).await;
    let (response, url) = open(
        &browser,
        &server.authorize_url(&[("scope", "openid profile email appointments contacts")]),
    )
    .await;
    assert_eq!(
        url.path(),
        "/u/consent",
        "consent is asked for the new scope"
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("contacts"), "{html}");
    assert!(html.contains("Read your contacts"), "{html}");
}

#[tokio::test]
async fn consent_deny_redirects_access_denied_with_state() {
    let server = TestServer::start().await;
    let callback = Browser::new()
        .sign_in_deciding(&server.authorize_url(&[]), "deny")
        .await;
    assert_eq!(
        query_param(&callback, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        query_param(&callback, "state").as_deref(),
        Some("opaque-state")
    );
    assert_eq!(
        query_param(&callback, "iss").as_deref(),
        Some(server.issuer.as_str())
    );
    assert!(query_param(&callback, "code").is_none());
}

#[tokio::test]
async fn consent_page_shows_client_api_and_scope_descriptions() {
    let server = TestServer::start().await;
    let browser = Browser::new();
    let (_, html) = consent_page(
        &server,
        &browser,
        &[("scope", "openid profile email appointments contacts")],
    )
    .await;
    for text in [
        "My Client App",
        "Appointments API",
        "Manage your appointments",
        "Read your contacts",
        "Your profile: name and nickname",
        "Your email address",
    ] {
        assert!(
            html.contains(text),
            "the consent page shows {text:?}: {html}"
        );
    }
}

#[tokio::test]
async fn prompt_login_forces_the_login_page_despite_a_session() {
    let server = TestServer::start().await;
    let browser = Browser::new();
    browser.sign_in(&server.authorize_url(&[])).await;
    let (response, url) = open(&browser, &server.authorize_url(&[("prompt", "login")])).await;
    assert_eq!(url.path(), "/u/login");
    let html = response.text().await.unwrap();
    // After logging in again, consent is already given: straight to the callback.
    let submitted = browser.submit_login(&url, &html, USERNAME, PASSWORD).await;
    let callback = client_redirect(&submitted);
    assert!(query_param(&callback, "code").is_some(), "{callback}");
}

#[tokio::test]
async fn prompt_consent_forces_the_consent_page() {
    let server = TestServer::start().await;
    let browser = Browser::new();
    browser.sign_in(&server.authorize_url(&[])).await;
    let (response, url) = open(&browser, &server.authorize_url(&[("prompt", "consent")])).await;
    assert_eq!(url.path(), "/u/consent");
    let html = response.text().await.unwrap();
    let submitted = browser.submit_consent(&url, &html, "allow").await;
    let callback = client_redirect(&submitted);
    assert!(query_param(&callback, "code").is_some(), "{callback}");
}

#[tokio::test]
async fn hosted_pages_forbid_framing_and_caching() {
    let server = TestServer::start().await;
    let browser = Browser::new();

    let (login, url) = open(&browser, &server.authorize_url(&[])).await;
    assert_eq!(url.path(), "/u/login");
    assert_hosted_page_headers(&login);
    let html = login.text().await.unwrap();
    let submitted = browser.submit_login(&url, &html, USERNAME, PASSWORD).await;
    let (consent, url) = browser.follow(submitted, &url).await;
    assert_eq!(url.path(), "/u/consent");
    assert_hosted_page_headers(&consent);

    let error = browser
        .get(&server.authorize_url(&[("client_id", "no-such-client")]))
        .await;
    assert_eq!(error.status(), StatusCode::BAD_REQUEST);
    assert_hosted_page_headers(&error);
}

#[tokio::test]
async fn consent_submitted_twice_issues_only_one_code() {
    let server = TestServer::start().await;
    let browser = Browser::new();
    let (url, html) = consent_page(&server, &browser, &[]).await;
    let first = browser.submit_consent(&url, &html, "allow").await;
    let callback = client_redirect(&first);
    assert!(query_param(&callback, "code").is_some(), "{callback}");

    let second = browser.submit_consent(&url, &html, "allow").await;
    assert_eq!(second.status(), StatusCode::BAD_REQUEST);
    assert!(
        second.headers().get(LOCATION).is_none(),
        "no second code: {:?}",
        second.headers().get(LOCATION)
    );
    let page = second.text().await.unwrap();
    assert!(page.contains("<code>invalid_request</code>"), "{page}");
}

#[tokio::test]
async fn consent_posted_from_another_browser_is_forbidden() {
    let server = TestServer::start().await;
    let (url, html) = consent_page(&server, &Browser::new(), &[]).await;
    let response = Browser::new().submit_consent(&url, &html, "allow").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.headers().get(LOCATION).is_none());
}
