//! What Tessera's front ends — the OAuth server, the admin service, the CLI — share at run
//! time: the injected clock, password hashing, randomness, the master secret and the signing
//! key ring it seals, the audit log writer, the per-node catalog cache and the brute-force
//! policy. Nothing here speaks HTTP.

pub mod audit;
pub mod brute_force;
pub mod catalog;
pub mod clock;
pub mod crypto;
pub mod deny_list;
pub mod imported_password;
pub mod keys;
pub mod secrets;
