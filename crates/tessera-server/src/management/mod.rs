//! An Auth0-compatible Management API v2 at `/api/v2`: clients, resource servers, users,
//! grants, client grants and signing keys, with Auth0's paths, field names, paging and errors.
//! It is itself an API (`{issuer}api/v2/`) whose tokens come from `client_credentials`.

mod auth;
pub mod bootstrap;
mod client_grants;
mod clients;
mod error;
mod grants;
mod keys;
mod listing;
mod payload;
mod resource_servers;
mod users;

use axum::routing::{get, post, put};
use axum::Router;

pub use auth::{management_audience, management_scopes};
pub use error::ApiError;

use crate::state::AppState;

/// The Management API's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v2/clients", get(clients::list).post(clients::create))
        .route(
            "/api/v2/clients/{id}",
            get(clients::get)
                .patch(clients::update)
                .delete(clients::delete),
        )
        .route(
            "/api/v2/clients/{id}/rotate-secret",
            post(clients::rotate_secret),
        )
        .route(
            "/api/v2/resource-servers",
            get(resource_servers::list).post(resource_servers::create),
        )
        .route(
            "/api/v2/resource-servers/{id}",
            get(resource_servers::get)
                .patch(resource_servers::update)
                .delete(resource_servers::delete),
        )
        .route("/api/v2/users", get(users::list).post(users::create))
        .route(
            "/api/v2/users/{id}",
            get(users::get).patch(users::update).delete(users::delete),
        )
        .route(
            "/api/v2/grants",
            get(grants::list).delete(grants::delete_by_user),
        )
        .route("/api/v2/grants/{id}", axum::routing::delete(grants::delete))
        .route(
            "/api/v2/client-grants",
            get(client_grants::list).post(client_grants::create),
        )
        .route(
            "/api/v2/client-grants/{id}",
            axum::routing::patch(client_grants::update).delete(client_grants::delete),
        )
        .route("/api/v2/keys/signing", get(keys::list))
        .route("/api/v2/keys/signing/rotate", post(keys::rotate))
        .route("/api/v2/keys/signing/{kid}/revoke", put(keys::revoke))
}
