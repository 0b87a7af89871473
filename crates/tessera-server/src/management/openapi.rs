//! The Management API's OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]`
//! annotations and the body types, served at `GET /api/v2/openapi.json`. The response objects
//! below describe what the handlers render; the integration tests check real answers against
//! them, and the document's paths against [`super::ROUTES`].

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::server::Server;
use utoipa::{Modify, OpenApi, ToResponse, ToSchema};

use crate::management::auth::management_audience;
use crate::management::clients::RefreshTokenBody;
use crate::management::resource_servers::ScopeBody;
use crate::management::{
    client_grants, clients, grants, keys, logs, resource_servers, user_blocks, users,
};
use crate::state::AppState;

/// The name of the bearer security scheme the operations refer to.
pub const BEARER: &str = "bearer";

/// Auth0's error body.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Error)]
pub struct ErrorBody {
    /// The HTTP status, repeated.
    pub status_code: u16,
    /// The status' reason phrase (`Bad Request`, `Not Found`, …).
    pub error: String,
    /// What is wrong; a validation error names the field.
    pub message: String,
    /// A stable code: `invalid_body`, `invalid_query_string`, `insufficient_scope`,
    /// `inexistent_resource`, `already_exists`, `operation_not_supported`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
}

/// 400: the body or query does not validate.
#[derive(ToResponse)]
#[response(description = "The body or query is invalid; the message names the field")]
pub struct BadRequest(pub ErrorBody);

/// 401: no token, or not a valid Management API token.
#[derive(ToResponse)]
#[response(description = "Missing, invalid or expired token, or one for another audience")]
pub struct Unauthorized(pub ErrorBody);

/// 403: the token lacks the operation's scope, or the resource cannot be changed.
#[derive(ToResponse)]
#[response(description = "The token lacks the required scope (`insufficient_scope`)")]
pub struct Forbidden(pub ErrorBody);

/// 404: no such resource.
#[derive(ToResponse)]
#[response(description = "No such resource (`inexistent_resource`)")]
pub struct NotFound(pub ErrorBody);

/// 409: the resource exists already.
#[derive(ToResponse)]
#[response(description = "The resource already exists (`already_exists`)")]
pub struct Conflict(pub ErrorBody);

/// An application.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Client)]
pub struct ClientSchema {
    pub client_id: String,
    pub name: String,
    /// `regular_web`, `spa`, `native` or `non_interactive`.
    pub app_type: String,
    pub callbacks: Vec<String>,
    pub allowed_logout_urls: Vec<String>,
    pub grant_types: Vec<String>,
    /// `none`, `client_secret_post` or `client_secret_basic`.
    pub token_endpoint_auth_method: String,
    pub refresh_token: RefreshTokenBody,
    pub allow_plain_pkce: bool,
    pub is_first_party: bool,
    pub oidc_conformant: bool,
    /// Only in the answers to create, rotate-secret, and an update that made the client
    /// confidential: it is never shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// An API.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ResourceServer)]
pub struct ResourceServerSchema {
    /// The identifier (the id is the identifier).
    pub id: String,
    /// The audience of its access tokens.
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<ScopeBody>,
    pub allow_offline_access: bool,
    /// Access token lifetime, seconds.
    pub token_lifetime: i64,
    /// `RS256`, `PS256`, `ES256` or `EdDSA`.
    pub signing_alg: String,
    /// First-party applications get no consent page (not for localhost callbacks).
    pub skip_consent_for_verifiable_first_party_clients: bool,
    /// Whether this is the Management API itself (which cannot be changed).
    pub is_system: bool,
}

/// A user's identity at the database connection.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Identity)]
pub struct IdentitySchema {
    /// Always `Username-Password-Authentication`.
    pub connection: String,
    /// Always `auth0`.
    pub provider: String,
    /// The user id without its `auth0|` prefix.
    pub user_id: String,
    #[serde(rename = "isSocial")]
    pub is_social: bool,
}

/// A user (never with a password).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserSchema {
    /// `auth0|` and 24 hex digits.
    pub user_id: String,
    pub email: String,
    pub email_verified: bool,
    pub username: String,
    pub name: String,
    pub nickname: String,
    pub blocked: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    pub identities: Vec<IdentitySchema>,
}

/// A consent a user gave an application for an API.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Grant)]
pub struct GrantSchema {
    pub id: String,
    #[serde(rename = "clientID")]
    pub client_id: String,
    pub user_id: String,
    /// The API, or null for a consent to OpenID Connect scopes alone.
    pub audience: Option<String>,
    pub scope: Vec<String>,
}

