//! The resource owner password grant (RFC 6749 §4.3), as Auth0 offers it to legacy first-party
//! apps: `password`, or Auth0's `password-realm` naming the connection. Off unless a client
//! enables it; the password is checked exactly as the login page checks it, under the same
//! brute-force protection, and the post-login Actions run before any token is minted. When a
//! second factor is due, Auth0's MFA API ([`mfa_api`]) takes over.

use tessera_core::brute_force::ACCOUNT_BLOCKED;
use tessera_protocol::dpop::bound_key;
use tessera_protocol::error::{TokenError, TokenErrorCode as Code};
use tessera_protocol::mfa::Amr;
use tessera_protocol::token::password_scope;
use tessera_protocol::{GrantType, RegisteredClient, ScopeSet, Timestamp};

use crate::client_ip::Origin;
use crate::flows::credentials::{self, Checked, ForClient};
use crate::flows::grant::{requested_api, TokenFailure};
use crate::flows::mfa_api;
use crate::flows::mint::TokenResponse;
use crate::flows::user_tokens::{tokens_for, Authenticated};
use crate::state::AppState;

/// The one connection whose passwords Tessera holds: the `realm` a request may name.
pub const DATABASE_CONNECTION: &str = "Username-Password-Authentication";

/// What the client sent with `grant_type=password` (or `password-realm`).
#[derive(Debug, Clone, Copy)]
pub struct Presented<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub realm: Option<&'a str>,
    pub audience: Option<&'a str>,
    pub scope: Option<&'a ScopeSet>,
}

/// Exchanges a user's username and password for tokens.
pub async fn issue(
    state: &AppState,
    client: &RegisteredClient,
    presented: Presented<'_>,
    proven_key: Option<&str>,
    now: Timestamp,
    origin: &Origin,
) -> Result<TokenResponse, TokenFailure> {
    // Auth0: the grant must never be used by third-party applications.
    if !client.is_first_party {
        return Err(TokenError::new(
            Code::UnauthorizedClient,
            "the password grant is only for first-party applications",
        )
        .into());
    }
    if let Some(realm) = presented.realm.filter(|r| *r != DATABASE_CONNECTION) {
        return Err(TokenError::new(
            Code::InvalidRequest,
            format!("the connection `{realm}` does not exist (use {DATABASE_CONNECTION})"),
        )
        .into());
    }
    let audience = presented
        .audience
        .or(state.settings.default_audience.as_deref());
    let api = requested_api(state, audience).await?;
    let scope = password_scope(presented.scope, api.as_deref())?;
    // A proof this API cannot take is refused before the password is checked.
    bound_key(api.as_deref(), client, proven_key)?;
    let for_client = ForClient {
        client_id: &client.client_id,
        name: &client.name,
    };
    let checked = credentials::check(
        state,
        presented.username,
        presented.password.to_owned(),
        for_client,
        origin,
    )
    .await
    .map_err(TokenFailure::Internal)?;
    let user = match checked {
        Checked::Valid(user) => user,
        // Auth0's answers, which its SDKs surface as they are.
        Checked::Wrong => {
            return Err(TokenError::new(Code::InvalidGrant, "Wrong email or password.").into())
        }
        Checked::Blocked => {
            return Err(TokenError::new(Code::Unauthorized, "user is blocked").into())
        }
        Checked::Throttled(verdict) => {
            let (reason, retry_after) = verdict.refusal().unwrap_or((ACCOUNT_BLOCKED, 0));
            return Err(TokenFailure::Throttled {
                retry_after,
                reason,
            });
        }
    };
    // The password is one factor; Auth0's MFA API asks for the second.
    if state
        .admin
        .mfa_settings()
        .await
        .map_err(|e| TokenFailure::Internal(e.into()))?
        .required()
    {
        let pending = mfa_api::PasswordStep {
            client_id: client.client_id.as_str(),
            user_id: &user.user_id,
            audience,
            scope: presented.scope,
        };
        return Err(mfa_api::second_factor_due(state, client, pending, now)?);
    }
    let amr = Amr::password();
    let authenticated = Authenticated {
        user: &user,
        api,
        scope,
        amr: &amr,
        grant: GrantType::Password,
    };
    tokens_for(state, client, authenticated, proven_key, now, origin).await
}
