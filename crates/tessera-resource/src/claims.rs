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
    /// Every other claim, as sent.
    pub extra: Map<String, Value>,
}

impl Claims {
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
            extra: self.extra,
        }
    }
}
