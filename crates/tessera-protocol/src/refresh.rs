//! Refresh tokens, Auth0 style (RFC 6749 §6, RFC 9700 §4.14): per-client rotation with reuse
//! detection over a token family, absolute and inactivity lifetimes, and scope that may narrow
//! but never widen.

use crate::error::{TokenError, TokenErrorCode as Code};
use crate::{ClientId, RefreshTokenPolicy, Rotation, ScopeSet, Timestamp};

/// What a refresh token carries forward from the authorization that created it, and where it
/// stands in its family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshGrant {
    pub client_id: ClientId,
    pub user_id: String,
    pub scope: ScopeSet,
    pub audience: Option<String>,
    pub auth_time: Timestamp,
    /// Every token descended from one authorization shares the family.
    pub family_id: String,
    /// When the family's first token was issued (the absolute lifetime runs from here).
    pub family_created_at: Timestamp,
    /// When this token was issued or last used (the inactivity lifetime runs from here).
    pub last_used_at: Timestamp,
    /// When this token was exchanged for its successor (rotating clients).
    pub rotated_at: Option<Timestamp>,
    pub revoked: bool,
    pub sid: Option<String>,
    /// When it expires under its client's policy as of its last use
    /// ([`crate::RefreshTokenPolicy::expiry`]); `None` never. Housekeeping deletes it then.
    pub expires_at: Option<Timestamp>,
    /// The RFC 7638 thumbprint of the DPoP key a public client's refresh token is bound to
    /// (RFC 9449 §5): each use must prove possession of that key.
    pub dpop_jkt: Option<String>,
}

/// How a valid refresh token is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshUse {
    /// Issue tokens with this scope; `rotate` when a new refresh token replaces this one.
    Issue { scope: ScopeSet, rotate: bool },
    /// A rotated token used again after the leeway: the family must be revoked.
    Reuse,
}

fn invalid(description: &str) -> TokenError {
    TokenError::new(Code::InvalidGrant, description)
}

/// Decides what presenting `grant` means at `now` under the client's `policy`.
pub fn check_refresh(
    grant: &RefreshGrant,
    client_id: &ClientId,
    requested: Option<&ScopeSet>,
    policy: &RefreshTokenPolicy,
    now: Timestamp,
) -> Result<RefreshUse, TokenError> {
    if &grant.client_id != client_id {
        return Err(invalid("the refresh token was issued to another client"));
    }
    if grant.revoked {
        return Err(invalid("the refresh token has been revoked"));
    }
    if policy
        .token_lifetime
        .is_some_and(|life| now >= grant.family_created_at.plus(life))
    {
        return Err(invalid("the refresh token has expired"));
    }
    if policy
        .idle_token_lifetime
        .is_some_and(|idle| now >= grant.last_used_at.plus(idle))
    {
        return Err(invalid(
            "the refresh token has expired after a period of inactivity",
        ));
    }
    if let Some(rotated_at) = grant.rotated_at {
        // A racing retry within the leeway gets tokens too; anything later is replay.
        // With no leeway, any second use of a rotated token is reuse.
        if policy.leeway == 0 || now.seconds_since(rotated_at) > policy.leeway {
            return Ok(RefreshUse::Reuse);
        }
    }
    let scope = match requested {
        None => grant.scope.clone(),
        Some(scope) if scope.is_subset_of(&grant.scope) => scope.clone(),
        Some(_) => {
            return Err(TokenError::new(
                Code::InvalidScope,
                "the requested scope exceeds the scope originally granted",
            ))
        }
    };
    Ok(RefreshUse::Issue {
        scope,
        rotate: policy.rotation_type == Rotation::Rotating,
    })
}