/// A machine-to-machine authorization: `client_id` may get tokens for `audience`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ClientGrant)]
pub struct ClientGrantSchema {
    pub id: String,
    pub client_id: String,
    pub audience: String,
    pub scope: Vec<String>,
}

/// A signing key (its public part is in `/.well-known/jwks.json` unless revoked).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SigningKey)]
pub struct SigningKeySchema {
    /// The RFC 7638 thumbprint.
    pub kid: String,
    pub alg: String,
    /// Signs new tokens of its algorithm.
    pub current: bool,
    /// Published, no longer signing.
    pub previous: bool,
    pub revoked: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub revoked_at: Option<String>,
}

/// One block: an identifier blocked for an IP.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = UserBlock)]
pub struct UserBlockSchema {
    pub identifier: String,
    pub ip: String,
    pub connection: String,
}

/// A user's or identifier's brute-force blocks.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = UserBlocks)]
pub struct UserBlocksSchema {
    pub blocked_for: Vec<UserBlockSchema>,
}

/// An audit log event, Auth0's shape. `type` is Auth0's code (`s`, `fp`, `fu`, `f`,
/// `seacft`, `feacft`, `seccft`, `sertft`, `ferrt`, `sapi`, `limit_wc`) or Tessera's
/// `consent_granted` / `consent_revoked`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = LogEvent)]
pub struct LogEventSchema {
    pub log_id: String,
    /// RFC 3339.
    pub date: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub description: String,
    pub client_id: Option<String>,
    pub client_name: Option<String>,
    /// The client's IP address.
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    /// Facts of the event (scope, audience, kid, …); never a secret.
    pub details: serde_json::Map<String, serde_json::Value>,
}

/// The key a rotation created.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RotatedKey)]
pub struct RotatedKeySchema {
    pub kid: String,
    pub alg: String,
}

/// A page of a list with `include_totals=true`; without it the answer is the bare array.
macro_rules! page_schemas {
    ($($list:ident, $page:ident, $item:ty, $field:ident, $name:literal;)*) => {$(
        #[doc = concat!("A page of ", $name, " with totals.")]
        #[derive(Debug, Serialize, ToSchema)]
        pub struct $page {
            /// The offset of the first item.
            pub start: u64,
            /// `per_page`.
            pub limit: u32,
            /// The number of items on this page.
            pub length: u64,
            /// The number of items on all pages.
            pub total: u64,
            pub $field: Vec<$item>,
        }

        #[doc = concat!("The ", $name, ": an array, or a page with totals (`include_totals=true`).")]
        #[derive(Debug, Serialize, ToSchema)]
        #[serde(untagged)]
        pub enum $list {
            Items(Vec<$item>),
            Page($page),
        }
    )*};
}

page_schemas! {
    ClientList, ClientPage, ClientSchema, clients, "applications";
    ResourceServerList, ResourceServerPage, ResourceServerSchema, resource_servers, "APIs";
    UserList, UserPage, UserSchema, users, "users";
    ClientGrantList, ClientGrantPage, ClientGrantSchema, client_grants, "client grants";
    LogEventList, LogEventPage, LogEventSchema, logs, "log events";
}

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
                       consents, machine-to-machine grants, signing keys and the audit log. Errors are \
                       `{statusCode, error, message, errorCode}`; lists take `page`, \
                       `per_page` and `include_totals`.",
    ),
    paths(
        document,
        clients::list, clients::create, clients::get, clients::update, clients::delete,
        clients::rotate_secret,
        resource_servers::list, resource_servers::create, resource_servers::get,
        resource_servers::update, resource_servers::delete,
        users::list, users::create, users::get, users::update, users::delete,
        user_blocks::get_by_identifier, user_blocks::delete_by_identifier,
        user_blocks::get_by_id, user_blocks::delete_by_id,
        grants::list, grants::delete_by_user, grants::delete,
        client_grants::list, client_grants::create, client_grants::update,
        client_grants::delete,
        keys::list, keys::rotate, keys::revoke,
        logs::list, logs::get,
    ),
    components(
        schemas(ErrorBody),
        responses(BadRequest, Unauthorized, Forbidden, NotFound, Conflict),
    ),
    modifiers(&BearerScheme),
    tags(
        (name = "clients", description = "Applications"),
        (name = "resource-servers", description = "APIs"),
        (name = "users", description = "Users of the database connection"),
        (name = "user-blocks", description = "Accounts blocked by brute-force protection"),
        (name = "grants", description = "Users' consents"),
        (name = "client-grants", description = "Machine-to-machine authorizations"),
        (name = "keys", description = "Token signing keys"),
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
