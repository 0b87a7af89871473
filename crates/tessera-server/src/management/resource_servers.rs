//! `/api/v2/resource-servers`: APIs, addressed by their identifier (Auth0 accepts the
//! identifier where it takes an id; here the id *is* the identifier, URL-encoded in paths).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_protocol::registration::{register_api, ApiSettings};
use tessera_protocol::ResourceServer;

use crate::management::auth::{management_audience, ManagementToken};
use crate::management::error::{ApiError, ApiResult};
use crate::management::listing::{list_response, Paging};
use crate::management::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, ResourceServerList, ResourceServerSchema,
    Unauthorized,
};
use crate::management::payload::{ApiQuery, Payload};
use crate::state::AppState;

/// The writable fields of an API; absent fields keep their value (or default).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiBody {
    pub identifier: Option<String>,
    pub name: Option<String>,
    pub scopes: Option<Vec<ScopeBody>>,
    pub allow_offline_access: Option<bool>,
    pub token_lifetime: Option<i64>,
    pub signing_alg: Option<String>,
    pub skip_consent_for_verifiable_first_party_clients: Option<bool>,
}

/// One `{ value, description }` permission of an API.
#[derive(Debug, Clone, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeBody {
    pub value: String,
    #[serde(default)]
    pub description: String,
}

pub fn api_json(api: &ResourceServer, issuer: &str) -> Value {
    json!({
        "id": api.identifier,
        "identifier": api.identifier,
        "name": api.name,
        "scopes": api.scopes.iter().map(|s| json!({ "value": s.value, "description": s.description })).collect::<Vec<_>>(),
        "allow_offline_access": api.allow_offline_access,
        "token_lifetime": api.token_lifetime,
        "signing_alg": api.signing_alg,
        "skip_consent_for_verifiable_first_party_clients": api.skip_consent_for_verifiable_first_party_clients,
        "is_system": api.identifier == management_audience(issuer),
    })
}

fn apply(config: &mut ApiSettings, body: ApiBody) {
    if let Some(name) = body.name {
        config.name = name;
    }
    if let Some(scopes) = body.scopes {
        config.scopes = scopes
            .into_iter()
            .map(|s| (s.value, s.description))
            .collect();
    }
    if let Some(offline) = body.allow_offline_access {
        config.allow_offline_access = offline;
    }
    if let Some(lifetime) = body.token_lifetime {
        config.token_lifetime = lifetime;
    }
    if let Some(skip) = body.skip_consent_for_verifiable_first_party_clients {
        config.skip_consent_for_verifiable_first_party_clients = skip;
    }
    if let Some(alg) = body.signing_alg {
        config.signing_alg = alg;
    }
}

fn validated(config: &ApiSettings) -> ApiResult<ResourceServer> {
    register_api(config).map_err(|e| ApiError::invalid_body(e.to_string()))
}

/// The Management API itself cannot be changed or deleted through itself.
fn refuse_system(state: &AppState, identifier: &str) -> ApiResult<()> {
    if identifier == management_audience(&state.settings.issuer) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "The Management API is a system resource server and cannot be changed",
            Some("operation_not_supported"),
        ));
    }
    Ok(())
}

#[utoipa::path(
    get,
    path = "/api/v2/resource-servers",
    operation_id = "get_resource_servers",
    summary = "List APIs",
    tag = "resource-servers",
    params(Paging),
    responses((status = 200, description = "The APIs", body = ResourceServerList), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["read:resource_servers"])),
)]
pub async fn list(
    State(state): State<AppState>,
    token: ManagementToken,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Response> {
    token.require("read:resource_servers")?;
    let page = paging.page()?;
    let listing = state.store.list_apis(page).await?;
    let issuer = state.settings.issuer.clone();
    Ok(list_response(
        &paging,
        page,
        listing,
        "resource_servers",
        |api| api_json(api, &issuer),
    ))
}

async fn load(state: &AppState, id: &str) -> ApiResult<ResourceServer> {
    state
        .store
        .api(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("The resource server `{id}`")))
}

#[utoipa::path(
    get,
    path = "/api/v2/resource-servers/{id}",
    operation_id = "get_resource_servers_by_id",
    summary = "Get an API",
    tag = "resource-servers",
    params(("id" = String, Path, description = "The identifier, URL-encoded")),
    responses((status = 200, description = "The API", body = ResourceServerSchema), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:resource_servers"])),
)]
pub async fn get(
    State(state): State<AppState>,
    token: ManagementToken,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    token.require("read:resource_servers")?;
    Ok(Json(api_json(
        &load(&state, &id).await?,
        &state.settings.issuer,
    )))
}

#[utoipa::path(
    post,
    path = "/api/v2/resource-servers",
    operation_id = "post_resource_servers",
    summary = "Create an API",
    tag = "resource-servers",
    request_body = ApiBody,
    responses((status = 201, description = "The API", body = ResourceServerSchema), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 409, response = Conflict)),
    security(("bearer" = ["create:resource_servers"])),
)]
pub async fn create(
    State(state): State<AppState>,
    token: ManagementToken,
    Payload(body): Payload<ApiBody>,
) -> ApiResult<Response> {
    token.require("create:resource_servers")?;
    let identifier = body
        .identifier
        .clone()
        .filter(|i| !i.is_empty())
        .ok_or_else(|| {
            ApiError::invalid_body(
                "Payload validation error: Missing required property: identifier",
            )
        })?;
    let mut config = ApiSettings::new(identifier);
    apply(&mut config, body);
    let api = validated(&config)?;
    state.store.create_api(&api, state.clock.now()).await?;
    Ok((
        StatusCode::CREATED,
        Json(api_json(&api, &state.settings.issuer)),
    )
        .into_response())
}

#[utoipa::path(
    patch,
    path = "/api/v2/resource-servers/{id}",
    operation_id = "patch_resource_servers_by_id",
    summary = "Update an API",
    tag = "resource-servers",
    params(("id" = String, Path, description = "The identifier, URL-encoded")),
    request_body = ApiBody,
    responses((status = 200, description = "The updated API", body = ResourceServerSchema), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["update:resource_servers"])),
)]
pub async fn update(
    State(state): State<AppState>,
    token: ManagementToken,
    Path(id): Path<String>,
    Payload(body): Payload<ApiBody>,
) -> ApiResult<Json<Value>> {
    token.require("update:resource_servers")?;
    refuse_system(&state, &id)?;
    let existing = load(&state, &id).await?;
    if body
        .identifier
        .as_deref()
        .is_some_and(|i| i != existing.identifier)
    {
        return Err(ApiError::invalid_body(
            "Payload validation error: identifier cannot be changed",
        ));
    }
    let mut config = ApiSettings::of(&existing);
    apply(&mut config, body);
    let api = validated(&config)?;
    state.store.upsert_api(&api, state.clock.now()).await?;
    Ok(Json(api_json(&api, &state.settings.issuer)))
}

#[utoipa::path(
    delete,
    path = "/api/v2/resource-servers/{id}",
    operation_id = "delete_resource_servers_by_id",
    summary = "Delete an API",
    tag = "resource-servers",
    params(("id" = String, Path, description = "The identifier, URL-encoded")),
    responses((status = 204, description = "Deleted"), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["delete:resource_servers"])),
)]
pub async fn delete(
    State(state): State<AppState>,
    token: ManagementToken,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    token.require("delete:resource_servers")?;
    refuse_system(&state, &id)?;
    if state.store.delete_api(&id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("The resource server `{id}`")))
    }
}
