//! Dashboard actions as Management API requests, sent in-process through the API's own router
//! with a token minted for exactly the administrator's scopes: the API decides what is allowed.

use axum::body::Body;
use axum::http::{header, Method, Request};
use serde_json::Value;
use tessera_protocol::{ClientId, ResourceServer, ScopeSet};
use tessera_store::AdminRole;
use tower::ServiceExt;

use crate::flows::mint::{mint, Mint, Subject};
use crate::management::{management_audience, management_scopes};
use crate::state::AppState;

/// The client id in the Dashboard's tokens.
const DASHBOARD_CLIENT_ID: &str = "tessera-dashboard";
/// A token serves one page view or form post.
const TOKEN_LIFETIME: i64 = 60;

/// The Management API scopes of `role`: everything, or only the `read:` ones.
pub fn scopes_of(role: AdminRole) -> Vec<String> {
    management_scopes()
        .into_iter()
        .filter(|scope| role == AdminRole::Admin || scope.starts_with("read:"))
        .collect()
}

/// Why a Management API request did not succeed.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: u16,
    /// The API's `message` (for a 400, it names the offending field).
    pub message: String,
}

impl Failure {
    fn internal(message: impl Into<String>) -> Failure {
        Failure {
            status: 500,
            message: message.into(),
        }
    }
}

/// The Management API, as one administrator may use it.
pub struct Api {
    state: AppState,
    token: String,
}

impl Api {
    /// Mints a Management API token with the scopes of `role`.
    pub async fn new(state: &AppState, role: AdminRole) -> Result<Api, Failure> {
        let audience = management_audience(&state.settings.issuer);
        let api = state
            .store
            .api(&audience)
            .await
            .map_err(|e| Failure::internal(e.to_string()))?
            .ok_or_else(|| Failure::internal("the Management API is not registered"))?;
        let api = ResourceServer {
            token_lifetime: TOKEN_LIFETIME,
            ..api
        };
        let scope = ScopeSet::parse(&scopes_of(role).join(" "))
            .map_err(|e| Failure::internal(e.to_string()))?;
        let client_id = ClientId(DASHBOARD_CLIENT_ID.into());
        let now = state.clock.now();
        let m = Mint {
            client_id: &client_id,
            subject: Subject::Client,
            scope: &scope,
            api: Some(&api),
            auth_time: now,
            nonce: None,
            sid: None,
            now,
        };
        let token = mint(state, m, true)
            .map_err(|e| Failure::internal(e.to_string()))?
            .access_token
            .ok_or_else(|| Failure::internal("no management token was minted"))?;
        Ok(Api {
            state: state.clone(),
            token,
        })
    }

    pub async fn get(&self, path: &str) -> Result<Value, Failure> {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Result<Value, Failure> {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Result<Value, Failure> {
        self.send(Method::PATCH, path, Some(body)).await
    }

    pub async fn put(&self, path: &str) -> Result<Value, Failure> {
        self.send(Method::PUT, path, None).await
    }

    pub async fn delete(&self, path: &str) -> Result<Value, Failure> {
        self.send(Method::DELETE, path, None).await
    }

    /// The request through the Management API's router, as the server would handle it.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Failure> {
        let builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token));
        let request = match body {
            Some(body) => builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => builder.body(Body::empty()),
        }
        .map_err(|e| Failure::internal(e.to_string()))?;
        let router = crate::management::router(&self.state).with_state(self.state.clone());
        let response = match router.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .map_err(|e| Failure::internal(e.to_string()))?;
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status >= 400 {
            let message = body["message"]
                .as_str()
                .unwrap_or("The request failed")
                .to_owned();
            return Err(Failure { status, message });
        }
        Ok(body)
    }
}

/// `text` percent-encoded for one path segment (an API identifier is often a URL).
pub fn segment(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
