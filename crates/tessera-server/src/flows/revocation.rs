//! Token revocation (RFC 7009, Auth0's `/oauth/revoke`) and introspection (RFC 7662).

use serde_json::{json, Value};
use tessera_protocol::error::{TokenError, TokenErrorCode as Code};
use tessera_protocol::params::Params;
use tessera_protocol::revocation::AccessRevocation;
use tessera_protocol::token::{self, RefreshUse};
use tessera_protocol::{ClientId, RegisteredClient, SecretDigest, Timestamp};

use crate::client_ip::ClientIp;
use crate::flows::client_auth::authenticate;
use crate::flows::grant::{internal, TokenFailure};
use crate::flows::own_tokens::{verify_access_token, AccessTokenRefused};
use crate::state::AppState;

fn token_param(params: &Params) -> Result<String, TokenFailure> {
    match params.get("token") {
        Ok(Some(token)) => Ok(token.to_owned()),
        Ok(None) => {
            Err(TokenError::new(Code::InvalidRequest, "the token parameter is missing").into())
        }
        Err(repeated) => Err(TokenError::new(Code::InvalidRequest, repeated.to_string()).into()),
    }
}

/// `POST /oauth/revoke`: revokes a refresh token with every token of its family, access tokens
/// included (RFC 7009 §2.1), or one access token: Tessera's endpoints refuse it until it would
/// have expired. Unknown tokens answer success too (RFC 7009 §2.2).
pub async fn revoke(
    state: &AppState,
    authorization: Option<&str>,
    params: &Params,
    ip: &ClientIp,
) -> Result<(), TokenFailure> {
    let client = authenticate(state, authorization, params, ip).await?;
    let token = token_param(params)?;
    let now = state.clock.now();
    if let Some(grant) = state
        .store
        .refresh_token(&SecretDigest::of(&token))
        .await
        .map_err(internal)?
    {
        issued_to(&client, &grant.client_id)?;
        let revoked = revoke_family(state, &grant.family_id, now).await?;
        tracing::info!(client_id = %client.client_id, revoked, "refresh token revoked");
        return Ok(());
    }
    let claims = match verify_access_token(state, &token).await {
        Ok(claims) => claims,
        Err(AccessTokenRefused::Invalid(_)) => return Ok(()),
        Err(AccessTokenRefused::Internal(error)) => return Err(internal(error)),
    };
    issued_to(&client, &claims.client_id)?;
    state
        .catalog
        .deny_list()
        .revoke(&AccessRevocation::token(&claims.jti, claims.exp, now))
        .await
        .map_err(internal)?;
    tracing::info!(client_id = %client.client_id, "access token revoked");
    Ok(())
}

/// RFC 7009 §2.1: a client may only revoke its own tokens.
fn issued_to(client: &RegisteredClient, owner: &ClientId) -> Result<(), TokenFailure> {
    if *owner != client.client_id {
        return Err(TokenError::new(
            Code::InvalidRequest,
            "the token was not issued to this client",
        )
        .into());
    }
    Ok(())
}

/// Revokes the refresh tokens of `family_id` and the access tokens minted with them; returns
/// how many refresh tokens were live.
pub async fn revoke_family(
    state: &AppState,
    family_id: &str,
    now: Timestamp,
) -> Result<u64, TokenFailure> {
    let revoked = state
        .store
        .revoke_refresh_family(family_id, now)
        .await
        .map_err(internal)?;
    state
        .catalog
        .deny_list()
        .revoke(&AccessRevocation::family(family_id, now))
        .await
        .map_err(internal)?;
    Ok(revoked)
}

/// `POST /oauth/introspect`: whether a token is active, and what it grants (RFC 7662 §2.2).
/// Refresh tokens are only described to the client they were issued to.
pub async fn introspect(
    state: &AppState,
    authorization: Option<&str>,
    params: &Params,
    ip: &ClientIp,
) -> Result<Value, TokenFailure> {
    let client = authenticate(state, authorization, params, ip).await?;
    // RFC 7662 §2.1: the caller must be authenticated; a public client proves nothing.
    if client.is_public() {
        return Err(TokenError::new(
            Code::InvalidClient,
            "introspection requires a confidential client",
        )
        .into());
    }
    let token = token_param(params)?;
    let now = state.clock.now();
    if let Some(grant) = state
        .store
        .refresh_token(&SecretDigest::of(&token))
        .await
        .map_err(internal)?
    {
        let usable = grant.client_id == client.client_id
            && matches!(
                token::check_refresh(
                    &grant,
                    &client.client_id,
                    None,
                    &client.refresh_policy(),
                    now
                ),
                Ok(RefreshUse::Issue { .. })
            );
        if !usable {
            return Ok(json!({ "active": false }));
        }
        return Ok(json!({
            "active": true,
            "token_type": "refresh_token",
            "client_id": grant.client_id,
            "sub": grant.user_id,
            "scope": grant.scope,
            "iss": state.settings.issuer,
        }));
    }
    let claims = match verify_access_token(state, &token).await {
        Ok(claims) => claims,
        Err(AccessTokenRefused::Invalid(_)) => return Ok(json!({ "active": false })),
        Err(AccessTokenRefused::Internal(error)) => return Err(internal(error)),
    };
    let mut answer = json!({
            "active": true,
            "token_type": "access_token",
            "client_id": claims.client_id,
            "sub": claims.sub,
            "scope": claims.scope,
            "aud": claims.aud,
            "iss": claims.iss,
            "exp": claims.exp,
            "iat": claims.iat,
            "jti": claims.jti,
    });
    // RFC 9449 §6.2: a resource server learns the key a bound token needs a proof of.
    if let Some(cnf) = claims.cnf {
        answer["token_type"] = json!("DPoP");
        answer["cnf"] = json!({ "jkt": cnf.jkt });
    }
    Ok(answer)
}
