//! `/api/v2/keys/signing`: list, rotate and revoke signing keys. Changes are reloaded on this
//! node at once and on every other node within `key_refresh_interval`.

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_jwt::Algorithm;
use tessera_store::SigningKeyRecord;

use crate::error::InternalError;
use crate::management::auth::ManagementToken;
use crate::management::error::{ApiError, ApiResult};
use crate::management::openapi::{
    BadRequest, Forbidden, NotFound, RotatedKeySchema, SigningKeySchema, Unauthorized,
};
use crate::management::payload::ApiQuery;
use crate::state::AppState;
use tessera_core::audit::Event;
use tessera_core::keys::{KeyStatus, RevokeError};
use tessera_protocol::Timestamp;

fn key_json(record: &SigningKeyRecord, all: &[SigningKeyRecord]) -> Value {
    let status = KeyStatus::of(record, all);
    json!({
        "kid": record.kid,
        "alg": record.alg,
        "current": status == KeyStatus::Current,
        "previous": status == KeyStatus::Previous,
        "revoked": status == KeyStatus::Revoked,
        "created_at": record.created_at.rfc3339(),
        "revoked_at": record.revoked_at.map(Timestamp::rfc3339),
    })
}

/// The audit event of a key change made with `token` (the Dashboard's tokens name the
/// Dashboard as their client).
fn key_event(token: &ManagementToken, description: &str, kid: &str, alg: &str) -> Event {
    tessera_core::audit::key_changed(description, kid, alg)
        .client(token.claims.client_id.as_str(), None)
}

async fn reload(state: &AppState) -> ApiResult<()> {
    state
        .keys
        .reload(state.store.as_ref(), state.clock.now())
        .await
        .map_err(|e| ApiError::from(InternalError::from(e)))?;
    Ok(())
}

#[utoipa::path(
    get,
    path = "/api/v2/keys/signing",
    operation_id = "get_signing_keys",
    summary = "List signing keys",
    tag = "keys",
    responses((status = 200, description = "Every signing key", body = Vec<SigningKeySchema>), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["read:signing_keys"])),
)]
pub async fn list(State(state): State<AppState>, token: ManagementToken) -> ApiResult<Json<Value>> {
    token.require("read:signing_keys")?;
    let all = state.store.all_signing_keys().await?;
    Ok(Json(Value::Array(
        all.iter().map(|r| key_json(r, &all)).collect(),
    )))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RotateQuery {
    /// The new key's algorithm: `RS256` (when absent), `PS256`, `ES256` or `EdDSA`.
    pub alg: Option<String>,
}

/// `POST /api/v2/keys/signing/rotate[?alg=ES256]`: a new key signs from now on; the previous one
/// stays published until revoked.
#[utoipa::path(
    post,
    path = "/api/v2/keys/signing/rotate",
    operation_id = "post_signing_keys",
    summary = "Rotate the signing key",
    tag = "keys",
    params(RotateQuery),
    responses((status = 200, description = "The new current key", body = RotatedKeySchema), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["create:signing_keys", "update:signing_keys"])),
)]
pub async fn rotate(
    State(state): State<AppState>,
    token: ManagementToken,
    ApiQuery(query): ApiQuery<RotateQuery>,
) -> ApiResult<Json<Value>> {
    token.require("create:signing_keys")?;
    token.require("update:signing_keys")?;
    let alg = Algorithm::parse(query.alg.as_deref().unwrap_or("RS256"))
        .map_err(|_| ApiError::invalid_query("alg must be RS256, PS256, ES256 or EdDSA"))?;
    let record = tessera_core::keys::rotate(
        state.store.as_ref(),
        state.keys.sealer(),
        alg,
        state.clock.now(),
    )
    .await
    .map_err(|e| ApiError::from(InternalError::from(e)))?;
    reload(&state).await?;
    state.record(key_event(
        &token,
        "Rotate the signing key",
        &record.kid,
        &record.alg,
    ));
    Ok(Json(json!({ "kid": record.kid, "alg": record.alg })))
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
    responses((status = 200, description = "The revoked key", body = SigningKeySchema), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["update:signing_keys"])),
)]
pub async fn revoke(
    State(state): State<AppState>,
    token: ManagementToken,
    Path(kid): Path<String>,
) -> ApiResult<Json<Value>> {
    token.require("update:signing_keys")?;
    match tessera_core::keys::revoke(state.store.as_ref(), &kid, false, state.clock.now()).await {
        Ok(_) => {}
        Err(RevokeError::Unknown(_)) => {
            return Err(ApiError::not_found(format!("The signing key `{kid}`")))
        }
        Err(RevokeError::CurrentSigner { .. }) => {
            return Err(ApiError::invalid_body(format!(
                "`{kid}` is the current signing key; rotate first, then revoke it"
            )))
        }
        Err(RevokeError::Store(error)) => return Err(error.into()),
    }
    reload(&state).await?;
    let all = state.store.all_signing_keys().await?;
    let record = all
        .iter()
        .find(|r| r.kid == kid)
        .ok_or_else(|| ApiError::not_found(format!("The signing key `{kid}`")))?;
    state.record(key_event(&token, "Revoke a signing key", &kid, &record.alg));
    Ok(Json(key_json(record, &all)))
}
