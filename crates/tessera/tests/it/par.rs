//! Pushed authorization requests (RFC 9126) over raw HTTP: the push checked as `/authorize`
//! checks a request, its `request_uri` single-use, short-lived and bound to its client, only the
//! pushed parameters counting, and applications that require it. Discovery's entry is checked
//! with the others in `discovery.rs`. The `request_uri` refusals, which the store decides, run on
//! SQLite and again on PostgreSQL (`…_on_postgres`).

use reqwest::header::LOCATION;
use reqwest::{Response, StatusCode};
use serde_json::Value;
use tessera::config::Config;
use url::Url;

use crate::support::*;

const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

fn pushed_request(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut form = vec![
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("response_type", "code"),
        ("redirect_uri", CALLBACK),
        ("scope", "openid profile appointments"),
        ("audience", API),
        ("state", "pushed-state"),
    ];
    for (name, value) in extra {
        form.retain(|(n, _)| n != name);
        form.push((name, value));
    }
    form
}

async fn push(server: &TestServer, form: &[(&str, &str)]) -> Response {
    server.post_form("oauth/par", form).await
}

/// A push authenticated with HTTP Basic as the seed client.
async fn push_with_basic(server: &TestServer, form: &[(&str, &str)]) -> Response {
    http()
        .post(server.url("oauth/par"))
        .header("authorization", basic_auth(CLIENT_ID, CLIENT_SECRET))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Pushes the seed's request (changed by `extra`) and returns its `request_uri`.
async fn pushed(server: &TestServer, extra: &[(&'static str, &'static str)]) -> String {
    let response = push(server, &pushed_request(extra)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-store")
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["expires_in"], 30);
    let request_uri = body["request_uri"].as_str().unwrap().to_owned();
    assert!(request_uri.starts_with(REQUEST_URI_PREFIX), "{request_uri}");
    request_uri
}

fn authorize_with(server: &TestServer, pairs: &[(&str, &str)]) -> String {
    let mut url = Url::parse(&server.url("authorize")).unwrap();
    url.query_pairs_mut().extend_pairs(pairs);
    url.into()
}

async fn assert_error_page(response: Response) -> String {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get(LOCATION).is_none(), "no redirect");
    let html = response.text().await.unwrap();
    assert!(html.contains("<code>invalid_request</code>"), "{html}");
    html
}

#[tokio::test]
async fn a_pushed_request_runs_the_flow_with_only_its_reference_in_the_url() {
    let server = TestServer::start().await;
    let request_uri = pushed(&server, &[]).await;
    // Parameters beside the reference are ignored (RFC 9126 §4): the pushed ones count.
    let url = authorize_with(
        &server,
        &[
            ("client_id", CLIENT_ID),
            ("request_uri", &request_uri),
            ("state", "from-the-url"),
            ("scope", "openid"),
        ],
    );
    let callback = Browser::new().sign_in(&url).await;
    assert_eq!(
        query_param(&callback, "state").as_deref(),
        Some("pushed-state")
    );
    let code = query_param(&callback, "code").unwrap();
    let tokens = server.redeem(&code).await;
    assert!(tokens["id_token"].is_string(), "{tokens}");
    assert_eq!(tokens["scope"], "openid profile appointments");
}

/// The seed plus "otherapp", a copy of the seed client under another id.
fn with_other_app(config: &mut Config) {
    let mut other = config.clients[0].clone();
    other.client_id = "otherapp".into();
    config.clients.push(other);
}

#[tokio::test]
async fn a_request_uri_works_once_for_its_client_and_not_after_it_expires() {
    request_uri_is_single_use_bound_and_short_lived(TestServer::start_with(with_other_app).await)
        .await;
}

#[tokio::test]
async fn a_request_uri_works_once_for_its_client_and_not_after_it_expires_on_postgres() {
    request_uri_is_single_use_bound_and_short_lived(
        TestServer::start_on_postgres(with_other_app).await,
    )
    .await;
}

