//! Pure OAuth 2.0 / OpenID Connect rules for Tessera: typed requests, scopes, redirect URIs,
//! error codes, consent and token claims, and the rules that register applications and APIs. No I/O, no clock, no async: time is a parameter.

pub mod authorize;
pub mod claims;
pub mod client;
pub mod client_auth;
pub mod connection;
pub mod consent;
pub mod device;
pub mod dpop;
pub mod error;
pub mod logout;
pub mod mfa;
pub mod origin;
pub mod params;
pub mod password_policy;
pub mod pkce;
pub mod redirect_uri;
pub mod refresh;
pub mod registration;
pub mod revocation;
pub mod scope;
pub mod secret;
pub mod time;
pub mod token;

pub use client::{
    ApiScope, AppType, ClientId, GrantType, PopMechanism, ProofOfPossession, Rbac,
    RefreshTokenPolicy, RegisteredClient, ResourceServer, Rotation, TokenAuthMethod, TokenDialect,
};
pub use error::{AuthorizeErrorCode, BearerErrorCode, TokenErrorCode};
pub use origin::WebOrigin;
pub use redirect_uri::RedirectUri;
pub use scope::{Scope, ScopeSet};
pub use secret::SecretDigest;
pub use time::Timestamp;
