//! `/api/v2/roles` and the roles and permissions of `/api/v2/users/{id}`: Auth0's RBAC over
//! the admin service, with Auth0's paths, bodies and statuses.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use tessera_admin::paging::Paging;
use tessera_admin::roles::{
    PermissionsBody, Role, RoleBody, RoleList, RolePermissionList, RoleQuery, RoleUserList,
    RolesBody, UserPermissionList, UsersBody,
};

use crate::management::auth::ApiCaller;
use crate::management::error::ApiResult;
use crate::management::payload::{ApiQuery, Payload};
use crate::management::responses::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized};
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/v2/roles",
    operation_id = "get_roles",
    summary = "List roles",
    tag = "roles",
    params(Paging, RoleQuery),
    responses((status = 200, description = "The roles", body = RoleList), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["read:roles"])),
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(paging): ApiQuery<Paging>,
    ApiQuery(query): ApiQuery<RoleQuery>,
) -> ApiResult<Json<RoleList>> {
    let listed = state.admin.list_roles(&caller, &query, &paging).await?;
    Ok(Json(RoleList::new(listed, paging.with_totals())))
}

#[utoipa::path(
    post,
    path = "/api/v2/roles",
    operation_id = "post_roles",
    summary = "Create a role",
    tag = "roles",
    request_body = RoleBody,
    responses((status = 200, description = "The role", body = Role), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 409, response = Conflict)),
    security(("bearer" = ["create:roles"])),
)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Payload(body): Payload<RoleBody>,
) -> ApiResult<Json<Role>> {
    Ok(Json(state.admin.create_role(&caller, body).await?))
}

#[utoipa::path(
    get,
    path = "/api/v2/roles/{id}",
    operation_id = "get_roles_by_id",
    summary = "Get a role",
    tag = "roles",
    params(("id" = String, Path, description = "The role id (`rol_…`)")),
    responses((status = 200, description = "The role", body = Role), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:roles"])),
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Role>> {
    Ok(Json(state.admin.role(&caller, &id).await?))
}

#[utoipa::path(
    patch,
    path = "/api/v2/roles/{id}",
    operation_id = "patch_roles_by_id",
    summary = "Update a role",
    tag = "roles",
    params(("id" = String, Path, description = "The role id (`rol_…`)")),
    request_body = RoleBody,
    responses((status = 200, description = "The role", body = Role), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound), (status = 409, response = Conflict)),
    security(("bearer" = ["update:roles"])),
)]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Payload(body): Payload<RoleBody>,
) -> ApiResult<Json<Role>> {
    Ok(Json(state.admin.update_role(&caller, &id, body).await?))
}

#[utoipa::path(
    delete,
    path = "/api/v2/roles/{id}",
    operation_id = "delete_roles_by_id",
    summary = "Delete a role",
    tag = "roles",
    params(("id" = String, Path, description = "The role id (`rol_…`)")),
    responses((status = 200, description = "Deleted: its users lose it at their next token"), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["delete:roles"])),
)]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.admin.delete_role(&caller, &id).await?;
    Ok(StatusCode::OK)
}

#[utoipa::path(
    get,
    path = "/api/v2/roles/{id}/permissions",
    operation_id = "get_role_permission",
    summary = "List the permissions a role grants",
    tag = "roles",
    params(("id" = String, Path, description = "The role id (`rol_…`)"), Paging),
    responses((status = 200, description = "The permissions", body = RolePermissionList), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:roles"])),
)]
pub async fn permissions(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<RolePermissionList>> {
    let listed = state.admin.role_permissions(&caller, &id, &paging).await?;
    Ok(Json(RolePermissionList::new(listed, paging.with_totals())))
}

#[utoipa::path(
    post,
    path = "/api/v2/roles/{id}/permissions",
    operation_id = "post_role_permission_assignment",
    summary = "Add permissions to a role",
    tag = "roles",
    params(("id" = String, Path, description = "The role id (`rol_…`)")),
    request_body = PermissionsBody,
    responses((status = 201, description = "Added; the role's users hold them from their next token"), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["update:roles"])),
)]
pub async fn add_permissions(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Payload(body): Payload<PermissionsBody>,
) -> ApiResult<StatusCode> {
    state.admin.add_role_permissions(&caller, &id, body).await?;
    Ok(StatusCode::CREATED)
}

#[utoipa::path(
    delete,
    path = "/api/v2/roles/{id}/permissions",
    operation_id = "delete_role_permission_assignment",
    summary = "Remove permissions from a role",
    tag = "roles",
    params(("id" = String, Path, description = "The role id (`rol_…`)")),
    request_body = PermissionsBody,
    responses((status = 200, description = "Removed; the role's users lose them at their next token"), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["update:roles"])),
)]
pub async fn remove_permissions(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Payload(body): Payload<PermissionsBody>,
) -> ApiResult<StatusCode> {
    state
        .admin
        .remove_role_permissions(&caller, &id, body)
        .await?;
    Ok(StatusCode::OK)
}

