//! Digests of high-entropy secrets (client secrets, codes, refresh tokens, session ids):
//! stored as SHA-256, compared in constant time.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The SHA-256 digest of a secret. Plain SHA-256 suffices because every secret hashed here is a
/// random value of at least 128 bits, never a human-chosen password.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecretDigest([u8; 32]);

impl SecretDigest {
    pub fn of(secret: &str) -> SecretDigest {
        SecretDigest(Sha256::digest(secret.as_bytes()).into())
    }

    /// A digest computed elsewhere (e.g. a DPoP proof's replay key).
    pub fn from_digest(digest: [u8; 32]) -> SecretDigest {
        SecretDigest(digest)
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<SecretDigest> {
        <[u8; 32]>::try_from(bytes).ok().map(SecretDigest)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Whether `presented` hashes to this digest, compared in constant time.
    pub fn verifies(&self, presented: &str) -> bool {
        let candidate = SecretDigest::of(presented);
        self.0.ct_eq(&candidate.0).into()
    }
}

impl fmt::Debug for SecretDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretDigest(..)")
    }
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// base64url without padding, as JOSE and our random tokens use it.
pub fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}
