//! Randomness and password hashing. Argon2id runs on the blocking pool under a semaphore, so a
//! flood of logins cannot starve the async executor or the token endpoint.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tessera_protocol::secret::base64url;
use tessera_protocol::SecretDigest;
use tokio::sync::Semaphore;

use crate::imported_password::CustomPasswordHash;

/// Fills `buffer` from the operating system's CSPRNG (`getrandom(2)`). Not aws-lc's DRBG: that
/// one seeds itself from CPU jitter on first use (tens of milliseconds of CPU), which would sit
/// on every start's path to ready; see [`seed_signing_rng_in_background`].
pub fn fill_random(buffer: &mut [u8]) -> Result<(), CryptoError> {
    getrandom::fill(buffer).map_err(|_| CryptoError::Random)
}

/// Seeds aws-lc's DRBG — which signatures use (ECDSA nonces, RSA blinding) — on a thread of its
/// own, so a starting server answers while it happens rather than after, and the first token
/// request usually finds it done (or waits for it, never fails).
pub fn seed_signing_rng_in_background() {
    std::thread::spawn(|| {
        let mut byte = [0u8; 1];
        if aws_lc_rs::rand::fill(&mut byte).is_err() {
            tracing::error!("aws-lc's random number generator could not be seeded");
        }
    });
}

/// A random value of `bytes` bytes from the system CSPRNG, base64url-encoded.
pub fn random_token(bytes: usize) -> Result<String, CryptoError> {
    let mut buffer = vec![0u8; bytes];
    fill_random(&mut buffer)?;
    Ok(base64url(&buffer))
}

/// A random value of `bytes` bytes, lowercase hex (Auth0-style user ids).
pub fn random_hex(bytes: usize) -> Result<String, CryptoError> {
    let mut buffer = vec![0u8; bytes];
    fill_random(&mut buffer)?;
    Ok(buffer.iter().map(|b| format!("{b:02x}")).collect())
}

/// A new resource server's opaque id: 24 hex digits, as Auth0's are.
pub fn new_resource_server_id() -> Result<String, CryptoError> {
    random_hex(12)
}

/// `length` random letters and digits, as Auth0's client ids are: nothing a URL, a form or a
/// command line would treat specially (a base64url id may start with `-`, which a command line
/// takes for an option).
pub fn random_alphanumeric(length: usize) -> Result<String, CryptoError> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    // 248 = 4 × 62: bytes at or above it are dropped, so every character is equally likely.
    const UNBIASED: u8 = 248;
    let mut out = String::with_capacity(length);
    let mut buffer = [0u8; 64];
    while out.len() < length {
        fill_random(&mut buffer)?;
        for &byte in buffer.iter().filter(|&&b| b < UNBIASED) {
            if out.len() == length {
                break;
            }
            out.push(char::from(ALPHABET[usize::from(byte % 62)]));
        }
    }
    Ok(out)
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

/// A CSRF token bound to a cookie only the browser holds (and to what the form acts on):
/// derived, never stored, so nothing in the database lets anyone post a form in someone else's
/// name, and no other site can compute it. `purpose` keeps the tokens of different forms apart.
pub fn bound_csrf_token(purpose: &str, bound_to: &str) -> String {
    base64url(SecretDigest::of(&format!("tessera-{purpose}:{bound_to}")).as_bytes())
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
///
/// Each hash needs 19 MiB of working memory. Allocating it per hash costs more than the hash's
/// second pass (the pages are faulted in and zeroed every time), so the buffers of recent hashes
/// are kept for reuse — at most one per permit — and dropped by [`Passwords::release_idle`]
/// once logins stop, so an idle server holds none.
#[derive(Debug, Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    scratch: Arc<Mutex<Vec<Scratch>>>,
    /// Verified against when the user does not exist, so timing does not reveal accounts.
    decoy_hash: Arc<String>,
}

/// One argon2id computation's working memory (19 MiB at our parameters), kept between
/// computations so a busy server — and the benchmark's floor, which must do the same work —
/// does not allocate and zero it for every login.
#[derive(Debug, Default)]
pub struct HashMemory(Vec<Block>);

/// One hash's working memory and when it was last used.
#[derive(Debug)]
struct Scratch {
    memory: HashMemory,
    used_at: Instant,
}

/// How long an unused buffer is kept.
const SCRATCH_IDLE: Duration = Duration::from_secs(2);

fn params() -> Result<Params, CryptoError> {
    Params::new(19 * 1024, 2, 1, None).map_err(|e| CryptoError::Hash(e.to_string()))
}

fn hash_error(error: impl std::fmt::Display) -> CryptoError {
    CryptoError::Hash(error.to_string())
}

