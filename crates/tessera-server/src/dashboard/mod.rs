//! The Dashboard at `/dashboard`: server-rendered pages for administrators (separate from end
//! users), every action a call of the admin service with the Management API scopes of the
//! administrator's role.

mod actions;
mod apis;
mod apps;
mod connections;
mod emails;
mod jobs;
mod keys;
mod logs;
mod roles;
mod session;
mod universal_login;
mod user_access;
mod user_mfa;
mod user_roles;
mod users;
mod view;

use axum::extract::DefaultBodyLimit;
use axum::response::Redirect;
use axum::routing::{get, post};
use axum::Router;

use crate::management::jobs::MAX_IMPORT_BYTES;
use crate::state::AppState;

pub use session::{ADMIN_COOKIE, SIGNIN_PATH};

/// Every page a signed-in administrator can open (GET), for tests and documentation.
pub const PAGES: &[&str] = &[
    "/dashboard",
    "/dashboard/applications",
    "/dashboard/applications/{id}",
    "/dashboard/apis",
    "/dashboard/apis/{id}",
    "/dashboard/users",
    "/dashboard/users/{id}",
    "/dashboard/roles",
    "/dashboard/roles/{id}",
    "/dashboard/actions",
    "/dashboard/actions/{id}",
    "/dashboard/keys",
    "/dashboard/logs",
    "/dashboard/connections",
    "/dashboard/connections/{id}",
];

/// Every form a signed-in administrator can post.
pub const FORMS: &[&str] = &[
    "/dashboard/logout",
    "/dashboard/applications",
    "/dashboard/applications/{id}",
    "/dashboard/applications/{id}/rotate-secret",
    "/dashboard/apis",
    "/dashboard/apis/{id}",
    "/dashboard/apis/{id}/permissions",
    "/dashboard/apis/{id}/permissions/remove",
    "/dashboard/apis/{id}/client-grants",
    "/dashboard/apis/{id}/client-grants/remove",
    "/dashboard/users",
    "/dashboard/users/{id}/block",
    "/dashboard/users/{id}/password",
    "/dashboard/users/{id}/consents/revoke",
    "/dashboard/users/{id}/roles",
    "/dashboard/users/{id}/roles/remove",
    "/dashboard/users/{id}/permissions",
    "/dashboard/users/{id}/permissions/remove",
    "/dashboard/users/{id}/mfa/reset",
    "/dashboard/users/{id}/mfa/remove",
    "/dashboard/roles",
    "/dashboard/roles/{id}",
    "/dashboard/roles/{id}/delete",
    "/dashboard/roles/{id}/permissions",
    "/dashboard/roles/{id}/permissions/remove",
    "/dashboard/roles/{id}/users",
    "/dashboard/roles/{id}/users/remove",
    "/dashboard/actions",
    "/dashboard/actions/bindings",
    "/dashboard/actions/{id}",
    "/dashboard/keys/rotate",
    "/dashboard/keys/revoke",
    "/dashboard/connections",
    "/dashboard/connections/{id}",
    "/dashboard/connections/{id}/clients",
    "/dashboard/connections/{id}/delete",
];

/// The Dashboard's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(home))
        .route("/dashboard/", get(home))
        .route(SIGNIN_PATH, get(session::show).post(session::submit))
        .route("/dashboard/logout", post(session::logout))
        .route(
            "/dashboard/applications",
            get(apps::list).post(apps::create),
        )
        .route(
            "/dashboard/applications/{id}",
            get(apps::show).post(apps::update),
        )
        .route(
            "/dashboard/applications/{id}/rotate-secret",
            post(apps::rotate_secret),
        )
        .route("/dashboard/apis", get(apis::list).post(apis::create))
        .route(
            "/dashboard/connections",
            get(connections::list).post(connections::create),
        )
        .route(
            "/dashboard/connections/{id}",
            get(connections::show).post(connections::update),
        )
        .route(
            "/dashboard/connections/{id}/clients",
            post(connections::update_clients),
        )
        .route(
            "/dashboard/connections/{id}/delete",
            post(connections::delete),
        )
        .route("/dashboard/apis/{id}", get(apis::show).post(apis::update))
        .route(
            "/dashboard/apis/{id}/permissions",
            post(apis::add_permission),
        )
        .route(
            "/dashboard/apis/{id}/permissions/remove",
            post(apis::remove_permission),
        )
        .route("/dashboard/apis/{id}/client-grants", post(apis::add_grant))
        .route(
            "/dashboard/apis/{id}/client-grants/remove",
            post(apis::remove_grant),
        )
        .route("/dashboard/users", get(users::list).post(users::create))
        .route(
            "/dashboard/users/import",
            post(jobs::import).layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)),
        )
        .route("/dashboard/jobs/{id}", get(jobs::show))
        .route("/dashboard/users/{id}", get(users::show))
        .route("/dashboard/users/{id}/block", post(users::block))
        .route("/dashboard/users/{id}/password", post(users::set_password))
        .route(
            "/dashboard/users/{id}/consents/revoke",
            post(users::revoke_consent),
        )
        .route("/dashboard/users/{id}/roles", post(user_roles::assign_role))
        .route(
            "/dashboard/users/{id}/roles/remove",
            post(user_roles::remove_role),
        )
        .route(
            "/dashboard/users/{id}/permissions",
            post(user_roles::add_permission),
        )
        .route(
            "/dashboard/users/{id}/permissions/remove",
            post(user_roles::remove_permission),
        )
        .route("/dashboard/users/{id}/mfa/reset", post(user_mfa::reset))
        .route("/dashboard/users/{id}/mfa/remove", post(user_mfa::remove))
        .merge(roles_router())
        .route(
            "/dashboard/actions",
            get(actions::list).post(actions::create),
        )
        .route("/dashboard/actions/bindings", post(actions::bind))
        .route(
            "/dashboard/actions/{id}",
            get(actions::show).post(actions::update),
        )
        .route("/dashboard/keys", get(keys::list))
        .route("/dashboard/universal-login", get(universal_login::show))
        .route("/dashboard/emails", get(emails::show))
        .route(
            "/dashboard/universal-login/branding",
            post(universal_login::update_branding),
        )
        .route(
            "/dashboard/universal-login/signup",
            post(universal_login::update_signup),
        )
        .route(
            "/dashboard/universal-login/mfa",
            post(universal_login::update_mfa),
        )
        .route("/dashboard/keys/rotate", post(keys::rotate))
        .route("/dashboard/keys/revoke", post(keys::revoke))
        .route("/dashboard/logs", get(logs::list))
}

/// The Roles pages' routes.
fn roles_router() -> Router<AppState> {
    Router::new()
        .route("/dashboard/roles", get(roles::list).post(roles::create))
        .route(
            "/dashboard/roles/{id}",
            get(roles::show).post(roles::update),
        )
        .route("/dashboard/roles/{id}/delete", post(roles::delete))
        .route(
            "/dashboard/roles/{id}/permissions",
            post(roles::add_permission),
        )
        .route(
            "/dashboard/roles/{id}/permissions/remove",
            post(roles::remove_permission),
        )
        .route("/dashboard/roles/{id}/users", post(roles::add_user))
        .route(
            "/dashboard/roles/{id}/users/remove",
            post(roles::remove_user),
        )
}

async fn home(_signed_in: session::SignedIn) -> Redirect {
    Redirect::to("/dashboard/applications")
}
