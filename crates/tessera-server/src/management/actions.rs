//! `/api/v2/actions`: Auth0's Actions over the admin service — actions, deploying them, their
//! versions, the triggers Tessera runs and their bindings — with Auth0's paths, bodies and
//! statuses (201 on create, 202 on deploy, 204 on delete).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use tessera_admin::action_bindings::{
    ActionBindingList, BindingsBody, TriggerList, UpdatedBindings,
};
use tessera_admin::actions::{
    Action, ActionBody, ActionList, ActionQuery, ActionVersion, ActionVersionList, DeleteQuery,
};
use tessera_admin::paging::Paging;

use crate::management::auth::ApiCaller;
use crate::management::error::ApiResult;
use crate::management::payload::{ApiQuery, Payload};
use crate::management::responses::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized};
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/v2/actions/actions",
    operation_id = "get_actions",
    summary = "List actions",
    tag = "actions",
    params(ActionQuery, ("page" = Option<u32>, Query, description = "The page, from 0"), ("per_page" = Option<u32>, Query, description = "Actions per page, 1 to 100 (20 when absent)")),
    responses((status = 200, description = "A page of actions with its totals", body = ActionList), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["read:actions"])),
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(paging): ApiQuery<Paging>,
    ApiQuery(query): ApiQuery<ActionQuery>,
) -> ApiResult<Json<ActionList>> {
    Ok(Json(
        state.admin.list_actions(&caller, &query, &paging).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v2/actions/actions",
    operation_id = "post_action",
    summary = "Create an action",
    tag = "actions",
    request_body = ActionBody,
    responses((status = 201, description = "The action", body = Action), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 409, response = Conflict)),
    security(("bearer" = ["create:actions"])),
)]
pub async fn create(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Payload(body): Payload<ActionBody>,
) -> ApiResult<(StatusCode, Json<Action>)> {
    let created = state.admin.create_action(&caller, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(
    get,
    path = "/api/v2/actions/actions/{id}",
    operation_id = "get_action",
    summary = "Get an action",
    tag = "actions",
    params(("id" = String, Path, description = "The action's id")),
    responses((status = 200, description = "The action", body = Action), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:actions"])),
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<Action>> {
    Ok(Json(state.admin.action(&caller, &id).await?))
}

#[utoipa::path(
    patch,
    path = "/api/v2/actions/actions/{id}",
    operation_id = "patch_action",
    summary = "Update an action (its draft: running versions change only by a deploy)",
    tag = "actions",
    params(("id" = String, Path, description = "The action's id")),
    request_body = ActionBody,
    responses((status = 200, description = "The action", body = Action), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound), (status = 409, response = Conflict)),
    security(("bearer" = ["update:actions"])),
)]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Payload(body): Payload<ActionBody>,
) -> ApiResult<Json<Action>> {
    Ok(Json(state.admin.update_action(&caller, &id, body).await?))
}

#[utoipa::path(
    delete,
    path = "/api/v2/actions/actions/{id}",
    operation_id = "delete_action",
    summary = "Delete an action and its versions (a bound one only with force=true)",
    tag = "actions",
    params(("id" = String, Path, description = "The action's id"), DeleteQuery),
    responses((status = 204, description = "Deleted"), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["delete:actions"])),
)]
pub async fn delete(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<DeleteQuery>,
) -> ApiResult<StatusCode> {
    state.admin.delete_action(&caller, &id, &query).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/v2/actions/actions/{id}/deploy",
    operation_id = "post_deploy_action",
    summary = "Deploy an action: its draft becomes a new version, run where it is bound",
    tag = "actions",
    params(("id" = String, Path, description = "The action's id")),
    responses((status = 202, description = "The new version", body = ActionVersion), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["create:actions"])),
)]
pub async fn deploy(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<ActionVersion>)> {
    let version = state.admin.deploy_action(&caller, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(version)))
}

#[utoipa::path(
    get,
    path = "/api/v2/actions/actions/{actionId}/versions",
    operation_id = "get_action_versions",
    summary = "List an action's versions, newest first",
    tag = "actions",
    params(("actionId" = String, Path, description = "The action's id"), ("page" = Option<u32>, Query, description = "The page, from 0"), ("per_page" = Option<u32>, Query, description = "Versions per page, 1 to 100 (20 when absent)")),
    responses((status = 200, description = "A page of versions with its totals", body = ActionVersionList), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:actions"])),
)]
pub async fn versions(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(action_id): Path<String>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<ActionVersionList>> {
    Ok(Json(
        state
            .admin
            .action_versions(&caller, &action_id, &paging)
            .await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v2/actions/triggers",
    operation_id = "get_triggers",
    summary = "List the triggers Tessera runs Actions on (post-login, credentials-exchange)",
    tag = "actions",
    responses((status = 200, description = "The triggers", body = TriggerList), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["read:actions"])),
)]
pub async fn triggers(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Json<TriggerList>> {
    Ok(Json(state.admin.list_triggers(&caller).await?))
}

#[utoipa::path(
    get,
    path = "/api/v2/actions/triggers/{triggerId}/bindings",
    operation_id = "get_bindings",
    summary = "List a trigger's bindings, in the order they run",
    tag = "actions",
    params(("triggerId" = String, Path, description = "`post-login` or `credentials-exchange`"), ("page" = Option<u32>, Query, description = "The page, from 0"), ("per_page" = Option<u32>, Query, description = "Bindings per page, 1 to 100 (20 when absent)")),
    responses((status = 200, description = "A page of bindings with its totals", body = ActionBindingList), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["read:actions"])),
)]
pub async fn bindings(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(trigger_id): Path<String>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<ActionBindingList>> {
    Ok(Json(
        state
            .admin
            .trigger_bindings(&caller, &trigger_id, &paging)
            .await?,
    ))
}

#[utoipa::path(
    patch,
    path = "/api/v2/actions/triggers/{triggerId}/bindings",
    operation_id = "patch_bindings",
    summary = "Replace a trigger's bindings: deployed actions, in the order they are to run",
    tag = "actions",
    params(("triggerId" = String, Path, description = "`post-login` or `credentials-exchange`")),
    request_body = BindingsBody,
    responses((status = 200, description = "The trigger's bindings", body = UpdatedBindings), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["update:actions"])),
)]
pub async fn update_bindings(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(trigger_id): Path<String>,
    Payload(body): Payload<BindingsBody>,
) -> ApiResult<Json<UpdatedBindings>> {
    Ok(Json(
        state
            .admin
            .update_trigger_bindings(&caller, &trigger_id, body)
            .await?,
    ))
}
