//! DPoP-bound access tokens (RFC 9449 §7): `Validator::validate_request_at` with the `DPoP`
//! and `Bearer` schemes under both policies, the replay cache, the URI a proof must name, and
//! the challenges of each refusal. Time is the fixed `NOW`, moved by hand.

use std::sync::OnceLock;

use crate::common::*;
use serde_json::json;
use tessera_jwt::dpop::{access_token_hash, ProofClaims, MAX_PROOF_AGE};
use tessera_jwt::{Algorithm, SigningKey};
use tessera_resource::{
    BearerError, Claims, DpopPolicy, HttpRequest, Rejection, Validator, ValidatorOptions,
};

const NOW: i64 = 1_800_000_000;
const HOST: &str = "api.test";
const PATH: &str = "/api/appointments";
/// The URI a client of the API at `HOST` signs its proofs for.
const HTU: &str = "http://api.test/api/appointments";
const ALGS: &str = "algs=\"RS256 PS256 ES256 EdDSA\"";

/// The client's DPoP key (ES256: quick to generate).
fn client_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate(Algorithm::ES256).expect("generate key"))
}

/// A key the token is not bound to.
fn other_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate(Algorithm::EdDSA).expect("generate key"))
}

fn jkt(key: &SigningKey) -> String {
    key.public_jwk().thumbprint()
}

async fn setup(options: ValidatorOptions) -> (JwksServer, Validator) {
    let server = JwksServer::start(&[issuer_key()]).await;
    let validator = Validator::with_options(server.issuer(), AUDIENCE, options);
    (server, validator)
}

/// An access token valid at `NOW`, bound to `key` when one is given.
fn token(server: &JwksServer, key: Option<&SigningKey>) -> String {
    let cnf = key.map_or(json!(null), |key| json!({ "jkt": jkt(key) }));
    let claims = json!({ "iat": NOW, "exp": NOW + 600, "cnf": cnf });
    mint(issuer_key(), &claims_with(&server.issuer(), claims))
}

/// What a proof says, changed field by field from a good one for `GET HTU` with `token`.
struct Proof<'a> {
    key: &'a SigningKey,
    jti: &'a str,
    htm: &'a str,
    htu: &'a str,
    iat: i64,
    ath: Option<String>,
}

impl<'a> Proof<'a> {
    fn for_token(token: &str) -> Proof<'a> {
        Proof {
            key: client_key(),
            jti: "proof-1",
            htm: "GET",
            htu: HTU,
            iat: NOW,
            ath: Some(access_token_hash(token)),
        }
    }

    fn sign(&self) -> String {
        let claims = ProofClaims {
            jti: self.jti.into(),
            htm: self.htm.into(),
            htu: self.htu.into(),
            iat: self.iat,
            ath: self.ath.clone(),
            nonce: None,
        };
        self.key.sign_dpop_proof(&claims).expect("sign proof")
    }
}

/// `GET PATH` on `HOST` with `authorization` and the `DPoP` headers `proofs`.
fn get<'a>(authorization: &'a str, proofs: &'a [&'a str]) -> HttpRequest<'a> {
    HttpRequest {
        method: "GET",
        target: PATH,
        host: Some(HOST),
        authorization: Some(authorization),
        dpop: proofs,
    }
}

async fn send(
    validator: &Validator,
    request: &HttpRequest<'_>,
    now: i64,
) -> Result<Claims, Rejection> {
    validator.validate_request_at(request, now).await
}

/// A DPoP request with `token` and one proof.
async fn send_dpop(
    validator: &Validator,
    token: &str,
    proof: &str,
    now: i64,
) -> Result<Claims, Rejection> {
    let authorization = format!("DPoP {token}");
    send(validator, &get(&authorization, &[proof]), now).await
}

#[track_caller]
fn refused(result: Result<Claims, Rejection>) -> Rejection {
    match result {
        Err(rejection) => rejection,
        Ok(claims) => panic!("expected a refusal, got {claims:?}"),
    }
}

