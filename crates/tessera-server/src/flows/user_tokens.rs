//! Tokens for a user who proved who they are at the token endpoint — with a password (the
//! password grant), then perhaps a second factor (Auth0's MFA API grants): RBAC and the
//! post-login Actions decide the scope, a refresh token comes with `offline_access`, and the
//! tokens are minted with the methods used.

use std::sync::Arc;

use tessera_core::crypto::new_secret;
use tessera_protocol::dpop::{bound_key, refresh_token_key};
use tessera_protocol::mfa::Amr;
use tessera_protocol::token::{issues_refresh_token, RefreshGrant};
use tessera_protocol::{
    GrantType, RegisteredClient, ResourceServer, ScopeSet, SecretDigest, Timestamp,
};
use tessera_store::User;

use crate::client_ip::Origin;
use crate::flows::actions;
use crate::flows::actions::event::Protocol;
use crate::flows::grant::{internal, TokenFailure};
use crate::flows::mint::{respond, Mint, Subject, TokenResponse};
use crate::flows::rbac;
use crate::state::AppState;

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
