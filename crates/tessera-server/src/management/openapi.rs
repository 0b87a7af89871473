//! The Management API's OpenAPI 3.1 document, served at `GET /api/v2/openapi.json`: generated
//! from the handlers' `#[utoipa::path]` annotations and the admin service's request and
//! response types — the very types the handlers parse and render. The integration tests check
//! real answers against it, and its paths against [`super::ROUTES`].

use axum::extract::State;
use axum::Json;
use tessera_admin::scopes::management_audience;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::server::Server;
use utoipa::{Modify, OpenApi};

use crate::management::error::ErrorBody;
use crate::management::responses::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized};
use crate::management::{
    actions, authentication_methods, branding, client_grants, clients, connections, emails, grants,
    guardian, identities, jobs, keys, logs, resource_servers, roles, tickets, user_blocks, users,
};
use crate::state::AppState;

/// The name of the bearer security scheme the operations refer to.
pub const BEARER: &str = "bearer";

/// Adds the bearer scheme every operation (but the document itself) requires.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "An access token for the audience `{issuer}api/v2/`, from `client_credentials` \
                 at `{issuer}oauth/token` by a client with a client grant for it; its scopes \
                 (`read:clients`, `create:users`, …) say what it may do.",
            ))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(BEARER, SecurityScheme::Http(scheme));
    }
}

/// The Management API's document, without `servers` (see [`openapi`]).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tessera Management API",
        description = "Auth0's Management API v2 for Tessera: applications, APIs, users, \
                       roles, Actions, consents, machine-to-machine grants, MFA, signing keys and the audit log. Errors are \
                       `{statusCode, error, message, errorCode}`; lists take `page`, \
                       `per_page` and `include_totals`.",
    ),
    paths(
        document,
        clients::list, clients::create, clients::get, clients::update, clients::delete,
        clients::rotate_secret,
        branding::get, branding::update,
        emails::get_provider, emails::create_provider, emails::update_provider, emails::delete_provider,
        emails::create_template, emails::get_template, emails::replace_template, emails::update_template,
        tickets::password_change, tickets::email_verification, connections::list, connections::get, connections::update,
        connections::create, connections::delete, connections::clients, connections::update_clients,
        resource_servers::list, resource_servers::create, resource_servers::get,
        resource_servers::update, resource_servers::delete,
        users::list, users::by_email, users::create, users::get, users::update, users::delete,
        identities::link, identities::unlink,
        roles::list, roles::create, roles::get, roles::update, roles::delete,
        roles::permissions, roles::add_permissions, roles::remove_permissions,
        roles::users, roles::add_users,
        roles::user_roles, roles::assign_roles, roles::remove_roles,
        roles::user_permissions, roles::add_user_permissions, roles::remove_user_permissions,
        authentication_methods::list, authentication_methods::get,
        authentication_methods::delete, authentication_methods::delete_all,
        authentication_methods::reset,
        guardian::factors, guardian::switch_factor, guardian::policies, guardian::set_policies,
        actions::list, actions::create, actions::get, actions::update, actions::delete,
        actions::deploy, actions::versions, actions::triggers, actions::bindings,
        actions::update_bindings,
        user_blocks::get_by_identifier, user_blocks::delete_by_identifier,
        user_blocks::get_by_id, user_blocks::delete_by_id,
        grants::list, grants::delete_by_user, grants::delete,
        client_grants::list, client_grants::create, client_grants::update,
        client_grants::delete,
        keys::list, keys::rotate, keys::revoke,
        jobs::users_import, jobs::users_export, jobs::verification_email, jobs::get, jobs::errors,
        logs::list, logs::get,
    ),
    components(
        schemas(ErrorBody),
        responses(BadRequest, Unauthorized, Forbidden, NotFound, Conflict),
    ),
    modifiers(&BearerScheme),
    tags(
        (name = "clients", description = "Applications"),
        (name = "tickets", description = "Single-use links to change a password or verify an email"),
        (name = "branding", description = "The hosted pages' logo, colours, favicon and font"),
        (name = "emails", description = "The SMTP server mails go through"),
        (name = "email-templates", description = "The verification, password reset and welcome mails (Liquid)"),
        (name = "connections", description = "Where users log in from: the database connection and other identity providers (OpenID, OAuth 2.0, Google, GitHub)"),
        (name = "resource-servers", description = "APIs"),
        (name = "users", description = "Users of the database connection"),
        (name = "roles", description = "Roles and the permissions they grant (RBAC)"),
        (name = "guardian", description = "Multi-factor authentication: the factors offered (authenticator apps, recovery codes) and when a login asks for one"),
        (name = "actions", description = "Actions: code run at login (post-login) and at machine-to-machine token issuance (credentials-exchange)"),
        (name = "user-blocks", description = "Accounts blocked by brute-force protection"),
        (name = "grants", description = "Users' consents"),
        (name = "client-grants", description = "Machine-to-machine authorizations"),
        (name = "keys", description = "Token signing keys"),
        (name = "jobs", description = "Bulk user import, in the background"),
        (name = "logs", description = "The audit log of security events"),
        (name = "openapi", description = "This document"),
    )
)]
pub struct ManagementApiDoc;

/// The document for the server at `issuer`: paths are absolute (`/api/v2/…`), so the server
/// is the issuer's origin and base path.
pub fn openapi(issuer: &str) -> utoipa::openapi::OpenApi {
    let mut doc = ManagementApiDoc::openapi();
    let mut server = Server::new(issuer.trim_end_matches('/'));
    server.description = Some(format!(
        "This Tessera; the Management API's audience is `{}`",
        management_audience(issuer)
    ));
    doc.servers = Some(vec![server]);
    doc
}

/// `GET /api/v2/openapi.json`: this document; no token needed.
#[utoipa::path(
    get,
    path = "/api/v2/openapi.json",
    operation_id = "get_openapi",
    summary = "This OpenAPI document",
    tag = "openapi",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")),
)]
pub async fn document(State(state): State<AppState>) -> Json<utoipa::openapi::OpenApi> {
    Json(openapi(&state.settings.issuer))
}
