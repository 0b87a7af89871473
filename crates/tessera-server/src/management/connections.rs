//! `/api/v2/connections`: the database connection and OpenID connections, their options and
//! the applications they serve, over the admin service.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use tessera_admin::connections::{
    ClientStatus, ConnectionQuery, ConnectionUpdate, ConnectionView, EnabledClients, NewConnection,
};

use crate::management::auth::ApiCaller;
use crate::management::error::ApiResult;
use crate::management::payload::{ApiQuery, Payload};
use crate::management::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/v2/connections",
    operation_id = "get_connections",
    summary = "List connections",
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

#[utoipa::path(
    post,
    path = "/api/v2/connections",
    operation_id = "post_connections",
    summary = "Create an OpenID connection (strategy oidc)",
    tag = "connections",
    request_body = NewConnection,
    responses((status = 201, description = "The connection", body = ConnectionView), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 409, description = "A connection has this name")),
    security(("bearer" = ["create:connections"])),
)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Payload(body): Payload<NewConnection>,
) -> ApiResult<(StatusCode, Json<ConnectionView>)> {
    let created = state.admin.create_connection(&caller, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(
    delete,
    path = "/api/v2/connections/{id}",
    operation_id = "delete_connections_by_id",
    summary = "Delete a connection and its users",
    tag = "connections",
    params(("id" = String, Path, description = "The connection id (`con_…`)")),
    responses((status = 202, description = "The connection is deleted, with its users"), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["delete:connections"])),
)]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.admin.delete_connection(&caller, &id).await?;
    Ok(StatusCode::ACCEPTED)
}

#[utoipa::path(
    get,
    path = "/api/v2/connections/{id}/clients",
    operation_id = "get_connection_clients",
    summary = "The applications a connection is enabled for",
    tag = "connections",
    params(("id" = String, Path, description = "The connection id (`con_…`)")),
    responses((status = 200, description = "The applications", body = EnabledClients), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:connections"])),
)]
pub async fn clients(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<EnabledClients>> {
    Ok(Json(state.admin.connection_clients(&caller, &id).await?))
}

#[utoipa::path(
    patch,
    path = "/api/v2/connections/{id}/clients",
    operation_id = "patch_clients",
    summary = "Enable or disable a connection for applications",
    tag = "connections",
    params(("id" = String, Path, description = "The connection id (`con_…`)")),
    request_body = Vec<ClientStatus>,
    responses((status = 204, description = "Changed"), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["update:connections"])),
)]
pub async fn update_clients(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Payload(changes): Payload<Vec<ClientStatus>>,
) -> ApiResult<StatusCode> {
    state
        .admin
        .update_connection_clients(&caller, &id, changes)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
