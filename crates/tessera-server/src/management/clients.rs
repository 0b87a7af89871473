//! `/api/v2/clients`: applications, with Auth0's field names. The secret is returned only when
//! it is created or rotated; Tessera keeps only its digest.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_protocol::registration::{register_client, ClientSettings, RefreshTokenSettings};
use tessera_protocol::{ClientId, RegisteredClient, SecretDigest, TokenAuthMethod};

use crate::management::auth::ManagementToken;
use crate::management::error::{ApiError, ApiResult};
use crate::management::listing::{list_response, Paging};
use crate::management::openapi::{
    BadRequest, ClientList, ClientSchema, Conflict, Forbidden, NotFound, Unauthorized,
};
use crate::management::payload::{ApiQuery, Payload};
use crate::state::AppState;
use tessera_core::crypto::random_token;

/// The writable fields of an application; absent fields keep their value (or default).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientBody {
    pub name: Option<String>,
    pub app_type: Option<String>,
    pub callbacks: Option<Vec<String>>,
    pub allowed_logout_urls: Option<Vec<String>>,
    pub grant_types: Option<Vec<String>>,
    pub token_endpoint_auth_method: Option<String>,
    pub refresh_token: Option<RefreshTokenBody>,
    pub allow_plain_pkce: Option<bool>,
    pub is_first_party: Option<bool>,
}

/// An application as the Management API shows it.
pub fn client_json(client: &RegisteredClient) -> Value {
    let policy = &client.refresh_token;
    json!({
        "client_id": client.client_id,
        "name": client.name,
        "app_type": client.app_type.as_str(),
        "callbacks": client.callbacks.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "allowed_logout_urls": client.allowed_logout_urls,
        "grant_types": client.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "token_endpoint_auth_method": client.token_endpoint_auth_method.as_str(),
        "refresh_token": {
            "rotation_type": policy.rotation_type.as_str(),
            "leeway": policy.leeway,
            "token_lifetime": policy.token_lifetime.unwrap_or(0),
            "infinite_token_lifetime": policy.token_lifetime.is_none(),
            "idle_token_lifetime": policy.idle_token_lifetime.unwrap_or(0),
            "infinite_idle_token_lifetime": policy.idle_token_lifetime.is_none(),
        },
        "allow_plain_pkce": client.allow_plain_pkce,
        "is_first_party": client.is_first_party,
        "oidc_conformant": true,
    })
}

/// Auth0's `refresh_token` object of an application; absent fields take Auth0's defaults.
#[derive(Debug, Clone, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RefreshTokenBody {
    /// `rotating` or `non-rotating`.
    pub rotation_type: String,
    /// Seconds a rotated token stays usable, for racing retries.
    pub leeway: i64,
    /// Absolute lifetime, seconds.
    pub token_lifetime: i64,
    pub infinite_token_lifetime: bool,
    /// Inactivity lifetime, seconds.
    pub idle_token_lifetime: i64,
    pub infinite_idle_token_lifetime: bool,
}

impl Default for RefreshTokenBody {
    fn default() -> Self {
        RefreshTokenBody::from(RefreshTokenSettings::default())
    }
}

impl From<RefreshTokenSettings> for RefreshTokenBody {
    fn from(s: RefreshTokenSettings) -> Self {
        RefreshTokenBody {
            rotation_type: s.rotation_type,
            leeway: s.leeway,
            token_lifetime: s.token_lifetime,
            infinite_token_lifetime: s.infinite_token_lifetime,
            idle_token_lifetime: s.idle_token_lifetime,
            infinite_idle_token_lifetime: s.infinite_idle_token_lifetime,
        }
    }
}

impl From<RefreshTokenBody> for RefreshTokenSettings {
    fn from(b: RefreshTokenBody) -> Self {
        RefreshTokenSettings {
            rotation_type: b.rotation_type,
            leeway: b.leeway,
            token_lifetime: b.token_lifetime,
            infinite_token_lifetime: b.infinite_token_lifetime,
            idle_token_lifetime: b.idle_token_lifetime,
            infinite_idle_token_lifetime: b.infinite_idle_token_lifetime,
        }
    }
}

fn apply(config: &mut ClientSettings, body: ClientBody) {
    if let Some(name) = body.name {
        config.name = name;
    }
    if let Some(app_type) = body.app_type {
        config.change_app_type(app_type);
    }
    if let Some(callbacks) = body.callbacks {
        config.callbacks = callbacks;
    }
    if let Some(urls) = body.allowed_logout_urls {
        config.allowed_logout_urls = urls;
    }
    if let Some(grants) = body.grant_types {
        config.grant_types = Some(grants);
    }
    if let Some(method) = body.token_endpoint_auth_method {
        config.token_endpoint_auth_method = Some(method);
    }
    if let Some(refresh) = body.refresh_token {
        config.refresh_token = refresh.into();
    }
    if let Some(first_party) = body.is_first_party {
        config.is_first_party = first_party;
    }
    if let Some(plain) = body.allow_plain_pkce {
        config.allow_plain_pkce = plain;
    }
}

/// Registers `settings` as the client `client_id` (its secret is the caller's to set).
fn validated(client_id: ClientId, settings: &ClientSettings) -> ApiResult<RegisteredClient> {
    register_client(client_id, settings).map_err(|e| ApiError::invalid_body(e.to_string()))
}

fn new_secret() -> ApiResult<String> {
    Ok(tessera_core::crypto::new_client_secret(48)?)
}

