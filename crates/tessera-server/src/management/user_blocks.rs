//! `/api/v2/user-blocks`: the accounts brute-force protection blocked, per IP, and unblocking
//! them — by user id, or by identifier (username or email; a name with no user behind it is
//! blocked and unblocked like any other, so these answers reveal no accounts either).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::management::auth::ManagementToken;
use crate::management::error::{ApiError, ApiResult};
use crate::management::openapi::{BadRequest, Forbidden, NotFound, Unauthorized, UserBlocksSchema};
use crate::management::payload::ApiQuery;
use crate::management::users::CONNECTION;
use crate::state::AppState;
use tessera_core::brute_force::account_key;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BlockQuery {
    /// A username or email (required).
    pub identifier: Option<String>,
}

fn blocked_for(identifier: &str, ips: Vec<String>) -> Value {
    let blocks: Vec<Value> = ips
        .into_iter()
        .map(|ip| json!({ "identifier": identifier, "ip": ip, "connection": CONNECTION }))
        .collect();
    json!({ "blocked_for": blocks })
}

/// The counter key and display identifier of a user id.
async fn by_id(state: &AppState, id: &str) -> ApiResult<(String, String)> {
    let user = state
        .store
        .user(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("The user `{id}`")))?;
    Ok((user.user_id, user.username))
}

/// The counter key and display identifier of `?identifier=`.
async fn by_identifier(state: &AppState, query: &BlockQuery) -> ApiResult<(String, String)> {
    let identifier = query
        .identifier
        .as_deref()
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .ok_or_else(|| ApiError::invalid_query("identifier is required"))?;
    let user = state.store.user_by_login(identifier).await?;
    Ok((
        account_key(user.as_ref(), identifier),
        identifier.to_owned(),
    ))
}

async fn blocks(state: &AppState, account: &str, identifier: &str) -> ApiResult<Json<Value>> {
    let guard = state.settings.brute_force;
    let ips = guard
        .blocked_ips(state.store.as_ref(), account, state.clock.now())
        .await?;
    Ok(Json(blocked_for(identifier, ips)))
}

async fn unblock(state: &AppState, account: &str) -> ApiResult<StatusCode> {
    let cleared = state.store.clear_account_failures(account).await?;
    tracing::info!(cleared, "brute-force blocks lifted");
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/api/v2/user-blocks/{id}",
    operation_id = "get_user_blocks_by_id",
    summary = "Get a user's brute-force blocks",
    tag = "user-blocks",
    params(("id" = String, Path, description = "The user id (`auth0|…`), URL-encoded")),
    responses((status = 200, description = "The IPs the user is blocked for", body = UserBlocksSchema), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:users"])),
)]
pub async fn get_by_id(
    State(state): State<AppState>,
    token: ManagementToken,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    token.require("read:users")?;
    let (account, identifier) = by_id(&state, &id).await?;
    blocks(&state, &account, &identifier).await
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
    token: ManagementToken,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    token.require("update:users")?;
    let (account, _) = by_id(&state, &id).await?;
    unblock(&state, &account).await
}

#[utoipa::path(
    get,
    path = "/api/v2/user-blocks",
    operation_id = "get_user_blocks",
    summary = "Get the brute-force blocks of an identifier",
    tag = "user-blocks",
    params(BlockQuery),
    responses((status = 200, description = "The IPs the identifier is blocked for", body = UserBlocksSchema), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["read:users"])),
)]
pub async fn get_by_identifier(
    State(state): State<AppState>,
    token: ManagementToken,
    ApiQuery(query): ApiQuery<BlockQuery>,
) -> ApiResult<Json<Value>> {
    token.require("read:users")?;
    let (account, identifier) = by_identifier(&state, &query).await?;
    blocks(&state, &account, &identifier).await
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
    token: ManagementToken,
    ApiQuery(query): ApiQuery<BlockQuery>,
) -> ApiResult<StatusCode> {
    token.require("update:users")?;
    let (account, _) = by_identifier(&state, &query).await?;
    unblock(&state, &account).await
}
