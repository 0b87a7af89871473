//! Auth0's silent authentication (`prompt=none&response_mode=web_message`), as auth0-spa-js
//! runs it in a hidden iframe: a page that posts the response to the SPA's window, only when
//! the callback's origin is one of the client's Allowed Web Origins, framed only by it.

use reqwest::StatusCode;
use serde_json::Value;
use tessera::config::ClientConfig;

use crate::support::*;

const SPA: &str = "silentspa";
const ORIGIN: &str = "http://127.0.0.1:4000";
const CALLBACK: &str = "http://127.0.0.1:4000/silent/";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

async fn server(web_origins: Vec<String>) -> TestServer {
    TestServer::start_with(|c| {
        c.clients.push(ClientConfig {
            client_id: SPA.into(),
            name: "Silent SPA".into(),
            app_type: "spa".into(),
            callbacks: vec![CALLBACK.into()],
            web_origins,
            ..ClientConfig::default()
        })
    })
    .await
}

/// The SPA's authorize URL, answered in `mode`.
fn spa_url(server: &TestServer, mode: &str, extra: &[(&str, &str)]) -> String {
    let mut params = vec![
        ("client_id", SPA),
        ("redirect_uri", CALLBACK),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("response_mode", mode),
        ("state", "silent-state"),
    ];
    params.extend_from_slice(extra);
    server.authorize_url(&params)
}

/// The message the page posts, and the origin it posts to.
fn posted(html: &str) -> Value {
    let start = html.find(r#"id="message">"#).expect("a message") + r#"id="message">"#.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

#[tokio::test]
async fn a_signed_in_user_gets_a_code_posted_to_the_spa_and_only_to_it() {
    let server = server(vec![ORIGIN.into()]).await;
    let browser = Browser::new();
    let callback = browser.sign_in(&spa_url(&server, "query", &[])).await;
    assert!(query_param(&callback, "code").is_some(), "{callback}");

    let response = browser
        .get(&spa_url(&server, "web_message", &[("prompt", "none")]))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains(&format!("frame-ancestors {ORIGIN}")), "{csp}");
    assert!(response.headers().get("x-frame-options").is_none());
    let message = posted(&response.text().await.unwrap());
    assert_eq!(message["origin"], ORIGIN);
    assert_eq!(message["response"]["state"], "silent-state");
    assert!(message["response"]["code"]
        .as_str()
        .is_some_and(|c| !c.is_empty()));
}

#[tokio::test]
async fn without_a_session_the_error_is_posted_as_auth0_does() {
    let server = server(vec![ORIGIN.into()]).await;
    let response = Browser::new()
        .get(&spa_url(&server, "web_message", &[("prompt", "none")]))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let message = posted(&response.text().await.unwrap());
    assert_eq!(message["response"]["error"], "login_required");
    assert_eq!(message["response"]["state"], "silent-state");
}

#[tokio::test]
async fn a_callback_origin_not_among_the_web_origins_gets_an_error_page_not_a_message() {
    let server = server(vec!["https://elsewhere.example.com".into()]).await;
    let response = Browser::new()
        .get(&spa_url(&server, "web_message", &[("prompt", "none")]))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert!(html.contains("Allowed Web Origins"), "{html}");
    assert!(!html.contains("postMessage"));
}
