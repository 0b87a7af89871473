//! The Management API over HTTP: a token from `client_credentials` for `{issuer}api/v2/`, Auth0's
//! paths, fields, paging and error bodies. This module holds the harness and the authentication
//! rules; each resource has its own file below.

mod actions;
mod client_grants;
mod clients;
mod grants;
mod jobs;
mod keys;
mod paging;
mod resource_servers;
mod roles;
mod setup;
mod tenant_import;
mod users;
mod validation;

use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use tessera::config::{Config, ManagementConfig};

use crate::support::*;

pub const MANAGEMENT_ID: &str = "ops-console";
pub const MANAGEMENT_SECRET: &str = "ops-console-secret-0123456789abcdef0123456789";

/// A running server and a Management API token with every scope.
pub struct Mgmt {
    pub server: TestServer,
    pub token: String,
    pub client_id: String,
    pub client_secret: String,
}

impl Mgmt {
    /// The seed's server, with the management client created at its first start.
    pub async fn start() -> Mgmt {
        Self::start_with(|_| {}).await
    }

    /// The seed's server as changed by `adjust`, with the management client created at its
    /// first start.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Mgmt {
        let server = TestServer::start_with(adjust).await;
        let credentials = server
            .new_management_credentials
            .clone()
            .expect("the first start creates a management client");
        let token =
            management_token(&server, &credentials.client_id, &credentials.client_secret).await;
        Mgmt {
            server,
            token,
            client_id: credentials.client_id,
            client_secret: credentials.client_secret,
        }
    }

    /// A new Management API token for the management client.
    pub async fn fresh_token(&self) -> String {
        management_token(&self.server, &self.client_id, &self.client_secret).await
    }

    /// The management audience: `{issuer}api/v2/`.
    pub fn audience(&self) -> String {
        format!("{}api/v2/", self.server.issuer)
    }

    /// Sends `method path` with this harness' token and `body` as JSON.
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        send_as(&self.server, Some(&self.token), method, path, body).await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Response {
        self.send(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.send(Method::DELETE, path, None).await
    }

    /// `GET path`, expecting 200; the body.
    pub async fn get_ok(&self, path: &str) -> Value {
        expect_status(self.get(path).await, StatusCode::OK).await
    }

    /// `POST path`, expecting 201 Created; the body.
    pub async fn create(&self, path: &str, body: Value) -> Value {
        expect_status(self.post(path, body).await, StatusCode::CREATED).await
    }

    /// A confidential machine-to-machine application; its body, with `client_secret`.
    pub async fn create_m2m_client(&self, name: &str) -> Value {
        self.create(
            "/api/v2/clients",
            json!({ "name": name, "app_type": "non_interactive" }),
        )
        .await
    }

    /// A client grant for `client_id` on `audience` with `scope`.
    pub async fn grant(&self, client_id: &str, audience: &str, scope: &[&str]) -> Value {
        self.create(
            "/api/v2/client-grants",
            json!({ "client_id": client_id, "audience": audience, "scope": scope }),
        )
        .await
    }

    /// The seed user's id, found through the API.
    pub async fn seed_user_id(&self) -> String {
        let users = self.get_ok("/api/v2/users?q=jane%40example.com").await;
        let users = users.as_array().unwrap();
        assert_eq!(users.len(), 1, "{users:?}");
        users[0]["user_id"].as_str().unwrap().to_owned()
    }
}

