//! The userinfo endpoint's flow (OIDC Core §5.3): validate the access token Tessera issued —
//! a Bearer token (RFC 6750), or a DPoP-bound one with its proof (RFC 9449 §7) — and release
//! the claims its scope allows.

use tessera_protocol::claims::{
    userinfo_audience, AccessTokenClaims, StandardClaims, UserinfoClaims,
};
use tessera_protocol::scope::OPENID;
use tessera_protocol::BearerErrorCode;

use crate::error::InternalError;
use crate::flows::dpop::{self, ProofContext, ProofRefused};
use crate::flows::mint::profile_of;
use crate::flows::own_tokens::{verify_access_token, AccessTokenRefused};
use crate::state::AppState;

/// The authorization scheme an access token came with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `Authorization: Bearer`, or a form body's `access_token` (RFC 6750 §2).
    Bearer,
    /// `Authorization: DPoP` (RFC 9449 §7.1), with a proof in the `DPoP` header.
    Dpop,
}

/// An access token as a request presented it.
#[derive(Debug, Clone, Copy)]
pub struct Presented<'a> {
    pub token: &'a str,
    pub scheme: Scheme,
    /// The `DPoP` header, for a token sent with the DPoP scheme.
    pub proof: Option<&'a str>,
    pub method: &'a str,
}

/// A Bearer or DPoP token failure (RFC 6750 §3.1, RFC 9449 §7.1).
#[derive(Debug)]
pub enum BearerFailure {
    /// No token at all: a bare challenge.
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

fn invalid_proof(description: &str) -> BearerFailure {
    BearerFailure::Rejected {
        code: BearerErrorCode::InvalidDpopProof,
        description: description.into(),
    }
}

/// Validates `presented` as an access token of this issuer good for /userinfo, sent the way
/// its binding asks.
async fn validate(
    state: &AppState,
    presented: Presented<'_>,
) -> Result<AccessTokenClaims, BearerFailure> {
    let claims =
        verify_access_token(state, presented.token)
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
    let bound_to = claims.cnf.as_ref().map(|cnf| cnf.jkt.as_str());
    match (presented.scheme, bound_to) {
        (Scheme::Bearer, None) => {}
        (Scheme::Bearer, Some(_)) => {
            return Err(invalid_token(
                "the access token is DPoP-bound: send it with the DPoP scheme and a proof",
            ))
        }
        (Scheme::Dpop, None) => return Err(invalid_token("the access token is not DPoP-bound")),
        (Scheme::Dpop, Some(jkt)) => proven(state, presented, jkt).await?,
    }
    Ok(claims)
}

/// RFC 9449 §7.1: the proof is valid for this request and token, and made with the token's key.
async fn proven(
    state: &AppState,
    presented: Presented<'_>,
    jkt: &str,
) -> Result<(), BearerFailure> {
    let proof = presented
        .proof
        .ok_or_else(|| invalid_proof("a DPoP proof is required with a DPoP-bound token"))?;
    let uri = state.settings.endpoint("userinfo");
    let context = ProofContext {
        method: presented.method,
        uri: &uri,
        access_token: Some(presented.token),
        nonce_required: false,
    };
    let checked = dpop::check(state, proof, context)
        .await
        .map_err(|refused| match refused {
            ProofRefused::Invalid(reason) | ProofRefused::NonceNeeded(reason) => {
                invalid_proof(reason)
            }
            ProofRefused::Internal(error) => BearerFailure::Internal(error.into()),
        })?;
    if checked.jkt != jkt {
        return Err(invalid_proof(
            "the DPoP proof is not made with the key the access token is bound to",
        ));
    }
    Ok(())
}

/// Handles `GET`/`POST /userinfo`.
pub async fn userinfo(
    state: &AppState,
    presented: Option<Presented<'_>>,
) -> Result<UserinfoClaims, BearerFailure> {
    let presented = presented.ok_or(BearerFailure::Missing)?;
    let claims = validate(state, presented).await?;
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
