//! Authentication of Management API calls, Auth0 style: a Bearer access token for the audience
//! `{issuer}api/v2/`, obtained with `client_credentials`, whose scopes say what it may do.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use tessera_protocol::claims::AccessTokenClaims;

use crate::flows::own_tokens::verify_access_token;
use crate::management::error::ApiError;
use crate::state::AppState;

/// The resources the Management API manages, each with read/create/update/delete scopes.
pub const RESOURCES: [&str; 6] = [
    "clients",
    "resource_servers",
    "users",
    "grants",
    "client_grants",
    "signing_keys",
];

/// Every scope of the Management API (`read:clients`, `create:clients`, …, and `read:logs`:
/// the audit log is read-only).
pub fn management_scopes() -> Vec<String> {
    RESOURCES
        .iter()
        .flat_map(|resource| {
            ["read", "create", "update", "delete"].map(|verb| format!("{verb}:{resource}"))
        })
        .chain(std::iter::once("read:logs".to_owned()))
        .collect()
}

/// The Management API's identifier: `{issuer}api/v2/`, as Auth0's.
pub fn management_audience(issuer: &str) -> String {
    format!("{issuer}api/v2/")
}

/// A verified Management API token.
#[derive(Debug, Clone)]
pub struct ManagementToken {
    pub claims: AccessTokenClaims,
}

impl ManagementToken {
    /// Refuses with 403 `insufficient_scope` unless the token carries `scope`.
    pub fn require(&self, scope: &str) -> Result<(), ApiError> {
        if self.claims.scope.contains(scope) {
            Ok(())
        } else {
            Err(ApiError::insufficient_scope(scope))
        }
    }
}

impl FromRequestParts<AppState> for ManagementToken {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ApiError::unauthorized("Missing authentication"))?;
        let token = match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => {
                return Err(ApiError::unauthorized(
                    "Bad HTTP authentication header format",
                ))
            }
        };
        let claims = verify_access_token(state, token)
            .await
            .map_err(|reason| ApiError::unauthorized(format!("Invalid token: {reason}")))?;
        if !claims
            .aud
            .contains(&management_audience(&state.settings.issuer))
        {
            return Err(ApiError::unauthorized(
                "Invalid token: it is not for the Management API",
            ));
        }
        Ok(ManagementToken { claims })
    }
}
