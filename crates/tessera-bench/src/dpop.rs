//! Scenario G: client credentials with a DPoP proof (RFC 9449) for an API that binds its
//! tokens, measured next to the same API without a proof, in the same run, one window after
//! the other. The load generator signs the proofs before the timed window — one per request,
//! each used once, oldest first — so that signing them does not take the CPU it sends with.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::body::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{HeaderMap, Request};
use tessera_jwt::dpop::{ProofClaims, MAX_PROOF_AGE};
use tessera_jwt::{Algorithm, JwkSet, SigningKey, VerifyingKey};

use crate::flows::{self, access_token_of_type, client_credentials};
use crate::load::{self, get, snippet, Body, Step, Worker};
use crate::populate::unix_now;
use crate::report::Measured;
use crate::scenarios::Target;
use crate::server::DPOP_API;

/// G's windows are at most this long: its proofs are signed before the window and must still
/// be fresh when the last is used (Tessera accepts an `iat` up to 60 s old), and a pool for a
/// longer window would only hold more memory.
pub const MAX_WINDOW: Duration = Duration::from_secs(10);

/// Proofs signed per request the window without proofs answered: a request with a proof does
/// strictly more work than one without, so this covers the noise between the two windows. A
/// pool that runs out anyway fails the scenario rather than understate its rate.
const POOL_MARGIN: f64 = 1.25;

/// How old a proof may be when it is used, at most: the server's limit less ten seconds.
const MAX_AGE_AT_USE: Duration = Duration::from_secs(MAX_PROOF_AGE.unsigned_abs() - 10);

/// Every how many answers a worker also checks the access token itself (its signature with the
/// server's published key, `aud`, `cnf.jkt`): an ES256 verification on the load generator.
/// Every answer's `token_type` is checked.
const SAMPLE_EVERY: u64 = 32;

/// RFC 9449 §4.1: the header a proof travels in.
const DPOP: HeaderName = HeaderName::from_static("dpop");

/// What G measured: the same API without and with a proof, and how the proofs were made.
pub struct Measurement {
    pub without_proof: Measured,
    pub with_proof: Measured,
    /// One line for the report: the ratio, its bound, the pool and the load generator's CPU.
    pub note: String,
}

/// Runs G against `target`: its no-proof window, then the proofs signed, then its window with
/// proofs. `verify_floor` (ES256 verifications a second) bounds what a proof may cost.
pub async fn measure(target: &Target, verify_floor: f64) -> Result<Measurement, String> {
    let target = Target {
        duration: target.duration.min(MAX_WINDOW),
        ..target.clone()
    };
    let key = SigningKey::generate(Algorithm::ES256).map_err(|e| e.to_string())?;
    let expected = Arc::new(Expected::fetch(&target, &key).await?);

    let cpu = CpuShare::start();
    let without_proof = target.client_credentials(DPOP_API).await?;
    let cpu_without = cpu.of_one_core();
    let rate = without_proof.outcome.per_second();

    let count = (rate * target.duration.as_secs_f64() * POOL_MARGIN).ceil() as usize;
    let signing = Instant::now();
    let pool = sign_for(&target, key, count + target.concurrency).await?;
    let signed_in = signing.elapsed();

    let cpu = CpuShare::start();
    let with_proof = with_proofs(&target, &pool, expected).await?;
    let note = Note {
        ratio: with_proof.outcome.per_second() / rate.max(f64::MIN_POSITIVE),
        // A proof costs the server at least one ES256 verification more than a request without.
        best: verify_floor / (verify_floor + rate),
        verify_floor,
        signed: pool.len(),
        used: pool.used(),
        signed_in,
        oldest_at_end: signed_in + target.duration,
        cpu_without,
        cpu_with: cpu.of_one_core(),
    };
    Ok(Measurement {
        without_proof,
        with_proof,
        note: note.describe(),
    })
}

/// `count` proofs by `key` for `target`'s token endpoint, signed on the load generator's CPUs
/// while the server idles; refused if the oldest would be too old by the end of the window.
async fn sign_for(target: &Target, key: SigningKey, count: usize) -> Result<Arc<Pool>, String> {
    let htu = format!("http://{}/oauth/token", target.host);
    let signing = Instant::now();
    let pool =
        tokio::task::spawn_blocking(move || Pool::sign(&key, &htu, count, signing_threads()))
            .await
            .map_err(|e| e.to_string())??;
    let oldest_at_end = signing.elapsed() + target.duration;
    if oldest_at_end > MAX_AGE_AT_USE {
        return Err(format!(
            "G: signing {count} proofs took {:?}; the oldest would be used up to \
             {oldest_at_end:?} after its iat, more than {MAX_AGE_AT_USE:?}",
            signing.elapsed()
        ));
    }
    Ok(Arc::new(pool))
}