/// Asserts the refusal is `invalid_dpop_proof` (401), challenged with `DPoP` first, and
/// returns its description.
#[track_caller]
fn assert_invalid_proof(result: Result<Claims, Rejection>) -> String {
    let rejection = refused(result);
    let BearerError::InvalidDpopProof(description) = rejection.error().clone() else {
        panic!("expected invalid_dpop_proof, got {rejection:?}");
    };
    assert_eq!(rejection.status(), 401);
    let challenges = rejection.challenges();
    assert!(
        challenges[0].starts_with("DPoP error=\"invalid_dpop_proof\", error_description=\""),
        "{challenges:?}"
    );
    assert!(challenges[0].ends_with(ALGS), "{challenges:?}");
    description
}

/// Asserts the refusal is `invalid_token` (401), challenged with `scheme` first.
#[track_caller]
fn assert_invalid_token_in(result: Result<Claims, Rejection>, scheme: &str) -> String {
    let rejection = refused(result);
    let BearerError::InvalidToken(description) = rejection.error().clone() else {
        panic!("expected invalid_token, got {rejection:?}");
    };
    assert_eq!(rejection.status(), 401);
    let challenges = rejection.challenges();
    assert!(
        challenges[0].starts_with(&format!("{scheme} error=\"invalid_token\"")),
        "{challenges:?}"
    );
    description
}

// ---------------------------------------------------------------- accepted

#[tokio::test]
async fn dpop_request_with_a_proof_of_the_bound_key_is_accepted() {
    let (server, validator) = setup(ValidatorOptions::default()).await;
    let token = token(&server, Some(client_key()));
    let proof = Proof::for_token(&token).sign();

    let claims = send_dpop(&validator, &token, &proof, NOW).await.unwrap();

    assert_eq!(claims.sub, SUB);
    assert_eq!(claims.dpop_jkt(), Some(jkt(client_key()).as_str()));
    assert!(!claims.extra.contains_key("cnf"));
}

#[tokio::test]
async fn dpop_scheme_is_case_insensitive_and_the_proof_ignores_the_query() {
    let (server, validator) = setup(ValidatorOptions::default()).await;
    let token = token(&server, Some(client_key()));
    let proof = Proof::for_token(&token).sign();
    let authorization = format!("dpop {token}");
    let proofs = [proof.as_str()];
    let request = HttpRequest {
        target: "/api/appointments?day=2026-12-01",
        ..get(&authorization, &proofs)
    };
    send(&validator, &request, NOW).await.unwrap();
}

#[tokio::test]
async fn proof_within_its_time_window_is_accepted() {
    let (server, validator) = setup(ValidatorOptions::default()).await;
    let token = token(&server, Some(client_key()));
    for (jti, iat) in [("old", NOW - MAX_PROOF_AGE), ("ahead", NOW + 10)] {
        let proof = Proof {
            jti,
            iat,
            ..Proof::for_token(&token)
        }
        .sign();
        send_dpop(&validator, &token, &proof, NOW)
            .await
            .unwrap_or_else(|e| panic!("{jti}: {e}"));
    }
}

#[tokio::test]
async fn unbound_token_with_bearer_scheme_is_still_accepted_when_dpop_is_allowed() {
    let (server, validator) = setup(ValidatorOptions::default()).await;
    let token = token(&server, None);
    let claims = send(&validator, &get(&format!("Bearer {token}"), &[]), NOW)
        .await
        .unwrap();
    assert_eq!(claims.cnf, None);
    assert_eq!(claims.dpop_jkt(), None);
}

// ---------------------------------------------------------------- scheme and binding

#[tokio::test]
async fn bound_token_with_bearer_scheme_is_refused() {
    let (server, validator) = setup(ValidatorOptions::default()).await;
    let token = token(&server, Some(client_key()));
    let proof = Proof::for_token(&token).sign();
    // RFC 9449 §7.2: even with a valid proof alongside, a bound token is no bearer token.
    for proofs in [vec![], vec![proof.as_str()]] {
        let authorization = format!("Bearer {token}");
        let result = send(&validator, &get(&authorization, &proofs), NOW).await;
        let description = assert_invalid_token_in(result, "Bearer");
        assert!(description.contains("DPoP scheme"), "{description}");
    }
    // The bare-token API is the Bearer scheme too.
    let description = assert_invalid_token(validator.validate_at(&token, NOW).await);
    assert!(description.contains("bound"), "{description}");
}

