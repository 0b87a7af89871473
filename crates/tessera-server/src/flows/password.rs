//! The resource owner password grant (RFC 6749 §4.3), as Auth0 offers it to legacy first-party
//! apps: `password`, or Auth0's `password-realm` naming the connection. Off unless a client
//! enables it; the password is checked exactly as the login page checks it, under the same
//! brute-force protection, and the post-login Actions run before any token is minted. When a
//! second factor is due, Auth0's MFA API ([`mfa_api`]) takes over.

use std::sync::Arc;

use tessera_core::brute_force::{Verdict, ACCOUNT_BLOCKED, IP_THROTTLED};
use tessera_core::crypto::new_secret;
use tessera_protocol::dpop::{bound_key, refresh_token_key};
use tessera_protocol::error::{TokenError, TokenErrorCode as Code};
use tessera_protocol::mfa::Amr;
use tessera_protocol::token::{issues_refresh_token, password_scope, RefreshGrant};
use tessera_protocol::{
    GrantType, RegisteredClient, ResourceServer, ScopeSet, SecretDigest, Timestamp,
};
use tessera_store::User;

use crate::client_ip::Origin;
use crate::flows::actions;
use crate::flows::actions::event::Protocol;
use crate::flows::credentials::{self, Checked, ForClient};
use crate::flows::grant::{internal, requested_api, TokenFailure};
use crate::flows::mint::{respond, Mint, Subject, TokenResponse};
use crate::flows::{mfa_api, rbac};
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
            let (reason, retry_after) = match verdict {
                Verdict::IpThrottled { retry_after } => (IP_THROTTLED, retry_after),
                Verdict::AccountBlocked { retry_after } => (ACCOUNT_BLOCKED, retry_after),
                Verdict::Allowed => (ACCOUNT_BLOCKED, 0),
            };
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

/// A user who proved who they are at the token endpoint (the password, and a second factor
/// through the MFA API), and what the tokens are for.
pub(crate) struct Authenticated<'a> {
    pub user: &'a User,
    pub api: Option<Arc<ResourceServer>>,
    pub scope: ScopeSet,
    pub amr: &'a Amr,
    /// The grant the tokens are issued by, for the audit log and metrics.
    pub grant: GrantType,
}

/// The tokens of a user authenticated at the token endpoint: RBAC and the post-login Actions
/// decide the scope, then a refresh token (with `offline_access`) and the minted tokens.
pub(crate) async fn tokens_for(
    state: &AppState,
    client: &RegisteredClient,
    authenticated: Authenticated<'_>,
    proven_key: Option<&str>,
    now: Timestamp,
    origin: &Origin,
) -> Result<TokenResponse, TokenFailure> {
    let Authenticated {
        user,
        api,
        scope,
        amr,
        grant,
    } = authenticated;
    let dpop_jkt = bound_key(api.as_deref(), client, proven_key)?;
    let request = &origin.context;
    let permitted = rbac::permitted(state, api.as_deref(), &user.user_id, &scope)
        .await
        .map_err(internal)?;
    let decision = actions::post_login_at_token(
        state,
        user,
        client,
        api.as_deref(),
        &permitted.scope,
        actions::AtToken {
            protocol: Protocol::Password,
            amr: Some(amr),
        },
        request,
    )
    .await?;
    let scope: &ScopeSet = match &decision {
        Some(decision) => &decision.scope,
        None => &permitted.scope,
    };
    let family = new_secret().map_err(internal)?;
    let refresh_token = if issues_refresh_token(scope, api.as_deref(), client) {
        let refresh = new_secret().map_err(internal)?;
        let grant = RefreshGrant {
            client_id: client.client_id.clone(),
            user_id: user.user_id.clone(),
            scope: scope.clone(),
            audience: api.as_ref().map(|api| api.identifier.clone()),
            auth_time: now,
            family_id: family.clone(),
            family_created_at: now,
            last_used_at: now,
            rotated_at: None,
            revoked: false,
            sid: None,
            expires_at: client.refresh_policy().expiry(now, now),
            dpop_jkt: refresh_token_key(client, proven_key).map(str::to_owned),
        };
        state
            .store
            .insert_refresh_token(&SecretDigest::of(&refresh), &grant, now)
            .await
            .map_err(internal)?;
        Some(refresh)
    } else {
        None
    };
    let m = Mint {
        client_id: &client.client_id,
        subject: Subject::User(user),
        scope,
        permissions: permitted.permissions.as_ref(),
        api: api.as_deref(),
        custom_claims: decision.as_ref().map(|d| &d.custom_claims),
        auth_time: now,
        nonce: None,
        sid: None,
        amr: Some(amr),
        family: Some(&family),
        dpop_jkt,
        now,
    };
    respond(state, grant, client, m, refresh_token, request)
}
