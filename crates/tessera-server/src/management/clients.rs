//! `/api/v2/clients`: applications, with Auth0's field names. The secret is returned only when
//! it is created or rotated; Tessera keeps only its digest.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_protocol::{ClientId, RegisteredClient, SecretDigest, TokenAuthMethod};

use crate::config::{ClientConfig, RefreshTokenConfig};
use crate::crypto::random_token;
use crate::management::auth::ManagementToken;
use crate::management::error::{ApiError, ApiResult};
use crate::management::listing::{list_response, Paging};
use crate::management::openapi::{
    BadRequest, ClientList, ClientSchema, Conflict, Forbidden, NotFound, Unauthorized,
};
use crate::management::payload::{ApiQuery, Payload};
use crate::seed::registered_client;
use crate::state::AppState;

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
    pub refresh_token: Option<RefreshTokenConfig>,
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

/// The configuration form of a stored client, to which a PATCH applies.
fn config_of(client: &RegisteredClient) -> ClientConfig {
    let policy = &client.refresh_token;
    ClientConfig {
        client_id: client.client_id.to_string(),
        client_secret: None,
        name: client.name.clone(),
        app_type: client.app_type.as_str().to_owned(),
        callbacks: client
            .callbacks
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect(),
        allowed_logout_urls: client.allowed_logout_urls.clone(),
        grant_types: Some(
            client
                .grant_types
                .iter()
                .map(|g| g.as_str().to_owned())
                .collect(),
        ),
        token_endpoint_auth_method: Some(client.token_endpoint_auth_method.as_str().to_owned()),
        refresh_token: RefreshTokenConfig {
            rotation_type: policy.rotation_type.as_str().to_owned(),
            leeway: policy.leeway,
            token_lifetime: policy
                .token_lifetime
                .unwrap_or(RefreshTokenConfig::default().token_lifetime),
            infinite_token_lifetime: policy.token_lifetime.is_none(),
            idle_token_lifetime: policy
                .idle_token_lifetime
                .unwrap_or(RefreshTokenConfig::default().idle_token_lifetime),
            infinite_idle_token_lifetime: policy.idle_token_lifetime.is_none(),
        },
        allow_plain_pkce: client.allow_plain_pkce,
        is_first_party: client.is_first_party,
    }
}

fn apply(config: &mut ClientConfig, body: ClientBody) {
    if let Some(name) = body.name {
        config.name = name;
    }
    if let Some(app_type) = body.app_type {
        // A new app type brings its own default auth method and grants unless given too.
        if body.token_endpoint_auth_method.is_none() {
            config.token_endpoint_auth_method = None;
        }
        if body.grant_types.is_none() {
            config.grant_types = None;
        }
        config.app_type = app_type;
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
        config.refresh_token = refresh;
    }
    if let Some(first_party) = body.is_first_party {
        config.is_first_party = first_party;
    }
    if let Some(plain) = body.allow_plain_pkce {
        config.allow_plain_pkce = plain;
    }
}

/// Validates `config` into a client, with a placeholder secret for confidential clients (the
/// caller sets the real digest).
fn validated(config: &mut ClientConfig) -> ApiResult<RegisteredClient> {
    let public = config
        .token_endpoint_auth_method
        .as_deref()
        .map(|m| m == "none")
        .unwrap_or_else(|| matches!(config.app_type.as_str(), "spa" | "native"));
    config.client_secret = (!public).then(|| "placeholder".to_owned());
    registered_client(config).map_err(|e| ApiError::invalid_body(e.to_string()))
}

fn new_secret() -> ApiResult<String> {
    Ok(crate::crypto::new_client_secret(48)?)
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
    let mut config = ClientConfig {
        client_id: random_token(24)?,
        ..ClientConfig::default()
    };
    apply(&mut config, body);
    let mut client = validated(&mut config)?;
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
    let mut config = config_of(&existing);
    apply(&mut config, body);
    let mut client = validated(&mut config)?;
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
