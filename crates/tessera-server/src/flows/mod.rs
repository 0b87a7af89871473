//! Flows: load what a request needs, decide with the protocol crate, write once. No flow sees
//! an HTTP request; handlers translate.

pub mod authorize;
pub mod interaction;
pub mod token;
pub mod userinfo;
