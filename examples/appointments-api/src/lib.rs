//! The seed's API: `GET /api/appointments` needs the scope `appointments`, `GET /api/contacts`
//! needs `contacts`, and `GET /api/clinic/appointments` (everyone's) needs the permission
//! `read:clinic` — given through a role, with RBAC and "add permissions in the access token" on
//! the API. Every route checks the token with `tessera-resource`: a Bearer token, or a DPoP-bound
//! token with its proof.

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use tessera_resource::{Claims, RequirePermission, RequireScope, Validator};

/// The API's identifier in Tessera: the `audience` clients ask tokens for.
pub const AUDIENCE: &str = "appointments:api";
/// The permission the clinic's staff hold through a role.
pub const CLINIC_PERMISSION: &str = "read:clinic";

/// The API's routes, validating tokens with `validator`.
pub fn router(validator: Validator) -> Router {
    let appointments = Router::new()
        .route("/api/appointments", get(appointments))
        .route_layer(RequireScope::new(validator.clone(), ["appointments"]));
    let contacts = Router::new()
        .route("/api/contacts", get(contacts))
        .route_layer(RequireScope::new(validator.clone(), ["contacts"]));
    let clinic = Router::new()
        .route("/api/clinic/appointments", get(clinic))
        .route_layer(RequirePermission::new(
            validator.clone(),
            [CLINIC_PERMISSION],
        ));
    Router::new()
        .merge(appointments)
        .merge(contacts)
        .merge(clinic)
        .route("/api/me", get(me))
        .with_state(validator)
}

async fn appointments(claims: Claims) -> Json<Value> {
    Json(json!({
        "user": claims.sub,
        "appointments": [
            { "id": 1, "title": "Dentist", "at": "2026-12-01T09:30:00Z" },
            { "id": 2, "title": "Team review", "at": "2026-12-02T14:00:00Z" },
        ],
    }))
}

async fn contacts(claims: Claims) -> Json<Value> {
    Json(json!({
        "user": claims.sub,
        "contacts": [
            { "name": "Ada Lovelace", "email": "ada@example.com" },
            { "name": "Alan Turing", "email": "alan@example.com" },
        ],
    }))
}

async fn clinic(claims: Claims) -> Json<Value> {
    Json(json!({
        "for": claims.sub,
        "appointments": [
            { "id": 1, "patient": "auth0|jane", "title": "Dentist" },
            { "id": 7, "patient": "auth0|ada", "title": "Check-up" },
        ],
    }))
}

/// Any valid token for this API: who it is for and what it allows.
async fn me(claims: Claims) -> Json<Value> {
    Json(json!({ "sub": claims.sub, "scope": claims.scope, "client_id": claims.client_id }))
}
