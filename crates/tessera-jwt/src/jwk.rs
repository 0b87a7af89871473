//! JSON Web Keys (RFC 7517) for RSA, EC (RFC 7518 §6.2) and OKP (RFC 8037 §2) public keys,
//! and their thumbprints (RFC 7638).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A public JSON Web Key: `kty` says which of the key members are present
/// (`RSA`: `n`, `e`; `EC`: `crv`, `x`, `y`; `OKP`: `crv`, `x`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    /// Empty for a key without an id (a DPoP proof's): then not serialized.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kid: String,
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// The curve of an EC or OKP key (`P-256`, `Ed25519`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// RSA modulus, base64url.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent, base64url.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// EC x coordinate, or the OKP public key, base64url.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate, base64url.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

// RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace. Structs
// serialize their fields in declaration order, and serde_json escapes as §3.3 asks.
#[derive(Serialize)]
struct RsaMembers<'a> {
    e: &'a str,
    kty: &'a str,
    n: &'a str,
}

#[derive(Serialize)]
struct EcMembers<'a> {
    crv: &'a str,
    kty: &'a str,
    x: &'a str,
    y: &'a str,
}

#[derive(Serialize)]
struct OkpMembers<'a> {
    crv: &'a str,
    kty: &'a str,
    x: &'a str,
}

#[derive(Serialize)]
struct OtherMembers<'a> {
    kty: &'a str,
}

fn member(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

impl Jwk {
    /// RFC 7638: SHA-256 over the key type's required members in lexicographic order,
    /// base64url (RFC 8037 §2 for OKP). A missing member counts as an empty string.
    pub fn thumbprint(&self) -> String {
        let kty = self.kty.as_str();
        let canonical = match kty {
            "RSA" => serde_json::to_vec(&RsaMembers {
                e: member(&self.e),
                kty,
                n: member(&self.n),
            }),
            "EC" => serde_json::to_vec(&EcMembers {
                crv: member(&self.crv),
                kty,
                x: member(&self.x),
                y: member(&self.y),
            }),
            "OKP" => serde_json::to_vec(&OkpMembers {
                crv: member(&self.crv),
                kty,
                x: member(&self.x),
            }),
            _ => serde_json::to_vec(&OtherMembers { kty }),
        }
        .unwrap_or_default();
        b64(&Sha256::digest(&canonical))
    }
}

/// A JWK Set document (`/.well-known/jwks.json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

impl JwkSet {
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid == kid)
    }
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn b64_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}
