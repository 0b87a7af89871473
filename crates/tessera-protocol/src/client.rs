//! Registered clients (applications) and resource servers (APIs), with Auth0's field names.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{RedirectUri, Scope, SecretDigest};

/// A client identifier (RFC 6749 §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientId(pub String);

impl ClientId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Auth0's `app_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppType {
    RegularWeb,
}

impl AppType {
    pub fn as_str(self) -> &'static str {
        match self {
            AppType::RegularWeb => "regular_web",
        }
    }

    pub fn parse(value: &str) -> Option<AppType> {
        match value {
            "regular_web" => Some(AppType::RegularWeb),
            _ => None,
        }
    }
}

/// The grant types Tessera implements (RFC 6749 §4, §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
}

impl GrantType {
    pub const ALL: [GrantType; 2] = [GrantType::AuthorizationCode, GrantType::RefreshToken];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
        }
    }

    pub fn parse(value: &str) -> Option<GrantType> {
        GrantType::ALL.into_iter().find(|g| g.as_str() == value)
    }
}

/// A registered application.
#[derive(Clone, PartialEq, Eq)]
pub struct RegisteredClient {
    pub client_id: ClientId,
    pub name: String,
    pub app_type: AppType,
    /// Auth0's "Allowed Callback URLs": the only redirect URIs accepted, compared exactly.
    pub callbacks: Vec<RedirectUri>,
    pub grant_types: Vec<GrantType>,
    pub secret_digest: SecretDigest,
}

impl fmt::Debug for RegisteredClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisteredClient")
            .field("client_id", &self.client_id)
            .field("name", &self.name)
            .field("app_type", &self.app_type)
            .field("callbacks", &self.callbacks)
            .field("grant_types", &self.grant_types)
            .finish_non_exhaustive()
    }
}

impl RegisteredClient {
    /// The registered callback equal to `requested`, if any (RFC 9700 §4.1.3: exact match).
    pub fn callback(&self, requested: &str) -> Option<&RedirectUri> {
        self.callbacks.iter().find(|uri| uri.matches(requested))
    }

    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }
}

/// One permission an API defines (Auth0's `scopes: [{ value, description }]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiScope {
    pub value: Scope,
    pub description: String,
}

/// A protected API (Auth0's "resource server"); its `identifier` is the token audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceServer {
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<ApiScope>,
    pub allow_offline_access: bool,
    /// Access token lifetime in seconds.
    pub token_lifetime: i64,
    pub signing_alg: String,
}

impl ResourceServer {
    pub fn defines(&self, scope: &Scope) -> bool {
        self.scopes.iter().any(|s| &s.value == scope)
    }

    pub fn description_of(&self, scope: &Scope) -> Option<&str> {
        self.scopes
            .iter()
            .find(|s| &s.value == scope)
            .map(|s| s.description.as_str())
    }
}
