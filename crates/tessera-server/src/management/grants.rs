//! `/api/v2/grants`: the consents users gave applications. Deleting one revokes it and the
//! refresh tokens issued under it, so the next authorization asks for consent again.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_store::Consent;

use crate::management::auth::ManagementToken;
use crate::management::error::{ApiError, ApiResult};
use crate::management::openapi::{BadRequest, Forbidden, GrantSchema, NotFound, Unauthorized};
use crate::management::payload::ApiQuery;
use crate::state::AppState;
use tessera_core::audit::{Event, EventType};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GrantQuery {
    /// The user whose consents these are (required).
    pub user_id: Option<String>,
    /// Only the consents given to this application.
    pub client_id: Option<String>,
    /// Only the consents for this API.
    pub audience: Option<String>,
}

pub fn grant_json(consent: &Consent) -> Value {
    json!({
        "id": consent.id,
        "clientID": consent.client_id,
        "user_id": consent.user_id,
        "audience": consent.audience,
        "scope": consent.scope.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
    })
}

async fn consents(state: &AppState, query: &GrantQuery) -> ApiResult<Vec<Consent>> {
    let user_id = query
        .user_id
        .as_deref()
        .ok_or_else(|| ApiError::invalid_query("user_id is required"))?;
    let all = state.store.consents_of(user_id).await?;
    Ok(all
        .into_iter()
        .filter(|c| {
            query
                .client_id
                .as_deref()
                .is_none_or(|id| c.client_id.as_str() == id)
        })
        .filter(|c| {
            query
                .audience
                .as_deref()
                .is_none_or(|a| c.audience.as_deref() == Some(a))
        })
        .collect())
}

/// `GET /api/v2/grants?user_id=…[&client_id=…][&audience=…]`.
#[utoipa::path(
    get,
    path = "/api/v2/grants",
    operation_id = "get_grants",
    summary = "List a user's consents",
    tag = "grants",
    params(GrantQuery),
    responses((status = 200, description = "The consents", body = Vec<GrantSchema>), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["read:grants"])),
)]
pub async fn list(
    State(state): State<AppState>,
    token: ManagementToken,
    ApiQuery(query): ApiQuery<GrantQuery>,
) -> ApiResult<Json<Value>> {
    token.require("read:grants")?;
    let found = consents(&state, &query).await?;
    Ok(Json(Value::Array(found.iter().map(grant_json).collect())))
}

async fn revoke(state: &AppState, consent: &Consent) -> ApiResult<()> {
    let now = state.clock.now();
    let grant = Some((&consent.client_id, consent.audience.as_deref()));
    let revoked = state
        .store
        .revoke_refresh_tokens_of(&consent.user_id, grant, now)
        .await?;
    tracing::info!(user_id = %consent.user_id, client_id = %consent.client_id, revoked, "consent revoked");
    let details = json!({
        "grant_id": consent.id,
        "audience": consent.audience,
        "scope": consent.scope.to_string(),
        "refresh_tokens_revoked": revoked,
    });
    let mut event = Event::new(EventType::ConsentRevoked)
        .client(consent.client_id.as_str(), None)
        .details(details);
    event.user_id = Some(consent.user_id.clone());
    state.record(event);
    Ok(())
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
    token: ManagementToken,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    token.require("delete:grants")?;
    let consent = state
        .store
        .delete_consent(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("The grant `{id}`")))?;
    revoke(&state, &consent).await?;
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
    token: ManagementToken,
    ApiQuery(query): ApiQuery<GrantQuery>,
) -> ApiResult<StatusCode> {
    token.require("delete:grants")?;
    for consent in consents(&state, &query).await? {
        if let Some(deleted) = state.store.delete_consent(&consent.id).await? {
            revoke(&state, &deleted).await?;
        }
    }
    Ok(StatusCode::NO_CONTENT)
}
