//! An Auth0-compatible Management API v2 at `/api/v2`: clients, resource servers, users,
//! roles and permissions, Actions, grants, client grants, brute-force user blocks, MFA (Guardian
//! factors and policies, users' authentication methods), signing keys and the audit log, with Auth0's
//! paths, field names, paging and errors. Each handler parses, calls the admin service with the
//! caller its token names, and renders; the service decides. The API is itself an API
//! (`{issuer}api/v2/`) whose tokens come from `client_credentials`.

mod actions;
mod auth;
mod authentication_methods;
mod branding;
mod client_grants;
mod clients;
mod connections;
mod emails;
mod error;
mod grants;
mod guardian;
mod identities;
pub(crate) mod jobs;
mod keys;
mod logs;
pub mod openapi;
mod payload;
mod resource_servers;
pub mod responses;
mod roles;
mod tickets;
mod user_blocks;
mod users;

use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;

pub use error::ApiError;
pub use jobs::UPLOAD_PATHS;

use crate::state::AppState;

/// One operation of the Management API. [`router`] registers exactly [`ROUTES`], and the
/// OpenAPI test checks the document against the same table, so the two cannot drift.
pub struct Route {
    pub method: Method,
    /// The path as axum and OpenAPI spell it (`{id}` for a parameter).
    pub path: &'static str,
    handler: fn(MethodFilter) -> MethodRouter<AppState>,
}

const fn route(
    method: Method,
    path: &'static str,
    handler: fn(MethodFilter) -> MethodRouter<AppState>,
) -> Route {
    Route {
        method,
        path,
        handler,
    }
}

