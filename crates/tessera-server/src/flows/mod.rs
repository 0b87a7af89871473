//! Flows: load what a request needs, decide with the protocol crate, write once. No flow sees
//! an HTTP request; handlers translate.

pub mod authorize;
pub mod client_throttle;
pub mod interaction;
pub mod logout;
pub mod mint;
pub mod own_tokens;
pub mod refresh;
pub mod revocation;
pub mod token;
pub mod userinfo;