async fn request_uri_is_single_use_bound_and_short_lived(server: TestServer) {
    let browser = Browser::new();
    let request_uri = pushed(&server, &[]).await;
    let url = authorize_with(
        &server,
        &[("client_id", CLIENT_ID), ("request_uri", &request_uri)],
    );
    let first = browser.get(&url).await;
    assert_eq!(first.status(), StatusCode::FOUND, "to the login page");
    assert!(header(&first, "location").unwrap().starts_with("/u/login"));
    assert_error_page(browser.get(&url).await).await;

    let stolen = pushed(&server, &[]).await;
    let url = authorize_with(
        &server,
        &[("client_id", "otherapp"), ("request_uri", &stolen)],
    );
    assert_error_page(browser.get(&url).await).await;

    let late = pushed(&server, &[]).await;
    server.clock.advance(30);
    let url = authorize_with(&server, &[("client_id", CLIENT_ID), ("request_uri", &late)]);
    assert_error_page(browser.get(&url).await).await;

    for unusable in [
        format!("{REQUEST_URI_PREFIX}made-up"),
        "https://attacker.example/request".into(),
    ] {
        let url = authorize_with(
            &server,
            &[("client_id", CLIENT_ID), ("request_uri", &unusable)],
        );
        assert_error_page(browser.get(&url).await).await;
    }
    let without_client = authorize_with(&server, &[("request_uri", &request_uri)]);
    assert_error_page(browser.get(&without_client).await).await;
}

#[tokio::test]
async fn a_bad_request_is_refused_at_the_push_with_the_error_authorize_would_give() {
    let server = TestServer::start().await;
    for (extra, error) in [
        (
            vec![("redirect_uri", "https://attacker.example/cb")],
            "invalid_request",
        ),
        (vec![("scope", "openid billing")], "invalid_scope"),
        (
            vec![("response_type", "code id_token")],
            "unsupported_response_type",
        ),
        (
            vec![("request_uri", "urn:ietf:params:oauth:request_uri:x")],
            "invalid_request",
        ),
    ] {
        let response = push(&server, &pushed_request(&extra)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{extra:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], error, "{extra:?}: {body}");
    }
    let wrong_secret = push(
        &server,
        &pushed_request(&[("client_secret", "not-the-secret")]),
    )
    .await;
    assert_eq!(wrong_secret.status(), StatusCode::UNAUTHORIZED);
    // Authenticated as one application, pushing for another.
    let form: Vec<(&str, &str)> = pushed_request(&[("client_id", "otherapp")])
        .into_iter()
        .filter(|(name, _)| *name != "client_secret")
        .collect();
    let response = push_with_basic(&server, &form).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");
}

#[tokio::test]
async fn http_basic_authenticates_a_push_without_client_id_in_the_body() {
    let server = TestServer::start().await;
    let form: Vec<(&str, &str)> = pushed_request(&[])
        .into_iter()
        .filter(|(name, _)| *name != "client_id" && *name != "client_secret")
        .collect();
    let response = push_with_basic(&server, &form).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    let url = authorize_with(
        &server,
        &[
            ("client_id", CLIENT_ID),
            ("request_uri", body["request_uri"].as_str().unwrap()),
        ],
    );
    let callback = Browser::new().sign_in(&url).await;
    assert!(query_param(&callback, "code").is_some());
}

#[tokio::test]
async fn an_application_that_requires_par_gets_no_flow_from_a_plain_authorize_url() {
    let server = TestServer::start_with(|c| {
        c.clients[0].require_pushed_authorization_requests = true;
    })
    .await;
    let html = assert_error_page(Browser::new().get(&server.authorize_url(&[])).await).await;
    assert!(html.contains("/oauth/par"), "{html}");
    let request_uri = pushed(&server, &[]).await;
    let url = authorize_with(
        &server,
        &[("client_id", CLIENT_ID), ("request_uri", &request_uri)],
    );
    let callback = Browser::new().sign_in(&url).await;
    assert!(query_param(&callback, "code").is_some());
}
