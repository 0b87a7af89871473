//! Public keys parsed once from a JWK, each bound to exactly one algorithm.

use std::fmt;

use aws_lc_rs::signature::{self, ParsedPublicKey, RsaPublicKeyComponents};

use crate::jwk::{b64_decode, Jwk};
use crate::{Algorithm, JwtError};

/// A public key parsed once from a JWK, ready to verify many signatures with one algorithm.
pub struct VerifyingKey {
    kid: String,
    alg: Algorithm,
    parsed: ParsedPublicKey,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

fn invalid(what: impl fmt::Display) -> JwtError {
    JwtError::InvalidKey(what.to_string())
}

/// A base64url member of the JWK, decoded.
fn member(jwk: &Jwk, name: &str, value: Option<&String>) -> Result<Vec<u8>, JwtError> {
    let value = value.ok_or_else(|| invalid(format!("{} key without `{name}`", jwk.kty)))?;
    b64_decode(value).ok_or_else(|| invalid(format!("`{name}` is not base64url")))
}

/// A fixed-length coordinate or key (RFC 7518 §6.2.1.2: P-256 coordinates are 32 bytes).
fn fixed(jwk: &Jwk, name: &str, value: Option<&String>) -> Result<Vec<u8>, JwtError> {
    let bytes = member(jwk, name, value)?;
    if bytes.len() != 32 {
        return Err(invalid(format!("`{name}` must be 32 bytes")));
    }
    Ok(bytes)
}

/// The algorithm the JWK is for: its `alg` when present (which must fit its `kty`), else the
/// one its key type implies (RSA: RS256, EC P-256: ES256, OKP Ed25519: EdDSA).
fn algorithm_of(jwk: &Jwk) -> Result<Algorithm, JwtError> {
    let implied = match (jwk.kty.as_str(), jwk.crv.as_deref()) {
        ("RSA", _) => Algorithm::RS256,
        ("EC", Some("P-256")) => Algorithm::ES256,
        ("OKP", Some("Ed25519")) => Algorithm::EdDSA,
        ("EC" | "OKP", crv) => {
            return Err(invalid(format!(
                "unsupported {} curve `{}`",
                jwk.kty,
                crv.unwrap_or("")
            )))
        }
        (kty, _) => return Err(invalid(format!("unsupported kty `{kty}`"))),
    };
    let Some(alg) = jwk.alg.as_deref() else {
        return Ok(implied);
    };
    let alg = Algorithm::parse(alg)?;
    if alg.key_type() != jwk.kty || (jwk.kty != "RSA" && alg != implied) {
        return Err(invalid(format!(
            "alg `{alg}` does not fit a {} key",
            jwk.kty
        )));
    }
    Ok(alg)
}

impl VerifyingKey {
    /// Parses an RSA, EC (P-256) or OKP (Ed25519) JWK. Its algorithm — the JWK's `alg`, or the
    /// one its key type implies — is the only one it will verify.
    pub fn from_jwk(jwk: &Jwk) -> Result<VerifyingKey, JwtError> {
        let alg = algorithm_of(jwk)?;
        let parsed = match alg {
            Algorithm::RS256 | Algorithm::PS256 => {
                let n = member(jwk, "n", jwk.n.as_ref())?;
                let e = member(jwk, "e", jwk.e.as_ref())?;
                let params = if alg == Algorithm::PS256 {
                    &signature::RSA_PSS_2048_8192_SHA256
                } else {
                    &signature::RSA_PKCS1_2048_8192_SHA256
                };
                RsaPublicKeyComponents { n: &n, e: &e }
                    .to_parsed_public_key(params)
                    .map_err(invalid)?
            }
            Algorithm::ES256 => {
                // SEC 1 uncompressed point: 0x04 || x || y.
                let mut point = vec![4];
                point.extend(fixed(jwk, "x", jwk.x.as_ref())?);
                point.extend(fixed(jwk, "y", jwk.y.as_ref())?);
                ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point).map_err(invalid)?
            }
            Algorithm::EdDSA => {
                let x = fixed(jwk, "x", jwk.x.as_ref())?;
                ParsedPublicKey::new(&signature::ED25519, x).map_err(invalid)?
            }
        };
        Ok(VerifyingKey {
            kid: jwk.kid.clone(),
            alg,
            parsed,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The one algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    pub(crate) fn verify_signature(
        &self,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), JwtError> {
        self.parsed
            .verify_sig(message, signature)
            .map_err(|_| JwtError::BadSignature)
    }
}
