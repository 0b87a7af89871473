//! Integration tests: the real server on an ephemeral port with a temporary SQLite file,
//! driven over HTTP — by the `openidconnect` crate where a client library would be used, and by
//! a cookie-keeping HTTP client where a person's browser would be.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod skip_consent;
mod support;

mod audit_log;
mod authorize_errors;
mod brute_force;
mod client_credentials;
mod code_reuse;
mod discovery;
mod flow;
mod hostile_input;
mod implicit;
mod interaction;
mod keys;
mod logout;
mod management;
mod management_openapi;
mod observability;
mod oidc_details;
mod pkce;
mod refresh_rotation;
mod revocation;
mod secrets;
mod security_bcp;
mod token_errors;
mod userinfo;
