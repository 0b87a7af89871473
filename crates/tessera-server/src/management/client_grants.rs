//! `/api/v2/client-grants`: which APIs a machine-to-machine client may get tokens for, and with
//! which scopes (checked against the API's scopes).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_protocol::{ClientId, ScopeSet};
use tessera_store::ClientGrant;

use crate::management::auth::ManagementToken;
use crate::management::error::{ApiError, ApiResult};
use crate::management::listing::{list_response, Paging};
use crate::management::openapi::{
    BadRequest, ClientGrantList, ClientGrantSchema, Conflict, Forbidden, NotFound, Unauthorized,
};
use crate::management::payload::{ApiQuery, Payload};
use crate::state::AppState;
use tessera_core::crypto::random_hex;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientGrantBody {
    pub client_id: Option<String>,
    pub audience: Option<String>,
    pub scope: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientGrantQuery {
    /// Only this client's grants.
    pub client_id: Option<String>,
    /// Only the grants for this API.
    pub audience: Option<String>,
}

pub fn client_grant_json(grant: &ClientGrant) -> Value {
    json!({
        "id": grant.id,
        "client_id": grant.client_id,
        "audience": grant.audience,
        "scope": grant.scope.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
    })
}

/// The scopes, each defined by the API `audience`.
async fn scopes_of(state: &AppState, audience: &str, scope: &[String]) -> ApiResult<ScopeSet> {
    let api = state.store.api(audience).await?.ok_or_else(|| {
        ApiError::invalid_body(format!(
            "Payload validation error: audience `{audience}` is not a resource server"
        ))
    })?;
    let set = ScopeSet::parse(&scope.join(" "))
        .map_err(|e| ApiError::invalid_body(format!("Payload validation error: scope: {e}")))?;
    if let Some(unknown) = set.iter().find(|s| !api.defines(s)) {
        return Err(ApiError::invalid_body(format!(
            "Payload validation error: scope `{unknown}` is not defined by `{audience}`"
        )));
    }
    Ok(set)
}

#[utoipa::path(
    get,
    path = "/api/v2/client-grants",
    operation_id = "get_client_grants",
    summary = "List client grants",
    tag = "client-grants",
    params(Paging, ClientGrantQuery),
    responses((status = 200, description = "The client grants", body = ClientGrantList), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["read:client_grants"])),
)]
pub async fn list(
    State(state): State<AppState>,
    token: ManagementToken,
    ApiQuery(paging): ApiQuery<Paging>,
    ApiQuery(query): ApiQuery<ClientGrantQuery>,
) -> ApiResult<Response> {
    token.require("read:client_grants")?;
    let page = paging.page()?;
    let client_id = query.client_id.map(ClientId);
    let listing = state
        .store
        .list_client_grants(client_id.as_ref(), query.audience.as_deref(), page)
        .await?;
    Ok(list_response(
        &paging,
        page,
        listing,
        "client_grants",
        client_grant_json,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v2/client-grants",
    operation_id = "post_client_grants",
    summary = "Create a client grant",
    tag = "client-grants",
    request_body = ClientGrantBody,
    responses((status = 201, description = "The client grant", body = ClientGrantSchema), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 409, response = Conflict)),
    security(("bearer" = ["create:client_grants"])),
)]
pub async fn create(
    State(state): State<AppState>,
    token: ManagementToken,
    Payload(body): Payload<ClientGrantBody>,
) -> ApiResult<Response> {
    token.require("create:client_grants")?;
    let missing = |name: &str| {
        ApiError::invalid_body(format!(
            "Payload validation error: Missing required property: {name}"
        ))
    };
    let client_id = ClientId(body.client_id.ok_or_else(|| missing("client_id"))?);
    let audience = body.audience.ok_or_else(|| missing("audience"))?;
    let scope = scopes_of(
        &state,
        &audience,
        &body.scope.ok_or_else(|| missing("scope"))?,
    )
    .await?;
    if state.store.client(&client_id).await?.is_none() {
        return Err(ApiError::invalid_body(format!(
            "Payload validation error: client `{client_id}` does not exist"
        )));
    }
    let grant = ClientGrant {
        id: format!("cgr_{}", random_hex(8)?),
        client_id,
        audience,
        scope,
    };
    state
        .store
        .create_client_grant(&grant, state.clock.now())
        .await?;
    Ok((StatusCode::CREATED, Json(client_grant_json(&grant))).into_response())
}

#[utoipa::path(
    patch,
    path = "/api/v2/client-grants/{id}",
    operation_id = "patch_client_grants_by_id",
    summary = "Change a client grant's scopes",
    tag = "client-grants",
    params(("id" = String, Path, description = "The client grant id")),
    request_body = ClientGrantBody,
    responses((status = 200, description = "The updated client grant", body = ClientGrantSchema), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["update:client_grants"])),
)]
pub async fn update(
    State(state): State<AppState>,
    token: ManagementToken,
    Path(id): Path<String>,
    Payload(body): Payload<ClientGrantBody>,
) -> ApiResult<Json<Value>> {
    token.require("update:client_grants")?;
    let mut grant = state
        .store
        .client_grant_by_id(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("The client grant `{id}`")))?;
    if body.client_id.is_some() || body.audience.is_some() {
        return Err(ApiError::invalid_body(
            "Payload validation error: only scope can be changed",
        ));
    }
    if let Some(scope) = body.scope {
        grant.scope = scopes_of(&state, &grant.audience, &scope).await?;
        state
            .store
            .update_client_grant(&id, &grant.scope, state.clock.now())
            .await?;
    }
    Ok(Json(client_grant_json(&grant)))
}

#[utoipa::path(
    delete,
    path = "/api/v2/client-grants/{id}",
    operation_id = "delete_client_grants_by_id",
    summary = "Delete a client grant",
    tag = "client-grants",
    params(("id" = String, Path, description = "The client grant id")),
    responses((status = 204, description = "Deleted: the client can no longer get tokens for the API"), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["delete:client_grants"])),
)]
pub async fn delete(
    State(state): State<AppState>,
    token: ManagementToken,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    token.require("delete:client_grants")?;
    if state.store.delete_client_grant(&id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("The client grant `{id}`")))
    }
}
