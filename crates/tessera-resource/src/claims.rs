//! The claims of a validated access token.

use serde::Deserialize;
use serde_json::{Map, Value};

/// `aud`: one string or several.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub(crate) enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub(crate) fn contains(&self, value: &str) -> bool {
        match self {
            Audience::One(one) => one == value,
            Audience::Many(many) => many.iter().any(|a| a == value),
        }
    }
}

/// A token's confirmation claim `cnf` (RFC 7800 §3.1): the key the token is bound to.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Confirmation {
    /// RFC 9449 §6.1: the RFC 7638 SHA-256 thumbprint of the client's DPoP public key.
    #[serde(default)]
    pub jkt: Option<String>,
    /// Other confirmation methods (e.g. `x5t#S256`, RFC 8705 mutual TLS), which this library
    /// cannot check: a token bound only that way is refused.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// What a resource server learns from a valid access token (RFC 9068 §2.2).
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    /// The user (or, for machine-to-machine tokens, `client_id@clients`).
    pub sub: String,
    /// The scopes granted, in the order the token lists them.
    pub scope: Vec<String>,
    /// The permissions the user holds through Tessera's roles (Auth0's `permissions` claim,
    /// in tokens of APIs whose dialect carries it: `access_token_authz`,
    /// `rfc9068_profile_authz`); empty otherwise.
    pub permissions: Vec<String>,
    /// The application the token was issued to.
    pub client_id: Option<String>,
    pub iss: String,
    pub exp: i64,
    pub iat: Option<i64>,
    pub jti: Option<String>,
    /// The key the token is bound to, for a sender-constrained token; such a token is accepted
    /// only with the DPoP scheme and a proof of that key (RFC 9449 §7).
    pub cnf: Option<Confirmation>,
    /// Every other claim, as sent.
    pub extra: Map<String, Value>,
}

impl Claims {
    /// The DPoP key thumbprint the token is bound to (`cnf.jkt`, RFC 9449 §6.1), if any.
    pub fn dpop_jkt(&self) -> Option<&str> {
        self.cnf.as_ref()?.jkt.as_deref()
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.iter().any(|s| s == scope)
    }

    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }
}

/// The wire form, checked before it becomes [`Claims`].
#[derive(Debug, Deserialize)]
pub(crate) struct RawClaims {
    pub iss: String,
    pub sub: String,
    pub aud: Audience,
    pub exp: i64,
    #[serde(default)]
    pub nbf: Option<i64>,
    #[serde(default)]
    pub iat: Option<i64>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub jti: Option<String>,
    #[serde(default)]
    pub cnf: Option<Confirmation>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl RawClaims {
    pub(crate) fn into_claims(self) -> Claims {
        let scope = self
            .scope
            .as_deref()
            .unwrap_or("")
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        Claims {
            sub: self.sub,
            scope,
            permissions: self.permissions,
            client_id: self.client_id,
            iss: self.iss,
            exp: self.exp,
            iat: self.iat,
            jti: self.jti,
            cnf: self.cnf,
            extra: self.extra,
        }
    }
}
