//! Logout: Auth0's `GET /v2/logout` and OpenID Connect RP-Initiated Logout 1.0
//! (`/oidc/logout`). Redirects only to Allowed Logout URLs; the SSO session ends on the server,
//! not only in the browser's cookie jar.

use base64::Engine;
use reqwest::header::LOCATION;
use reqwest::{Response, StatusCode};
use url::Url;

use crate::support::*;

/// A browser signed in to the seed client, with what it got.
struct SignedIn {
    browser: Browser,
    id_token: String,
    /// The `tessera_session` cookie's value, to replay it after logout.
    session_cookie: String,
}

async fn sign_in(server: &TestServer) -> SignedIn {
    let browser = Browser::new();
    let (response, url) = browser.open(&server.authorize_url(&[])).await;
    assert_eq!(url.path(), "/u/login");
    let html = response.text().await.unwrap();
    let submitted = browser.submit_login(&url, &html, USERNAME, PASSWORD).await;
    let session_cookie = set_cookies(&submitted)
        .iter()
        .find_map(|c| c.strip_prefix("tessera_session="))
        .map(|rest| rest.split(';').next().unwrap().to_owned())
        .expect("a session cookie after login");
    let (response, url) = browser.follow(submitted, &url).await;
    let callback = if url.port() == Some(4000) {
        url
    } else {
        assert_eq!(url.path(), "/u/consent");
        let html = response.text().await.unwrap();
        client_redirect(&browser.submit_consent(&url, &html, "allow").await)
    };
    let tokens = server
        .redeem(&query_param(&callback, "code").unwrap())
        .await;
    SignedIn {
        browser,
        id_token: tokens["id_token"].as_str().unwrap().to_owned(),
        session_cookie,
    }
}

/// Whether `/authorize` presented with only this session cookie is answered from the SSO
/// session (straight to the callback) rather than sent to the login page.
async fn session_is_live(server: &TestServer, session_cookie: &str) -> bool {
    let response = http()
        .get(server.authorize_url(&[]))
        .header("cookie", format!("tessera_session={session_cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = location(&response);
    if location.starts_with(CALLBACK) {
        true
    } else if location.starts_with("/u/login") {
        false
    } else {
        panic!("unexpected redirect {location}")
    }
}

/// Whether the response clears the session cookie.
fn clears_session_cookie(response: &Response) -> bool {
    set_cookies(response)
        .iter()
        .any(|c| c.starts_with("tessera_session=;") && c.to_ascii_lowercase().contains("max-age=0"))
}

async fn assert_refused_page(response: Response) -> String {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response.headers().get(LOCATION).is_none(),
        "a refused logout must not redirect"
    );
    assert!(!clears_session_cookie(&response));
    let html = response.text().await.unwrap();
    assert!(html.contains("<code>invalid_request</code>"), "{html}");
    html
}

fn logout_url(server: &TestServer, path: &str, params: &[(&str, &str)]) -> String {
    let mut url = Url::parse(&server.url(path)).unwrap();
    url.query_pairs_mut().extend_pairs(params);
    url.into()
}

/// The hidden inputs of the first form in `html`, unescaped.
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let marker = "<input type=\"hidden\" name=\"";
    html.match_indices(marker)
        .map(|(at, _)| {
            let rest = &html[at + marker.len()..];
            let name = &rest[..rest.find('"').unwrap()];
            let value = form_value(&html[at..], name).unwrap();
            (html_unescape(name), html_unescape(&value))
        })
        .collect()
}

/// An ID token with its payload changed and the original signature kept.
fn tampered(id_token: &str) -> String {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = id_token.split('.').collect();
    let mut claims = jwt_claims(id_token);
    claims["sub"] = "auth0|000000000000000000000000".into();
    let payload = engine.encode(serde_json::to_vec(&claims).unwrap());
    format!("{}.{}.{}", parts[0], payload, parts[2])
}

// --- Auth0's /v2/logout ---

#[tokio::test]
async fn v2_logout_redirects_to_return_to_clears_the_cookie_and_ends_the_session() {
    let server = TestServer::start().await;
    let signed_in = sign_in(&server).await;
    assert!(session_is_live(&server, &signed_in.session_cookie).await);
    assert!(!signed_in.browser.must_log_in(&server).await);

    let response = signed_in
        .browser
        .get(&logout_url(
            &server,
            "v2/logout",
            &[("client_id", CLIENT_ID), ("returnTo", LOGOUT_URL)],
        ))
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(location(&response), LOGOUT_URL);
    assert!(
        clears_session_cookie(&response),
        "{:?}",
        set_cookies(&response)
    );

    assert!(signed_in.browser.must_log_in(&server).await);
    assert!(
        !session_is_live(&server, &signed_in.session_cookie).await,
        "the session ended on the server, not only in the cookie jar"
    );
}

