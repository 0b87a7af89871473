//! `/api/v2/users/{id}/identities`: account linking, over the admin service.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use tessera_admin::identities::LinkBody;
use tessera_admin::users::Identity;

use crate::management::auth::ApiCaller;
use crate::management::error::ApiResult;
use crate::management::payload::Payload;
use crate::management::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/api/v2/users/{id}/identities",
    operation_id = "post_identities",
    summary = "Link a user of an oidc connection to this user",
    tag = "users",
    params(("id" = String, Path, description = "The primary user's id, URL-encoded")),
    request_body = LinkBody,
    responses((status = 201, description = "The primary user's identities", body = Vec<Identity>), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["update:users"])),
)]
pub async fn link(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    Payload(body): Payload<LinkBody>,
) -> ApiResult<(StatusCode, Json<Vec<Identity>>)> {
    let identities = state.admin.link_user_account(&caller, &id, body).await?;
    Ok((StatusCode::CREATED, Json(identities)))
}

#[utoipa::path(
    delete,
    path = "/api/v2/users/{id}/identities/{provider}/{user_id}",
    operation_id = "delete_user_identity_by_user_id",
    summary = "Unlink an identity: it becomes a user of its own again",
    tag = "users",
    params(
        ("id" = String, Path, description = "The primary user's id, URL-encoded"),
        ("provider" = String, Path, description = "The identity's provider (`oidc`)"),
        ("user_id" = String, Path, description = "The identity's user id (`{connection}|{sub}`), URL-encoded"),
    ),
    responses((status = 200, description = "The primary user's remaining identities", body = Vec<Identity>), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["update:users"])),
)]
pub async fn unlink(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path((id, provider, user_id)): Path<(String, String, String)>,
) -> ApiResult<Json<Vec<Identity>>> {
    Ok(Json(
        state
            .admin
            .unlink_user_account(&caller, &id, &provider, &user_id)
            .await?,
    ))
}
