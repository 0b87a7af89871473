//! `/api/v2/grants`: the consents users gave applications, over the admin service.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use tessera_admin::grants::{Grant, GrantQuery};

use crate::management::auth::ApiCaller;
use crate::management::error::ApiResult;
use crate::management::payload::ApiQuery;
use crate::management::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use crate::state::AppState;

/// `GET /api/v2/grants?user_id=…[&client_id=…][&audience=…]`.
#[utoipa::path(
    get,
    path = "/api/v2/grants",
    operation_id = "get_grants",
    summary = "List a user's consents",
    tag = "grants",
    params(GrantQuery),
    responses((status = 200, description = "The consents", body = Vec<Grant>), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["read:grants"])),
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<GrantQuery>,
) -> ApiResult<Json<Vec<Grant>>> {
    Ok(Json(state.admin.list_grants(&caller, &query).await?))
}

/// `DELETE /api/v2/grants/{id}`.
#[utoipa::path(
    delete,
    path = "/api/v2/grants/{id}",
    operation_id = "delete_grants_by_id",
    summary = "Revoke a consent",
    tag = "grants",
    params(("id" = String, Path, description = "The grant id")),
    responses((status = 204, description = "Revoked, with the refresh tokens issued under it"), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["delete:grants"])),
)]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.admin.delete_grant(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/v2/grants?user_id=…`: every grant of a user.
#[utoipa::path(
    delete,
    path = "/api/v2/grants",
    operation_id = "delete_grants_by_user_id",
    summary = "Revoke a user's consents",
    tag = "grants",
    params(GrantQuery),
    responses((status = 204, description = "Every matching consent revoked"), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["delete:grants"])),
)]
pub async fn delete_by_user(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<GrantQuery>,
) -> ApiResult<StatusCode> {
    state.admin.delete_grants(&caller, &query).await?;
    Ok(StatusCode::NO_CONTENT)
}
