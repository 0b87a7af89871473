//! Tokens returned by the authorization endpoint itself (RFC 6749 §4.2.2, OIDC Core §3.2.2.5):
//! the `token`, `id_token` and `id_token token` responses of the opt-in implicit grant. Never a
//! refresh token (RFC 6749 §4.2.2).

use tessera_protocol::authorize::AuthorizationRequest;
use tessera_protocol::error::AuthorizeError;
use tessera_protocol::scope::OFFLINE_ACCESS;
use tessera_protocol::{AuthorizeErrorCode, GrantType, ScopeSet, Timestamp};

use crate::error::InternalError;
use crate::flows::actions::LoginDecision;
use crate::flows::browser::Authenticated;
use crate::flows::mint::{mint, Mint, Subject};
use crate::flows::rbac;
use crate::state::AppState;

/// The tokens of an implicit response.
#[derive(Debug)]
pub struct ImplicitTokens {
    pub access_token: Option<String>,
    pub id_token: Option<String>,
    pub expires_in: i64,
    pub scope: ScopeSet,
}

impl ImplicitTokens {
    /// The response parameters (RFC 6749 §4.2.2, OIDC Core §3.2.2.5).
    pub fn params(self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        if let Some(access_token) = self.access_token {
            params.push(("access_token", access_token));
            params.push(("token_type", "Bearer".to_owned()));
            params.push(("expires_in", self.expires_in.to_string()));
            params.push(("scope", self.scope.to_string()));
        }
        if let Some(id_token) = self.id_token {
            params.push(("id_token", id_token));
        }
        params
    }
}

/// The tokens `request`'s response type asks for, for `user` — or, when the user was deleted
/// or blocked since they logged in, RFC 6749 §4.2.2.1's `access_denied` for the client: the
/// authorization server denies the request, as a code exchange would for that user.
pub async fn tokens(
    state: &AppState,
    request: &AuthorizationRequest,
    user: &Authenticated,
    decision: Option<&LoginDecision>,
    now: Timestamp,
) -> Result<Result<ImplicitTokens, AuthorizeError>, InternalError> {
    let profile = match state.catalog.user(&user.user_id).await? {
        Some(profile) if !profile.blocked => profile,
        _ => {
            return Ok(Err(AuthorizeError::new(
                AuthorizeErrorCode::AccessDenied,
                "the user no longer exists or is blocked",
            )))
        }
    };
    let api = match &request.audience {
        Some(identifier) => state.catalog.api(identifier).await?,
        None => None,
    };
    let asked = decision.map_or(&request.scope, |d| &d.scope);
    let scope = asked.filter(|s| s.as_str() != OFFLINE_ACCESS);
    let permitted = rbac::permitted(state, api.as_deref(), &profile.user_id, &scope).await?;
    let m = Mint {
        client_id: &request.client_id,
        subject: Subject::User(&profile),
        scope: &permitted.scope,
        permissions: permitted.permissions.as_ref(),
        api: api.as_deref(),
        custom_claims: decision.map(|d| &d.custom_claims),
        auth_time: user.auth.auth_time,
        nonce: request.nonce.as_deref(),
        sid: Some(&user.sid),
        amr: Some(&user.amr),
        family: None,
        dpop_jkt: None,
        now,
    };
    let minted = mint(state, m, request.response_type.issues_access_token())?;
    state.metrics.token_issued(GrantType::Implicit);
    let id_token = minted
        .id_token
        .filter(|_| request.response_type.issues_id_token());
    Ok(Ok(ImplicitTokens {
        access_token: minted.access_token,
        id_token,
        expires_in: minted.expires_in,
        scope,
    }))
}
