//! `/api/v2/client-grants`: which APIs a machine-to-machine client may get tokens for, and
//! with which scopes, over the admin service.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use tessera_admin::client_grants::{
    ClientGrant, ClientGrantBody, ClientGrantList, ClientGrantQuery,
};
use tessera_admin::paging::Paging;

use crate::management::auth::ApiCaller;
use crate::management::error::ApiResult;
use crate::management::payload::{ApiQuery, Payload};
use crate::management::responses::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized};
use crate::state::AppState;

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
    ApiCaller(caller): ApiCaller,
    ApiQuery(paging): ApiQuery<Paging>,
    ApiQuery(query): ApiQuery<ClientGrantQuery>,
) -> ApiResult<Json<ClientGrantList>> {
    let listed = state
        .admin
        .list_client_grants(&caller, &query, &paging)
        .await?;
    Ok(Json(ClientGrantList::new(listed, paging.with_totals())))
}

#[utoipa::path(
    post,
    path = "/api/v2/client-grants",
    operation_id = "post_client_grants",
    summary = "Create a client grant",
    tag = "client-grants",
    request_body = ClientGrantBody,
    responses((status = 201, description = "The client grant", body = ClientGrant), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 409, response = Conflict)),
    security(("bearer" = ["create:client_grants"])),
)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Payload(body): Payload<ClientGrantBody>,
) -> ApiResult<(StatusCode, Json<ClientGrant>)> {
    let created = state.admin.create_client_grant(&caller, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(
    patch,
    path = "/api/v2/client-grants/{id}",
    operation_id = "patch_client_grants_by_id",
    summary = "Change a client grant's scopes",
    tag = "client-grants",
    params(("id" = String, Path, description = "The client grant id")),
    request_body = ClientGrantBody,
    responses((status = 200, description = "The updated client grant", body = ClientGrant), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["update:client_grants"])),
)]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Payload(body): Payload<ClientGrantBody>,
) -> ApiResult<Json<ClientGrant>> {
    Ok(Json(
        state.admin.update_client_grant(&caller, &id, body).await?,
    ))
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
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.admin.delete_client_grant(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