/// Argon2id of `password` and `salt` into `out`, in `memory` when it is the right size.
fn compute(
    params: Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    memory: &mut HashMemory,
) -> Result<(), CryptoError> {
    let blocks = &mut memory.0;
    if blocks.len() != params.block_count() {
        *blocks = vec![Block::default(); params.block_count()];
    }
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into_with_memory(password, salt, out, blocks.as_mut_slice())
        .map_err(hash_error)
}

/// A PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) for `password` with a fresh salt,
/// computed in `memory`. Blocking: [`Passwords::hash`] runs it off the async runtime.
pub fn hash_password_in(password: &str, memory: &mut HashMemory) -> Result<String, CryptoError> {
    let params = params()?;
    let mut salt = [0u8; 16];
    fill_random(&mut salt)?;
    let mut out = [0u8; 32];
    compute(params.clone(), password.as_bytes(), &salt, &mut out, memory)?;
    phc_string(&params, &salt, &out)
}

/// The PHC string of an argon2id (v19) output `out` computed with `params` and `salt`.
fn phc_string(params: &Params, salt: &[u8], out: &[u8]) -> Result<String, CryptoError> {
    let salt = SaltString::encode_b64(salt).map_err(hash_error)?;
    let hash = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(hash_error)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(out).map_err(hash_error)?),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `hash` (argon2id only), compared in constant time,
/// computed in `memory`. Blocking: [`Passwords::verify`] runs it off the async runtime.
pub fn verify_password_in(hash: &str, password: &str, memory: &mut HashMemory) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    if parsed.algorithm != argon2::ARGON2ID_IDENT || parsed.version != Some(0x13) {
        return false;
    }
    let (Ok(params), Some(expected), Some(salt)) =
        (Params::try_from(&parsed), parsed.hash, parsed.salt)
    else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    if compute(params, password.as_bytes(), salt, &mut out, memory).is_err() {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(&out).is_ok_and(|computed| computed == expected)
}

/// Whether a stored hash came from a user import (Auth0's `custom_password_hash` object, as
/// JSON) rather than from Tessera: such a hash is replaced by argon2id at the next login.
pub fn is_imported(stored: &str) -> bool {
    stored.starts_with('{')
}

/// The stored form of an imported hash, once [`CustomPasswordHash::verifier`] accepted it.
pub fn imported_hash_text(hash: &CustomPasswordHash) -> String {
    serde_json::to_string(hash).unwrap_or_default()
}

fn verify_imported(stored: &str, password: &str) -> bool {
    serde_json::from_str::<CustomPasswordHash>(stored)
        .ok()
        .and_then(|hash| hash.verifier().ok())
        .is_some_and(|verifier| verifier.verify(password))
}

/// The hash checked when there is no such user: our parameters, so checking it costs what
/// checking a real one does, and an all-zero output, which no password produces (a 2^-256
/// chance) — and [`Passwords::verify`] refuses it whatever the result. Built, not computed, so
/// a start does not spend a hash on it.
fn decoy_hash() -> Result<String, CryptoError> {
    phc_string(&params()?, b"tessera decoy 16", &[0u8; 32])
}

impl Passwords {
    /// At most `concurrency` hashes run at once.
    pub fn new(concurrency: usize) -> Result<Passwords, CryptoError> {
        let decoy_hash = decoy_hash()?;
        Ok(Passwords {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            scratch: Arc::new(Mutex::new(Vec::new())),
            decoy_hash: Arc::new(decoy_hash),
        })
    }

    /// Runs `work` on the blocking pool under a permit, with a reused buffer when one is free.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut HashMemory) -> T + Send + 'static,
    ) -> Result<T, CryptoError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| CryptoError::Task)?;
        let scratch = Arc::clone(&self.scratch);
        tokio::task::spawn_blocking(move || {
            below_requests();
            let mut memory = lock(&scratch).pop().map(|s| s.memory).unwrap_or_default();
            let result = work(&mut memory);
            lock(&scratch).push(Scratch {
                memory,
                used_at: Instant::now(),
            });
            result
        })
        .await
        .map_err(|_| CryptoError::Task)
    }

    pub async fn hash(&self, password: String) -> Result<String, CryptoError> {
        self.run(move |memory| hash_password_in(&password, memory))
            .await?
    }

    /// Checks `password` against `hash` — argon2id, or a hash a user import brought (see
    /// [`is_imported`]) — or against a decoy when there is no user, taking the same time either
    /// way for argon2id.
    pub async fn verify(
        &self,
        hash: Option<String>,
        password: String,
    ) -> Result<bool, CryptoError> {
        let exists = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.decoy_hash.as_ref().clone());
        let matched = self
            .run(move |memory| {
                if is_imported(&hash) {
                    verify_imported(&hash, &password)
                } else {
                    verify_password_in(&hash, &password, memory)
                }
            })
            .await?;
        Ok(exists && matched)
    }

    /// Drops the buffers no hash used for [`SCRATCH_IDLE`] (all of them with `everything`), so
    /// their memory goes back to the system.
    pub fn release_idle(&self, everything: bool) {
        lock(&self.scratch).retain(|s| !everything && s.used_at.elapsed() < SCRATCH_IDLE);
    }

    /// Releases idle buffers every second, for as long as the task runs.
    pub fn spawn_release(&self) -> tokio::task::JoinHandle<()> {
        let passwords = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                passwords.release_idle(false);
            }
        })
    }
}