#[utoipa::path(
    get,
    path = "/api/v2/clients",
    operation_id = "get_clients",
    summary = "List applications",
    tag = "clients",
    params(Paging),
    responses((status = 200, description = "The applications", body = ClientList), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["read:clients"])),
)]
pub async fn list(
    State(state): State<AppState>,
    token: ManagementToken,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Response> {
    token.require("read:clients")?;
    let page = paging.page()?;
    let listing = state.store.list_clients(page).await?;
    Ok(list_response(
        &paging,
        page,
        listing,
        "clients",
        client_json,
    ))
}

async fn load(state: &AppState, id: &str) -> ApiResult<RegisteredClient> {
    state
        .store
        .client(&ClientId(id.to_owned()))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("The client `{id}`")))
}

#[utoipa::path(
    get,
    path = "/api/v2/clients/{id}",
    operation_id = "get_clients_by_id",
    summary = "Get an application",
    tag = "clients",
    params(("id" = String, Path, description = "The client id")),
    responses((status = 200, description = "The application (never its secret)", body = ClientSchema), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:clients"])),
)]
pub async fn get(
    State(state): State<AppState>,
    token: ManagementToken,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    token.require("read:clients")?;
    Ok(Json(client_json(&load(&state, &id).await?)))
}

#[utoipa::path(
    post,
    path = "/api/v2/clients",
    operation_id = "post_clients",
    summary = "Create an application",
    tag = "clients",
    request_body = ClientBody,
    responses((status = 201, description = "The application, with its `client_secret` (shown only now)", body = ClientSchema), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 409, response = Conflict)),
    security(("bearer" = ["create:clients"])),
)]
pub async fn create(
    State(state): State<AppState>,
    token: ManagementToken,
    Payload(body): Payload<ClientBody>,
) -> ApiResult<Response> {
    token.require("create:clients")?;
    if body.name.as_deref().is_none_or(str::is_empty) {
        return Err(ApiError::invalid_body(
            "Payload validation error: Missing required property: name",
        ));
    }
    let mut settings = ClientSettings::default();
    apply(&mut settings, body);
    let mut client = validated(ClientId(random_token(24)?), &settings)?;
    let secret = if client.is_public() {
        None
    } else {
        Some(new_secret()?)
    };
    client.secret_digest = secret.as_deref().map(SecretDigest::of);
    state
        .store
        .create_client(&client, state.clock.now())
        .await?;
    let mut shown = client_json(&client);
    if let Some(secret) = secret {
        shown["client_secret"] = json!(secret);
    }
    Ok((StatusCode::CREATED, Json(shown)).into_response())
}

#[utoipa::path(
    patch,
    path = "/api/v2/clients/{id}",
    operation_id = "patch_clients_by_id",
    summary = "Update an application",
    tag = "clients",
    params(("id" = String, Path, description = "The client id")),
    request_body = ClientBody,
    responses((status = 200, description = "The updated application", body = ClientSchema), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["update:clients"])),
)]
pub async fn update(
    State(state): State<AppState>,
    token: ManagementToken,
    Path(id): Path<String>,
    Payload(body): Payload<ClientBody>,
) -> ApiResult<Json<Value>> {
    token.require("update:clients")?;
    let existing = load(&state, &id).await?;
    let mut settings = ClientSettings::of(&existing);
    apply(&mut settings, body);
    let mut client = validated(existing.client_id.clone(), &settings)?;
    // A client that becomes confidential needs a secret; it is shown this once.
    let mut new = None;
    client.secret_digest = match (client.token_endpoint_auth_method, existing.secret_digest) {
        (TokenAuthMethod::None, _) => None,
        (_, Some(digest)) => Some(digest),
        (_, None) => {
            let secret = new_secret()?;
            let digest = SecretDigest::of(&secret);
            new = Some(secret);
            Some(digest)
        }
    };
    state
        .store
        .upsert_client(&client, state.clock.now())
        .await?;
    let mut shown = client_json(&client);
    if let Some(secret) = new {
        shown["client_secret"] = json!(secret);
    }
    Ok(Json(shown))
}

#[utoipa::path(
    delete,
    path = "/api/v2/clients/{id}",
    operation_id = "delete_clients_by_id",
    summary = "Delete an application",
    tag = "clients",
    params(("id" = String, Path, description = "The client id")),
    responses((status = 204, description = "Deleted: it can no longer get tokens"), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["delete:clients"])),
)]
pub async fn delete(
    State(state): State<AppState>,
    token: ManagementToken,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    token.require("delete:clients")?;
    if state.store.delete_client(&ClientId(id.clone())).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("The client `{id}`")))
    }
}

/// `POST /api/v2/clients/{id}/rotate-secret`: a new secret, returned this once; the old one
/// stops working at once.
#[utoipa::path(
    post,
    path = "/api/v2/clients/{id}/rotate-secret",
    operation_id = "post_rotate_secret",
    summary = "Rotate an application's secret",
    tag = "clients",
    params(("id" = String, Path, description = "The client id")),
    responses((status = 200, description = "The application with its new `client_secret`; the old one stops working", body = ClientSchema), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["update:clients"])),
)]
pub async fn rotate_secret(
    State(state): State<AppState>,
    token: ManagementToken,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    token.require("update:clients")?;
    let mut client = load(&state, &id).await?;
    if client.is_public() {
        return Err(ApiError::invalid_body(
            "a public client (token_endpoint_auth_method none) has no secret to rotate",
        ));
    }
    let secret = new_secret()?;
    client.secret_digest = Some(SecretDigest::of(&secret));
    state
        .store
        .upsert_client(&client, state.clock.now())
        .await?;
    let mut shown = client_json(&client);
    shown["client_secret"] = json!(secret);
    Ok(Json(shown))
}
