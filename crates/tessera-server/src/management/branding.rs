//! `/api/v2/branding`: the hosted pages' logo, colours, favicon and font, over the admin service.

use axum::extract::State;
use axum::Json;
use tessera_admin::branding::Branding;
use tessera_store::JsonObject;

use crate::management::auth::ApiCaller;
use crate::management::error::ApiResult;
use crate::management::payload::Payload;
use crate::management::responses::{BadRequest, Forbidden, Unauthorized};
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/v2/branding",
    operation_id = "get_branding",
    summary = "Get the branding of the hosted pages",
    tag = "branding",
    responses((status = 200, description = "The branding", body = Branding), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["read:branding"])),
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Json<Branding>> {
    Ok(Json(state.admin.branding(&caller).await?))
}

#[utoipa::path(
    patch,
    path = "/api/v2/branding",
    operation_id = "patch_branding",
    summary = "Change the branding of the hosted pages (a null removes a setting)",
    tag = "branding",
    request_body = Branding,
    responses((status = 200, description = "The branding", body = Branding), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["update:branding"])),
)]
pub async fn update(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Payload(patch): Payload<JsonObject>,
) -> ApiResult<Json<Branding>> {
    Ok(Json(state.admin.update_branding(&caller, patch).await?))
}
