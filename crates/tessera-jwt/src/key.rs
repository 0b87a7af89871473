//! Signing keys (private, parsed once) and verifying keys (public, parsed once from a JWK).

use std::fmt;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, KeyPair, ParsedPublicKey, RsaKeyPair, RsaPublicKeyComponents};
use serde::Serialize;

use crate::jwk::{b64, b64_decode, Jwk};
use crate::JwtError;

/// JWS algorithms Tessera signs with (RFC 7518 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    RS256,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::RS256 => "RS256",
        }
    }

    /// Parses a JWS `alg`; `none` and every HMAC algorithm are refused by construction.
    pub fn parse(value: &str) -> Result<Algorithm, JwtError> {
        match value {
            "RS256" => Ok(Algorithm::RS256),
            other => Err(JwtError::UnsupportedAlgorithm(other.to_owned())),
        }
    }
}

/// A private signing key with its key id.
pub struct SigningKey {
    kid: String,
    alg: Algorithm,
    pair: RsaKeyPair,
    rng: SystemRandom,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Generates a new key; its id is its RFC 7638 JWK thumbprint.
    pub fn generate(alg: Algorithm) -> Result<SigningKey, JwtError> {
        let pair = match alg {
            Algorithm::RS256 => RsaKeyPair::generate(KeySize::Rsa2048)
                .map_err(|_| JwtError::InvalidKey("RSA key generation failed".into()))?,
        };
        Ok(Self::from_pair(alg, pair))
    }

    /// Loads a key from its PKCS#8 DER encoding.
    pub fn from_pkcs8(alg: Algorithm, der: &[u8]) -> Result<SigningKey, JwtError> {
        let pair = RsaKeyPair::from_pkcs8(der).map_err(|e| JwtError::InvalidKey(e.to_string()))?;
        Ok(Self::from_pair(alg, pair))
    }

    fn from_pair(alg: Algorithm, pair: RsaKeyPair) -> SigningKey {
        let kid = public_jwk(alg, &pair, String::new()).thumbprint();
        SigningKey {
            kid,
            alg,
            pair,
            rng: SystemRandom::new(),
        }
    }

    /// The PKCS#8 DER encoding of the private key, for storage.
    pub fn pkcs8(&self) -> Result<Vec<u8>, JwtError> {
        self.pair
            .as_der()
            .map(|der| der.as_ref().to_vec())
            .map_err(|_| JwtError::InvalidKey("cannot encode key".into()))
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The public half as a JWK for the JWKS document.
    pub fn public_jwk(&self) -> Jwk {
        public_jwk(self.alg, &self.pair, self.kid.clone())
    }

    /// Signs `claims` as a compact JWS with header `{alg, typ, kid}`.
    pub fn sign<C: Serialize>(&self, typ: &str, claims: &C) -> Result<String, JwtError> {
        #[derive(Serialize)]
        struct JoseHeader<'a> {
            alg: &'static str,
            typ: &'a str,
            kid: &'a str,
        }
        let header = serde_json::to_vec(&JoseHeader {
            alg: self.alg.as_str(),
            typ,
            kid: &self.kid,
        })?;
        let payload = serde_json::to_vec(claims)?;
        let mut token = String::with_capacity(512 + payload.len() * 4 / 3);
        token.push_str(&b64(&header));
        token.push('.');
        token.push_str(&b64(&payload));
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &self.rng,
                token.as_bytes(),
                &mut signature,
            )
            .map_err(|_| JwtError::SigningFailed)?;
        token.push('.');
        token.push_str(&b64(&signature));
        Ok(token)
    }
}

fn public_jwk(alg: Algorithm, pair: &RsaKeyPair, kid: String) -> Jwk {
    let public = pair.public_key();
    Jwk {
        kty: "RSA".into(),
        kid,
        use_: Some("sig".into()),
        alg: Some(alg.as_str().into()),
        n: b64(public.modulus().big_endian_without_leading_zero()),
        e: b64(public.exponent().big_endian_without_leading_zero()),
    }
}

/// A public key parsed once from a JWK, ready to verify many signatures.
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

impl VerifyingKey {
    /// Parses an RSA JWK; its `alg` (RS256 when absent) is the only algorithm it will verify.
    pub fn from_jwk(jwk: &Jwk) -> Result<VerifyingKey, JwtError> {
        if jwk.kty != "RSA" {
            return Err(JwtError::InvalidKey(format!(
                "unsupported kty `{}`",
                jwk.kty
            )));
        }
        let alg = Algorithm::parse(jwk.alg.as_deref().unwrap_or("RS256"))?;
        let n = b64_decode(&jwk.n).ok_or(JwtError::InvalidKey("bad n".into()))?;
        let e = b64_decode(&jwk.e).ok_or(JwtError::InvalidKey("bad e".into()))?;
        let parsed = RsaPublicKeyComponents { n: &n, e: &e }
            .to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256)
            .map_err(|err| JwtError::InvalidKey(err.to_string()))?;
        Ok(VerifyingKey {
            kid: jwk.kid.clone(),
            alg,
            parsed,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

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
