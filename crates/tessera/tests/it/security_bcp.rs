//! The RFC 9700 (OAuth 2.0 Security BCP) checklist items that no other module tests exactly,
//! and the hosted-page defences (framing, referrer, cookies, CSRF) checked on every page.
//! docs/security.md lists each item with the test that proves it.

use reqwest::header::LOCATION;
use reqwest::{Response, StatusCode};
use serde_json::Value;
use tessera::config::ClientConfig;
use tessera_admin::administrators as admins;
use tessera_core::crypto::Passwords;
use tessera_protocol::Timestamp;
use tessera_store::AdminRole;

use crate::support::*;

const WEB: &str = "bcp-web";
const REGISTERED: &str = "https://app.example.com/callback";
const NATIVE: &str = "bcp-native";
const NATIVE_CALLBACK: &str = "http://127.0.0.1/callback";
const NATIVE_LOCALHOST: &str = "http://localhost/callback";
const SPA: &str = "bcp-spa";
const SPA_CALLBACK: &str = "http://127.0.0.1:4000/spa/callback";

fn client(client_id: &str, app_type: &str, callbacks: &[&str]) -> ClientConfig {
    ClientConfig {
        client_id: client_id.into(),
        client_secret: (app_type == "regular_web").then(|| CLIENT_SECRET.into()),
        name: client_id.into(),
        app_type: app_type.into(),
        callbacks: callbacks.iter().map(|c| (*c).into()).collect(),
        ..ClientConfig::default()
    }
}

async fn server_with_bcp_clients() -> TestServer {
    TestServer::start_with(|config| {
        config
            .clients
            .push(client(WEB, "regular_web", &[REGISTERED]));
        config.clients.push(client(
            NATIVE,
            "native",
            &[NATIVE_CALLBACK, NATIVE_LOCALHOST],
        ));
        config.clients.push(client(SPA, "spa", &[SPA_CALLBACK]));
    })
    .await
}

/// The authorize request of `client_id` for `redirect_uri`, with a PKCE challenge.
fn authorize_for(server: &TestServer, client_id: &str, redirect_uri: &str) -> String {
    server.authorize_url(&[
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ])
}

/// RFC 7636 Appendix B's verifier and its S256 challenge.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A 400 error page, not a redirect.
async fn assert_refused_with_a_page(response: Response, what: &str) {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{what}");
    assert!(
        response.headers().get(LOCATION).is_none(),
        "{what} must not be redirected to"
    );
    let html = response.text().await.unwrap();
    assert!(
        html.contains("<code>invalid_request</code>"),
        "{what}: {html}"
    );
}

// --- RFC 9700 §2.1, §4.1: exact redirect URI matching ---