#[tokio::test]
async fn v2_logout_with_return_to_not_allowed_is_refused_without_redirect() {
    let server = TestServer::start().await;
    let signed_in = sign_in(&server).await;
    for return_to in [
        "https://evil.example/",
        "http://127.0.0.1:4000/other",
        "http://127.0.0.1:4000",
    ] {
        let response = signed_in
            .browser
            .get(&logout_url(
                &server,
                "v2/logout",
                &[("client_id", CLIENT_ID), ("returnTo", return_to)],
            ))
            .await;
        assert_refused_page(response).await;
    }
}

#[tokio::test]
async fn v2_logout_with_return_to_but_no_client_id_is_refused() {
    let server = TestServer::start().await;
    let response = http()
        .get(logout_url(
            &server,
            "v2/logout",
            &[("returnTo", LOGOUT_URL)],
        ))
        .send()
        .await
        .unwrap();
    assert_refused_page(response).await;
}

#[tokio::test]
async fn v2_logout_without_return_to_shows_the_logged_out_page() {
    let server = TestServer::start().await;
    let signed_in = sign_in(&server).await;
    let response = signed_in
        .browser
        .get(&logout_url(&server, "v2/logout", &[]))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(clears_session_cookie(&response));
    assert!(!session_is_live(&server, &signed_in.session_cookie).await);
}

// --- OpenID Connect RP-Initiated Logout ---

#[tokio::test]
async fn oidc_logout_with_id_token_hint_redirects_with_state_and_ends_the_session() {
    let server = TestServer::start().await;
    let signed_in = sign_in(&server).await;
    let response = signed_in
        .browser
        .get(&logout_url(
            &server,
            "oidc/logout",
            &[
                ("id_token_hint", &signed_in.id_token),
                ("post_logout_redirect_uri", LOGOUT_URL),
                ("state", "logout state/1"),
            ],
        ))
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let target = Url::parse(&location(&response)).unwrap();
    assert_eq!(
        query_param(&target, "state").as_deref(),
        Some("logout state/1")
    );
    let mut without_query = target.clone();
    without_query.set_query(None);
    assert_eq!(without_query.as_str(), LOGOUT_URL);
    assert!(clears_session_cookie(&response));

    assert!(signed_in.browser.must_log_in(&server).await);
    assert!(!session_is_live(&server, &signed_in.session_cookie).await);
}

#[tokio::test]
async fn oidc_logout_post_logout_redirect_uri_not_allowed_is_refused() {
    let server = TestServer::start().await;
    let signed_in = sign_in(&server).await;
    let response = signed_in
        .browser
        .get(&logout_url(
            &server,
            "oidc/logout",
            &[
                ("id_token_hint", &signed_in.id_token),
                ("post_logout_redirect_uri", "https://evil.example/"),
            ],
        ))
        .await;
    assert_refused_page(response).await;
}

#[tokio::test]
async fn oidc_logout_with_a_tampered_id_token_hint_is_refused() {
    let server = TestServer::start().await;
    let signed_in = sign_in(&server).await;
    let response = signed_in
        .browser
        .get(&logout_url(
            &server,
            "oidc/logout",
            &[
                ("id_token_hint", &tampered(&signed_in.id_token)),
                ("post_logout_redirect_uri", LOGOUT_URL),
            ],
        ))
        .await;
    assert_refused_page(response).await;
    assert!(session_is_live(&server, &signed_in.session_cookie).await);
}

#[tokio::test]
async fn oidc_logout_without_id_token_hint_asks_and_the_confirmed_form_ends_the_session() {
    let server = TestServer::start().await;
    let signed_in = sign_in(&server).await;
    let page = signed_in
        .browser
        .get(&logout_url(&server, "oidc/logout", &[]))
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        !clears_session_cookie(&page),
        "nothing ends before confirming"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("action=\"/oidc/logout\""), "{html}");
    assert!(html.contains("method=\"post\""), "{html}");
    let csrf = form_value(&html, "csrf_token").expect("a csrf_token field");
    assert!(!csrf.is_empty());
    assert!(session_is_live(&server, &signed_in.session_cookie).await);

    let fields = hidden_fields(&html);
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let confirmed = signed_in
        .browser
        .post_form(&server.url("oidc/logout"), &form)
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    assert!(clears_session_cookie(&confirmed));
    assert!(signed_in.browser.must_log_in(&server).await);
    assert!(!session_is_live(&server, &signed_in.session_cookie).await);
}