/// The nice value of the threads that hash passwords.
const HASHING_NICENESS: i32 = 10;

/// Lowers this thread's scheduling priority (Linux: nice is per thread) so that, on a busy core,
/// requests that need microseconds are not queued behind hashes that take tens of milliseconds:
/// measured in the soak, the p99 of the token path fell from 10–20 ms to 5–6 ms with logins in
/// the mix. A hash still gets the core when nothing else wants it, and about a tenth of it when
/// the token path saturates it. A blocking-pool thread keeps the lower priority for the other
/// blocking work it may run later (key generation, name lookups), all of it background work. A
/// system that forbids the call leaves the priority as it was.
fn below_requests() {
    let _ = rustix::process::setpriority_process(Some(rustix::thread::gettid()), HASHING_NICENESS);
}

fn lock(scratch: &Mutex<Vec<Scratch>>) -> std::sync::MutexGuard<'_, Vec<Scratch>> {
    scratch
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use argon2::password_hash::PasswordVerifier;

    #[test]
    fn the_decoy_has_our_parameters_and_matches_no_password() {
        let decoy = decoy_hash().unwrap();
        let parsed = PasswordHash::new(&decoy).unwrap();
        let (theirs, ours) = (Params::try_from(&parsed).unwrap(), params().unwrap());
        let cost = |p: &Params| (p.m_cost(), p.t_cost(), p.p_cost());
        assert_eq!(cost(&theirs), cost(&ours));
        assert_eq!(parsed.hash.map(|h| h.len()), Some(32));
        let mut memory = HashMemory::default();
        for password in ["", "decoy", "password", "tessera decoy 16"] {
            assert!(!verify_password_in(&decoy, password, &mut memory));
        }
    }

    #[test]
    fn a_hash_verifies_with_the_argon2_crate_and_here_and_only_for_its_password() {
        let hash = hash_password_in("correct horse", &mut HashMemory::default()).unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        let parsed = PasswordHash::new(&hash).unwrap();
        assert!(Argon2::default()
            .verify_password(b"correct horse", &parsed)
            .is_ok());
        let mut memory = HashMemory::default();
        assert!(verify_password_in(&hash, "correct horse", &mut memory));
        assert!(!verify_password_in(&hash, "correct horsf", &mut memory));
        assert!(!verify_password_in(
            "not a hash",
            "correct horse",
            &mut memory
        ));
    }

    #[test]
    fn hashes_made_by_the_argon2_crate_verify_here_with_a_reused_buffer() {
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params().unwrap())
            .hash_password(b"pw", &salt)
            .unwrap()
            .to_string();
        let mut memory = HashMemory::default();
        assert!(verify_password_in(&theirs, "pw", &mut memory));
        assert!(
            verify_password_in(&theirs, "pw", &mut memory),
            "a dirty buffer gives the same hash"
        );
        assert!(!verify_password_in(&theirs, "pW", &mut memory));
    }

    #[test]
    fn other_parameters_and_algorithms_are_handled() {
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let small = Params::new(1024, 1, 1, None).unwrap();
        let argon2id_small = Argon2::new(Algorithm::Argon2id, Version::V0x13, small.clone())
            .hash_password(b"pw", &salt)
            .unwrap()
            .to_string();
        let mut memory = HashMemory::default();
        assert!(verify_password_in(&argon2id_small, "pw", &mut memory));
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, small)
            .hash_password(b"pw", &salt)
            .unwrap()
            .to_string();
        assert!(
            !verify_password_in(&argon2i, "pw", &mut memory),
            "only argon2id is accepted"
        );
    }

    #[test]
    fn alphanumeric_ids_have_their_length_and_only_letters_and_digits() {
        for length in [0, 1, 32, 100] {
            let id = random_alphanumeric(length).unwrap();
            assert_eq!(id.len(), length);
            assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
        }
        assert_ne!(
            random_alphanumeric(32).unwrap(),
            random_alphanumeric(32).unwrap()
        );
    }
}
