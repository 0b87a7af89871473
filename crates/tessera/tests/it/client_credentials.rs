//! The client credentials grant (RFC 6749 §4.4) with Auth0's client grants: a machine-to-machine
//! client gets an access token for an API it has a client grant for, with at most the granted
//! scopes. Driven by the `oauth2` crate; refusals over raw HTTP.

use oauth2::basic::BasicClient;
use oauth2::{ClientId, ClientSecret, Scope, TokenResponse, TokenUrl};
use reqwest::StatusCode;
use tessera::config::{ApiConfig, ClientConfig, ClientGrantConfig, Config};

use crate::support::*;

const M2M: &str = "reporting-job";
const M2M_SECRET: &str = "reporting-job-secret-0123456789abcdef0123456789";
const OTHER_API: &str = "billing:api";

fn m2m_client() -> ClientConfig {
    ClientConfig {
        client_id: M2M.into(),
        client_secret: Some(M2M_SECRET.into()),
        name: "Reporting job".into(),
        app_type: "non_interactive".into(),
        ..ClientConfig::default()
    }
}

/// The seed plus a machine-to-machine client granted `appointments` on the API, and a second
/// API it has no grant for.
fn with_m2m(config: &mut Config) {
    config.clients.push(m2m_client());
    config.client_grants.push(ClientGrantConfig {
        client_id: M2M.into(),
        audience: API.into(),
        scope: vec!["appointments".into()],
    });
    config.apis.push(ApiConfig {
        identifier: OTHER_API.into(),
        name: "Billing API".into(),
        scopes: Vec::new(),
        allow_offline_access: false,
        token_lifetime: 600,
        signing_alg: "RS256".into(),
        skip_consent_for_verifiable_first_party_clients: false,
        enforce_policies: false,
        token_dialect: "access_token".into(),
        proof_of_possession: None,
    });
}

async fn m2m_server() -> TestServer {
    TestServer::start_with(with_m2m).await
}

/// A client credentials request over raw HTTP with the client's secret in the body.
async fn client_credentials(
    server: &TestServer,
    client_id: &str,
    secret: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", secret),
    ];
    form.extend_from_slice(extra);
    server.token_form(&form).await
}

#[tokio::test]
async fn machine_client_gets_an_access_token_for_its_api_with_the_oauth2_crate() {
    let server = m2m_server().await;
    let log = Exchanges::default();
    let http = recording_http(&log);
    let client = BasicClient::new(ClientId::new(M2M.into()))
        .set_client_secret(ClientSecret::new(M2M_SECRET.into()))
        .set_token_uri(TokenUrl::new(server.url("oauth/token")).unwrap());
    let token = client
        .exchange_client_credentials()
        .add_scope(Scope::new("appointments".into()))
        .add_extra_param("audience", API)
        .request_async(&http)
        .await
        .unwrap();

    assert!(token.refresh_token().is_none());
    assert_eq!(
        token
            .scopes()
            .map(|s| s.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
        Some(vec!["appointments".to_owned()])
    );
    let claims = jwt_claims(token.access_token().secret());
    assert_eq!(jwt_header(token.access_token().secret())["typ"], "at+jwt");
    assert_eq!(claims["sub"], format!("{M2M}@clients"));
    assert_eq!(audiences(&claims), vec![API.to_owned()]);
    assert_eq!(claims["scope"], "appointments");
    assert_eq!(claims["client_id"], M2M);
    assert_eq!(claims["iss"], server.issuer);

    // The raw response the library parsed: no ID token, no refresh token.
    let exchanges = log.lock().unwrap().clone();
    assert_eq!(exchanges.len(), 1);
    let raw = exchanges[0].response_json();
    assert_eq!(exchanges[0].status, 200);
    assert!(raw.get("id_token").is_none(), "{raw}");
    assert!(raw.get("refresh_token").is_none(), "{raw}");
    assert_eq!(raw["token_type"], "Bearer");
    assert_eq!(raw["scope"], "appointments");
    assert_eq!(raw["expires_in"], 3600);
}

#[tokio::test]
async fn machine_client_without_scope_gets_the_granted_scopes() {
    let server = m2m_server().await;
    let response = client_credentials(&server, M2M, M2M_SECRET, &[("audience", API)]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["scope"], "appointments", "{body}");
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert!(body.get("id_token").is_none(), "{body}");
}

#[tokio::test]
async fn scope_outside_the_client_grant_is_invalid_scope() {
    let server = m2m_server().await;
    let response = client_credentials(
        &server,
        M2M,
        M2M_SECRET,
        &[("audience", API), ("scope", "appointments contacts")],
    )
    .await;
    expect_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_scope").await;
}

#[tokio::test]
async fn audience_without_a_client_grant_is_access_denied_as_auth0() {
    let server = m2m_server().await;
    let response = client_credentials(&server, M2M, M2M_SECRET, &[("audience", OTHER_API)]).await;
    let body = expect_oauth_error(response, StatusCode::FORBIDDEN, "access_denied").await;
    assert_eq!(
        body["error_description"],
        format!("Client is not authorized to access \"{OTHER_API}\". You need to create a \"client-grant\" associated to this API.")
    );
}

#[tokio::test]
async fn unknown_audience_is_access_denied_service_not_found_as_auth0() {
    let server = m2m_server().await;
    let response = client_credentials(&server, M2M, M2M_SECRET, &[("audience", "nope:api")]).await;
    let body = expect_oauth_error(response, StatusCode::FORBIDDEN, "access_denied").await;
    assert_eq!(body["error_description"], "Service not found: nope:api");
}

#[tokio::test]
async fn regular_web_client_without_the_grant_type_is_unauthorized_client() {
    let server = TestServer::start_with(|c| {
        with_m2m(c);
        // Even with a client grant, the application's grant types decide.
        c.client_grants.push(ClientGrantConfig {
            client_id: CLIENT_ID.into(),
            audience: API.into(),
            scope: vec!["appointments".into()],
        });
    })
    .await;
    let response =
        client_credentials(&server, CLIENT_ID, CLIENT_SECRET, &[("audience", API)]).await;
    expect_oauth_error(response, StatusCode::BAD_REQUEST, "unauthorized_client").await;
}

#[tokio::test]
async fn missing_audience_without_default_audience_is_invalid_request() {
    let server = m2m_server().await;
    assert!(server.config.default_audience.is_none());
    let response = client_credentials(&server, M2M, M2M_SECRET, &[]).await;
    expect_oauth_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn missing_audience_uses_the_default_audience() {
    let server = TestServer::start_with(|c| {
        with_m2m(c);
        c.default_audience = Some(API.into());
    })
    .await;
    let response = client_credentials(&server, M2M, M2M_SECRET, &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        audiences(&jwt_claims(body["access_token"].as_str().unwrap())),
        vec![API.to_owned()]
    );
}

#[tokio::test]
async fn machine_client_with_a_wrong_secret_is_invalid_client() {
    let server = m2m_server().await;
    let response = client_credentials(&server, M2M, "not-the-secret", &[("audience", API)]).await;
    expect_oauth_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
}
