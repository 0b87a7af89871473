//! A minimal API protected by Tessera. Run Tessera (`tessera demo` or `tessera serve`), then:
//!
//! ```sh
//! cargo run -p tessera-resource --example protected_api
//! curl -i http://127.0.0.1:3002/api/appointments                          # 401, WWW-Authenticate: Bearer, DPoP
//! curl -i http://127.0.0.1:3002/api/appointments -H "Authorization: Bearer $ACCESS_TOKEN"
//! # a DPoP-bound token, with a proof for GET http://127.0.0.1:3002/api/appointments:
//! curl -i http://127.0.0.1:3002/api/appointments -H "Authorization: DPoP $ACCESS_TOKEN" -H "DPoP: $PROOF"
//! ```
//!
//! `ISSUER` (default `http://127.0.0.1:3000/`) and `AUDIENCE` (default `appointments:api`)
//! choose whose tokens it accepts.

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use tessera_resource::{Claims, RequireScope, Validator};

/// Needs the `appointments` scope (checked by the route layer before this runs).
async fn appointments(claims: Claims) -> Json<Value> {
    Json(json!({ "user": claims.sub, "appointments": [] }))
}

/// Any valid token for this API.
async fn whoami(claims: Claims) -> Json<Value> {
    Json(json!({ "sub": claims.sub, "scope": claims.scope }))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let issuer = std::env::var("ISSUER").unwrap_or_else(|_| "http://127.0.0.1:3000/".into());
    let audience = std::env::var("AUDIENCE").unwrap_or_else(|_| "appointments:api".into());
    let validator = Validator::new(issuer, audience);
    let app = Router::new()
        .route("/api/appointments", get(appointments))
        .route_layer(RequireScope::new(validator.clone(), ["appointments"]))
        .route("/api/whoami", get(whoami))
        .with_state(validator);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3002").await?;
    println!("listening on http://127.0.0.1:3002/");
    axum::serve(listener, app).await
}