/// RFC 9700 §4.1.3 / RFC 6749 §3.1.2.3: simple string comparison (RFC 3986 §6.2.1). Even the
/// variants RFC 3986 §6.2.2 normalization would call equivalent (case of scheme and host, an
/// explicit default port, percent-encoded unreserved characters, dot-segments) are refused:
/// a registered URI means those exact bytes.
#[tokio::test]
async fn redirect_uri_tricks_on_a_registered_callback_are_refused_with_a_page_not_a_redirect() {
    let server = server_with_bcp_clients().await;
    let exact = http()
        .get(authorize_for(&server, WEB, REGISTERED))
        .send()
        .await
        .unwrap();
    assert_eq!(
        exact.status(),
        StatusCode::FOUND,
        "the registered URI itself is accepted"
    );
    assert!(
        location(&exact).starts_with("/u/login"),
        "{}",
        location(&exact)
    );

    let tricks = [
        "https://app.example.com/callback/",
        "https://app.example.com/callbackx",
        "https://app.example.com/callback?x=1",
        "https://app.example.com/callback?",
        "https://app.example.com/callback/evil",
        "https://app.example.com/call",
        "https://app.example.com/",
        "https://app.example.com",
        "https://app.example.com:443/callback",
        "https://app.example.com:8443/callback",
        "http://app.example.com/callback",
        "HTTPS://APP.example.com/callback",
        "https://APP.EXAMPLE.COM/callback",
        "https://app.example.com/CALLBACK",
        "https://app.example.com./callback",
        "https://app.example.com.evil.com/callback",
        "https://evil.com/app.example.com/callback",
        "https://evil.com@app.example.com/callback",
        "https://app.example.com@evil.com/callback",
        "https://app.example.com:443@evil.com/callback",
        "https://user:pass@app.example.com/callback",
        "https://app.example.com/callback/../evil",
        "https://app.example.com/evil/../callback",
        "https://app.example.com/./callback",
        "https://app.example.com//callback",
        "https://app.example.com/callback/%2e%2e/evil",
        "https://app.example.com/%2e%2e/callback",
        "https://app.example.com/%63allback",
        "https://app.example.com/callback%2F",
        "https://app.example.com%2Fcallback",
        "https://app.example.com%2F@evil.com/callback",
        "https://app.example.com/callback%23x",
        "https://app.example.com/callback#x",
        "https://app.example.com/callback#",
        "https://app.example.com\\callback",
        "https://app.example.com\\@evil.com/callback",
        "https://app.example.com/callback\\",
        "https://app.example.com/call\tback",
        "https://app.example.com/callback\n",
        "https://app.example.com/call\r\nback",
        " https://app.example.com/callback",
        "https://app.example.com/callback ",
        "https://app.example.com/callback\u{0}",
        // Unicode lookalikes and their punycode: Cyrillic а, full-width ｃ, dotless ı.
        "https://\u{430}pp.example.com/callback",
        "https://xn--pp-8cd.example.com/callback",
        "https://app.example.com/\u{ff43}allback",
        "https://app.example.com/callback\u{131}",
        "https://app\u{3002}example.com/callback",
        "//app.example.com/callback",
        "/callback",
        "javascript://app.example.com/callback",
    ];
    for trick in tricks {
        let response = http()
            .get(authorize_for(&server, WEB, trick))
            .send()
            .await
            .unwrap();
        assert_refused_with_a_page(response, &format!("{trick:?}")).await;
    }
}

/// RFC 9700 §2.1 and RFC 8252 §7.3: a native app's loopback IP callback accepts any port, and
/// the response goes to that port; `localhost` (RFC 8252 §8.3) and web apps stay exact.
#[tokio::test]
async fn native_app_loopback_ip_callback_accepts_any_port_and_nothing_else_varies() {
    let server = server_with_bcp_clients().await;
    let ephemeral = "http://127.0.0.1:4000/callback";
    let callback = Browser::new()
        .sign_in(&authorize_for(&server, NATIVE, ephemeral))
        .await;
    let mut target = callback.clone();
    target.set_query(None);
    assert_eq!(
        target.as_str(),
        ephemeral,
        "the response goes to the app's port"
    );
    let code = query_param(&callback, "code").unwrap();
    // RFC 6749 §4.1.3: the token request names the URI used, port included.
    let other_port = redeem_native(&server, NATIVE_CALLBACK, &code).await;
    expect_oauth_error(other_port, StatusCode::BAD_REQUEST, "invalid_grant").await;

    let code = query_param(
        &Browser::new()
            .sign_in(&authorize_for(&server, NATIVE, ephemeral))
            .await,
        "code",
    )
    .unwrap();
    let tokens = redeem_native(&server, ephemeral, &code).await;
    assert_eq!(tokens.status(), StatusCode::OK);

    for refused in [
        "http://localhost:4000/callback",
        "http://127.0.0.1:4000/callback/",
        "http://127.0.0.1:4000/other",
        "https://127.0.0.1:4000/callback",
        "http://127.0.0.1:4000@evil.com/callback",
        "http://127.0.0.1.evil.com:4000/callback",
        "http://[::1]:4000/callback",
    ] {
        let response = http()
            .get(authorize_for(&server, NATIVE, refused))
            .send()
            .await
            .unwrap();
        assert_refused_with_a_page(response, refused).await;
    }
    // The seed's web app registered http://127.0.0.1:4000/callback: no other port.
    let web = http()
        .get(server.authorize_url(&[("redirect_uri", "http://127.0.0.1:4001/callback")]))
        .send()
        .await
        .unwrap();
    assert_refused_with_a_page(web, "another port for a web app").await;
}

