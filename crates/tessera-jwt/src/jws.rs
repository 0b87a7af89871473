//! Compact JWS verification (RFC 7515 §5.2) with the algorithm fixed by the key, never by the
//! token: `none` and HMAC-with-a-public-key confusion cannot happen.

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::jwk::b64_decode;
use crate::{Algorithm, JwtError, VerifyingKey};

/// The protected header fields Tessera reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Header {
    pub alg: String,
    #[serde(default)]
    pub typ: Option<String>,
    #[serde(default)]
    pub kid: Option<String>,
}

pub(crate) fn split(token: &str) -> Result<(&str, &str, &str), JwtError> {
    let mut parts = token.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(h), Some(p), Some(s), None) => Ok((h, p, s)),
        _ => Err(JwtError::Malformed("a JWS has three parts")),
    }
}

/// Reads the header without verifying anything, to pick the key by `kid`.
pub fn decode_header(token: &str) -> Result<Header, JwtError> {
    let (header, _, _) = split(token)?;
    let bytes = b64_decode(header).ok_or(JwtError::Malformed("header is not base64url"))?;
    serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed("header is not a JSON object"))
}

/// Verifies the signature with `key` and returns the header and claims. Time-based and
/// audience checks are the caller's.
pub fn verify<C: DeserializeOwned>(
    token: &str,
    key: &VerifyingKey,
) -> Result<(Header, C), JwtError> {
    let header = decode_header(token)?;
    let claims = verify_decoded(token, &header, key)?;
    Ok((header, claims))
}

/// As [`verify`], for a caller that already read `header` with [`decode_header`] (to pick the
/// key by `kid`): the header is not decoded a second time.
pub fn verify_decoded<C: DeserializeOwned>(
    token: &str,
    header: &Header,
    key: &VerifyingKey,
) -> Result<C, JwtError> {
    if Algorithm::parse(&header.alg)? != key.algorithm() {
        return Err(JwtError::AlgorithmMismatch);
    }
    let (h, p, s) = split(token)?;
    let signature = b64_decode(s).ok_or(JwtError::Malformed("signature is not base64url"))?;
    let signed_len = h.len() + 1 + p.len();
    key.verify_signature(&token.as_bytes()[..signed_len], &signature)?;
    let payload = b64_decode(p).ok_or(JwtError::Malformed("payload is not base64url"))?;
    Ok(serde_json::from_slice(&payload)?)
}
