//! `/api/v2/clients`: applications, over the admin service.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use tessera_admin::clients::{Client, ClientBody, ClientList};
use tessera_admin::paging::Paging;

use crate::management::auth::ApiCaller;
use crate::management::error::ApiResult;
use crate::management::payload::{ApiQuery, Payload};
use crate::management::responses::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized};
use crate::state::AppState;

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
    ApiCaller(caller): ApiCaller,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<ClientList>> {
    let listed = state.admin.list_clients(&caller, &paging).await?;
    Ok(Json(ClientList::new(listed, paging.with_totals())))
}

#[utoipa::path(
    get,
    path = "/api/v2/clients/{id}",
    operation_id = "get_clients_by_id",
    summary = "Get an application",
    tag = "clients",
    params(("id" = String, Path, description = "The client id")),
    responses((status = 200, description = "The application (never its secret)", body = Client), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:clients"])),
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Client>> {
    Ok(Json(state.admin.client(&caller, &id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v2/clients",
    operation_id = "post_clients",
    summary = "Create an application",
    tag = "clients",
    request_body = ClientBody,
    responses((status = 201, description = "The application, with its `client_secret` (shown only now)", body = Client), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 409, response = Conflict)),
    security(("bearer" = ["create:clients"])),
)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Payload(body): Payload<ClientBody>,
) -> ApiResult<(StatusCode, Json<Client>)> {
    let created = state.admin.create_client(&caller, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(
    patch,
    path = "/api/v2/clients/{id}",
    operation_id = "patch_clients_by_id",
    summary = "Update an application",
    tag = "clients",
    params(("id" = String, Path, description = "The client id")),
    request_body = ClientBody,
    responses((status = 200, description = "The updated application", body = Client), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["update:clients"])),
)]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Payload(body): Payload<ClientBody>,
) -> ApiResult<Json<Client>> {
    Ok(Json(state.admin.update_client(&caller, &id, body).await?))
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
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.admin.delete_client(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
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
    responses((status = 200, description = "The application with its new `client_secret`; the old one stops working", body = Client), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["update:clients"])),
)]
pub async fn rotate_secret(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Client>> {
    Ok(Json(state.admin.rotate_client_secret(&caller, &id).await?))
}
