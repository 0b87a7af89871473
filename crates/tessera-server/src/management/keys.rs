//! `/api/v2/keys/signing`: list, rotate and revoke signing keys, over the admin service.

use axum::extract::{Path, State};
use axum::Json;
use tessera_admin::keys::{RotateQuery, RotatedKey, SigningKey};

use crate::management::auth::ApiCaller;
use crate::management::error::ApiResult;
use crate::management::payload::ApiQuery;
use crate::management::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/v2/keys/signing",
    operation_id = "get_signing_keys",
    summary = "List signing keys",
    tag = "keys",
    responses((status = 200, description = "Every signing key", body = Vec<SigningKey>), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["read:signing_keys"])),
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Json<Vec<SigningKey>>> {
    Ok(Json(state.admin.list_signing_keys(&caller).await?))
}

/// `POST /api/v2/keys/signing/rotate[?alg=ES256]`: the next key signs from now on (a new next key
/// is published); the previous one stays published until revoked.
#[utoipa::path(
    post,
    path = "/api/v2/keys/signing/rotate",
    operation_id = "post_signing_keys",
    summary = "Rotate the signing key",
    tag = "keys",
    params(RotateQuery),
    responses((status = 200, description = "The new current key", body = RotatedKey), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["create:signing_keys", "update:signing_keys"])),
)]
pub async fn rotate(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<RotateQuery>,
) -> ApiResult<Json<RotatedKey>> {
    Ok(Json(state.admin.rotate_signing_key(&caller, &query).await?))
}

/// `PUT /api/v2/keys/signing/{kid}/revoke`: the key leaves the JWKS. The current signer of an
/// algorithm cannot be revoked (rotate first).
#[utoipa::path(
    put,
    path = "/api/v2/keys/signing/{kid}/revoke",
    operation_id = "put_signing_keys",
    summary = "Revoke a signing key",
    tag = "keys",
    params(("kid" = String, Path, description = "The key id")),
    responses((status = 200, description = "The revoked key", body = SigningKey), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["update:signing_keys"])),
)]
pub async fn revoke(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(kid): Path<String>,
) -> ApiResult<Json<SigningKey>> {
    let revocation = state.admin.revoke_signing_key(&caller, &kid, false).await?;
    Ok(Json(revocation.key))
}