#[tokio::test]
async fn token_bound_by_another_confirmation_method_is_refused_with_bearer() {
    let (server, validator) = setup(ValidatorOptions::default()).await;
    let claims = json!({ "iat": NOW, "exp": NOW + 600, "cnf": { "x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2" } });
    let token = mint(issuer_key(), &claims_with(&server.issuer(), claims));
    assert_invalid_token_in(
        send(&validator, &get(&format!("Bearer {token}"), &[]), NOW).await,
        "Bearer",
    );
    let proof = Proof::for_token(&token).sign();
    assert_invalid_token_in(send_dpop(&validator, &token, &proof, NOW).await, "DPoP");
}

#[tokio::test]
async fn malformed_cnf_is_an_invalid_token() {
    let (server, validator) = setup(ValidatorOptions::default()).await;
    for cnf in [json!("jkt"), json!({ "jkt": 42 })] {
        let claims = json!({ "iat": NOW, "exp": NOW + 600, "cnf": cnf });
        let token = mint(issuer_key(), &claims_with(&server.issuer(), claims));
        let proof = Proof::for_token(&token).sign();
        assert_invalid_token_in(send_dpop(&validator, &token, &proof, NOW).await, "DPoP");
    }
}

#[tokio::test]
async fn proof_signed_by_another_key_is_refused() {
    let (server, validator) = setup(ValidatorOptions::default()).await;
    let token = token(&server, Some(client_key()));
    let proof = Proof {
        key: other_key(),
        ..Proof::for_token(&token)
    }
    .sign();
    let description =
        assert_invalid_token_in(send_dpop(&validator, &token, &proof, NOW).await, "DPoP");
    assert_eq!(
        description,
        "the DPoP proof's key is not the one the token is bound to"
    );
}

#[tokio::test]
async fn unbound_token_with_dpop_scheme_is_refused() {
    let (server, validator) = setup(ValidatorOptions::default()).await;
    let token = token(&server, None);
    let proof = Proof::for_token(&token).sign();
    let description =
        assert_invalid_token_in(send_dpop(&validator, &token, &proof, NOW).await, "DPoP");
    assert!(description.contains("not DPoP-bound"), "{description}");
}

#[tokio::test]
async fn dpop_scheme_without_a_proof_is_refused() {
    let (server, validator) = setup(ValidatorOptions::default()).await;
    let token = token(&server, Some(client_key()));
    let authorization = format!("DPoP {token}");
    let description = assert_invalid_proof(send(&validator, &get(&authorization, &[]), NOW).await);
    assert!(description.contains("needs a DPoP proof"), "{description}");
}

#[tokio::test]
async fn two_dpop_headers_are_refused() {
    let (server, validator) = setup(ValidatorOptions::default()).await;
    let token = token(&server, Some(client_key()));
    let first = Proof::for_token(&token).sign();
    let second = Proof {
        jti: "proof-2",
        ..Proof::for_token(&token)
    }
    .sign();
    let authorization = format!("DPoP {token}");
    let description =
        assert_invalid_proof(send(&validator, &get(&authorization, &[&first, &second]), NOW).await);
    assert!(description.contains("more than one"), "{description}");
}

#[tokio::test]
async fn dpop_scheme_without_a_token_is_an_invalid_request_challenged_with_dpop() {
    let (_server, validator) = setup(ValidatorOptions::default()).await;
    let rejection = refused(send(&validator, &get("DPoP ", &[]), NOW).await);
    assert!(
        matches!(rejection.error(), BearerError::InvalidRequest(_)),
        "{rejection:?}"
    );
    assert_eq!(rejection.status(), 400);
    assert!(rejection.challenges()[0].starts_with("DPoP error=\"invalid_request\""));
}

// ---------------------------------------------------------------- the proof's claims

#[tokio::test]
async fn proof_hashing_another_token_is_refused() {
    let (server, validator) = setup(ValidatorOptions::default()).await;
    let token = token(&server, Some(client_key()));
    let proof = Proof {
        ath: Some(access_token_hash("another token")),
        ..Proof::for_token(&token)
    }
    .sign();
    let description = assert_invalid_proof(send_dpop(&validator, &token, &proof, NOW).await);
    assert_eq!(
        description,
        "the DPoP proof's ath does not hash the access token"
    );

    let proof = Proof {
        ath: None,
        ..Proof::for_token(&token)
    }
    .sign();
    assert_eq!(
        assert_invalid_proof(send_dpop(&validator, &token, &proof, NOW).await),
        "the DPoP proof has no ath"
    );
}