#[tokio::test]
async fn oidc_logout_confirmation_posts_back_the_redirect_and_state() {
    let server = TestServer::start().await;
    let signed_in = sign_in(&server).await;
    let page = signed_in
        .browser
        .get(&logout_url(
            &server,
            "oidc/logout",
            &[
                ("client_id", CLIENT_ID),
                ("post_logout_redirect_uri", LOGOUT_URL),
                ("state", "s1"),
            ],
        ))
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let fields = hidden_fields(&html);
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let confirmed = signed_in
        .browser
        .post_form(&server.url("oidc/logout"), &form)
        .await;
    assert_eq!(confirmed.status(), StatusCode::FOUND);
    assert_eq!(location(&confirmed), format!("{LOGOUT_URL}?state=s1"));
    assert!(!session_is_live(&server, &signed_in.session_cookie).await);
}

#[tokio::test]
async fn oidc_logout_with_a_wrong_csrf_token_asks_again_and_keeps_the_session() {
    let server = TestServer::start().await;
    let signed_in = sign_in(&server).await;
    let page = signed_in
        .browser
        .get(&logout_url(&server, "oidc/logout", &[]))
        .await;
    let html = page.text().await.unwrap();
    let csrf = form_value(&html, "csrf_token").unwrap();

    let forged = signed_in
        .browser
        .post_form(
            &server.url("oidc/logout"),
            &[("csrf_token", &format!("{csrf}x"))],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::OK);
    assert!(!clears_session_cookie(&forged));
    let again = forged.text().await.unwrap();
    assert!(
        form_value(&again, "csrf_token").is_some(),
        "the confirmation again: {again}"
    );

    // Without any token at all, from another browser: the same.
    let no_token = Browser::new()
        .post_form(&server.url("oidc/logout"), &[("state", "x")])
        .await;
    assert_eq!(no_token.status(), StatusCode::OK);
    assert!(!clears_session_cookie(&no_token));

    assert!(session_is_live(&server, &signed_in.session_cookie).await);
    assert!(!signed_in.browser.must_log_in(&server).await);
}

#[tokio::test]
async fn oidc_logout_with_a_client_id_other_than_the_hints_audience_is_refused() {
    let server = TestServer::start_with(|c| {
        let mut other = c.clients[0].clone();
        other.client_id = "otherapp".into();
        c.clients.push(other);
    })
    .await;
    let signed_in = sign_in(&server).await;
    let response = signed_in
        .browser
        .get(&logout_url(
            &server,
            "oidc/logout",
            &[
                ("id_token_hint", &signed_in.id_token),
                ("client_id", "otherapp"),
                ("post_logout_redirect_uri", LOGOUT_URL),
            ],
        ))
        .await;
    assert_refused_page(response).await;
}

#[tokio::test]
async fn oidc_logout_with_a_hint_from_another_session_asks_before_ending_this_one() {
    // RP-Initiated Logout 1.0 §2: the OP MUST ask the End-User whether to log out if the
    // supplied ID Token does not belong to the current OP session. Otherwise anyone holding an
    // ID token of their own could log any victim out with a link.
    let server = TestServer::start().await;
    let attacker = sign_in(&server).await;
    let victim = sign_in(&server).await;
    assert_ne!(
        jwt_claims(&attacker.id_token)["sid"],
        jwt_claims(&victim.id_token)["sid"]
    );
    let response = victim
        .browser
        .get(&logout_url(
            &server,
            "oidc/logout",
            &[
                ("id_token_hint", &attacker.id_token),
                ("post_logout_redirect_uri", LOGOUT_URL),
            ],
        ))
        .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "a confirmation page, not a logout: {:?}",
        response.headers().get(LOCATION)
    );
    assert!(!clears_session_cookie(&response));
    let html = response.text().await.unwrap();
    assert!(form_value(&html, "csrf_token").is_some(), "{html}");
    assert!(
        session_is_live(&server, &victim.session_cookie).await,
        "the victim's session must survive"
    );
}

#[tokio::test]
async fn oidc_logout_accepts_an_expired_id_token_hint() {
    // RP-Initiated Logout 1.0 §2: the OP SHOULD accept ID tokens past their exp as hints.
    let server = TestServer::start_with(|c| c.id_token_lifetime = 60).await;
    let signed_in = sign_in(&server).await;
    server.clock.advance(61);
    let response = signed_in
        .browser
        .get(&logout_url(
            &server,
            "oidc/logout",
            &[
                ("id_token_hint", &signed_in.id_token),
                ("post_logout_redirect_uri", LOGOUT_URL),
            ],
        ))
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(location(&response), LOGOUT_URL);
    assert!(!session_is_live(&server, &signed_in.session_cookie).await);
}

#[tokio::test]
async fn oidc_logout_redirect_without_hint_or_client_id_is_refused() {
    let server = TestServer::start().await;
    let signed_in = sign_in(&server).await;
    let response = signed_in
        .browser
        .get(&logout_url(
            &server,
            "oidc/logout",
            &[("post_logout_redirect_uri", LOGOUT_URL)],
        ))
        .await;
    assert_refused_page(response).await;
}
