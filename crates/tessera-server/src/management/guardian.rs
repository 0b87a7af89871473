//! `/api/v2/guardian`: Auth0's MFA factors (which are switched on) and policies (when a login
//! asks for one), over the admin service.

use axum::extract::{Path, State};
use axum::Json;
use tessera_admin::mfa::methods::{FactorStatus, FactorSwitch, MfaPolicy};

use crate::management::auth::ApiCaller;
use crate::management::error::ApiResult;
use crate::management::payload::Payload;
use crate::management::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/v2/guardian/factors",
    operation_id = "get_factors",
    summary = "List the MFA factors and whether each is enabled",
    tag = "guardian",
    responses((status = 200, description = "Every factor Auth0 names; Tessera can enable otp and recovery-code", body = Vec<FactorStatus>), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["read:guardian_factors"])),
)]
pub async fn factors(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Json<Vec<FactorStatus>>> {
    Ok(Json(state.admin.guardian_factors(&caller).await?))
}

#[utoipa::path(
    put,
    path = "/api/v2/guardian/factors/{name}",
    operation_id = "put_factors_by_name",
    summary = "Enable or disable an MFA factor",
    tag = "guardian",
    params(("name" = String, Path, description = "`push-notification`, `sms`, `email`, `duo`, `otp`, `webauthn-roaming`, `webauthn-platform` or `recovery-code`")),
    request_body = FactorSwitch,
    responses((status = 200, description = "The factor's state", body = FactorSwitch), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["update:guardian_factors"])),
)]
pub async fn switch_factor(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(name): Path<String>,
    Payload(switch): Payload<FactorSwitch>,
) -> ApiResult<Json<FactorSwitch>> {
    let switched = state
        .admin
        .switch_guardian_factor(&caller, &name, switch)
        .await?;
    Ok(Json(switched))
}

#[utoipa::path(
    get,
    path = "/api/v2/guardian/policies",
    operation_id = "get_policies",
    summary = "Get the MFA policies",
    tag = "guardian",
    responses((status = 200, description = "None, or `all-applications`: every login asks for a second factor", body = Vec<MfaPolicy>), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["read:mfa_policies"])),
)]
pub async fn policies(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Json<Vec<MfaPolicy>>> {
    Ok(Json(state.admin.guardian_policies(&caller).await?))
}

#[utoipa::path(
    put,
    path = "/api/v2/guardian/policies",
    operation_id = "put_policies",
    summary = "Set the MFA policies",
    tag = "guardian",
    request_body(content = Vec<String>, description = "`[]` or `[\"all-applications\"]` (`confidence-score` is not supported)"),
    responses((status = 200, description = "The policies set", body = Vec<MfaPolicy>), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["update:mfa_policies"])),
)]
pub async fn set_policies(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Payload(names): Payload<Vec<String>>,
) -> ApiResult<Json<Vec<MfaPolicy>>> {
    Ok(Json(
        state.admin.set_guardian_policies(&caller, &names).await?,
    ))
}