#[tokio::test]
async fn proof_for_another_method_is_refused() {
    let (server, validator) = setup(ValidatorOptions::default()).await;
    let token = token(&server, Some(client_key()));
    let proof = Proof {
        htm: "POST",
        ..Proof::for_token(&token)
    }
    .sign();
    let description = assert_invalid_proof(send_dpop(&validator, &token, &proof, NOW).await);
    assert!(description.contains("htm"), "{description}");
}

#[tokio::test]
async fn proof_for_another_uri_is_refused() {
    let (server, validator) = setup(ValidatorOptions::default()).await;
    let token = token(&server, Some(client_key()));
    for htu in [
        "http://api.test/api/contacts",
        "http://other.test/api/appointments",
        "https://api.test/api/appointments",
    ] {
        let proof = Proof {
            htu,
            ..Proof::for_token(&token)
        }
        .sign();
        let description = assert_invalid_proof(send_dpop(&validator, &token, &proof, NOW).await);
        assert!(description.contains("htu"), "{htu}: {description}");
    }
}

#[tokio::test]
async fn stale_or_future_proof_is_refused() {
    let (server, validator) = setup(ValidatorOptions::default()).await;
    let token = token(&server, Some(client_key()));
    for iat in [NOW - MAX_PROOF_AGE - 1, NOW + 11] {
        let proof = Proof {
            iat,
            ..Proof::for_token(&token)
        }
        .sign();
        assert_invalid_proof(send_dpop(&validator, &token, &proof, NOW).await);
    }
}

#[tokio::test]
async fn bad_proof_is_refused_before_the_token_is_checked() {
    let (server, validator) = setup(ValidatorOptions::default()).await;
    let token = token(&server, Some(client_key()));
    assert_invalid_proof(send_dpop(&validator, &token, "not.a.proof", NOW).await);
    assert_eq!(
        server.fetches(),
        0,
        "no JWKS fetch for a request with a bad proof"
    );
}

// ---------------------------------------------------------------- replay

#[tokio::test]
async fn replayed_proof_is_refused_the_second_time() {
    let (server, validator) = setup(ValidatorOptions::default()).await;
    let token = token(&server, Some(client_key()));
    let proof = Proof::for_token(&token).sign();

    send_dpop(&validator, &token, &proof, NOW).await.unwrap();
    let description = assert_invalid_proof(send_dpop(&validator, &token, &proof, NOW + 1).await);
    assert_eq!(description, "the DPoP proof was already used");
    // A clone shares the cache: another handle on the same validator refuses it too.
    assert_invalid_proof(send_dpop(&validator.clone(), &token, &proof, NOW + 2).await);
    // And once the proof is too old to be accepted, it is refused as stale.
    let description =
        assert_invalid_proof(send_dpop(&validator, &token, &proof, NOW + MAX_PROOF_AGE + 1).await);
    assert_eq!(description, "the DPoP proof is too old");
}

#[tokio::test]
async fn a_fresh_proof_with_the_same_key_is_accepted() {
    let (server, validator) = setup(ValidatorOptions::default()).await;
    let token = token(&server, Some(client_key()));
    for jti in ["proof-1", "proof-2", "proof-3"] {
        let proof = Proof {
            jti,
            ..Proof::for_token(&token)
        }
        .sign();
        send_dpop(&validator, &token, &proof, NOW)
            .await
            .unwrap_or_else(|e| panic!("{jti}: {e}"));
    }
}

#[tokio::test]
async fn a_refused_request_does_not_spend_its_proof() {
    let (server, validator) = setup(ValidatorOptions::default()).await;
    let token = token(&server, Some(client_key()));
    let proof = Proof::for_token(&token).sign();
    // Sent with a token it does not hash, the proof is refused and not remembered …
    let unbound = self::token(&server, None);
    assert_invalid_proof(send_dpop(&validator, &unbound, &proof, NOW).await);
    // … so with its own token it is accepted once.
    send_dpop(&validator, &token, &proof, NOW).await.unwrap();
    assert_invalid_proof(send_dpop(&validator, &token, &proof, NOW).await);
}

