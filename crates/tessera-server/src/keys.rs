//! The signing keys in use: loaded from the store (generated on first start), parsed once, and
//! the JWKS document rendered once.

use std::collections::HashMap;

use tessera_jwt::{Algorithm, JwkSet, JwtError, SigningKey, VerifyingKey};
use tessera_protocol::Timestamp;
use tessera_store::{SigningKeyRecord, Store, StoreError};

/// Keys for signing and for verifying Tessera's own tokens.
#[derive(Debug)]
pub struct KeyRing {
    signer: SigningKey,
    verifiers: HashMap<String, VerifyingKey>,
    jwks_json: String,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Jwt(#[from] JwtError),
    #[error("serializing the JWKS: {0}")]
    Json(#[from] serde_json::Error),
}

impl KeyRing {
    /// Loads the store's keys, generating and storing an RS256 key when there is none. The
    /// newest key signs; every key not revoked is published.
    pub async fn load_or_create(store: &dyn Store, now: Timestamp) -> Result<KeyRing, KeyError> {
        let mut records = store.signing_keys().await?;
        if records.is_empty() {
            let key = SigningKey::generate(Algorithm::RS256)?;
            store
                .insert_signing_key(&SigningKeyRecord {
                    kid: key.kid().to_owned(),
                    alg: key.algorithm().as_str().to_owned(),
                    private_key_der: key.pkcs8()?,
                    created_at: now,
                })
                .await?;
            // Another node may have raced us; the store's order decides for all of them.
            records = store.signing_keys().await?;
        }
        let keys = records
            .iter()
            .map(|r| SigningKey::from_pkcs8(Algorithm::parse(&r.alg)?, &r.private_key_der))
            .collect::<Result<Vec<_>, JwtError>>()?;
        let jwks = JwkSet {
            keys: keys.iter().map(SigningKey::public_jwk).collect(),
        };
        let verifiers = jwks
            .keys
            .iter()
            .map(|jwk| Ok((jwk.kid.clone(), VerifyingKey::from_jwk(jwk)?)))
            .collect::<Result<HashMap<_, _>, JwtError>>()?;
        let signer = keys
            .into_iter()
            .last()
            .ok_or_else(|| JwtError::InvalidKey("no signing key".into()))?;
        Ok(KeyRing {
            signer,
            verifiers,
            jwks_json: serde_json::to_string(&jwks)?,
        })
    }

    pub fn signer(&self) -> &SigningKey {
        &self.signer
    }

    pub fn verifier(&self, kid: &str) -> Option<&VerifyingKey> {
        self.verifiers.get(kid)
    }

    pub fn jwks_json(&self) -> &str {
        &self.jwks_json
    }
}
