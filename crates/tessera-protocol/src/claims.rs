//! Claim sets of the tokens Tessera issues: RFC 9068 access tokens, OIDC ID tokens, userinfo.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::mfa::Amr;
use crate::scope::OPENID;
use crate::secret::base64url;
use crate::{ClientId, ScopeSet, Timestamp};

/// The `aud` claim: one string or several (RFC 7519 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub fn contains(&self, value: &str) -> bool {
        match self {
            Audience::One(one) => one == value,
            Audience::Many(many) => many.iter().any(|a| a == value),
        }
    }
}

/// An access token's claims (RFC 9068 §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: Audience,
    pub client_id: ClientId,
    pub azp: ClientId,
    pub scope: ScopeSet,
    pub iat: Timestamp,
    pub exp: Timestamp,
    pub jti: String,
    /// Auth0's `permissions`: every permission the user holds on the API, for an API with RBAC
    /// and an `_authz` token dialect.
    /// Shared with the per-node cache it comes from: a token with hundreds of permissions
    /// copies none of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Arc<[String]>>,
    /// RFC 9449 §6.1: the DPoP key the token is bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

/// A token's confirmation claim (RFC 7800 §3.1) for a DPoP-bound token (RFC 9449 §6.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// The RFC 7638 SHA-256 thumbprint of the client's DPoP public key.
    pub jkt: String,
}

/// Claims an Action added to the tokens of one login (Auth0's `api.idToken.setCustomClaim`,
/// `api.accessToken.setCustomClaim`). The Action engine refuses restricted names before they
/// get here, so none of them collides with a claim Tessera sets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomClaims {
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub id_token: serde_json::Map<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub access_token: serde_json::Map<String, serde_json::Value>,
}

impl CustomClaims {
    pub fn is_empty(&self) -> bool {
        self.id_token.is_empty() && self.access_token.is_empty()
    }
}

/// A token's claims with custom claims beside them: what is signed when an Action added any,
/// so tokens without custom claims (and every token read back) keep the plain struct.
#[derive(Debug, Serialize)]
pub struct WithCustomClaims<'a, C> {
    #[serde(flatten)]
    pub claims: &'a C,
    #[serde(flatten)]
    pub custom: &'a serde_json::Map<String, serde_json::Value>,
}

/// The audience-independent facts every token of one grant shares.
#[derive(Debug, Clone, Copy)]
pub struct TokenContext<'a> {
    pub issuer: &'a str,
    pub client_id: &'a ClientId,
    pub user_id: &'a str,
    pub scope: &'a ScopeSet,
    pub now: Timestamp,
}

/// The userinfo endpoint's URL, which Auth0 puts in `aud` when `openid` is granted.
pub fn userinfo_audience(issuer: &str) -> String {
    format!("{issuer}userinfo")
}

/// Access token claims: `aud` is the API, plus the userinfo endpoint when `openid` is in
/// scope; without an API it is the userinfo endpoint alone (as Auth0 does).
pub fn access_token_claims(
    ctx: TokenContext<'_>,
    audience: Option<&str>,
    lifetime: i64,
    jti: String,
) -> AccessTokenClaims {
    let userinfo = userinfo_audience(ctx.issuer);
    let aud = match audience {
        Some(api) if ctx.scope.contains(OPENID) => Audience::Many(vec![api.to_owned(), userinfo]),
        Some(api) => Audience::One(api.to_owned()),
        None => Audience::One(userinfo),
    };
    AccessTokenClaims {
        iss: ctx.issuer.to_owned(),
        sub: ctx.user_id.to_owned(),
        aud,
        client_id: ctx.client_id.clone(),
        azp: ctx.client_id.clone(),
        scope: ctx.scope.clone(),
        iat: ctx.now,
        exp: ctx.now.plus(lifetime),
        jti,
        permissions: None,
        cnf: None,
    }
}

/// A user's profile as the standard claims expose it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub sub: String,
    pub name: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub nickname: String,
    pub picture: Option<String>,
    pub email: String,
    pub email_verified: bool,
    pub updated_at: Timestamp,
}

/// Standard claims released per scope (OIDC Core §5.4): `profile` and `email`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandardClaims {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
}

impl StandardClaims {
    pub fn for_scope(profile: &Profile, scope: &ScopeSet) -> StandardClaims {
        let with_profile = scope.contains("profile");
        let with_email = scope.contains("email");
        StandardClaims {
            name: with_profile.then(|| profile.name.clone()),
            given_name: with_profile.then(|| profile.given_name.clone()).flatten(),
            family_name: with_profile.then(|| profile.family_name.clone()).flatten(),
            nickname: with_profile.then(|| profile.nickname.clone()),
            picture: with_profile.then(|| profile.picture.clone()).flatten(),
            updated_at: with_profile.then_some(profile.updated_at),
            email: with_email.then(|| profile.email.clone()),
            email_verified: with_email.then_some(profile.email_verified),
        }
    }
}

/// The userinfo response (OIDC Core §5.3.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserinfoClaims {
    pub sub: String,
    #[serde(flatten)]
    pub standard: StandardClaims,
}

/// An ID token's claims (OIDC Core §2, §3.1.3.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: ClientId,
    pub iat: Timestamp,
    pub exp: Timestamp,
    pub auth_time: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Present when an access token is issued alongside (OIDC Core §3.1.3.6, §3.2.2.10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    /// The SSO session (OIDC Front-/Back-Channel Logout `sid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// How the user authenticated (OIDC Core §2, RFC 8176), when known.
    #[serde(default, skip_serializing_if = "Amr::is_empty")]
    pub amr: Amr,
    /// [`crate::authorize::MULTI_FACTOR`] after a login with a second factor, as Auth0 names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    #[serde(flatten)]
    pub standard: StandardClaims,
}

/// OIDC Core §3.1.3.6: base64url of the left half of the SHA-256 of the access token's ASCII.
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    base64url(&digest[..16])
}

/// What an ID token says beyond the shared token context.
#[derive(Debug, Clone, Copy)]
pub struct IdTokenFacts<'a> {
    pub profile: &'a Profile,
    pub auth_time: Timestamp,
    pub nonce: Option<&'a str>,
    /// The access token issued with it, for `at_hash`.
    pub access_token: Option<&'a str>,
    pub sid: Option<&'a str>,
    pub amr: Option<&'a Amr>,
    pub lifetime: i64,
}

/// ID token claims (OIDC Core §2): `aud` is the client.
pub fn id_token_claims(ctx: TokenContext<'_>, facts: IdTokenFacts<'_>) -> IdTokenClaims {
    IdTokenClaims {
        iss: ctx.issuer.to_owned(),
        sub: ctx.user_id.to_owned(),
        aud: ctx.client_id.clone(),
        iat: ctx.now,
        exp: ctx.now.plus(facts.lifetime),
        auth_time: facts.auth_time,
        nonce: facts.nonce.map(str::to_owned),
        at_hash: facts.access_token.map(at_hash),
        sid: facts.sid.map(str::to_owned),
        amr: facts.amr.cloned().unwrap_or_default(),
        acr: facts
            .amr
            .filter(|amr| amr.is_multi_factor())
            .map(|_| crate::authorize::MULTI_FACTOR.to_owned()),
        standard: StandardClaims::for_scope(facts.profile, ctx.scope),
    }
}
