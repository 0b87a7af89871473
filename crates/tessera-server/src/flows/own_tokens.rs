//! Verifying tokens this server signed: access tokens (userinfo, introspection) and ID tokens
//! (logout's `id_token_hint`).

use serde::de::DeserializeOwned;
use tessera_protocol::claims::AccessTokenClaims;
use tessera_store::StoreError;

use crate::state::AppState;

/// Verifies `token`'s signature with one of this server's keys and that its `typ` is `typ`
/// (case-insensitive). Time and audience checks are the caller's.
pub async fn verify_own<C: DeserializeOwned>(
    state: &AppState,
    token: &str,
    typ: &str,
) -> Result<C, &'static str> {
    let header = tessera_jwt::decode_header(token).map_err(|_| "the token is malformed")?;
    if !header
        .typ
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case(typ))
    {
        return Err("the token is not of the expected type");
    }
    let kid = header.kid.as_deref().ok_or("the token has no key id")?;
    let keys = state
        .keys
        .ring_with(kid, state.store.as_ref(), state.clock.now())
        .await;
    let key = keys
        .verifier(kid)
        .ok_or("the token was not signed by a known key")?;
    tessera_jwt::verify_decoded(token, &header, key).map_err(|_| "the token signature is invalid")
}

/// Why an access token of this issuer is not accepted.
#[derive(Debug)]
pub enum AccessTokenRefused {
    /// Malformed, forged, expired or revoked: the reason, for the client.
    Invalid(&'static str),
    /// The deny list could not be read: neither accepted nor refused.
    Internal(StoreError),
}

/// An unexpired access token of this issuer that no revocation refuses.
pub async fn verify_access_token(
    state: &AppState,
    token: &str,
) -> Result<AccessTokenClaims, AccessTokenRefused> {
    let claims: AccessTokenClaims = verify_own(state, token, "at+jwt")
        .await
        .map_err(AccessTokenRefused::Invalid)?;
    if claims.iss != state.settings.issuer {
        return Err(AccessTokenRefused::Invalid("the token has another issuer"));
    }
    let now = state.clock.now();
    if now >= claims.exp {
        return Err(AccessTokenRefused::Invalid("the token has expired"));
    }
    let revoked = state
        .catalog
        .deny_list()
        .refuses(&claims, now)
        .await
        .map_err(AccessTokenRefused::Internal)?;
    if revoked {
        return Err(AccessTokenRefused::Invalid("the token has been revoked"));
    }
    Ok(claims)
}
