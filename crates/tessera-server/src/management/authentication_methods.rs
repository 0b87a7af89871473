//! `/api/v2/users/{id}/authentication-methods` and `/api/v2/users/{id}/authenticators`: the
//! MFA factors a user enrolled, listed and removed over the admin service.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use tessera_admin::mfa::methods::{AuthenticationMethod, AuthenticationMethodList};
use tessera_admin::paging::Paging;

use crate::management::auth::ApiCaller;
use crate::management::error::ApiResult;
use crate::management::payload::ApiQuery;
use crate::management::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/v2/users/{id}/authentication-methods",
    operation_id = "get_authentication_methods",
    summary = "List a user's authentication methods (enrolled MFA factors)",
    tag = "users",
    params(("id" = String, Path, description = "The user id (`auth0|…`), URL-encoded"), Paging),
    responses((status = 200, description = "The factors the user enrolled or began to, oldest first", body = AuthenticationMethodList), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:authentication_methods"])),
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<AuthenticationMethodList>> {
    let listed = state
        .admin
        .authentication_methods(&caller, &id, &paging)
        .await?;
    Ok(Json(AuthenticationMethodList::new(
        listed,
        paging.with_totals(),
    )))
}

#[utoipa::path(
    get,
    path = "/api/v2/users/{id}/authentication-methods/{authentication_method_id}",
    operation_id = "get_authentication_methods_by_authentication_method_id",
    summary = "Get one of a user's authentication methods",
    tag = "users",
    params(
        ("id" = String, Path, description = "The user id (`auth0|…`), URL-encoded"),
        ("authentication_method_id" = String, Path, description = "`totp|dev_…` or `recovery-code|dev_…`, URL-encoded"),
    ),
    responses((status = 200, description = "The authentication method", body = AuthenticationMethod), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:authentication_methods"])),
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((id, method_id)): Path<(String, String)>,
) -> ApiResult<Json<AuthenticationMethod>> {
    let method = state
        .admin
        .authentication_method(&caller, &id, &method_id)
        .await?;
    Ok(Json(method))
}

#[utoipa::path(
    delete,
    path = "/api/v2/users/{id}/authentication-methods/{authentication_method_id}",
    operation_id = "delete_authentication_methods_by_authentication_method_id",
    summary = "Remove one of a user's authentication methods",
    tag = "users",
    params(
        ("id" = String, Path, description = "The user id (`auth0|…`), URL-encoded"),
        ("authentication_method_id" = String, Path, description = "`totp|dev_…` or `recovery-code|dev_…`, URL-encoded"),
    ),
    responses((status = 204, description = "Removed"), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["delete:authentication_methods"])),
)]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((id, method_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .admin
        .delete_authentication_method(&caller, &id, &method_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    delete,
    path = "/api/v2/users/{id}/authentication-methods",
    operation_id = "delete_authentication_methods",
    summary = "Remove every authentication method of a user",
    tag = "users",
    params(("id" = String, Path, description = "The user id (`auth0|…`), URL-encoded")),
    responses((status = 204, description = "Removed"), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["delete:authentication_methods"])),
)]
pub async fn delete_all(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .admin
        .delete_authentication_methods(&caller, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    delete,
    path = "/api/v2/users/{id}/authenticators",
    operation_id = "delete_authenticators",
    summary = "Reset a user's MFA: remove every factor they enrolled",
    tag = "users",
    params(("id" = String, Path, description = "The user id (`auth0|…`), URL-encoded")),
    responses((status = 204, description = "Removed; the next login that asks for MFA enrolls anew"), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["delete:guardian_enrollments"])),
)]
pub async fn reset(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.admin.reset_authenticators(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
