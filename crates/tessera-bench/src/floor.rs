//! The physical limits, measured in the same run: signatures and verifications per second for
//! every algorithm, and argon2id password checks per second at the parameters logins use.
//!
//! A floor is the fastest honest implementation of the work a request cannot avoid, so it must
//! do that work exactly as the server does and nothing more: it signs the server's own typed
//! access-token claims with a cached key, verifies into the same typed claims, and checks a
//! password with `tessera_core`'s function in reused memory under the server's allocator
//! (mimalloc, set in main.rs). A floor slower than the server's path would flatter every ratio
//! computed from it; `floors_are_at_least_as_fast_as_the_server_paths` below guards that.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tessera_core::crypto::{hash_password_in, verify_password_in, HashMemory};
use tessera_jwt::{Algorithm, SigningKey, VerifyingKey};
use tessera_protocol::claims::{access_token_claims, AccessTokenClaims, TokenContext};
use tessera_protocol::{ClientId, ScopeSet, Timestamp};

pub const PASSWORD: &str = "correct horse battery staple";

/// The claims the server signs for a client-credentials token of the RS256 API.
pub fn m2m_claims() -> Result<AccessTokenClaims, String> {
    let client_id = ClientId("bench-m2m".to_owned());
    let scope = ScopeSet::parse("read").map_err(|e| e.to_string())?;
    let ctx = TokenContext {
        issuer: "http://127.0.0.1:3000/",
        client_id: &client_id,
        user_id: "bench-m2m@clients",
        scope: &scope,
        now: Timestamp(1_800_000_000),
    };
    let jti = "abcdefghijklmnopqrstuv".to_owned();
    Ok(access_token_claims(ctx, Some("bench:rs256"), 86_400, jti))
}

/// Operations per second of `work` over `window` (which reports whether each one succeeded;
/// a failure is an error, not a slow success).
pub fn per_second(window: Duration, mut work: impl FnMut() -> bool) -> Result<f64, String> {
    let started = Instant::now();
    let mut count = 0u64;
    while started.elapsed() < window {
        if !work() {
            return Err("a floor operation failed".to_owned());
        }
        count += 1;
    }
    Ok(count as f64 / started.elapsed().as_secs_f64())
}

/// One signature with a cached key pair, as the server signs.
pub fn sign_operation(alg: Algorithm) -> Result<impl FnMut() -> bool, String> {
    let key = SigningKey::generate(alg).map_err(|e| e.to_string())?;
    let claims = m2m_claims()?;
    Ok(move || key.sign("at+jwt", &claims).is_ok())
}

/// One verification into the typed claims with a parsed public key, as userinfo and resource
/// servers verify.
pub fn verify_operation(alg: Algorithm) -> Result<impl FnMut() -> bool, String> {
    let key = SigningKey::generate(alg).map_err(|e| e.to_string())?;
    let token = key
        .sign("at+jwt", &m2m_claims()?)
        .map_err(|e| e.to_string())?;
    let verifier = VerifyingKey::from_jwk(&key.public_jwk()).map_err(|e| e.to_string())?;
    Ok(move || tessera_jwt::verify::<AccessTokenClaims>(&token, &verifier).is_ok())
}

/// One argon2id password check at the server's parameters, in memory reused across checks.
pub fn argon2_operation() -> Result<impl FnMut() -> bool, String> {
    let mut memory = HashMemory::default();
    let hash = hash_password_in(PASSWORD, &mut memory).map_err(|e| e.to_string())?;
    Ok(move || verify_password_in(&hash, PASSWORD, &mut memory))
}

pub fn signs_per_second(alg: Algorithm, window: Duration) -> Result<f64, String> {
    per_second(window, sign_operation(alg)?)
}

pub fn verifies_per_second(alg: Algorithm, window: Duration) -> Result<f64, String> {
    per_second(window, verify_operation(alg)?)
}

pub fn argon2_per_second(window: Duration) -> Result<f64, String> {
    per_second(window, argon2_operation()?)
}

/// Every floor, measured on the CPUs of the process that measured them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Floors {
    pub sign: BTreeMap<String, f64>,
    pub verify: BTreeMap<String, f64>,
    pub argon2: f64,
}

impl Floors {
    /// Each floor for `window` in all, on one thread: three rounds of a third of it, each
    /// round through every operation, keeping each operation's best round — a floor is a
    /// bound, and a round slowed by a neighbour would lower it and flatter every ratio.
    pub fn measure(window: Duration) -> Result<Floors, String> {
        const ROUNDS: u32 = 3;
        let slice = window / ROUNDS;
        let mut best = Floors::default();
        for _ in 0..ROUNDS {
            let mut round = Floors::default();
            for alg in Algorithm::ALL {
                let name = alg.as_str().to_owned();
                round
                    .sign
                    .insert(name.clone(), signs_per_second(alg, slice)?);
                round.verify.insert(name, verifies_per_second(alg, slice)?);
            }
            round.argon2 = argon2_per_second(slice)?;
            best = best.fastest(&round);
        }
        Ok(best)
    }

