//! What the token endpoint's grants share, below them all: the failure they answer with, and
//! the lookups of the user and the API a grant is for.

use std::sync::Arc;

use tessera_protocol::error::{TokenError, TokenErrorCode as Code};
use tessera_protocol::token::ClientAuthError;
use tessera_protocol::ResourceServer;
use tessera_store::User;

use crate::error::InternalError;
use crate::state::AppState;

/// Why no tokens were issued.
#[derive(Debug)]
pub enum TokenFailure {
    /// A protocol error for the client; `basic_challenge` adds `WWW-Authenticate: Basic`.
    Protocol {
        error: TokenError,
        basic_challenge: bool,
    },
    /// Refused by brute-force protection (failed client authentications, or failed logins
    /// at the password grant): retry after so many seconds.
    Throttled {
        retry_after: i64,
        reason: &'static str,
    },
    /// RFC 9449 §8: the DPoP proof lacks a current nonce; the answer carries a fresh one.
    DpopNonce(&'static str),
    /// Auth0's `mfa_required` (403), with an `mfa_token` for its MFA API when the application
    /// may use it.
    MfaRequired {
        mfa_token: Option<String>,
    },
    Internal(InternalError),
}

impl From<TokenError> for TokenFailure {
    fn from(error: TokenError) -> Self {
        TokenFailure::Protocol {
            error,
            basic_challenge: false,
        }
    }
}

impl From<ClientAuthError> for TokenFailure {
    fn from(failure: ClientAuthError) -> Self {
        TokenFailure::Protocol {
            error: failure.error,
            basic_challenge: failure.basic_attempted,
        }
    }
}

pub(crate) fn internal(error: impl Into<InternalError>) -> TokenFailure {
    TokenFailure::Internal(error.into())
}

pub(crate) fn invalid_grant(description: &str) -> TokenFailure {
    TokenError::new(Code::InvalidGrant, description).into()
}

/// The user a grant was issued to, if they still exist and are not blocked.
pub(crate) async fn live_user(state: &AppState, user_id: &str) -> Result<Arc<User>, TokenFailure> {
    match state.catalog.user(user_id).await.map_err(internal)? {
        Some(user) if !user.blocked => Ok(user),
        _ => Err(invalid_grant("the user no longer exists or is blocked")),
    }
}

/// The API a grant is for (`None`: an ID token and /userinfo only), if it still exists.
pub(crate) async fn api_of(
    state: &AppState,
    audience: Option<&str>,
) -> Result<Option<Arc<ResourceServer>>, TokenFailure> {
    match audience {
        Some(identifier) => match state.catalog.api(identifier).await.map_err(internal)? {
            Some(api) => Ok(Some(api)),
            None => Err(invalid_grant("the API this grant was for no longer exists")),
        },
        None => Ok(None),
    }
}

/// The API a token request names (`None`: an ID token and /userinfo only); an unknown one is
/// Auth0's 403 `access_denied`, "Service not found".
pub(crate) async fn requested_api(
    state: &AppState,
    audience: Option<&str>,
) -> Result<Option<Arc<ResourceServer>>, TokenFailure> {
    let Some(identifier) = audience else {
        return Ok(None);
    };
    match state.catalog.api(identifier).await.map_err(internal)? {
        Some(api) => Ok(Some(api)),
        None => Err(TokenError::new(
            Code::AccessDenied,
            format!("Service not found: {identifier}"),
        )
        .into()),
    }
}
