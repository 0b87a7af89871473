//! `/api/v2/connections`: the database connection and its options, over the admin service.

use axum::extract::{Path, State};
use axum::Json;
use tessera_admin::connections::{ConnectionQuery, ConnectionUpdate, ConnectionView};

use crate::management::auth::ApiCaller;
use crate::management::error::ApiResult;
use crate::management::payload::{ApiQuery, Payload};
use crate::management::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/v2/connections",
    operation_id = "get_connections",
    summary = "List connections (the database connection)",
    tag = "connections",
    params(ConnectionQuery),
    responses((status = 200, description = "The connections", body = Vec<ConnectionView>), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["read:connections"])),
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<ConnectionQuery>,
) -> ApiResult<Json<Vec<ConnectionView>>> {
    Ok(Json(state.admin.list_connections(&caller, &query).await?))
}

#[utoipa::path(
    get,
    path = "/api/v2/connections/{id}",
    operation_id = "get_connections_by_id",
    summary = "Get a connection",
    tag = "connections",
    params(("id" = String, Path, description = "The connection id (`con_…`)")),
    responses((status = 200, description = "The connection", body = ConnectionView), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:connections"])),
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<ConnectionView>> {
    Ok(Json(state.admin.connection(&caller, &id).await?))
}

#[utoipa::path(
    patch,
    path = "/api/v2/connections/{id}",
    operation_id = "patch_connections_by_id",
    summary = "Update a connection's options (all of them, as Auth0 replaces the whole object)",
    tag = "connections",
    params(("id" = String, Path, description = "The connection id (`con_…`)")),
    request_body = ConnectionUpdate,
    responses((status = 200, description = "The updated connection", body = ConnectionView), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["update:connections"])),
)]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Payload(update): Payload<ConnectionUpdate>,
) -> ApiResult<Json<ConnectionView>> {
    Ok(Json(
        state.admin.update_connection(&caller, &id, update).await?,
    ))
}