/// Every route of the Management API.
pub const ROUTES: &[Route] = &[
    route(Method::GET, "/api/v2/openapi.json", |m| {
        on(m, openapi::document)
    }),
    route(Method::GET, "/api/v2/clients", |m| on(m, clients::list)),
    route(Method::POST, "/api/v2/clients", |m| on(m, clients::create)),
    route(Method::GET, "/api/v2/clients/{id}", |m| on(m, clients::get)),
    route(Method::PATCH, "/api/v2/clients/{id}", |m| {
        on(m, clients::update)
    }),
    route(Method::DELETE, "/api/v2/clients/{id}", |m| {
        on(m, clients::delete)
    }),
    route(Method::POST, "/api/v2/clients/{id}/rotate-secret", |m| {
        on(m, clients::rotate_secret)
    }),
    route(Method::GET, "/api/v2/branding", |m| on(m, branding::get)),
    route(Method::POST, "/api/v2/tickets/password-change", |m| {
        on(m, tickets::password_change)
    }),
    route(Method::POST, "/api/v2/tickets/email-verification", |m| {
        on(m, tickets::email_verification)
    }),
    route(Method::PATCH, "/api/v2/branding", |m| {
        on(m, branding::update)
    }),
    route(Method::GET, "/api/v2/emails/provider", |m| {
        on(m, emails::get_provider)
    }),
    route(Method::POST, "/api/v2/emails/provider", |m| {
        on(m, emails::create_provider)
    }),
    route(Method::PATCH, "/api/v2/emails/provider", |m| {
        on(m, emails::update_provider)
    }),
    route(Method::DELETE, "/api/v2/emails/provider", |m| {
        on(m, emails::delete_provider)
    }),
    route(Method::POST, "/api/v2/email-templates", |m| {
        on(m, emails::create_template)
    }),
    route(Method::GET, "/api/v2/email-templates/{templateName}", |m| {
        on(m, emails::get_template)
    }),
    route(Method::PUT, "/api/v2/email-templates/{templateName}", |m| {
        on(m, emails::replace_template)
    }),
    route(
        Method::PATCH,
        "/api/v2/email-templates/{templateName}",
        |m| on(m, emails::update_template),
    ),
    route(Method::GET, "/api/v2/connections", |m| {
        on(m, connections::list)
    }),
    route(Method::GET, "/api/v2/connections/{id}", |m| {
        on(m, connections::get)
    }),
    route(Method::PATCH, "/api/v2/connections/{id}", |m| {
        on(m, connections::update)
    }),
    route(Method::POST, "/api/v2/connections", |m| {
        on(m, connections::create)
    }),
    route(Method::DELETE, "/api/v2/connections/{id}", |m| {
        on(m, connections::delete)
    }),
    route(Method::GET, "/api/v2/connections/{id}/clients", |m| {
        on(m, connections::clients)
    }),
    route(Method::PATCH, "/api/v2/connections/{id}/clients", |m| {
        on(m, connections::update_clients)
    }),
    route(Method::GET, "/api/v2/resource-servers", |m| {
        on(m, resource_servers::list)
    }),
    route(Method::POST, "/api/v2/resource-servers", |m| {
        on(m, resource_servers::create)
    }),
    route(Method::GET, "/api/v2/resource-servers/{id}", |m| {
        on(m, resource_servers::get)
    }),
    route(Method::PATCH, "/api/v2/resource-servers/{id}", |m| {
        on(m, resource_servers::update)
    }),
    route(Method::DELETE, "/api/v2/resource-servers/{id}", |m| {
        on(m, resource_servers::delete)
    }),
    route(Method::GET, "/api/v2/users", |m| on(m, users::list)),
    route(Method::GET, "/api/v2/users-by-email", |m| {
        on(m, users::by_email)
    }),
    route(Method::POST, "/api/v2/users", |m| on(m, users::create)),
    route(Method::GET, "/api/v2/users/{id}", |m| on(m, users::get)),
    route(Method::POST, "/api/v2/users/{id}/identities", |m| {
        on(m, identities::link)
    }),
    route(
        Method::DELETE,
        "/api/v2/users/{id}/identities/{provider}/{user_id}",
        |m| on(m, identities::unlink),
    ),
    route(Method::PATCH, "/api/v2/users/{id}", |m| {
        on(m, users::update)
    }),
    route(Method::DELETE, "/api/v2/users/{id}", |m| {
        on(m, users::delete)
    }),
    route(Method::GET, "/api/v2/users/{id}/roles", |m| {
        on(m, roles::user_roles)
    }),
    route(Method::POST, "/api/v2/users/{id}/roles", |m| {
        on(m, roles::assign_roles)
    }),
    route(Method::DELETE, "/api/v2/users/{id}/roles", |m| {
        on(m, roles::remove_roles)
    }),
    route(
        Method::GET,
        "/api/v2/users/{id}/authentication-methods",
        |m| on(m, authentication_methods::list),
    ),
    route(
        Method::DELETE,
        "/api/v2/users/{id}/authentication-methods",
        |m| on(m, authentication_methods::delete_all),
    ),
    route(
        Method::GET,
        "/api/v2/users/{id}/authentication-methods/{authentication_method_id}",
        |m| on(m, authentication_methods::get),
    ),
    route(
        Method::DELETE,
        "/api/v2/users/{id}/authentication-methods/{authentication_method_id}",
        |m| on(m, authentication_methods::delete),
    ),
    route(Method::DELETE, "/api/v2/users/{id}/authenticators", |m| {
        on(m, authentication_methods::reset)
    }),
    route(Method::GET, "/api/v2/guardian/factors", |m| {
        on(m, guardian::factors)
    }),
    route(Method::PUT, "/api/v2/guardian/factors/{name}", |m| {
        on(m, guardian::switch_factor)
    }),
    route(Method::GET, "/api/v2/guardian/policies", |m| {
        on(m, guardian::policies)
    }),
    route(Method::PUT, "/api/v2/guardian/policies", |m| {
        on(m, guardian::set_policies)
    }),
    route(Method::GET, "/api/v2/users/{id}/permissions", |m| {
        on(m, roles::user_permissions)
    }),
    route(Method::POST, "/api/v2/users/{id}/permissions", |m| {
        on(m, roles::add_user_permissions)
    }),
    route(Method::DELETE, "/api/v2/users/{id}/permissions", |m| {
        on(m, roles::remove_user_permissions)
    }),
    route(Method::GET, "/api/v2/roles", |m| on(m, roles::list)),
    route(Method::POST, "/api/v2/roles", |m| on(m, roles::create)),
    route(Method::GET, "/api/v2/roles/{id}", |m| on(m, roles::get)),
    route(Method::PATCH, "/api/v2/roles/{id}", |m| {
        on(m, roles::update)
    }),
    route(Method::DELETE, "/api/v2/roles/{id}", |m| {
        on(m, roles::delete)
    }),
    route(Method::GET, "/api/v2/roles/{id}/permissions", |m| {
        on(m, roles::permissions)
    }),
    route(Method::POST, "/api/v2/roles/{id}/permissions", |m| {
        on(m, roles::add_permissions)
    }),
    route(Method::DELETE, "/api/v2/roles/{id}/permissions", |m| {
        on(m, roles::remove_permissions)
    }),
    route(Method::GET, "/api/v2/roles/{id}/users", |m| {
        on(m, roles::users)
    }),
    route(Method::POST, "/api/v2/roles/{id}/users", |m| {
        on(m, roles::add_users)
    }),
    route(Method::GET, "/api/v2/actions/actions", |m| {
        on(m, actions::list)
    }),
    route(Method::POST, "/api/v2/actions/actions", |m| {
        on(m, actions::create)
    }),
    route(Method::GET, "/api/v2/actions/actions/{id}", |m| {
        on(m, actions::get)
    }),
    route(Method::PATCH, "/api/v2/actions/actions/{id}", |m| {
        on(m, actions::update)
    }),
    route(Method::DELETE, "/api/v2/actions/actions/{id}", |m| {
        on(m, actions::delete)
    }),
    route(Method::POST, "/api/v2/actions/actions/{id}/deploy", |m| {
        on(m, actions::deploy)
    }),
    route(
        Method::GET,
        "/api/v2/actions/actions/{actionId}/versions",
        |m| on(m, actions::versions),
    ),
    route(Method::GET, "/api/v2/actions/triggers", |m| {
        on(m, actions::triggers)
    }),
    route(
        Method::GET,
        "/api/v2/actions/triggers/{triggerId}/bindings",
        |m| on(m, actions::bindings),
    ),
    route(
        Method::PATCH,
        "/api/v2/actions/triggers/{triggerId}/bindings",
        |m| on(m, actions::update_bindings),
    ),
    route(Method::GET, "/api/v2/user-blocks", |m| {
        on(m, user_blocks::get_by_identifier)
    }),
    route(Method::DELETE, "/api/v2/user-blocks", |m| {
        on(m, user_blocks::delete_by_identifier)
    }),
    route(Method::GET, "/api/v2/user-blocks/{id}", |m| {
        on(m, user_blocks::get_by_id)
    }),
    route(Method::DELETE, "/api/v2/user-blocks/{id}", |m| {
        on(m, user_blocks::delete_by_id)
    }),
    route(Method::GET, "/api/v2/grants", |m| on(m, grants::list)),
    route(Method::DELETE, "/api/v2/grants", |m| {
        on(m, grants::delete_by_user)
    }),
    route(Method::DELETE, "/api/v2/grants/{id}", |m| {
        on(m, grants::delete)
    }),
    route(Method::GET, "/api/v2/client-grants", |m| {
        on(m, client_grants::list)
    }),
    route(Method::POST, "/api/v2/client-grants", |m| {
        on(m, client_grants::create)
    }),
    route(Method::PATCH, "/api/v2/client-grants/{id}", |m| {
        on(m, client_grants::update)
    }),
    route(Method::DELETE, "/api/v2/client-grants/{id}", |m| {
        on(m, client_grants::delete)
    }),
    route(Method::GET, "/api/v2/keys/signing", |m| on(m, keys::list)),
    route(Method::POST, "/api/v2/keys/signing/rotate", |m| {
        on(m, keys::rotate)
    }),
    route(Method::PUT, "/api/v2/keys/signing/{kid}/revoke", |m| {
        on(m, keys::revoke)
    }),
    route(Method::POST, "/api/v2/jobs/users-imports", |m| {
        on(m, jobs::users_import).layer(DefaultBodyLimit::max(jobs::MAX_IMPORT_BYTES))
    }),
    route(Method::POST, "/api/v2/jobs/users-exports", |m| {
        on(m, jobs::users_export)
    }),
    route(Method::POST, "/api/v2/jobs/verification-email", |m| {
        on(m, jobs::verification_email)
    }),
    route(Method::GET, "/api/v2/jobs/{id}", |m| on(m, jobs::get)),
    route(Method::GET, "/api/v2/jobs/{id}/errors", |m| {
        on(m, jobs::errors)
    }),
    route(Method::GET, "/api/v2/logs", |m| on(m, logs::list)),
    route(Method::GET, "/api/v2/logs/{id}", |m| on(m, logs::get)),
];

/// The Management API's routes: [`ROUTES`], with the methods of a path merged. The admin
/// service clears this node's caches after a change, so it takes effect here at once.
pub fn router() -> Router<AppState> {
    let routed = ROUTES
        .iter()
        .fold(
            Router::new(),
            |router, route| match MethodFilter::try_from(route.method.clone()) {
                Ok(filter) => router.route(route.path, (route.handler)(filter)),
                Err(_) => {
                    tracing::error!(method = %route.method, path = route.path, "unroutable method");
                    router
                }
            },
        );
    // Anything else under /api/v2 is an Auth0-shaped 404, not the OAuth endpoints' one.
    routed.route("/api/v2/{*rest}", axum::routing::any(unknown_path))
}

async fn unknown_path() -> ApiError {
    ApiError::new(axum::http::StatusCode::NOT_FOUND, "Not Found", None)
}
