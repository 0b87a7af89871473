//! The physical limits, measured in the same run: signatures and verifications per second per
//! algorithm, and argon2id hashes per second at the parameters logins use. One thread each.

use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Algorithm as Argon, Argon2, Params, Version};
use serde_json::json;
use tessera_jwt::{Algorithm, SigningKey, VerifyingKey};

const WINDOW: Duration = Duration::from_millis(1500);

fn claims() -> serde_json::Value {
    json!({
        "iss": "http://127.0.0.1:3000/", "sub": "auth0|0123456789abcdef01234567", "aud": "bench:api",
        "client_id": "bench-m2m", "azp": "bench-m2m", "scope": "read write", "iat": 1_800_000_000,
        "exp": 1_800_086_400, "jti": "abcdefghijklmnopqrstuv"
    })
}

fn per_second(mut work: impl FnMut() -> bool) -> f64 {
    let started = Instant::now();
    let mut count = 0u64;
    while started.elapsed() < WINDOW {
        if work() {
            count += 1;
        }
    }
    count as f64 / started.elapsed().as_secs_f64()
}

/// Signatures per second with a cached key pair, as the server signs.
pub fn signs_per_second(alg: Algorithm) -> Result<f64, String> {
    let key = SigningKey::generate(alg).map_err(|e| e.to_string())?;
    let claims = claims();
    Ok(per_second(|| key.sign("at+jwt", &claims).is_ok()))
}

/// Verifications per second with a parsed public key, as resource servers verify.
pub fn verifies_per_second(alg: Algorithm) -> Result<f64, String> {
    let key = SigningKey::generate(alg).map_err(|e| e.to_string())?;
    let token = key.sign("at+jwt", &claims()).map_err(|e| e.to_string())?;
    let verifier = VerifyingKey::from_jwk(&key.public_jwk()).map_err(|e| e.to_string())?;
    Ok(per_second(|| {
        tessera_jwt::verify::<serde_json::Value>(&token, &verifier).is_ok()
    }))
}

/// argon2id hashes per second at OWASP's parameters (m = 19 MiB, t = 2, p = 1).
pub fn argon2_per_second() -> Result<f64, String> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| e.to_string())?;
    let argon = Argon2::new(Argon::Argon2id, Version::V0x13, params);
    let salt = SaltString::encode_b64(b"0123456789abcdef").map_err(|e| e.to_string())?;
    Ok(per_second(|| {
        argon
            .hash_password(b"correct horse battery staple", &salt)
            .is_ok()
    }))
}
