//! DPoP proofs (RFC 9449 §4): the JWT a client signs with its own key and sends in the `DPoP`
//! header, checked as §4.3 lists. Shared by the authorization server (token endpoint,
//! `/userinfo`) and by resource servers; replay tracking of `jti` and server nonces are the
//! caller's, since they need shared state.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::jwk::{b64, Jwk};
use crate::jws::{split, Header};
use crate::{Algorithm, JwtError, SigningKey, VerifyingKey};

/// The `typ` of a DPoP proof (RFC 9449 §4.2).
pub const PROOF_TYPE: &str = "dpop+jwt";

/// How old a proof's `iat` may be, in seconds: long enough for a slow client, short enough that
/// a replay store need keep a `jti` only briefly.
pub const MAX_PROOF_AGE: i64 = 60;

/// How far in the future a proof's `iat` may be, in seconds (the client's clock running fast).
pub const MAX_CLOCK_AHEAD: i64 = 10;

/// The longest a proof's `jti` is accepted; a client's random id is far shorter.
const MAX_JTI_LEN: usize = 256;

/// JWK members that only a private (or symmetric) key has (RFC 7518 §6.2.2, §6.3.2, §6.4).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Why a DPoP proof is refused: every case is RFC 9449's `invalid_dpop_proof`, with this text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProofError(pub &'static str);

/// The request a proof must have been made for.
#[derive(Debug, Clone, Copy)]
pub struct ExpectedRequest<'a> {
    /// The HTTP method, as sent (`POST`, `GET`).
    pub method: &'a str,
    /// The absolute URI the request was sent to; its query and fragment are ignored.
    pub uri: &'a str,
    /// Seconds since the Unix epoch.
    pub now: i64,
    /// At a resource: the access token presented with the proof, which `ath` must hash.
    pub access_token: Option<&'a str>,
}

/// A proof that passed every check of RFC 9449 §4.3 that needs no state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedProof {
    /// The RFC 7638 thumbprint of the proof's key: what tokens are bound to (`cnf.jkt`).
    pub jkt: String,
    pub jti: String,
    pub iat: i64,
    /// The server nonce the proof carries, for the caller to check when it asks for nonces.
    pub nonce: Option<String>,
}

impl CheckedProof {
    /// Until when the proof's `jti` must be remembered: after this, its `iat` is refused anyway.
    pub fn replay_window_end(&self) -> i64 {
        self.iat + MAX_PROOF_AGE + 1
    }

    /// What a replay record keeps of the proof: the SHA-256 of its key's thumbprint and its
    /// `jti` (a `jti` is unique per key), a fixed size whatever the `jti`'s length.
    pub fn replay_key(&self) -> [u8; 32] {
        let mut digest = Sha256::new();
        digest.update(self.jkt.as_bytes());
        digest.update(b" ");
        digest.update(self.jti.as_bytes());
        digest.finalize().into()
    }
}

/// The claims of a proof (RFC 9449 §4.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofClaims {
    pub jti: String,
    pub htm: String,
    pub htu: String,
    pub iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ath: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

#[derive(Deserialize)]
struct ProofHeader {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    jwk: Option<serde_json::Map<String, serde_json::Value>>,
}

/// RFC 9449 §4.2 `ath`: the base64url SHA-256 of the access token.
pub fn access_token_hash(access_token: &str) -> String {
    b64(&Sha256::digest(access_token.as_bytes()))
}

/// Checks `proof` against the request it came with (RFC 9449 §4.3 steps 2–9, 11 and 12's
/// `ath`): one well-formed JWT, typed `dpop+jwt`, signed with a supported asymmetric algorithm
/// by the public key in its header, for this method and URI, recent, and hashing the access
/// token when one is presented.
pub fn check_proof(
    proof: &str,
    expected: &ExpectedRequest<'_>,
) -> Result<CheckedProof, ProofError> {
    let (header_part, _, _) =
        split(proof).map_err(|_| ProofError("the DPoP proof is not a JWT"))?;
    let header: ProofHeader = crate::jwk::b64_decode(header_part)
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(ProofError("the DPoP proof's header is not a JSON object"))?;
    if !header
        .typ
        .as_deref()
        .is_some_and(|typ| typ.eq_ignore_ascii_case(PROOF_TYPE))
    {
        return Err(ProofError("the DPoP proof's typ is not dpop+jwt"));
    }
    let alg = Algorithm::parse(&header.alg)
        .map_err(|_| ProofError("the DPoP proof's alg is not a supported asymmetric algorithm"))?;
    let key = proof_key(header.jwk, alg)?;
    let claims: ProofClaims = crate::verify_decoded(
        proof,
        &Header {
            alg: header.alg,
            typ: header.typ,
            kid: None,
        },
        &key.verifying,
    )
    .map_err(|error| match error {
        JwtError::Claims(_) => ProofError("the DPoP proof lacks jti, htm, htu or iat"),
        _ => ProofError("the DPoP proof's signature does not verify with its jwk"),
    })?;
    check_claims(&claims, expected)?;
    Ok(CheckedProof {
        jkt: key.thumbprint,
        jti: claims.jti,
        iat: claims.iat,
        nonce: claims.nonce,
    })
}

