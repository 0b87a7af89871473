//! Cross-origin requests from single-page apps: the token and revocation endpoints let a page
//! read the answer only from an origin the client allows (its callbacks' origins, Allowed
//! Origins (CORS), Allowed Web Origins, as Auth0); userinfo, discovery and the JWKS any page.

use reqwest::{Method, Response, StatusCode};
use tessera::config::ClientConfig;

use crate::support::*;

const SPA: &str = "corsspa";
const CALLBACK_ORIGIN: &str = "http://127.0.0.1:4000";
const WEB_ORIGIN: &str = "https://spa.example.com";
const CORS_ORIGIN: &str = "https://admin.example.com";
const STRANGER: &str = "https://evil.example.net";

async fn server() -> TestServer {
    TestServer::start_with(|c| {
        c.clients.push(ClientConfig {
            client_id: SPA.into(),
            name: "CORS SPA".into(),
            app_type: "spa".into(),
            callbacks: vec![format!("{CALLBACK_ORIGIN}/spa/callback")],
            web_origins: vec![WEB_ORIGIN.into()],
            allowed_origins: vec![format!("{CORS_ORIGIN}/")],
            ..ClientConfig::default()
        })
    })
    .await
}

/// A refresh with a token that does not exist, from a page of `origin`: an error the page must
/// be able to read when its origin is allowed.
async fn token_request_from(server: &TestServer, origin: &str) -> Response {
    http()
        .post(server.url("oauth/token"))
        .header("origin", origin)
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", SPA),
            ("refresh_token", "not-a-refresh-token"),
        ])
        .send()
        .await
        .unwrap()
}

fn allowed_origin(response: &Response) -> Option<&str> {
    response
        .headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn the_token_endpoint_answers_the_pages_the_client_allows_and_no_other() {
    let server = server().await;
    for origin in [CALLBACK_ORIGIN, WEB_ORIGIN, CORS_ORIGIN] {
        let response = token_request_from(&server, origin).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(allowed_origin(&response), Some(origin), "{origin}");
        assert!(response.headers()["vary"]
            .to_str()
            .unwrap()
            .contains("Origin"));
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_grant");
    }
    let refused = token_request_from(&server, STRANGER).await;
    assert_eq!(allowed_origin(&refused), None);
    let other_client = http()
        .post(server.url("oauth/token"))
        .header("origin", WEB_ORIGIN)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "myclientapp"),
            ("client_secret", "wrong"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        allowed_origin(&other_client),
        None,
        "an origin one client allows is not allowed for another"
    );
}

#[tokio::test]
async fn a_preflight_lets_the_browser_send_the_sdks_headers() {
    let server = server().await;
    for path in ["oauth/token", "oauth/revoke"] {
        let response = http()
            .request(Method::OPTIONS, server.url(path))
            .header("origin", WEB_ORIGIN)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,auth0-client",
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "{path}");
        assert_eq!(allowed_origin(&response), Some(WEB_ORIGIN));
        assert_eq!(
            response.headers()["access-control-allow-headers"],
            "content-type,auth0-client"
        );
        assert_eq!(response.headers()["access-control-allow-methods"], "POST");
    }
}

#[tokio::test]
async fn userinfo_discovery_and_the_jwks_answer_any_page() {
    let server = server().await;
    let tokens = server.tokens(&[]).await;
    let access_token = tokens["access_token"].as_str().unwrap();
    let userinfo = http()
        .get(server.url("userinfo"))
        .header("origin", STRANGER)
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), StatusCode::OK);
    assert_eq!(allowed_origin(&userinfo), Some("*"));
    for path in [".well-known/openid-configuration", ".well-known/jwks.json"] {
        let response = http()
            .get(server.url(path))
            .header("origin", STRANGER)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(allowed_origin(&response), Some("*"), "{path}");
    }
}

#[tokio::test]
async fn origins_that_are_not_origins_are_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = seed_config();
    config.database_url = format!("sqlite://{}", dir.path().join("t.db").display());
    config.clients[0].web_origins = vec!["https://app.example.com/callback".into()];
    let error = tessera::Tessera::prepare(&config, tessera_core::clock::Clock::system())
        .await
        .err()
        .expect("a URL with a path is not an origin");
    let message = error.to_string();
    assert!(message.contains("web_origins"), "{message}");
}
