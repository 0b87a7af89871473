//! `/api/v2/users`: end users of the database connection, over the admin service.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use tessera_admin::paging::Paging;
use tessera_admin::users::{EmailQuery, User, UserBody, UserList, UserQuery};

use crate::management::auth::ApiCaller;
use crate::management::error::ApiResult;
use crate::management::payload::{ApiQuery, Payload};
use crate::management::responses::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized};
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/v2/users",
    operation_id = "get_users",
    summary = "List or search users",
    tag = "users",
    params(Paging, UserQuery),
    responses((status = 200, description = "The users", body = UserList), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["read:users"])),
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(paging): ApiQuery<Paging>,
    ApiQuery(query): ApiQuery<UserQuery>,
) -> ApiResult<Json<UserList>> {
    let listed = state.admin.list_users(&caller, &paging, &query).await?;
    Ok(Json(UserList::new(listed, paging.with_totals())))
}

#[utoipa::path(
    get,
    path = "/api/v2/users-by-email",
    operation_id = "get_users_by_email",
    summary = "Find users by their exact email",
    tag = "users",
    params(EmailQuery),
    responses((status = 200, description = "The users with this email (none or one: emails are unique here)", body = Vec<User>), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["read:users"])),
)]
pub async fn by_email(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<EmailQuery>,
) -> ApiResult<Json<Vec<User>>> {
    Ok(Json(
        state.admin.users_by_email(&caller, &query.email).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v2/users/{id}",
    operation_id = "get_users_by_id",
    summary = "Get a user",
    tag = "users",
    params(("id" = String, Path, description = "The user id (`auth0|…`), URL-encoded")),
    responses((status = 200, description = "The user", body = User), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:users"])),
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<User>> {
    Ok(Json(state.admin.user(&caller, &id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v2/users",
    operation_id = "post_users",
    summary = "Create a user",
    tag = "users",
    request_body = UserBody,
    responses((status = 201, description = "The user", body = User), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 409, response = Conflict)),
    security(("bearer" = ["create:users"])),
)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Payload(body): Payload<UserBody>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let created = state.admin.create_user(&caller, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(
    patch,
    path = "/api/v2/users/{id}",
    operation_id = "patch_users_by_id",
    summary = "Update a user",
    tag = "users",
    params(("id" = String, Path, description = "The user id (`auth0|…`), URL-encoded")),
    request_body = UserBody,
    responses((status = 200, description = "The updated user", body = User), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound), (status = 409, response = Conflict)),
    security(("bearer" = ["update:users"])),
)]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Payload(body): Payload<UserBody>,
) -> ApiResult<Json<User>> {
    Ok(Json(state.admin.update_user(&caller, &id, body).await?))
}

#[utoipa::path(
    delete,
    path = "/api/v2/users/{id}",
    operation_id = "delete_users_by_id",
    summary = "Delete a user",
    tag = "users",
    params(("id" = String, Path, description = "The user id (`auth0|…`), URL-encoded")),
    responses((status = 204, description = "Deleted, with their refresh tokens"), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["delete:users"])),
)]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.admin.delete_user(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
