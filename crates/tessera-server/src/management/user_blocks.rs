//! `/api/v2/user-blocks`: the accounts brute-force protection blocked, per IP, and unblocking
//! them, over the admin service.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use tessera_admin::user_blocks::{BlockQuery, UserBlocks};

use crate::management::auth::ApiCaller;
use crate::management::error::ApiResult;
use crate::management::payload::ApiQuery;
use crate::management::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/v2/user-blocks/{id}",
    operation_id = "get_user_blocks_by_id",
    summary = "Get a user's brute-force blocks",
    tag = "user-blocks",
    params(("id" = String, Path, description = "The user id (`auth0|…`), URL-encoded")),
    responses((status = 200, description = "The IPs the user is blocked for", body = UserBlocks), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:users"])),
)]
pub async fn get_by_id(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<UserBlocks>> {
    Ok(Json(state.admin.user_blocks(&caller, &id).await?))
}

#[utoipa::path(
    delete,
    path = "/api/v2/user-blocks/{id}",
    operation_id = "delete_user_blocks_by_id",
    summary = "Unblock a user blocked by brute-force protection",
    tag = "user-blocks",
    params(("id" = String, Path, description = "The user id (`auth0|…`), URL-encoded")),
    responses((status = 204, description = "Unblocked from every IP"), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["update:users"])),
)]
pub async fn delete_by_id(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.admin.delete_user_blocks(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/api/v2/user-blocks",
    operation_id = "get_user_blocks",
    summary = "Get the brute-force blocks of an identifier",
    tag = "user-blocks",
    params(BlockQuery),
    responses((status = 200, description = "The IPs the identifier is blocked for", body = UserBlocks), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["read:users"])),
)]
pub async fn get_by_identifier(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<BlockQuery>,
) -> ApiResult<Json<UserBlocks>> {
    Ok(Json(state.admin.identifier_blocks(&caller, &query).await?))
}

#[utoipa::path(
    delete,
    path = "/api/v2/user-blocks",
    operation_id = "delete_user_blocks",
    summary = "Unblock an identifier blocked by brute-force protection",
    tag = "user-blocks",
    params(BlockQuery),
    responses((status = 204, description = "Unblocked from every IP"), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["update:users"])),
)]
pub async fn delete_by_identifier(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<BlockQuery>,
) -> ApiResult<StatusCode> {
    state
        .admin
        .delete_identifier_blocks(&caller, &query)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