/// The window with proofs: A's request for the DPoP API with the pool's next proof, every
/// answer checked; a pool that ran out before the window ended fails it.
async fn with_proofs(
    target: &Target,
    pool: &Arc<Pool>,
    expected: Arc<Expected>,
) -> Result<Measured, String> {
    let template = client_credentials(&target.host, target.dialect, DPOP_API);
    let workers = (0..target.concurrency)
        .map(|_| {
            Box::new(WithProof {
                template: load::copy(&template),
                pool: Arc::clone(pool),
                expected: Arc::clone(&expected),
                answered: 0,
            }) as Box<dyn Worker>
        })
        .collect();
    let mut measured = target.run(workers).await?;
    if pool.ran_out() {
        let outcome = &mut measured.outcome;
        outcome.failed += 1;
        outcome.first_failure.get_or_insert_with(|| {
            format!(
                "the {} pre-signed proofs ran out before the window ended (its rate would be a lower bound)",
                pool.len()
            )
        });
    }
    Ok(measured)
}

/// What the report says of G beyond its two rows.
struct Note {
    ratio: f64,
    best: f64,
    verify_floor: f64,
    signed: usize,
    used: usize,
    signed_in: Duration,
    oldest_at_end: Duration,
    cpu_without: Option<f64>,
    cpu_with: Option<f64>,
}

impl Note {
    fn describe(&self) -> String {
        let cpu =
            |share: Option<f64>| share.map_or("–".to_owned(), |s| format!("{:.0} %", s * 100.0));
        format!(
            "G, DPoP at the token endpoint: with a proof, {:.2} of the same API's rate without one \
             (at most {:.2} if a proof cost the server nothing but one ES256 verification, at this \
             run's {:.0} verify/s). Proofs: {} signed (ES256) by the load generator in {:.1} s \
             before the window, {} used, each once and oldest first, none more than {:.0} s after \
             its iat. The load generator's CPU during the windows: {} of one core without proofs, \
             {} with.",
            self.ratio,
            self.best,
            self.verify_floor,
            self.signed,
            self.signed_in.as_secs_f64(),
            self.used,
            self.oldest_at_end.as_secs_f64().ceil(),
            cpu(self.cpu_without),
            cpu(self.cpu_with),
        )
    }
}

/// The load generator's threads for signing: the CPUs it may run on (the server is idle then).
fn signing_threads() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// Proofs signed before a window, each handed out once, oldest first.
pub struct Pool {
    proofs: Vec<HeaderValue>,
    next: AtomicUsize,
}

impl Pool {
    /// `count` proofs by `key` for `POST htu`, each with its own `jti` and the second it was
    /// signed as its `iat`, signed on `threads` threads.
    pub fn sign(key: &SigningKey, htu: &str, count: usize, threads: usize) -> Result<Pool, String> {
        let chunk = count.div_ceil(threads.max(1)).max(1);
        let signed: Vec<Result<Vec<HeaderValue>, String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..count)
                .step_by(chunk)
                .map(|start| {
                    let end = (start + chunk).min(count);
                    scope.spawn(move || (start..end).map(|i| proof(key, htu, i)).collect())
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err("a signing thread panicked".into()))
                })
                .collect()
        });
        let mut proofs = Vec::with_capacity(count);
        for part in signed {
            proofs.extend(part?);
        }
        Ok(Pool {
            proofs,
            next: AtomicUsize::new(0),
        })
    }

    /// The next unused proof, or `None` once all were handed out.
    fn take(&self) -> Option<HeaderValue> {
        let at = self.next.fetch_add(1, Ordering::Relaxed);
        self.proofs.get(at).cloned()
    }

    pub fn len(&self) -> usize {
        self.proofs.len()
    }

    /// How many were handed out.
    pub fn used(&self) -> usize {
        self.next.load(Ordering::Relaxed).min(self.len())
    }

    /// Whether a worker asked for a proof after the last was handed out.
    pub fn ran_out(&self) -> bool {
        self.next.load(Ordering::Relaxed) > self.len()
    }
}

/// Proof number `i`: RFC 9449 §4.2's claims for a token request, `jti` unique in the pool (and
/// the key is new each run), `iat` now.
fn proof(key: &SigningKey, htu: &str, i: usize) -> Result<HeaderValue, String> {
    let claims = ProofClaims {
        // 24 hex digits: about as long as a client's random identifier.
        jti: format!("{i:024x}"),
        htm: "POST".to_owned(),
        htu: htu.to_owned(),
        iat: unix_now()?,
        ath: None,
        nonce: None,
    };
    let jwt = key.sign_dpop_proof(&claims).map_err(|e| e.to_string())?;
    HeaderValue::from_maybe_shared(Bytes::from(jwt)).map_err(|e| e.to_string())
}

