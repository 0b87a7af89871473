//! Proof Key for Code Exchange (RFC 7636).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::secret::{base64url, constant_time_eq};

/// `code_challenge_method` (RFC 7636 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChallengeMethod {
    S256,
    #[serde(rename = "plain")]
    Plain,
}

impl ChallengeMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            ChallengeMethod::S256 => "S256",
            ChallengeMethod::Plain => "plain",
        }
    }
}

/// A code challenge sent at the authorization endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeChallenge {
    pub challenge: String,
    pub method: ChallengeMethod,
}

/// Why a PKCE parameter is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PkceError {
    #[error("code_challenge must be 43 to 128 characters of [A-Z a-z 0-9 - . _ ~]")]
    MalformedChallenge,
    #[error("code_challenge_method `{0}` is not supported; use S256")]
    UnsupportedMethod(String),
    #[error("code_challenge_method plain is not allowed for this application; use S256")]
    PlainNotAllowed,
    #[error("code_challenge_method was sent without code_challenge")]
    MethodWithoutChallenge,
}

/// RFC 7636 §4.1: `code_verifier = 43*128unreserved`; the challenge has the same alphabet.
fn is_pkce_value(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Parses `code_challenge` and `code_challenge_method`. A missing method means `plain`
/// (RFC 7636 §4.3), which only clients configured for it may use (RFC 9700 §2.1.1: S256).
pub fn parse_challenge(
    challenge: Option<&str>,
    method: Option<&str>,
    plain_allowed: bool,
) -> Result<Option<CodeChallenge>, PkceError> {
    let Some(challenge) = challenge else {
        return match method {
            Some(_) => Err(PkceError::MethodWithoutChallenge),
            None => Ok(None),
        };
    };
    if !is_pkce_value(challenge) {
        return Err(PkceError::MalformedChallenge);
    }
    let method = match method.unwrap_or("plain") {
        "S256" => ChallengeMethod::S256,
        "plain" if plain_allowed => ChallengeMethod::Plain,
        "plain" => return Err(PkceError::PlainNotAllowed),
        other => return Err(PkceError::UnsupportedMethod(other.to_owned())),
    };
    Ok(Some(CodeChallenge {
        challenge: challenge.to_owned(),
        method,
    }))
}

/// RFC 7636 §4.2: the S256 challenge of `verifier`.
pub fn s256(verifier: &str) -> String {
    base64url(&Sha256::digest(verifier.as_bytes()))
}

/// RFC 7636 §4.6: whether `verifier` answers the challenge.
pub fn verifies(challenge: &CodeChallenge, verifier: &str) -> bool {
    if !is_pkce_value(verifier) {
        return false;
    }
    match challenge.method {
        ChallengeMethod::S256 => constant_time_eq(&s256(verifier), &challenge.challenge),
        ChallengeMethod::Plain => constant_time_eq(verifier, &challenge.challenge),
    }
}
