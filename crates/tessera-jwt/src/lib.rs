//! Signing keys, JSON Web Key Sets, and compact JWS signing and verification, shared by the
//! Tessera server and by resource servers. Algorithms: RS256, PS256, ES256 and EdDSA (Ed25519);
//! a verifying key accepts only its own.
//!
//! Key pairs are parsed once and kept: re-parsing an RSA key per signature (as generic JWT crates
//! do) costs more than half of the signing throughput.

mod alg;
pub mod dpop;
mod jwk;
mod jws;
mod key;
mod verifying;

pub use alg::Algorithm;
pub use jwk::{Jwk, JwkSet};
pub use jws::{decode_header, verify, verify_decoded, Header};
pub use key::SigningKey;
pub use verifying::VerifyingKey;

/// Everything that can go wrong creating keys or tokens.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    #[error("unsupported algorithm `{0}`")]
    UnsupportedAlgorithm(String),
    #[error("the token's algorithm does not match the key's")]
    AlgorithmMismatch,
    #[error("bad signature")]
    BadSignature,
    #[error("invalid key: {0}")]
    InvalidKey(String),
    #[error("signing failed")]
    SigningFailed,
    #[error("claims: {0}")]
    Claims(#[from] serde_json::Error),
}