/// What a token response to a request with a proof must hold.
pub struct Expected {
    /// The RFC 7638 thumbprint of the proof key: the access token's `cnf.jkt` (RFC 9449 §6.1).
    jkt: String,
    audience: String,
    /// The server's published keys, by `kid`.
    keys: Vec<(String, VerifyingKey)>,
}

impl Expected {
    /// For proofs by `key`, with the keys `target` publishes.
    async fn fetch(target: &Target, key: &SigningKey) -> Result<Expected, String> {
        let jwks = get(&target.host, "/.well-known/jwks.json", &[]);
        let (status, _, body) = flows::call(target.addr, jwks).await?;
        if status != 200 {
            return Err(format!("G: the JWKS: HTTP {status}: {}", snippet(&body)));
        }
        let set: JwkSet = serde_json::from_slice(&body).map_err(|e| format!("G: the JWKS: {e}"))?;
        Expected::new(key.public_jwk().thumbprint(), DPOP_API, &set)
    }

    fn new(jkt: String, audience: &str, set: &JwkSet) -> Result<Expected, String> {
        let keys = set
            .keys
            .iter()
            .map(|jwk| Ok((jwk.kid.clone(), VerifyingKey::from_jwk(jwk)?)))
            .collect::<Result<_, tessera_jwt::JwtError>>()
            .map_err(|e| format!("G: a key of the JWKS: {e}"))?;
        Ok(Expected {
            jkt,
            audience: audience.to_owned(),
            keys,
        })
    }

    /// A token response with `token_type` DPoP (RFC 9449 §5); when `sampled`, its access token
    /// also verifies with the server's key, is for the API and is bound to the proof key.
    fn answer(&self, body: &[u8], sampled: bool) -> Result<(), String> {
        let value = access_token_of_type(body, "DPoP")?;
        match (sampled, value["access_token"].as_str()) {
            (true, Some(token)) => self.bound(token),
            _ => Ok(()),
        }
    }

    fn bound(&self, token: &str) -> Result<(), String> {
        let header = tessera_jwt::decode_header(token)
            .map_err(|e| format!("the access token's header: {e}"))?;
        let kid = header.kid.as_deref().unwrap_or_default();
        let (_, key) = self
            .keys
            .iter()
            .find(|(id, _)| id == kid)
            .ok_or_else(|| format!("the access token's kid {kid:?} is not in the JWKS"))?;
        let claims: serde_json::Value = tessera_jwt::verify_decoded(token, &header, key)
            .map_err(|e| format!("the access token does not verify: {e}"))?;
        let aud = &claims["aud"];
        let for_api = aud.as_str() == Some(self.audience.as_str())
            || aud
                .as_array()
                .is_some_and(|a| a.iter().any(|v| v.as_str() == Some(self.audience.as_str())));
        if !for_api {
            return Err(format!(
                "the access token's aud is {aud}, not {}",
                self.audience
            ));
        }
        match claims["cnf"]["jkt"].as_str() {
            Some(jkt) if jkt == self.jkt => Ok(()),
            other => Err(format!(
                "the access token's cnf.jkt is {other:?}, not the proof key's {}",
                self.jkt
            )),
        }
    }
}

/// Asks for client-credentials tokens for the DPoP API: the request of scenario A's workers,
/// with the pool's next proof.
struct WithProof {
    template: Request<Body>,
    pool: Arc<Pool>,
    expected: Arc<Expected>,
    answered: u64,
}

impl Worker for WithProof {
    fn next(&mut self) -> Option<Request<Body>> {
        let proof = self.pool.take()?;
        let mut request = load::copy(&self.template);
        request.headers_mut().insert(DPOP, proof);
        Some(request)
    }

    fn done(&mut self, status: u16, _headers: &HeaderMap, body: &[u8]) -> Step {
        let sampled = self.answered.is_multiple_of(SAMPLE_EVERY);
        self.answered += 1;
        if status != 200 {
            return Step::Failure(format!("HTTP {status}: {}", snippet(body)));
        }
        match self.expected.answer(body, sampled) {
            Ok(()) => Step::Success,
            Err(why) => Step::Failure(why),
        }
    }
}

/// This process's CPU time from a start, as a share of one core over the wall time since.
struct CpuShare {
    cpu: Option<Duration>,
    wall: Instant,
}

impl CpuShare {
    fn start() -> CpuShare {
        CpuShare {
            cpu: cpu_time(),
            wall: Instant::now(),
        }
    }

    fn of_one_core(&self) -> Option<f64> {
        let used = cpu_time()?.checked_sub(self.cpu?)?;
        Some(used.as_secs_f64() / self.wall.elapsed().as_secs_f64())
    }
}