#[tokio::test]
async fn full_replay_cache_refuses_new_proofs_until_old_ones_expire() {
    let options = ValidatorOptions {
        dpop_replay_capacity: 2,
        ..Default::default()
    };
    let (server, validator) = setup(options).await;
    let token = token(&server, Some(client_key()));
    let signed = |jti, iat| {
        Proof {
            jti,
            iat,
            ..Proof::for_token(&token)
        }
        .sign()
    };

    send_dpop(&validator, &token, &signed("a", NOW), NOW)
        .await
        .unwrap();
    send_dpop(&validator, &token, &signed("b", NOW + 5), NOW + 5)
        .await
        .unwrap();
    let rejection = refused(send_dpop(&validator, &token, &signed("c", NOW + 5), NOW + 5).await);
    assert_eq!(rejection.error(), &BearerError::DpopReplayCacheFull);
    assert_eq!(rejection.status(), 503);

    // `a` is forgotten once its iat is out of the window; `b` is still remembered.
    let later = NOW + MAX_PROOF_AGE + 1;
    send_dpop(&validator, &token, &signed("c", later), later)
        .await
        .unwrap();
    assert_invalid_proof(send_dpop(&validator, &token, &signed("b", NOW + 5), later).await);
}

// ---------------------------------------------------------------- the request's URI

#[tokio::test]
async fn public_url_is_the_uri_proofs_name_whatever_the_host_header_says() {
    let options = ValidatorOptions {
        public_url: Some("https://example.com/appointments-api/".into()),
        ..Default::default()
    };
    let (server, validator) = setup(options).await;
    let token = token(&server, Some(client_key()));
    let authorization = format!("DPoP {token}");

    // The proxy strips `/appointments-api` and forwards to the API over plain HTTP.
    let public = Proof {
        jti: "public",
        htu: "https://example.com/appointments-api/api/appointments",
        ..Proof::for_token(&token)
    }
    .sign();
    let proofs = [public.as_str()];
    let request = HttpRequest {
        host: Some("10.0.0.7:3001"),
        ..get(&authorization, &proofs)
    };
    send(&validator, &request, NOW).await.unwrap();

    // A proof for the URI the API itself sees, or for a Host the client chose, is refused.
    for (jti, htu, host) in [
        (
            "internal",
            "http://10.0.0.7:3001/api/appointments",
            "10.0.0.7:3001",
        ),
        (
            "forged-host",
            "https://evil.test/api/appointments",
            "evil.test",
        ),
    ] {
        let proof = Proof {
            jti,
            htu,
            ..Proof::for_token(&token)
        }
        .sign();
        let proofs = [proof.as_str()];
        let request = HttpRequest {
            host: Some(host),
            ..get(&authorization, &proofs)
        };
        assert_invalid_proof(send(&validator, &request, NOW).await);
    }
}

#[tokio::test]
async fn without_public_url_an_absolute_target_or_the_host_header_is_used() {
    let (server, validator) = setup(ValidatorOptions::default()).await;
    let token = token(&server, Some(client_key()));
    let authorization = format!("DPoP {token}");

    // HTTP/2: the target is absolute, scheme included.
    let htu = "https://api.test/api/appointments";
    let proof = Proof {
        jti: "h2",
        htu,
        ..Proof::for_token(&token)
    }
    .sign();
    let proofs = [proof.as_str()];
    let request = HttpRequest {
        target: htu,
        host: None,
        ..get(&authorization, &proofs)
    };
    send(&validator, &request, NOW).await.unwrap();

    // No Host header and an origin-form target: there is no URI to check the proof against.
    let proof = Proof {
        jti: "no-host",
        ..Proof::for_token(&token)
    }
    .sign();
    let proofs = [proof.as_str()];
    let request = HttpRequest {
        host: None,
        ..get(&authorization, &proofs)
    };
    let rejection = refused(send(&validator, &request, NOW).await);
    assert!(
        matches!(rejection.error(), BearerError::InvalidRequest(_)),
        "{rejection:?}"
    );
}

// ---------------------------------------------------------------- DpopPolicy::Required

