//! The JWS algorithms Tessera signs and verifies with (RFC 7518 §3.1, RFC 8037 §3.1).

use std::fmt;

use crate::JwtError;

/// A JWS `alg`. Only asymmetric algorithms exist here: `none` and HMAC cannot be expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3), 2048-bit keys.
    RS256,
    /// RSASSA-PSS with SHA-256 and MGF1 with SHA-256 (RFC 7518 §3.5), 2048-bit keys.
    PS256,
    /// ECDSA on P-256 with SHA-256 (RFC 7518 §3.4), a 64-byte `R || S` signature.
    ES256,
    /// Ed25519 (RFC 8037 §3.1).
    EdDSA,
}

impl Algorithm {
    /// Every algorithm, in the order Tessera lists them.
    pub const ALL: [Algorithm; 4] = [
        Algorithm::RS256,
        Algorithm::PS256,
        Algorithm::ES256,
        Algorithm::EdDSA,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::RS256 => "RS256",
            Algorithm::PS256 => "PS256",
            Algorithm::ES256 => "ES256",
            Algorithm::EdDSA => "EdDSA",
        }
    }

    /// Parses a JWS `alg` (case-sensitive, RFC 7515 §4.1.1); `none` and every HMAC algorithm
    /// are refused by construction.
    pub fn parse(value: &str) -> Result<Algorithm, JwtError> {
        Algorithm::ALL
            .into_iter()
            .find(|alg| alg.as_str() == value)
            .ok_or_else(|| JwtError::UnsupportedAlgorithm(value.to_owned()))
    }

    /// The JWK `kty` of this algorithm's keys.
    pub fn key_type(self) -> &'static str {
        match self {
            Algorithm::RS256 | Algorithm::PS256 => "RSA",
            Algorithm::ES256 => "EC",
            Algorithm::EdDSA => "OKP",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