/// User and system time of every thread of this process so far, from `/proc/self/stat`.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // proc(5): after the parenthesized name, field 3 (state) onwards; utime and stime are
    // fields 14 and 15, in clock ticks of USER_HZ (100 on Linux).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |at: usize| fields.get(at)?.parse::<u64>().ok();
    Some(Duration::from_millis((ticks(11)? + ticks(12)?) * 10))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::collections::HashSet;

    use serde_json::json;
    use tessera_jwt::dpop::{check_proof, ExpectedRequest};

    use super::*;

    const HTU: &str = "http://127.0.0.1:4000/oauth/token";

    fn token_response(token_type: &str, token: &str) -> Vec<u8> {
        json!({"access_token": token, "token_type": token_type, "expires_in": 86400})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn every_pooled_proof_passes_the_servers_checks_once_with_its_own_jti() {
        let key = SigningKey::generate(Algorithm::ES256).unwrap();
        let pool = Pool::sign(&key, HTU, 50, 3).unwrap();
        assert_eq!(pool.len(), 50);
        let now = unix_now().unwrap();
        let expected = ExpectedRequest {
            method: "POST",
            uri: HTU,
            now,
            access_token: None,
        };
        let mut jtis = HashSet::new();
        while let Some(proof) = pool.take() {
            let checked = check_proof(proof.to_str().unwrap(), &expected).unwrap();
            assert_eq!(checked.jkt, key.public_jwk().thumbprint());
            assert!((now - 1..=now).contains(&checked.iat), "{checked:?}");
            assert!(jtis.insert(checked.jti));
        }
        assert_eq!(jtis.len(), 50);
        assert_eq!(pool.used(), 50);
        assert!(pool.ran_out(), "a worker asked for a 51st proof");
    }

    #[test]
    fn a_pool_asked_for_no_more_than_it_holds_has_not_run_out() {
        let key = SigningKey::generate(Algorithm::ES256).unwrap();
        let pool = Pool::sign(&key, HTU, 2, 4).unwrap();
        assert!(pool.take().is_some() && pool.take().is_some());
        assert!(!pool.ran_out());
        assert_eq!(pool.used(), 2);
    }

    #[test]
    fn an_answer_must_be_a_dpop_token_bound_to_the_proof_key_for_the_api() {
        let server = SigningKey::generate(Algorithm::ES256).unwrap();
        let proof_key = SigningKey::generate(Algorithm::ES256).unwrap();
        let jkt = proof_key.public_jwk().thumbprint();
        let set = JwkSet {
            keys: vec![server.public_jwk()],
        };
        let expected = Expected::new(jkt.clone(), DPOP_API, &set).unwrap();
        let token = |aud: &str, jkt: &str| {
            server
                .sign("at+jwt", &json!({"aud": [aud], "cnf": {"jkt": jkt}}))
                .unwrap()
        };

        let good = token(DPOP_API, &jkt);
        assert_eq!(
            expected.answer(&token_response("DPoP", &good), true),
            Ok(())
        );
        let bearer = expected.answer(&token_response("Bearer", &good), false);
        assert!(bearer.unwrap_err().contains("not DPoP"));
        let other_key = token(DPOP_API, "another-thumbprint");
        // Only a sampled answer's token is opened.
        assert_eq!(
            expected.answer(&token_response("DPoP", &other_key), false),
            Ok(())
        );
        let unbound = expected.answer(&token_response("DPoP", &other_key), true);
        assert!(unbound.unwrap_err().contains("cnf.jkt"));
        let other_api = expected.answer(&token_response("DPoP", &token("bench:es256", &jkt)), true);
        assert!(other_api.unwrap_err().contains("aud"));
        let stranger = SigningKey::generate(Algorithm::ES256).unwrap();
        let theirs = stranger
            .sign("at+jwt", &json!({"aud": DPOP_API, "cnf": {"jkt": jkt}}))
            .unwrap();
        let unknown = expected.answer(&token_response("DPoP", &theirs), true);
        assert!(unknown.unwrap_err().contains("not in the JWKS"));
        // The server's kid on another key's signature.
        let (signed, _) = good.rsplit_once('.').unwrap();
        let (_, signature) = theirs.rsplit_once('.').unwrap();
        let forged = format!("{signed}.{signature}");
        let refused = expected.answer(&token_response("DPoP", &forged), true);
        assert!(refused.unwrap_err().contains("does not verify"));
    }

    #[test]
    fn this_process_cpu_time_is_read_and_grows() {
        let before = cpu_time().unwrap();
        let started = Instant::now();
        let mut x = 0u64;
        while started.elapsed() < Duration::from_millis(60) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        assert!(cpu_time().unwrap() > before);
    }
}
