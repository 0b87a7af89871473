//! Private signing keys: generated or loaded from PKCS#8 once, parsed once, and kept with their
//! public JWK, so that signing a token is only the signature itself.

use std::fmt;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING,
};
use serde::Serialize;

use crate::jwk::{b64, Jwk};
use crate::{Algorithm, JwtError};

/// The smallest RSA modulus Tessera signs with, in bytes (RFC 7518 §3.3: 2048 bits or more).
const MIN_RSA_MODULUS_LEN: usize = 256;

/// A parsed private key of one of the supported key types.
enum Pair {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// A private signing key with its algorithm, key id and public JWK.
pub struct SigningKey {
    kid: String,
    alg: Algorithm,
    pair: Pair,
    jwk: Jwk,
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

fn invalid(what: impl fmt::Display) -> JwtError {
    JwtError::InvalidKey(what.to_string())
}

impl SigningKey {
    /// Generates a new key for `alg` (RSA 2048, P-256 or Ed25519); its id is its RFC 7638 JWK
    /// thumbprint.
    pub fn generate(alg: Algorithm) -> Result<SigningKey, JwtError> {
        let pair = match alg {
            Algorithm::RS256 | Algorithm::PS256 => RsaKeyPair::generate(KeySize::Rsa2048)
                .map(Pair::Rsa)
                .map_err(|_| invalid("RSA key generation failed"))?,
            Algorithm::ES256 => EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
                .map(Pair::Ec)
                .map_err(|_| invalid("P-256 key generation failed"))?,
            Algorithm::EdDSA => Ed25519KeyPair::generate()
                .map(Pair::Ed)
                .map_err(|_| invalid("Ed25519 key generation failed"))?,
        };
        Self::from_pair(alg, pair)
    }

    /// Loads a key for `alg` from its PKCS#8 DER encoding; a key of another type is refused.
    pub fn from_pkcs8(alg: Algorithm, der: &[u8]) -> Result<SigningKey, JwtError> {
        let pair = match alg {
            Algorithm::RS256 | Algorithm::PS256 => {
                let pair = RsaKeyPair::from_pkcs8(der).map_err(invalid)?;
                if pair.public_modulus_len() < MIN_RSA_MODULUS_LEN {
                    return Err(invalid("RSA keys must have at least 2048 bits"));
                }
                Pair::Rsa(pair)
            }
            Algorithm::ES256 => EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                .map(Pair::Ec)
                .map_err(invalid)?,
            Algorithm::EdDSA => Ed25519KeyPair::from_pkcs8(der)
                .map(Pair::Ed)
                .map_err(invalid)?,
        };
        Self::from_pair(alg, pair)
    }

    fn from_pair(alg: Algorithm, pair: Pair) -> Result<SigningKey, JwtError> {
        let mut jwk = public_jwk(alg, &pair)?;
        jwk.kid = jwk.thumbprint();
        Ok(SigningKey {
            kid: jwk.kid.clone(),
            alg,
            pair,
            jwk,
            rng: SystemRandom::new(),
        })
    }

    /// The PKCS#8 (v1) DER encoding of the private key, for storage.
    pub fn pkcs8(&self) -> Result<Vec<u8>, JwtError> {
        let der = match &self.pair {
            Pair::Rsa(pair) => pair.as_der().map(|der| der.as_ref().to_vec()),
            Pair::Ec(pair) => pair.to_pkcs8v1().map(|doc| doc.as_ref().to_vec()),
            Pair::Ed(pair) => pair.to_pkcs8v1().map(|doc| doc.as_ref().to_vec()),
        };
        der.map_err(|_| invalid("cannot encode key"))
    }

    /// The key id: the RFC 7638 thumbprint of the public key.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The public half as a JWK for the JWKS document.
    pub fn public_jwk(&self) -> Jwk {
        self.jwk.clone()
    }

    /// Signs `claims` as a compact JWS with header `{alg, typ, kid}`.
    pub fn sign<C: Serialize>(&self, typ: &str, claims: &C) -> Result<String, JwtError> {
        #[derive(Serialize)]
        struct JoseHeader<'a> {
            alg: &'static str,
            typ: &'a str,
            kid: &'a str,
        }
        let header = JoseHeader {
            alg: self.alg.as_str(),
            typ,
            kid: &self.kid,
        };
        self.sign_with_header(&header, claims)
    }

    /// The public JWK as a DPoP proof's header carries it: no `kid` or `use`.
    pub(crate) fn jwk_for_proofs(&self) -> Jwk {
        Jwk {
            kid: String::new(),
            use_: None,
            ..self.jwk.clone()
        }
    }

    pub(crate) fn sign_with_header<H: Serialize, C: Serialize>(
        &self,
        header: &H,
        claims: &C,
    ) -> Result<String, JwtError> {
        let header = serde_json::to_vec(header)?;
        let payload = serde_json::to_vec(claims)?;
        let mut token = String::with_capacity(512 + payload.len() * 4 / 3);
        token.push_str(&b64(&header));
        token.push('.');
        token.push_str(&b64(&payload));
        let signature = self.signature(token.as_bytes())?;
        token.push('.');
        token.push_str(&b64(&signature));
        Ok(token)
    }

    fn signature(&self, message: &[u8]) -> Result<Vec<u8>, JwtError> {
        let failed = |_| JwtError::SigningFailed;
        match (&self.pair, self.alg) {
            (Pair::Rsa(pair), alg) => {
                let padding = if alg == Algorithm::PS256 {
                    &signature::RSA_PSS_SHA256
                } else {
                    &signature::RSA_PKCS1_SHA256
                };
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(padding, &self.rng, message, &mut signature)
                    .map_err(failed)?;
                Ok(signature)
            }
            // RFC 7518 §3.4: the fixed-length R || S form, not ASN.1 DER.
            (Pair::Ec(pair), _) => pair
                .sign(&self.rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(failed),
            (Pair::Ed(pair), _) => pair
                .try_sign(message)
                .map(|s| s.as_ref().to_vec())
                .map_err(failed),
        }
    }
}

/// The public JWK of `pair` (with an empty `kid`).
fn public_jwk(alg: Algorithm, pair: &Pair) -> Result<Jwk, JwtError> {
    let mut jwk = Jwk {
        kty: alg.key_type().into(),
        kid: String::new(),
        use_: Some("sig".into()),
        alg: Some(alg.as_str().into()),
        crv: None,
        n: None,
        e: None,
        x: None,
        y: None,
    };
    match pair {
        Pair::Rsa(pair) => {
            let public = pair.public_key();
            jwk.n = Some(b64(public.modulus().big_endian_without_leading_zero()));
            jwk.e = Some(b64(public.exponent().big_endian_without_leading_zero()));
        }
        Pair::Ec(pair) => {
            // SEC 1 uncompressed point: 0x04 || x || y, 32 bytes each on P-256.
            let point = pair.public_key().as_ref();
            let (x, y) = match point {
                [4, rest @ ..] if rest.len() == 64 => rest.split_at(32),
                _ => return Err(invalid("unexpected P-256 public key encoding")),
            };
            jwk.crv = Some("P-256".into());
            jwk.x = Some(b64(x));
            jwk.y = Some(b64(y));
        }
        Pair::Ed(pair) => {
            jwk.crv = Some("Ed25519".into());
            jwk.x = Some(b64(pair.public_key().as_ref()));
        }
    }
    Ok(jwk)
}