async fn redeem_native(server: &TestServer, redirect_uri: &str, code: &str) -> Response {
    server
        .token_form(&[
            ("grant_type", "authorization_code"),
            ("client_id", NATIVE),
            ("code", code),
            ("code_verifier", VERIFIER),
            ("redirect_uri", redirect_uri),
        ])
        .await
}

// --- RFC 9700 §2.2.2, §4.14: refresh tokens of public clients ---

/// RFC 9700 §2.2.2: refresh tokens for public clients MUST be sender-constrained or rotated.
/// The SPA here is registered with Auth0's default `non-rotating`; its tokens rotate anyway and
/// a replayed one revokes the family.
#[tokio::test]
async fn public_client_refresh_tokens_rotate_with_reuse_detection_even_if_registered_non_rotating()
{
    let server = server_with_bcp_clients().await;
    let url = server.authorize_url(&[
        ("client_id", SPA),
        ("redirect_uri", SPA_CALLBACK),
        ("scope", "openid appointments offline_access"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    let callback = Browser::new().sign_in(&url).await;
    let code = query_param(&callback, "code").unwrap();
    let response = server
        .token_form(&[
            ("grant_type", "authorization_code"),
            ("client_id", SPA),
            ("code", &code),
            ("code_verifier", VERIFIER),
            ("redirect_uri", SPA_CALLBACK),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let first = body["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned();

    let response = server.refresh_as(SPA, None, &first, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let second = body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second, first, "a new refresh token replaces the one used");

    let replay = server.refresh_as(SPA, None, &first, None).await;
    expect_oauth_error(replay, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let revoked = server.refresh_as(SPA, None, &second, None).await;
    expect_oauth_error(revoked, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

// --- RFC 9700 §2.2.1, §4.10: sender-constrained tokens ---

/// Sender-constrained tokens (§2.2.1): DPoP is advertised and a malformed proof is refused
/// rather than ignored (a client that sent one expects a bound token); mTLS-bound tokens
/// (RFC 8705) are not offered. DPoP itself is tested in `dpop.rs`.
#[tokio::test]
async fn dpop_is_offered_a_bad_proof_is_refused_and_mtls_binding_is_not_advertised() {
    let server = TestServer::start().await;
    let discovery = server.discovery().await;
    assert!(discovery["dpop_signing_alg_values_supported"].is_array());
    for key in [
        "tls_client_certificate_bound_access_tokens",
        "mtls_endpoint_aliases",
    ] {
        assert!(discovery.get(key).is_none(), "{key} is not advertised");
    }
    let code = server.code(&[]).await;
    let response = http()
        .post(server.url("oauth/token"))
        .header("DPoP", "eyJ0eXAiOiJkcG9wK2p3dCJ9.e30.sig")
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("code", &code),
            ("redirect_uri", CALLBACK),
        ])
        .send()
        .await
        .unwrap();
    expect_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_dpop_proof").await;
}

// --- RFC 9700 §4.12: 307 redirects ---

/// RFC 9700 §4.12: after a form post carrying credentials the AS MUST NOT answer 307, which
/// would make the browser post the password on to the client. Every redirect Tessera answers
/// a POST with is a 302 or 303.
#[tokio::test]
async fn redirects_after_form_posts_are_302_or_303_never_307() {
    let server = TestServer::start().await;
    let browser = Browser::new();
    let (login, url) = browser.open(&server.authorize_url(&[])).await;
    let html = login.text().await.unwrap();
    let after_login = browser.submit_login(&url, &html, USERNAME, PASSWORD).await;
    let mut posts = vec![("login", after_login.status())];
    let (consent, url) = browser.follow(after_login, &url).await;
    let html = consent.text().await.unwrap();
    let after_consent = browser.submit_consent(&url, &html, "allow").await;
    posts.push(("consent", after_consent.status()));

    let admin = DashboardAdmin::sign_in(&server).await;
    posts.push(("dashboard login", admin.signed_in_status));
    let created = admin
        .post(
            "/dashboard/applications",
            &[("name", "Made"), ("app_type", "spa")],
        )
        .await;
    posts.push(("dashboard create", created.status()));
    let logout = admin.post("/dashboard/logout", &[]).await;
    posts.push(("dashboard logout", logout.status()));

    for (what, status) in &posts {
        assert!(
            !matches!(
                *status,
                StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT
            ),
            "{what} answered {status}"
        );
    }
    // The sign-in steps and the Dashboard's session changes are redirects: 302 or 303.
    for (what, status) in posts.iter().filter(|(what, _)| *what != "dashboard create") {
        assert!(
            matches!(*status, StatusCode::FOUND | StatusCode::SEE_OTHER),
            "{what} answered {status}"
        );
    }
}

// --- RFC 9700 §4.3.2 and RFC 6750 §5.3: credentials never in URLs ---

/// The token endpoint reads its parameters from the body only: a client secret or a code in
/// the query string is not taken. Bearer tokens are not accepted in a query (RFC 6750 §2.3 is
/// not supported) and passwords only travel in a POST body.
#[tokio::test]
async fn credentials_in_the_url_are_not_accepted() {
    let server = TestServer::start().await;
    let code = server.code(&[]).await;
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("client_id", CLIENT_ID)
        .append_pair("client_secret", CLIENT_SECRET)
        .append_pair("code", &code)
        .append_pair("redirect_uri", CALLBACK)
        .finish();
    let in_query = http()
        .post(format!("{}?{query}", server.url("oauth/token")))
        .form(&[("client_id", CLIENT_ID)])
        .send()
        .await
        .unwrap();
    assert!(in_query.status().is_client_error());
    let body: Value = in_query.json().await.unwrap();
    assert!(body.get("access_token").is_none(), "{body}");
    // The secret in the query, the rest in the body: still no client authentication.
    let secret_in_query = http()
        .post(format!(
            "{}?client_secret={CLIENT_SECRET}",
            server.url("oauth/token")
        ))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
            ("code", &code),
            ("redirect_uri", CALLBACK),
        ])
        .send()
        .await
        .unwrap();
    let status = secret_in_query.status();
    let body: Value = secret_in_query.json().await.unwrap();
    assert!(
        status.is_client_error() && body.get("access_token").is_none(),
        "{status} {body}"
    );
    // The code was never redeemed by those: it still works once.
    let tokens = server.redeem(&code).await;
    let access = tokens["access_token"].as_str().unwrap();
    let userinfo = http()
        .get(format!("{}?access_token={access}", server.url("userinfo")))
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), StatusCode::UNAUTHORIZED);

    let login_form = Browser::new().open(&server.authorize_url(&[])).await.0;
    let html = login_form.text().await.unwrap();
    assert!(
        html.contains("<form method=\"post\" action=\"/u/login\">"),
        "the password is posted, never put in a URL: {html}"
    );
}

// --- Hosted pages (issue 8 point 3) ---

/// Every hosted page a browser can be shown: Tessera's sign-in pages and the Dashboard's.
async fn hosted_pages(server: &TestServer) -> Vec<(String, Response)> {
    let mut pages = Vec::new();
    let browser = Browser::new();
    let (login, url) = browser.open(&server.authorize_url(&[])).await;
    let html = login.text().await.unwrap();
    pages.push(("login".into(), browser.get(url.as_str()).await));
    let failed = browser
        .submit_login(&url, &html, USERNAME, "wrong password")
        .await;
    pages.push(("login failed".into(), failed));
    let (login, url) = browser.open(&server.authorize_url(&[])).await;
    let html = login.text().await.unwrap();
    let submitted = browser.submit_login(&url, &html, USERNAME, PASSWORD).await;
    let (consent, url) = browser.follow(submitted, &url).await;
    assert_eq!(url.path(), "/u/consent");
    pages.push(("consent".into(), consent));
    pages.push((
        "authorize error".into(),
        browser
            .get(&server.authorize_url(&[("client_id", "nobody")]))
            .await,
    ));
    browser.sign_in(&server.authorize_url(&[])).await;
    let (form_post, _) = browser
        .open(&server.authorize_url(&[("response_mode", "form_post")]))
        .await;
    pages.push(("form_post response".into(), form_post));
    pages.push((
        "logout confirmation".into(),
        browser.get(&server.url("oidc/logout")).await,
    ));
    pages.push((
        "logged out".into(),
        browser.get(&server.url("v2/logout")).await,
    ));

    pages.push((
        "dashboard sign-in".into(),
        Browser::new().get(&server.url("dashboard/login")).await,
    ));
    let admin = DashboardAdmin::sign_in(server).await;
    for path in admin.pages().await {
        pages.push((path.clone(), admin.browser.get(&server.url(&path)).await));
    }
    pages.push((
        "dashboard confirmation".into(),
        admin
            .post("/dashboard/applications/myclientapp/rotate-secret", &[])
            .await,
    ));
    pages.push((
        "dashboard not found".into(),
        admin
            .browser
            .get(&server.url("dashboard/applications/nobody"))
            .await,
    ));
    pages
}

#[tokio::test]
async fn every_hosted_page_forbids_framing_and_sends_no_referrer() {
    let server = TestServer::start().await;
    for (page, response) in hosted_pages(&server).await {
        let csp = header(&response, "content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("frame-ancestors 'none'"),
            "{page}: CSP {csp:?}"
        );
        assert!(csp.contains("default-src 'none'"), "{page}: CSP {csp:?}");
        assert_eq!(
            header(&response, "x-frame-options").as_deref(),
            Some("DENY"),
            "{page}"
        );
        assert_eq!(
            header(&response, "referrer-policy").as_deref(),
            Some("no-referrer"),
            "{page}"
        );
        assert_eq!(
            header(&response, "cache-control").as_deref(),
            Some("no-store"),
            "{page}"
        );
    }
}

/// The `<form method="post">` elements of a page, each as its text.
fn post_forms(html: &str) -> Vec<&str> {
    html.match_indices("<form")
        .filter_map(|(start, _)| {
            let end = start + html[start..].find("</form>")?;
            let form = &html[start..end];
            let tag_end = form.find('>')?;
            form[..tag_end]
                .to_ascii_lowercase()
                .contains("method=\"post\"")
                .then_some(form)
        })
        .collect()
}

/// Every POST form carries a non-empty hidden `csrf_token` — except the form_post response,
/// which posts the code to the client (RFC 9700 §4.7: the client's `state`/PKCE defend it).
#[tokio::test]
async fn every_post_form_on_a_hosted_page_carries_a_csrf_token() {
    let server = TestServer::start().await;
    let mut checked = 0;
    for (page, response) in hosted_pages(&server).await {
        let html = response.text().await.unwrap();
        for form in post_forms(&html) {
            if page == "form_post response" {
                assert!(
                    form.contains("action=\"http://127.0.0.1:4000/callback\""),
                    "{form}"
                );
                continue;
            }
            let marker = "type=\"hidden\" name=\"csrf_token\" value=\"";
            let value = form
                .find(marker)
                .map(|at| &form[at + marker.len()..])
                .and_then(|rest| rest.split('"').next());
            assert!(
                value.is_some_and(|v| v.len() >= 16),
                "{page}: a form without a CSRF token: {form}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "the pages had forms: {checked}");
}

/// A form refused: 403 (or 400 when the field is missing altogether), and no redirect.
fn assert_refused(response: &Response, form: &str, token: Option<&str>) {
    assert!(
        matches!(
            response.status(),
            StatusCode::FORBIDDEN | StatusCode::BAD_REQUEST
        ),
        "{form} with CSRF token {token:?} answered {}",
        response.status()
    );
    assert!(
        response.headers().get(LOCATION).is_none(),
        "{form} with CSRF token {token:?} went on"
    );
}

/// Login, consent, logout confirmation and Dashboard forms posted without the token or with a
/// wrong one change nothing.
#[tokio::test]
async fn posting_a_hosted_form_without_or_with_a_wrong_csrf_token_is_refused() {
    let server = TestServer::start().await;
    for token in [None, Some("wrong-token-0123456789")] {
        let browser = Browser::new();
        let (login, url) = browser.open(&server.authorize_url(&[])).await;
        let html = login.text().await.unwrap();
        let state = form_value(&html, "state").unwrap();
        let mut form = vec![
            ("state", state.as_str()),
            ("username", USERNAME),
            ("password", PASSWORD),
        ];
        form.extend(token.map(|t| ("csrf_token", t)));
        let response = browser
            .post_form(url.join("/u/login").unwrap().as_str(), &form)
            .await;
        assert_refused(&response, "login", token);
        assert!(set_cookies(&response)
            .iter()
            .all(|c| !c.starts_with("tessera_session=")));

        let submitted = browser.submit_login(&url, &html, USERNAME, PASSWORD).await;
        let (consent, url) = browser.follow(submitted, &url).await;
        let html = consent.text().await.unwrap();
        let state = form_value(&html, "state").unwrap();
        let mut form = vec![("state", state.as_str()), ("decision", "allow")];
        form.extend(token.map(|t| ("csrf_token", t)));
        let response = browser
            .post_form(url.join("/u/consent").unwrap().as_str(), &form)
            .await;
        assert_refused(&response, "consent", token);
        assert!(response.headers().get(LOCATION).is_none(), "no code");

        let page = browser.get(&server.url("oidc/logout")).await;
        assert_eq!(page.status(), StatusCode::OK);
        let form: Vec<(&str, &str)> = token.map(|t| ("csrf_token", t)).into_iter().collect();
        let response = browser.post_form(&server.url("oidc/logout"), &form).await;
        assert!(
            set_cookies(&response)
                .iter()
                .all(|c| !c.starts_with("tessera_session=")),
            "logout with {token:?} ended nothing"
        );

        let admin = DashboardAdmin::sign_in(&server).await;
        let mut form = vec![("name", "Forged"), ("app_type", "spa")];
        form.extend(token.map(|t| ("csrf_token", t)));
        let response = admin
            .browser
            .post_form(&server.url("dashboard/applications"), &form)
            .await;
        assert_refused(&response, "dashboard form", token);
        let mut form = vec![("username", "root"), ("password", "irrelevant")];
        form.extend(token.map(|t| ("csrf_token", t)));
        let response = Browser::new()
            .post_form(&server.url("dashboard/login"), &form)
            .await;
        assert_refused(&response, "dashboard sign-in", token);
    }
}

/// Cookies on http: HttpOnly and SameSite; the Secure attribute needs an https issuer (next
/// test), since a browser drops Secure cookies set over plain http.
fn cookie_attributes(cookie: &str) -> Vec<String> {
    cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

/// Behind a TLS-terminating proxy (issuer `https://…`) every cookie is Secure, HttpOnly and
/// SameSite; the test talks plain HTTP to the socket, as the proxy would.
#[tokio::test]
async fn cookies_are_secure_httponly_and_samesite_when_the_issuer_is_https() {
    let server = TestServer::start_with(|config| {
        config.issuer = Some("https://login.example.com/".into());
    })
    .await;
    assert_eq!(server.issuer, "https://login.example.com/");
    let origin = format!("http://{}", server.addr);
    let http = http();
    let mut cookies = Vec::new();

    let authorize = server
        .authorize_url(&[])
        .replace("https://login.example.com", &origin);
    let response = http.get(&authorize).send().await.unwrap();
    let browser_cookie = set_cookies(&response);
    let login_path = location(&response).replace("https://login.example.com", "");
    cookies.extend(browser_cookie.clone());
    let jar = browser_cookie
        .iter()
        .map(|c| c.split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ");
    let page = http
        .get(format!("{origin}{login_path}"))
        .header("cookie", &jar)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let response = http
        .post(format!("{origin}/u/login"))
        .header("cookie", &jar)
        .form(&[
            ("state", form_value(&page, "state").unwrap().as_str()),
            ("csrf_token", &form_value(&page, "csrf_token").unwrap()),
            ("username", USERNAME),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    cookies.extend(set_cookies(&response));

    let store = tessera::open_store(&server.config).await.unwrap();
    let password = admins::create(
        store.as_ref(),
        &Passwords::new(1).unwrap(),
        "root",
        AdminRole::Admin,
        Timestamp(1),
    )
    .await
    .unwrap()
    .password;
    let response = http
        .get(format!("{origin}/dashboard/login"))
        .send()
        .await
        .unwrap();
    let form_cookies = set_cookies(&response);
    cookies.extend(form_cookies.clone());
    let jar = form_cookies
        .iter()
        .map(|c| c.split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ");
    let html = response.text().await.unwrap();
    let response = http
        .post(format!("{origin}/dashboard/login"))
        .header("cookie", &jar)
        .form(&[
            (
                "csrf_token",
                form_value(&html, "csrf_token").unwrap().as_str(),
            ),
            ("username", "root"),
            ("password", &password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    cookies.extend(set_cookies(&response));

    for name in ["tessera_browser=", "tessera_session=", "tessera_admin="] {
        assert!(
            cookies.iter().any(|c| c.starts_with(name)),
            "{name} was set: {cookies:?}"
        );
    }
    for cookie in &cookies {
        let attributes = cookie_attributes(cookie);
        assert!(attributes.iter().any(|a| a == "secure"), "{cookie}");
        assert!(attributes.iter().any(|a| a == "httponly"), "{cookie}");
        assert!(
            attributes
                .iter()
                .any(|a| a == "samesite=lax" || a == "samesite=strict"),
            "{cookie}"
        );
    }
}

// --- Helpers ---

/// A Dashboard administrator signed in in its own browser.
struct DashboardAdmin<'a> {
    server: &'a TestServer,
    browser: Browser,
    signed_in_status: StatusCode,
}

impl<'a> DashboardAdmin<'a> {
    /// Creates an administrator of its own and signs in.
    async fn sign_in(server: &'a TestServer) -> DashboardAdmin<'a> {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let username = format!(
            "admin{}",
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let store = tessera::open_store(&server.config).await.unwrap();
        let password = admins::create(
            store.as_ref(),
            &Passwords::new(1).unwrap(),
            &username,
            AdminRole::Admin,
            Timestamp(1),
        )
        .await
        .unwrap()
        .password;
        let browser = Browser::new();
        let html = browser
            .get(&server.url("dashboard/login"))
            .await
            .text()
            .await
            .unwrap();
        let csrf = form_value(&html, "csrf_token").unwrap();
        let response = browser
            .post_form(
                &server.url("dashboard/login"),
                &[
                    ("csrf_token", &csrf),
                    ("username", &username),
                    ("password", &password),
                ],
            )
            .await;
        assert_eq!(location(&response), "/dashboard/applications");
        DashboardAdmin {
            server,
            browser,
            signed_in_status: response.status(),
        }
    }

    /// Every Dashboard page path, with the seed's application, API and user.
    async fn pages(&self) -> Vec<String> {
        let mut pages: Vec<String> = [
            "/dashboard/applications",
            "/dashboard/applications/myclientapp",
            "/dashboard/apis",
            "/dashboard/users",
            "/dashboard/keys",
            "/dashboard/logs",
        ]
        .map(str::to_owned)
        .to_vec();
        let api = url::form_urlencoded::byte_serialize(API.as_bytes()).collect::<String>();
        pages.push(format!("/dashboard/apis/{api}"));
        let users = self
            .browser
            .get(&self.server.url("dashboard/users?q=jane"))
            .await
            .text()
            .await
            .unwrap();
        let start = users.find("/dashboard/users/").expect("a user link");
        let end = start + users[start..].find('"').unwrap();
        pages.push(users[start..end].to_owned());
        pages
    }

    /// Posts a form with this session's CSRF token.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let html = self
            .browser
            .get(&self.server.url("dashboard/logs"))
            .await
            .text()
            .await
            .unwrap();
        let csrf = form_value(&html, "csrf_token").expect("a CSRF token");
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", &csrf)];
        form.extend_from_slice(fields);
        self.browser.post_form(&self.server.url(path), &form).await
    }
}
