//! `/api/v2/logs`: the audit log, as Auth0's log events, over the admin service.

use axum::extract::{Path, State};
use axum::Json;
use tessera_admin::logs::{LogEvent, LogEventList, LogQuery};
use tessera_admin::paging::Paging;

use crate::management::auth::ApiCaller;
use crate::management::error::ApiResult;
use crate::management::payload::ApiQuery;
use crate::management::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use crate::state::AppState;

/// `GET /api/v2/logs`.
#[utoipa::path(
    get,
    path = "/api/v2/logs",
    operation_id = "get_logs",
    summary = "Search log events",
    tag = "logs",
    params(Paging, LogQuery),
    responses((status = 200, description = "The log events", body = LogEventList), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["read:logs"])),
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(paging): ApiQuery<Paging>,
    ApiQuery(query): ApiQuery<LogQuery>,
) -> ApiResult<Json<LogEventList>> {
    let listed = state.admin.list_logs(&caller, &query, &paging).await?;
    Ok(Json(LogEventList::new(listed, paging.with_totals())))
}

/// `GET /api/v2/logs/{id}`.
#[utoipa::path(
    get,
    path = "/api/v2/logs/{id}",
    operation_id = "get_logs_by_id",
    summary = "Get a log event",
    tag = "logs",
    params(("id" = String, Path, description = "The log_id")),
    responses((status = 200, description = "The log event", body = LogEvent), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:logs"])),
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<LogEvent>> {
    Ok(Json(state.admin.log(&caller, &id).await?))
}
