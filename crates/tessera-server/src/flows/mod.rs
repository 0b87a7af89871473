//! Flows: load what a request needs, decide with the protocol crate, write once. No flow sees
//! an HTTP request; handlers translate, and pass who sent the request where it is recorded.
//!
//! The token endpoint's flows, from the top: `token` (the dispatcher) → one module per grant
//! (`code`, `refresh`, `client_credentials`, `password`) → `mint` (signing, the response, the record of
//! issuance) → `grant` (the failure type and the user and API lookups). The authorization
//! endpoint's: `interaction` (login, consent) → `authorize` → `implicit` → `mint`, with
//! `browser` (cookies, the SSO session) below them; the login page and the password grant
//! check a password with `credentials`. Both ask `rbac` which scopes and
//! permissions a user may have of an API, and run `actions` (Auth0 Actions) before minting.

pub mod account;
pub mod actions;
pub mod authorize;
pub mod browser;
pub mod client_auth;
pub mod client_credentials;
pub mod client_throttle;
pub mod code;
pub mod credentials;
pub mod device;
pub mod dpop;
pub mod grant;
pub mod implicit;
pub mod interaction;
pub mod logout;
pub mod mfa_api;
pub mod mint;
pub mod own_tokens;
pub mod par;
pub mod password;
pub mod password_reset;
pub mod rbac;
pub mod refresh;
pub mod revocation;
pub mod signup;
pub mod token;
pub mod upstream;
pub mod user_tokens;
pub mod userinfo;