struct ProofKey {
    verifying: VerifyingKey,
    thumbprint: String,
}

/// The public key in the proof's header, for the header's `alg` only.
fn proof_key(
    jwk: Option<serde_json::Map<String, serde_json::Value>>,
    alg: Algorithm,
) -> Result<ProofKey, ProofError> {
    let mut members = jwk.ok_or(ProofError("the DPoP proof has no jwk"))?;
    if PRIVATE_MEMBERS.iter().any(|m| members.contains_key(*m)) {
        return Err(ProofError("the DPoP proof's jwk holds a private key"));
    }
    // The header's `alg` is the one the key is used with; a key claiming another is refused.
    match members.get("alg") {
        Some(serde_json::Value::String(own)) if own != alg.as_str() => {
            return Err(ProofError("the DPoP proof's jwk is for another algorithm"))
        }
        _ => {}
    }
    members.insert("alg".into(), alg.as_str().into());
    let jwk: Jwk = serde_json::from_value(serde_json::Value::Object(members))
        .map_err(|_| ProofError("the DPoP proof's jwk is not a public key"))?;
    let verifying = VerifyingKey::from_jwk(&jwk)
        .map_err(|_| ProofError("the DPoP proof's jwk is not a usable public key for its alg"))?;
    Ok(ProofKey {
        verifying,
        thumbprint: jwk.thumbprint(),
    })
}

fn check_claims(claims: &ProofClaims, expected: &ExpectedRequest<'_>) -> Result<(), ProofError> {
    if claims.jti.is_empty() || claims.jti.len() > MAX_JTI_LEN {
        return Err(ProofError("the DPoP proof's jti is empty or too long"));
    }
    if claims.htm != expected.method {
        return Err(ProofError(
            "the DPoP proof's htm is not this request's method",
        ));
    }
    if !same_target(&claims.htu, expected.uri) {
        return Err(ProofError("the DPoP proof's htu is not this request's URI"));
    }
    if claims.iat < expected.now - MAX_PROOF_AGE {
        return Err(ProofError("the DPoP proof is too old"));
    }
    if claims.iat > expected.now + MAX_CLOCK_AHEAD {
        return Err(ProofError("the DPoP proof's iat is in the future"));
    }
    match (expected.access_token, claims.ath.as_deref()) {
        (None, _) => Ok(()),
        (Some(token), Some(ath)) if ath == access_token_hash(token) => Ok(()),
        (Some(_), Some(_)) => Err(ProofError(
            "the DPoP proof's ath does not hash the access token",
        )),
        (Some(_), None) => Err(ProofError("the DPoP proof has no ath")),
    }
}

/// RFC 9449 §4.3 step 9: the same URI ignoring query and fragment, after the syntax-based
/// normalization of RFC 3986 §6.2.2 and scheme-based default ports of §6.2.3.
fn same_target(htu: &str, uri: &str) -> bool {
    let target = |text: &str| {
        url::Url::parse(text).ok().map(|mut url| {
            url.set_query(None);
            url.set_fragment(None);
            url
        })
    };
    match (target(htu), target(uri)) {
        (Some(htu), Some(uri)) => htu == uri,
        _ => false,
    }
}

impl SigningKey {
    /// Signs `claims` as a DPoP proof: typed `dpop+jwt`, with this key's public JWK in the
    /// header (RFC 9449 §4.2). For clients of Tessera written in Rust, and tests.
    pub fn sign_dpop_proof(&self, claims: &ProofClaims) -> Result<String, JwtError> {
        #[derive(Serialize)]
        struct ProofJoseHeader<'a> {
            alg: &'static str,
            typ: &'static str,
            jwk: &'a Jwk,
        }
        let header = ProofJoseHeader {
            alg: self.algorithm().as_str(),
            typ: PROOF_TYPE,
            jwk: &self.jwk_for_proofs(),
        };
        self.sign_with_header(&header, claims)
    }
}
