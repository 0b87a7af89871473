//! The refresh token grant (RFC 6749 §6), Auth0 style: rotation per client, with reuse
//! detection that revokes the whole family (RFC 9700 §4.14.2).

use std::sync::Arc;

use serde_json::json;
use tessera_core::audit::{Event, EventType, RequestContext};
use tessera_core::crypto::new_secret;
use tessera_protocol::dpop::{bound_key, check_refresh_key};
use tessera_protocol::token::{self, RefreshGrant, RefreshUse};
use tessera_protocol::{
    GrantType, RegisteredClient, ResourceServer, ScopeSet, SecretDigest, Timestamp,
};
use tessera_store::User;

use crate::flows::actions::event::Protocol;
use crate::flows::actions::{self, LoginDecision};
use crate::flows::grant::{api_of, internal, invalid_grant, live_user, TokenFailure};
use crate::flows::mint::{respond, Mint, Subject, TokenResponse};
use crate::flows::rbac::{self, Permitted};
use crate::flows::revocation::revoke_family;
use crate::state::AppState;

/// Uses a refresh token: the same token again (non-rotating) or a successor (rotating).
pub async fn refresh(
    state: &AppState,
    client: &RegisteredClient,
    presented: &str,
    requested: Option<&ScopeSet>,
    proven_key: Option<&str>,
    now: Timestamp,
    request: &RequestContext,
) -> Result<TokenResponse, TokenFailure> {
    let digest = SecretDigest::of(presented);
    let policy = client.refresh_policy();
    // Two rounds at most: a rotation lost to a racing request is judged again as what it now is.
    for _ in 0..2 {
        let grant = state
            .store
            .refresh_token(&digest)
            .await
            .map_err(internal)?
            .ok_or_else(|| invalid_grant("the refresh token is invalid"))?;
        // Before anything else: without the key it is bound to, the token does nothing.
        check_refresh_key(grant.dpop_jkt.as_deref(), proven_key)?;
        let (scope, rotate) =
            match token::check_refresh(&grant, &client.client_id, requested, &policy, now)? {
                RefreshUse::Reuse => return Err(reuse_detected(state, &grant, now, request).await),
                RefreshUse::Issue { scope, rotate } => (scope, rotate),
            };
        // Decided before the token is rotated: a refused refresh leaves it as it was.
        let prepared = prepare(state, client, &grant, &scope, proven_key, request).await?;
        let expires_at = policy.expiry(grant.family_created_at, now);
        let next = if rotate {
            successor(state, &digest, &grant, expires_at, now).await?
        } else {
            Next::Same
        };
        let refresh_token = match next {
            Next::Raced => continue,
            Next::Same => {
                state
                    .store
                    .touch_refresh_token(&digest, now, expires_at)
                    .await
                    .map_err(internal)?;
                presented.to_owned()
            }
            Next::New(token) => token,
        };
        return issue(
            state,
            client,
            &grant,
            &prepared,
            refresh_token,
            now,
            request,
        );
    }
    Err(invalid_grant("the refresh token is invalid"))
}

enum Next {
    Same,
    New(String),
    /// Another request rotated the token first.
    Raced,
}

/// A new token in the same family. Within the leeway after a rotation (a racing retry) the
/// retry gets a sibling; otherwise the presented token is marked rotated atomically.
async fn successor(
    state: &AppState,
    digest: &SecretDigest,
    grant: &RefreshGrant,
    expires_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<Next, TokenFailure> {
    let token = new_secret().map_err(internal)?;
    let next = RefreshGrant {
        last_used_at: now,
        rotated_at: None,
        revoked: false,
        expires_at,
        ..grant.clone()
    };
    let new_digest = SecretDigest::of(&token);
    if grant.rotated_at.is_some() {
        state
            .store
            .insert_refresh_token(&new_digest, &next, now)
            .await
            .map_err(internal)?;
        return Ok(Next::New(token));
    }
    let rotated = state
        .store
        .rotate_refresh_token(digest, &new_digest, &next, now)
        .await
        .map_err(internal)?;
    Ok(if rotated {
        Next::New(token)
    } else {
        Next::Raced
    })
}

/// RFC 9700 §4.14.2: a rotated token used again means it leaked; revoke its whole family.
async fn reuse_detected(
    state: &AppState,
    grant: &RefreshGrant,
    now: Timestamp,
    request: &RequestContext,
) -> TokenFailure {
    match revoke_family(state, &grant.family_id, now).await {
        Ok(revoked) => {
            tracing::warn!(client_id = %grant.client_id, revoked, "refresh token reuse detected; family revoked");
            state.metrics.refresh_reuse_detected();
            let mut event = Event::new(EventType::RefreshTokenReused)
                .client(grant.client_id.as_str(), None)
                .details(json!({
                    "grant_type": "refresh_token",
                    "audience": grant.audience,
                    "refresh_tokens_revoked": revoked,
                }));
            event.user_id = Some(grant.user_id.clone());
            state.record(event, request);
            invalid_grant(
                "the refresh token was already used; every token of its grant is now revoked",
            )
        }
        Err(failure) => failure,
    }
}

/// What a refresh's tokens are minted from.
struct Prepared<'a> {
    user: Arc<User>,
    api: Option<Arc<ResourceServer>>,
    permitted: Permitted<'a>,
    decision: Option<LoginDecision>,
    dpop_jkt: Option<String>,
}

/// The user and API of `grant` as they are now, what RBAC lets the user have of `scope`, and
/// what the post-login Actions decide (Auth0 runs them at every refresh token exchange too).
async fn prepare<'a>(
    state: &AppState,
    client: &RegisteredClient,
    grant: &RefreshGrant,
    scope: &'a ScopeSet,
    proven_key: Option<&str>,
    request: &RequestContext,
) -> Result<Prepared<'a>, TokenFailure> {
    let user = live_user(state, &grant.user_id).await?;
    let api = api_of(state, grant.audience.as_deref()).await?;
    let dpop_jkt = bound_key(api.as_deref(), client, proven_key)?.map(str::to_owned);
    // Roles taken away since the grant count now; scopes are never widened past the grant.
    let permitted = rbac::permitted(state, api.as_deref(), &user.user_id, scope)
        .await
        .map_err(internal)?;
    let decision = actions::post_login_at_token(
        state,
        &user,
        client,
        api.as_deref(),
        &permitted.scope,
        actions::AtToken {
            protocol: Protocol::RefreshToken,
            amr: None,
        },
        request,
    )
    .await?;
    Ok(Prepared {
        user,
        api,
        permitted,
        decision,
        dpop_jkt,
    })
}

fn issue(
    state: &AppState,
    client: &RegisteredClient,
    grant: &RefreshGrant,
    prepared: &Prepared<'_>,
    refresh_token: String,
    now: Timestamp,
    request: &RequestContext,
) -> Result<TokenResponse, TokenFailure> {
    let decision = prepared.decision.as_ref();
    let m = Mint {
        client_id: &client.client_id,
        subject: Subject::User(&prepared.user),
        scope: decision.map_or(&prepared.permitted.scope, |d| &d.scope),
        permissions: prepared.permitted.permissions.as_ref(),
        api: prepared.api.as_deref(),
        custom_claims: decision.map(|d| &d.custom_claims),
        auth_time: grant.auth_time,
        nonce: None,
        sid: grant.sid.as_deref(),
        amr: None,
        family: Some(&grant.family_id),
        dpop_jkt: prepared.dpop_jkt.as_deref(),
        now,
    };
    respond(
        state,
        GrantType::RefreshToken,
        client,
        m,
        Some(refresh_token),
        request,
    )
}
