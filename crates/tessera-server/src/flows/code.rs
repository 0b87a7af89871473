//! The authorization code grant at the token endpoint (RFC 6749 §4.1.3–4.1.4): the code is
//! consumed in one atomic statement, checked, and exchanged for tokens; a replayed code
//! revokes what it issued (RFC 6749 §4.1.2).

use serde_json::json;
use tessera_core::audit::{Event, EventType, RequestContext};
use tessera_core::crypto::new_secret;
use tessera_protocol::dpop::{bound_key, refresh_token_key};
use tessera_protocol::token::{self, issues_refresh_token, CodeGrant, RefreshGrant};
use tessera_protocol::{GrantType, RegisteredClient, SecretDigest, Timestamp};
use tessera_store::CodeRedemption;

use crate::flows::grant::{api_of, internal, invalid_grant, live_user, TokenFailure};
use crate::flows::mint::{respond, Mint, Subject, TokenResponse};
use crate::flows::rbac;
use crate::flows::revocation::revoke_family;
use crate::state::AppState;

/// What the client presented with `grant_type=authorization_code`.
#[derive(Debug, Clone, Copy)]
pub struct Presented<'a> {
    pub code: &'a str,
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: Option<&'a str>,
}

/// Refresh tokens issued from a code form a family named after the code, so a replayed code
/// can revoke them (RFC 6749 §4.1.2).
fn family_of_code(code: &SecretDigest) -> String {
    code.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// Exchanges the code `client` presented for tokens.
pub async fn redeem(
    state: &AppState,
    client: &RegisteredClient,
    presented: Presented<'_>,
    proven_key: Option<&str>,
    now: Timestamp,
    request: &RequestContext,
) -> Result<TokenResponse, TokenFailure> {
    let digest = SecretDigest::of(presented.code);
    let grant = match state
        .store
        .consume_code(&digest, now)
        .await
        .map_err(internal)?
    {
        CodeRedemption::Redeemed(grant) => grant,
        CodeRedemption::AlreadyUsed => {
            return Err(replayed(state, client, &digest, now, request).await)
        }
        CodeRedemption::Unknown => {
            return Err(invalid_grant(
                "the authorization code is invalid or expired",
            ))
        }
    };
    token::check_code(
        &grant,
        &client.client_id,
        presented.redirect_uri,
        presented.code_verifier,
        now,
    )?;
    let family = family_of_code(&digest);
    issue(
        state,
        client,
        &grant,
        family,
        Exchange {
            grant_type: GrantType::AuthorizationCode,
            proven_key,
        },
        now,
        request,
    )
    .await
}

/// How a grant is being exchanged: the grant type, and the key a DPoP proof demonstrated.
#[derive(Debug, Clone, Copy)]
pub struct Exchange<'a> {
    pub grant_type: GrantType,
    pub proven_key: Option<&'a str>,
}

/// The tokens of what a user granted at `/authorize` (a redeemed code's grant), to `client`,
/// as a new refresh-token family `family`: used by the code grant and the device grant.
pub async fn issue(
    state: &AppState,
    client: &RegisteredClient,
    grant: &CodeGrant,
    family: String,
    exchange: Exchange<'_>,
    now: Timestamp,
    request: &RequestContext,
) -> Result<TokenResponse, TokenFailure> {
    let Exchange {
        grant_type,
        proven_key,
    } = exchange;
    let user = live_user(state, &grant.user_id).await?;
    let api = api_of(state, grant.audience.as_deref()).await?;
    let dpop_jkt = bound_key(api.as_deref(), client, proven_key)?;
    let refresh_token = if issues_refresh_token(&grant.scope, api.as_deref(), client) {
        let refresh = new_secret().map_err(internal)?;
        let refresh_grant = RefreshGrant {
            client_id: client.client_id.clone(),
            user_id: user.user_id.clone(),
            scope: grant.scope.clone(),
            audience: grant.audience.clone(),
            auth_time: grant.auth_time,
            family_id: family.clone(),
            family_created_at: now,
            last_used_at: now,
            rotated_at: None,
            revoked: false,
            sid: grant.sid.clone(),
            expires_at: client.refresh_policy().expiry(now, now),
            dpop_jkt: refresh_token_key(client, proven_key).map(str::to_owned),
        };
        state
            .store
            .insert_refresh_token(&SecretDigest::of(&refresh), &refresh_grant, now)
            .await
            .map_err(internal)?;
        Some(refresh)
    } else {
        None
    };
    let permitted = rbac::permitted(state, api.as_deref(), &user.user_id, &grant.scope)
        .await
        .map_err(internal)?;
    let m = Mint {
        client_id: &client.client_id,
        subject: Subject::User(&user),
        scope: &permitted.scope,
        permissions: permitted.permissions.as_ref(),
        api: api.as_deref(),
        custom_claims: Some(&grant.custom_claims),
        auth_time: grant.auth_time,
        nonce: grant.nonce.as_deref(),
        sid: grant.sid.as_deref(),
        amr: Some(&grant.amr),
        family: Some(&family),
        dpop_jkt,
        now,
    };
    respond(state, grant_type, client, m, refresh_token, request)
}

/// RFC 6749 §4.1.2: the code was used before; revoke what it issued, and say so in the log.
async fn replayed(
    state: &AppState,
    client: &RegisteredClient,
    digest: &SecretDigest,
    now: Timestamp,
    request: &RequestContext,
) -> TokenFailure {
    let revoked = match revoke_family(state, &family_of_code(digest), now).await {
        Ok(revoked) => revoked,
        Err(failure) => return failure,
    };
    tracing::warn!(client_id = %client.client_id, revoked, "authorization code replayed");
    state.metrics.code_replayed();
    let event = Event::new(EventType::CodeExchangeFailed)
        .description("Authorization code used twice; the tokens it issued are revoked")
        .client(client.client_id.as_str(), Some(&client.name))
        .details(json!({ "grant_type": "authorization_code", "refresh_tokens_revoked": revoked }));
    state.record(event, request);
    invalid_grant("the authorization code has already been used")
}