/// Sends `method path` to `server` with `token` as Bearer (if any) and `body` as JSON.
pub async fn send_as(
    server: &TestServer,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Response {
    let mut request = http().request(method, server.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

/// A client credentials token for the Management API, expected to be issued.
pub async fn management_token(server: &TestServer, client_id: &str, secret: &str) -> String {
    let response =
        client_credentials(server, client_id, secret, &management_audience(server)).await;
    let body = expect_status(response, StatusCode::OK).await;
    body["access_token"].as_str().unwrap().to_owned()
}

pub fn management_audience(server: &TestServer) -> String {
    format!("{}api/v2/", server.issuer)
}

/// A `client_credentials` request for `audience` with the secret in the body.
pub async fn client_credentials(
    server: &TestServer,
    client_id: &str,
    secret: &str,
    audience: &str,
) -> Response {
    server
        .token_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
            ("audience", audience),
        ])
        .await
}

/// Asserts `status` and returns the JSON body (`null` for an empty one).
pub async fn expect_status(response: Response, status: StatusCode) -> Value {
    let actual = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(actual, status, "unexpected status; body: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }
}

/// Asserts an Auth0 error body: `{statusCode, error, message, errorCode}` with `status`, its
/// reason phrase, a message, and `error_code` (or none). Returns the message.
pub async fn expect_error(
    response: Response,
    status: StatusCode,
    error_code: Option<&str>,
) -> String {
    let body = expect_status(response, status).await;
    assert_eq!(body["statusCode"], status.as_u16(), "{body}");
    assert_eq!(body["error"], status.canonical_reason().unwrap(), "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "a message: {body}");
    match error_code {
        Some(code) => assert_eq!(body["errorCode"], code, "{body}"),
        None => assert!(body.get("errorCode").is_none(), "no errorCode: {body}"),
    }
    message.to_owned()
}

/// A path segment, percent-encoded (identifiers are URLs, user ids contain `|`).
pub fn encoded(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[tokio::test]
async fn management_api_without_a_token_is_401() {
    let m = Mgmt::start().await;
    let response = send_as(&m.server, None, Method::GET, "/api/v2/clients", None).await;
    assert_eq!(
        header(&response, "www-authenticate").as_deref(),
        Some("Bearer error=\"invalid_token\"")
    );
    expect_error(response, StatusCode::UNAUTHORIZED, None).await;
}

#[tokio::test]
async fn management_api_with_a_garbage_token_is_401() {
    let m = Mgmt::start().await;
    let response = send_as(
        &m.server,
        Some("not.a.jwt"),
        Method::GET,
        "/api/v2/clients",
        None,
    )
    .await;
    expect_error(response, StatusCode::UNAUTHORIZED, None).await;
    let response = http()
        .get(m.server.url("/api/v2/clients"))
        .header("authorization", format!("Basic {}", m.token))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, None).await;
}

#[tokio::test]
async fn management_api_with_a_token_for_another_audience_is_401() {
    let m = Mgmt::start().await;
    let tokens = m.server.tokens(&[]).await;
    let user_token = tokens["access_token"].as_str().unwrap();
    assert!(audiences(&jwt_claims(user_token)).contains(&API.to_owned()));
    let response = send_as(
        &m.server,
        Some(user_token),
        Method::GET,
        "/api/v2/clients",
        None,
    )
    .await;
    let message = expect_error(response, StatusCode::UNAUTHORIZED, None).await;
    assert!(message.contains("Management API"), "{message}");
}

#[tokio::test]
async fn management_api_with_a_token_lacking_the_scope_is_403_insufficient_scope() {
    let m = Mgmt::start().await;
    let reader = m.create_m2m_client("Read-only console").await;
    let reader_id = reader["client_id"].as_str().unwrap();
    m.grant(reader_id, &m.audience(), &["read:clients"]).await;
    let token = management_token(
        &m.server,
        reader_id,
        reader["client_secret"].as_str().unwrap(),
    )
    .await;
    assert_eq!(jwt_claims(&token)["scope"], "read:clients");

    let read = send_as(
        &m.server,
        Some(&token),
        Method::GET,
        "/api/v2/clients",
        None,
    )
    .await;
    expect_status(read, StatusCode::OK).await;
    let create = send_as(
        &m.server,
        Some(&token),
        Method::POST,
        "/api/v2/clients",
        Some(json!({ "name": "Not allowed" })),
    )
    .await;
    let message = expect_error(create, StatusCode::FORBIDDEN, Some("insufficient_scope")).await;
    assert!(message.contains("create:clients"), "{message}");
    let users = send_as(&m.server, Some(&token), Method::GET, "/api/v2/users", None).await;
    let message = expect_error(users, StatusCode::FORBIDDEN, Some("insufficient_scope")).await;
    assert!(message.contains("read:users"), "{message}");
}

#[tokio::test]
async fn management_client_is_created_once_with_every_scope() {
    let m = Mgmt::start().await;
    let claims = jwt_claims(&m.token);
    assert_eq!(audiences(&claims), vec![m.audience()], "{claims}");
    let scopes: Vec<&str> = claims["scope"].as_str().unwrap().split(' ').collect();
    for verb in ["read", "create", "update", "delete"] {
        for resource in [
            "clients",
            "resource_servers",
            "users",
            "grants",
            "client_grants",
            "signing_keys",
        ] {
            let scope = format!("{verb}:{resource}");
            assert!(scopes.contains(&scope.as_str()), "{scope} in {scopes:?}");
        }
    }
    // A restart on the same database keeps the client and shows no new secret.
    let Mgmt { server, .. } = m;
    let (dir, config) = server.stop().await;
    let again = TestServer::start_in(dir, config).await;
    assert!(again.new_management_credentials.is_none());
}

#[tokio::test]
async fn management_client_from_config_gets_tokens_and_none_is_created() {
    let server = TestServer::start_with(|config| {
        config.management = Some(ManagementConfig {
            client_id: MANAGEMENT_ID.into(),
            client_secret: MANAGEMENT_SECRET.into(),
        });
    })
    .await;
    assert!(server.new_management_credentials.is_none());
    let token = management_token(&server, MANAGEMENT_ID, MANAGEMENT_SECRET).await;
    let response = send_as(&server, Some(&token), Method::GET, "/api/v2/clients", None).await;
    let clients = expect_status(response, StatusCode::OK).await;
    let ids: Vec<&str> = clients
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&MANAGEMENT_ID), "{ids:?}");
    assert!(!ids.contains(&"tessera-management"), "{ids:?}");
}