#[tokio::test]
async fn required_policy_refuses_the_bearer_scheme() {
    let options = ValidatorOptions {
        dpop: DpopPolicy::Required,
        ..Default::default()
    };
    let (server, validator) = setup(options).await;
    let unbound = token(&server, None);
    let result = send(&validator, &get(&format!("Bearer {unbound}"), &[]), NOW).await;
    let description = assert_invalid_token_in(result, "DPoP");
    assert!(description.contains("only DPoP-bound"), "{description}");
    assert_invalid_token(validator.validate_at(&unbound, NOW).await);
    assert_eq!(
        server.fetches(),
        0,
        "refused before the token is even checked"
    );

    // A bound token with a proof is what it takes.
    let bound = token(&server, Some(client_key()));
    let proof = Proof::for_token(&bound).sign();
    send_dpop(&validator, &bound, &proof, NOW).await.unwrap();
    // An unbound token with the DPoP scheme is refused as under `Allowed`.
    let proof = Proof {
        jti: "unbound",
        ..Proof::for_token(&unbound)
    }
    .sign();
    assert_invalid_token_in(send_dpop(&validator, &unbound, &proof, NOW).await, "DPoP");
}

// ---------------------------------------------------------------- challenges

#[tokio::test]
async fn missing_token_is_challenged_with_both_schemes_when_dpop_is_allowed() {
    let (_server, validator) = setup(ValidatorOptions::default()).await;
    for authorization in [None, Some("Basic xyz")] {
        let request = HttpRequest {
            authorization,
            ..get("", &[])
        };
        let rejection = refused(send(&validator, &request, NOW).await);
        assert_eq!(rejection.error(), &BearerError::Missing);
        assert_eq!(
            rejection.challenges(),
            vec!["Bearer".to_owned(), format!("DPoP {ALGS}")]
        );
    }
}

#[tokio::test]
async fn missing_token_is_challenged_with_dpop_only_when_dpop_is_required() {
    let options = ValidatorOptions {
        dpop: DpopPolicy::Required,
        ..Default::default()
    };
    let (_server, validator) = setup(options).await;
    let request = HttpRequest {
        authorization: None,
        ..get("", &[])
    };
    let rejection = refused(send(&validator, &request, NOW).await);
    assert_eq!(rejection.challenges(), vec![format!("DPoP {ALGS}")]);
}

#[tokio::test]
async fn the_error_goes_in_the_challenge_of_the_scheme_used_and_the_other_is_offered() {
    let (server, validator) = setup(ValidatorOptions::default()).await;
    // RFC 9449 §7.2's example: an invalid Bearer token, and DPoP offered.
    let rejection = refused(send(&validator, &get("Bearer abc", &[]), NOW).await);
    let challenges = rejection.challenges();
    assert_eq!(challenges.len(), 2, "{challenges:?}");
    assert!(
        challenges[0].starts_with("Bearer error=\"invalid_token\""),
        "{challenges:?}"
    );
    assert_eq!(challenges[1], format!("DPoP {ALGS}"));

    // RFC 9449 §7.1's example: the key binding fails, with the DPoP scheme.
    let token = token(&server, Some(client_key()));
    let proof = Proof {
        key: other_key(),
        ..Proof::for_token(&token)
    }
    .sign();
    let challenges = refused(send_dpop(&validator, &token, &proof, NOW).await).challenges();
    assert_eq!(
        challenges,
        vec![
            format!("DPoP error=\"invalid_token\", error_description=\"the DPoP proof's key is not the one the token is bound to\", {ALGS}"),
            "Bearer".to_owned(),
        ]
    );
}

#[tokio::test]
async fn insufficient_scope_of_a_dpop_request_is_challenged_with_dpop() {
    let (server, validator) = setup(ValidatorOptions::default()).await;
    let token = token(&server, Some(client_key()));
    let proof = Proof::for_token(&token).sign();
    let claims = send_dpop(&validator, &token, &proof, NOW).await.unwrap();
    let rejection = validator.refuse(&claims, BearerError::InsufficientScope("admin".into()));
    assert_eq!(rejection.status(), 403);
    assert_eq!(
        rejection.challenges(),
        vec![format!("DPoP error=\"insufficient_scope\", error_description=\"the `admin` scope is required\", scope=\"admin\", {ALGS}")]
    );
}