#[utoipa::path(
    get,
    path = "/api/v2/roles/{id}/users",
    operation_id = "get_role_user",
    summary = "List the users who hold a role",
    tag = "roles",
    params(("id" = String, Path, description = "The role id (`rol_…`)"), Paging),
    responses((status = 200, description = "The users", body = RoleUserList), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:role_members", "read:roles", "read:users"])),
)]
pub async fn users(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<RoleUserList>> {
    let listed = state.admin.role_users(&caller, &id, &paging).await?;
    Ok(Json(RoleUserList::new(listed, paging.with_totals())))
}

#[utoipa::path(
    post,
    path = "/api/v2/roles/{id}/users",
    operation_id = "post_role_users",
    summary = "Give a role to users",
    tag = "roles",
    params(("id" = String, Path, description = "The role id (`rol_…`)")),
    request_body = UsersBody,
    responses((status = 200, description = "Given; the users hold its permissions from their next token"), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["create:role_members", "update:roles"])),
)]
pub async fn add_users(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Payload(body): Payload<UsersBody>,
) -> ApiResult<StatusCode> {
    state.admin.add_role_users(&caller, &id, body).await?;
    Ok(StatusCode::OK)
}

#[utoipa::path(
    get,
    path = "/api/v2/users/{id}/roles",
    operation_id = "get_user_roles",
    summary = "List a user's roles",
    tag = "users",
    params(("id" = String, Path, description = "The user id (`auth0|…`), URL-encoded"), Paging),
    responses((status = 200, description = "The roles", body = RoleList), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:role_members", "read:roles", "read:users"])),
)]
pub async fn user_roles(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<RoleList>> {
    let listed = state.admin.user_roles(&caller, &id, &paging).await?;
    Ok(Json(RoleList::new(listed, paging.with_totals())))
}

#[utoipa::path(
    post,
    path = "/api/v2/users/{id}/roles",
    operation_id = "post_user_roles",
    summary = "Give a user roles",
    tag = "users",
    params(("id" = String, Path, description = "The user id (`auth0|…`), URL-encoded")),
    request_body = RolesBody,
    responses((status = 204, description = "Given"), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["create:role_members", "update:users"])),
)]
pub async fn assign_roles(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Payload(body): Payload<RolesBody>,
) -> ApiResult<StatusCode> {
    state.admin.assign_user_roles(&caller, &id, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    delete,
    path = "/api/v2/users/{id}/roles",
    operation_id = "delete_user_roles",
    summary = "Take roles from a user",
    tag = "users",
    params(("id" = String, Path, description = "The user id (`auth0|…`), URL-encoded")),
    request_body = RolesBody,
    responses((status = 204, description = "Taken"), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["delete:role_members", "update:users"])),
)]
pub async fn remove_roles(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Payload(body): Payload<RolesBody>,
) -> ApiResult<StatusCode> {
    state.admin.remove_user_roles(&caller, &id, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/api/v2/users/{id}/permissions",
    operation_id = "get_permissions",
    summary = "List a user's permissions, with their sources",
    tag = "users",
    params(("id" = String, Path, description = "The user id (`auth0|…`), URL-encoded"), Paging),
    responses((status = 200, description = "The permissions, each with why the user holds it", body = UserPermissionList), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:users"])),
)]
pub async fn user_permissions(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<UserPermissionList>> {
    let listed = state.admin.user_permissions(&caller, &id, &paging).await?;
    Ok(Json(UserPermissionList::new(listed, paging.with_totals())))
}

#[utoipa::path(
    post,
    path = "/api/v2/users/{id}/permissions",
    operation_id = "post_permissions",
    summary = "Give a user permissions directly",
    tag = "users",
    params(("id" = String, Path, description = "The user id (`auth0|…`), URL-encoded")),
    request_body = PermissionsBody,
    responses((status = 201, description = "Given"), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["update:users"])),
)]
pub async fn add_user_permissions(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Payload(body): Payload<PermissionsBody>,
) -> ApiResult<StatusCode> {
    state.admin.add_user_permissions(&caller, &id, body).await?;
    Ok(StatusCode::CREATED)
}

#[utoipa::path(
    delete,
    path = "/api/v2/users/{id}/permissions",
    operation_id = "delete_permissions",
    summary = "Take a user's direct permissions",
    tag = "users",
    params(("id" = String, Path, description = "The user id (`auth0|…`), URL-encoded")),
    request_body = PermissionsBody,
    responses((status = 204, description = "Taken"), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["update:users"])),
)]
pub async fn remove_user_permissions(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Payload(body): Payload<PermissionsBody>,
) -> ApiResult<StatusCode> {
    state
        .admin
        .remove_user_permissions(&caller, &id, body)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