    /// The faster of two measurements of each floor: a floor is a bound, so the higher
    /// figure is the honest one.
    pub fn fastest(&self, other: &Floors) -> Floors {
        let max = |a: &BTreeMap<String, f64>, b: &BTreeMap<String, f64>| {
            let mut out = a.clone();
            for (name, value) in b {
                let entry = out.entry(name.clone()).or_insert(*value);
                *entry = entry.max(*value);
            }
            out
        };
        Floors {
            sign: max(&self.sign, &other.sign),
            verify: max(&self.verify, &other.verify),
            argon2: self.argon2.max(other.argon2),
        }
    }

    pub fn sign(&self, alg: &str) -> f64 {
        self.sign.get(alg).copied().unwrap_or(f64::NAN)
    }

    pub fn verify(&self, alg: &str) -> f64 {
        self.verify.get(alg).copied().unwrap_or(f64::NAN)
    }

    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = Algorithm::ALL
            .iter()
            .map(|alg| {
                let name = alg.as_str();
                format!(
                    "{name} sign {:.0}/s verify {:.0}/s",
                    self.sign(name),
                    self.verify(name)
                )
            })
            .collect();
        parts.push(format!("argon2id {:.1}/s", self.argon2));
        parts.join(" · ")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// The fastest single run of each, timed alternately one operation at a time: a noisy
    /// neighbour (another test, the hypervisor) slows some runs of both, and the fastest run is
    /// the work itself. Rates over windows, compared instead, failed when a neighbour took the
    /// CPU during the floor's windows and not the server's.
    fn fastest_runs(
        mut floor: impl FnMut() -> bool,
        mut server: impl FnMut() -> bool,
        runs: u32,
    ) -> (Duration, Duration) {
        let timed = |work: &mut dyn FnMut() -> bool| {
            let started = Instant::now();
            assert!(work(), "an operation failed");
            started.elapsed()
        };
        let (mut best_floor, mut best_server) = (Duration::MAX, Duration::MAX);
        for _ in 0..runs {
            best_floor = best_floor.min(timed(&mut floor));
            best_server = best_server.min(timed(&mut server));
        }
        (best_floor, best_server)
    }

    /// Within 10 %: both sides run the same code, so a floor clearly slower than the server's
    /// path means it does more work than the server does.
    fn assert_not_slower(what: &str, (floor, server): (Duration, Duration)) {
        assert!(
            floor.as_secs_f64() <= server.as_secs_f64() * 1.1,
            "{what}: the floor's fastest run ({floor:?}) is slower than the server path's ({server:?})"
        );
    }

    #[test]
    fn floors_are_at_least_as_fast_as_the_server_paths() {
        // Password checks: the server's path is `Passwords::verify` (a permit, the blocking
        // pool, a pooled buffer).
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let passwords = tessera_core::crypto::Passwords::new(1).unwrap();
        let hash = runtime
            .block_on(passwords.hash(PASSWORD.to_owned()))
            .unwrap();
        let server = || {
            runtime
                .block_on(passwords.verify(Some(hash.clone()), PASSWORD.to_owned()))
                .unwrap()
        };
        assert_not_slower(
            "argon2id",
            fastest_runs(argon2_operation().unwrap(), server, 12),
        );

        // Signatures: the server builds fresh claims (a random jti) and signs them.
        for alg in Algorithm::ALL {
            let key = SigningKey::generate(alg).unwrap();
            let server = || {
                let mut claims = m2m_claims().unwrap();
                claims.jti = tessera_core::crypto::random_token(16).unwrap();
                key.sign("at+jwt", &claims).is_ok()
            };
            assert_not_slower(
                alg.as_str(),
                fastest_runs(sign_operation(alg).unwrap(), server, 200),
            );
        }

        // Verification: the server reads the header, picks the key by kid, then verifies.
        for alg in Algorithm::ALL {
            let key = SigningKey::generate(alg).unwrap();
            let token = key.sign("at+jwt", &m2m_claims().unwrap()).unwrap();
            let verifier = VerifyingKey::from_jwk(&key.public_jwk()).unwrap();
            let server = || {
                let header = tessera_jwt::decode_header(&token).unwrap();
                tessera_jwt::verify_decoded::<AccessTokenClaims>(&token, &header, &verifier).is_ok()
            };
            assert_not_slower(
                alg.as_str(),
                fastest_runs(verify_operation(alg).unwrap(), server, 200),
            );
        }
    }

    #[test]
    fn the_fastest_of_two_measurements_keeps_each_floors_maximum() {
        let a = Floors {
            sign: BTreeMap::from([("RS256".to_owned(), 100.0), ("ES256".to_owned(), 50.0)]),
            verify: BTreeMap::from([("RS256".to_owned(), 10.0)]),
            argon2: 20.0,
        };
        let b = Floors {
            sign: BTreeMap::from([("RS256".to_owned(), 90.0), ("ES256".to_owned(), 70.0)]),
            verify: BTreeMap::from([("EdDSA".to_owned(), 5.0)]),
            argon2: 25.0,
        };
        let both = a.fastest(&b);
        assert_eq!(both.sign("RS256"), 100.0);
        assert_eq!(both.sign("ES256"), 70.0);
        assert_eq!(both.verify("RS256"), 10.0);
        assert_eq!(both.verify("EdDSA"), 5.0);
        assert_eq!(both.argon2, 25.0);
    }
}
