//! DPoP (RFC 9449) at Tessera's own endpoints: a proof is checked statelessly by
//! `tessera_jwt::dpop`, then against this server's nonce (when it asks for one) and, once, in
//! the store's replay record, so a proof replayed to any node is refused.

use tessera_core::secrets::Opened;
use tessera_jwt::dpop::{check_proof, CheckedProof, ExpectedRequest};
use tessera_protocol::error::{TokenError, TokenErrorCode as Code};
use tessera_protocol::{SecretDigest, Timestamp};
use tessera_store::StoreError;

use crate::error::InternalError;
use crate::flows::grant::{internal, TokenFailure};
use crate::state::AppState;

/// How long a server nonce is accepted after it was issued.
pub const NONCE_LIFETIME: i64 = 300;

/// How far ahead of this node's clock another node's nonce may be dated.
const NONCE_CLOCK_SKEW: i64 = 5;

/// What a nonce is sealed for: no other sealed value of the master secret opens as one.
const NONCE_PURPOSE: &str = "dpop-nonce";

/// Why a DPoP proof is not accepted.
#[derive(Debug)]
pub enum ProofRefused {
    /// RFC 9449 `invalid_dpop_proof`, with the reason.
    Invalid(&'static str),
    /// RFC 9449 §8 `use_dpop_nonce`: the proof must carry a current nonce of this server.
    NonceNeeded(&'static str),
    /// The replay record could not be written: neither accepted nor refused.
    Internal(StoreError),
}

/// The request a proof came with.
#[derive(Debug, Clone, Copy)]
pub struct ProofContext<'a> {
    pub method: &'a str,
    /// Tessera's URL of the endpoint (the issuer's), whatever Host the request named.
    pub uri: &'a str,
    /// At `/userinfo`: the access token the proof must hash (`ath`).
    pub access_token: Option<&'a str>,
    /// Whether the proof must carry a current nonce of this server.
    pub nonce_required: bool,
}

/// Checks `proof` for the request described by `context`, and records its `jti` so that it is
/// never accepted again (RFC 9449 §11.1).
pub async fn check(
    state: &AppState,
    proof: &str,
    context: ProofContext<'_>,
) -> Result<CheckedProof, ProofRefused> {
    let now = state.clock.now();
    let expected = ExpectedRequest {
        method: context.method,
        uri: context.uri,
        now: now.0,
        access_token: context.access_token,
    };
    let checked =
        check_proof(proof, &expected).map_err(|refused| ProofRefused::Invalid(refused.0))?;
    if context.nonce_required {
        match checked.nonce.as_deref() {
            None => {
                return Err(ProofRefused::NonceNeeded(
                    "the DPoP proof must carry a nonce",
                ))
            }
            Some(nonce) if !nonce_is_current(state, nonce, now) => {
                return Err(ProofRefused::NonceNeeded(
                    "the DPoP nonce is stale or unknown",
                ))
            }
            Some(_) => {}
        }
    }
    let digest = SecretDigest::from_digest(checked.replay_key());
    let first_use = state
        .store
        .first_use(&digest, Timestamp(checked.replay_window_end()), now)
        .await
        .map_err(ProofRefused::Internal)?;
    if !first_use {
        return Err(ProofRefused::Invalid("the DPoP proof was already used"));
    }
    Ok(checked)
}

/// The proof of a token request, if one was sent, checked; refusals as RFC 9449 §5 errors.
pub async fn at_token_endpoint(
    state: &AppState,
    proof: Option<&str>,
) -> Result<Option<CheckedProof>, TokenFailure> {
    let Some(proof) = proof else {
        return Ok(None);
    };
    let uri = state.settings.endpoint("oauth/token");
    let context = ProofContext {
        method: "POST",
        uri: &uri,
        access_token: None,
        nonce_required: state.settings.dpop_nonce_required,
    };
    match check(state, proof, context).await {
        Ok(checked) => Ok(Some(checked)),
        Err(ProofRefused::Invalid(reason)) => {
            Err(TokenError::new(Code::InvalidDpopProof, reason).into())
        }
        Err(ProofRefused::NonceNeeded(reason)) => Err(TokenFailure::DpopNonce(reason)),
        Err(ProofRefused::Internal(error)) => Err(internal(error)),
    }
}

/// A nonce for the `DPoP-Nonce` header: the time now, sealed with the master secret, so that
/// every node accepts it for [`NONCE_LIFETIME`] without sharing any state.
pub fn fresh_nonce(state: &AppState) -> Result<String, InternalError> {
    let issued = state.clock.now().0.to_be_bytes();
    let sealed = state.keys.sealer().seal(NONCE_PURPOSE, &issued)?;
    // A version prefix and base64url: ASCII, as RFC 9449 §8.1's NQCHAR asks.
    Ok(String::from_utf8_lossy(&sealed).into_owned())
}

fn nonce_is_current(state: &AppState, nonce: &str, now: Timestamp) -> bool {
    let Ok(Opened::Sealed(issued)) = state.keys.sealer().open(NONCE_PURPOSE, nonce.as_bytes())
    else {
        return false;
    };
    let Ok(issued) = <[u8; 8]>::try_from(issued.as_slice()).map(i64::from_be_bytes) else {
        return false;
    };
    issued <= now.0 + NONCE_CLOCK_SKEW && now.0 - issued <= NONCE_LIFETIME
}
