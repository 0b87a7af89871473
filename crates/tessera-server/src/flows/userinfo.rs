//! The userinfo endpoint's flow (OIDC Core §5.3): validate the Bearer access token Tessera
//! issued, and release the claims its scope allows.

use tessera_protocol::claims::{
    userinfo_audience, AccessTokenClaims, StandardClaims, UserinfoClaims,
};
use tessera_protocol::scope::OPENID;
use tessera_protocol::BearerErrorCode;

use crate::error::InternalError;
use crate::flows::mint::profile_of;
use crate::flows::own_tokens::{verify_access_token, AccessTokenRefused};
use crate::state::AppState;

/// A Bearer token failure (RFC 6750 §3.1).
#[derive(Debug)]
pub enum BearerFailure {
    /// No token at all: a bare `WWW-Authenticate: Bearer` challenge.
    Missing,
    Rejected {
        code: BearerErrorCode,
        description: String,
    },
    Internal(InternalError),
}

fn invalid_token(description: &str) -> BearerFailure {
    BearerFailure::Rejected {
        code: BearerErrorCode::InvalidToken,
        description: description.into(),
    }
}

/// Validates `token` as an access token of this issuer good for /userinfo.
async fn validate(state: &AppState, token: &str) -> Result<AccessTokenClaims, BearerFailure> {
    let claims = verify_access_token(state, token)
        .await
        .map_err(|refused| match refused {
            AccessTokenRefused::Invalid(reason) => invalid_token(reason),
            AccessTokenRefused::Internal(error) => BearerFailure::Internal(error.into()),
        })?;
    if !claims
        .aud
        .contains(&userinfo_audience(&state.settings.issuer))
    {
        return Err(invalid_token("the access token is not meant for /userinfo"));
    }
    Ok(claims)
}

/// Handles `GET`/`POST /userinfo`.
pub async fn userinfo(
    state: &AppState,
    token: Option<&str>,
) -> Result<UserinfoClaims, BearerFailure> {
    let token = token.ok_or(BearerFailure::Missing)?;
    let claims = validate(state, token).await?;
    if !claims.scope.contains(OPENID) {
        return Err(BearerFailure::Rejected {
            code: BearerErrorCode::InsufficientScope,
            description: "the openid scope is required".into(),
        });
    }
    let user = state
        .catalog
        .user(&claims.sub)
        .await
        .map_err(|e| BearerFailure::Internal(e.into()))?
        .filter(|u| !u.blocked)
        .ok_or_else(|| invalid_token("the user no longer exists"))?;
    Ok(UserinfoClaims {
        sub: user.user_id.clone(),
        standard: StandardClaims::for_scope(&profile_of(&user), &claims.scope),
    })
}
