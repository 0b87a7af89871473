//! The protocol crate's rules, each module testing one of them with plain values: no server,
//! no I/O. One test binary (each binary is linked on its own, so fewer build faster).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

mod authorize;
mod claims;
mod client;
mod client_auth;
mod connection;
mod consent;
mod dpop;
mod errors;
mod issuance;
mod logout;
mod params;
mod pkce;
mod properties;
mod redirect_uri;
mod refresh;
mod registration;
mod scope;
mod secret;
mod time;
mod token;
