//! `/api/v2/resource-servers`: APIs, addressed by their identifier (URL-encoded in paths),
//! over the admin service.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use tessera_admin::paging::Paging;
use tessera_admin::resource_servers::{ResourceServer, ResourceServerBody, ResourceServerList};

use crate::management::auth::ApiCaller;
use crate::management::error::ApiResult;
use crate::management::payload::{ApiQuery, Payload};
use crate::management::responses::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized};
use crate::state::AppState;

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
    ApiCaller(caller): ApiCaller,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<ResourceServerList>> {
    let listed = state.admin.list_resource_servers(&caller, &paging).await?;
    Ok(Json(ResourceServerList::new(listed, paging.with_totals())))
}

#[utoipa::path(
    get,
    path = "/api/v2/resource-servers/{id}",
    operation_id = "get_resource_servers_by_id",
    summary = "Get an API",
    tag = "resource-servers",
    params(("id" = String, Path, description = "The id, or the identifier URL-encoded")),
    responses((status = 200, description = "The API", body = ResourceServer), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:resource_servers"])),
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<ResourceServer>> {
    Ok(Json(state.admin.resource_server(&caller, &id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v2/resource-servers",
    operation_id = "post_resource_servers",
    summary = "Create an API",
    tag = "resource-servers",
    request_body = ResourceServerBody,
    responses((status = 201, description = "The API", body = ResourceServer), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 409, response = Conflict)),
    security(("bearer" = ["create:resource_servers"])),
)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Payload(body): Payload<ResourceServerBody>,
) -> ApiResult<(StatusCode, Json<ResourceServer>)> {
    let created = state.admin.create_resource_server(&caller, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(
    patch,
    path = "/api/v2/resource-servers/{id}",
    operation_id = "patch_resource_servers_by_id",
    summary = "Update an API",
    tag = "resource-servers",
    params(("id" = String, Path, description = "The id, or the identifier URL-encoded")),
    request_body = ResourceServerBody,
    responses((status = 200, description = "The updated API", body = ResourceServer), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["update:resource_servers"])),
)]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Payload(body): Payload<ResourceServerBody>,
) -> ApiResult<Json<ResourceServer>> {
    Ok(Json(
        state
            .admin
            .update_resource_server(&caller, &id, body)
            .await?,
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v2/resource-servers/{id}",
    operation_id = "delete_resource_servers_by_id",
    summary = "Delete an API",
    tag = "resource-servers",
    params(("id" = String, Path, description = "The id, or the identifier URL-encoded")),
    responses((status = 204, description = "Deleted"), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["delete:resource_servers"])),
)]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.admin.delete_resource_server(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
