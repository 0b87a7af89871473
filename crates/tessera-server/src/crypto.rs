//! Randomness and password hashing. Argon2id runs on the blocking pool under a semaphore, so a
//! flood of logins cannot starve the async executor or the token endpoint.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tessera_protocol::secret::base64url;
use tokio::sync::Semaphore;

/// A random value of `bytes` bytes from the system CSPRNG, base64url-encoded.
pub fn random_token(bytes: usize) -> Result<String, CryptoError> {
    let mut buffer = vec![0u8; bytes];
    aws_lc_rs::rand::fill(&mut buffer).map_err(|_| CryptoError::Random)?;
    Ok(base64url(&buffer))
}

/// A random value of `bytes` bytes, lowercase hex (Auth0-style user ids).
pub fn random_hex(bytes: usize) -> Result<String, CryptoError> {
    let mut buffer = vec![0u8; bytes];
    aws_lc_rs::rand::fill(&mut buffer).map_err(|_| CryptoError::Random)?;
    Ok(buffer.iter().map(|b| format!("{b:02x}")).collect())
}

/// A client secret of `bytes` random bytes, base64url, never starting with `-` (which command
/// lines would take for an option).
pub fn new_client_secret(bytes: usize) -> Result<String, CryptoError> {
    loop {
        let secret = random_token(bytes)?;
        if !secret.starts_with('-') {
            return Ok(secret);
        }
    }
}

/// Codes, refresh tokens, session ids: 256 bits.
pub fn new_secret() -> Result<String, CryptoError> {
    random_token(32)
}

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the system random generator failed")]
    Random,
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password hashing task failed")]
    Task,
}

/// Argon2id password hashing at OWASP's parameters (m = 19 MiB, t = 2, p = 1).
#[derive(Debug, Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// Verified against when the user does not exist, so timing does not reveal accounts.
    decoy_hash: Arc<String>,
}

fn argon2() -> Result<Argon2<'static>, CryptoError> {
    let params =
        Params::new(19 * 1024, 2, 1, None).map_err(|e| CryptoError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_blocking(password: &str) -> Result<String, CryptoError> {
    let mut salt = [0u8; 16];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| CryptoError::Random)?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| CryptoError::Hash(e.to_string()))?;
    argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| CryptoError::Hash(e.to_string()))
}

fn verify_blocking(hash: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    argon2().is_ok_and(|a| a.verify_password(password.as_bytes(), &parsed).is_ok())
}

impl Passwords {
    /// At most `concurrency` hashes run at once.
    pub fn new(concurrency: usize) -> Result<Passwords, CryptoError> {
        Ok(Passwords {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            decoy_hash: Arc::new(hash_blocking("decoy password, never valid")?),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, CryptoError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| CryptoError::Task)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| CryptoError::Task)
    }

    pub async fn hash(&self, password: String) -> Result<String, CryptoError> {
        self.run(move || hash_blocking(&password)).await?
    }

    /// Checks `password` against `hash`, or against a decoy when there is no user, taking the
    /// same time either way.
    pub async fn verify(
        &self,
        hash: Option<String>,
        password: String,
    ) -> Result<bool, CryptoError> {
        let exists = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.decoy_hash.as_ref().clone());
        let matched = self.run(move || verify_blocking(&hash, &password)).await?;
        Ok(exists && matched)
    }
}
