//! DPoP proofs (RFC 9449 §4.3): every algorithm verifies, and each check refuses what it
//! should — wrong type, private keys in the header, another method or URI, stale or future
//! `iat`, a missing or wrong `ath`, a forged signature.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use tessera_jwt::dpop::{
    access_token_hash, check_proof, ExpectedRequest, ProofClaims, ProofError, MAX_PROOF_AGE,
};
use tessera_jwt::{Algorithm, SigningKey};

const NOW: i64 = 1_800_000_000;
const TOKEN_URI: &str = "https://auth.example.com/oauth/token";

fn claims() -> ProofClaims {
    ProofClaims {
        jti: "proof-1".into(),
        htm: "POST".into(),
        htu: TOKEN_URI.into(),
        iat: NOW,
        ath: None,
        nonce: None,
    }
}

fn at_token_endpoint() -> ExpectedRequest<'static> {
    ExpectedRequest {
        method: "POST",
        uri: TOKEN_URI,
        now: NOW,
        access_token: None,
    }
}

fn refused(proof: &str, expected: &ExpectedRequest<'_>) -> &'static str {
    check_proof(proof, expected).unwrap_err().0
}

/// A proof with a hand-written header and a signature that never verifies: for checks made
/// before the signature's.
fn with_header(header: Value, claims: &ProofClaims) -> String {
    let encode = |value: Vec<u8>| URL_SAFE_NO_PAD.encode(value);
    format!(
        "{}.{}.c2ln",
        encode(serde_json::to_vec(&header).unwrap()),
        encode(serde_json::to_vec(claims).unwrap())
    )
}

#[test]
fn a_proof_of_every_algorithm_verifies_and_names_its_key_thumbprint() {
    for alg in Algorithm::ALL {
        let key = SigningKey::generate(alg).unwrap();
        let checked = check_proof(
            &key.sign_dpop_proof(&claims()).unwrap(),
            &at_token_endpoint(),
        )
        .unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(checked.jkt, key.public_jwk().thumbprint(), "{alg}");
        assert_eq!(checked.jti, "proof-1");
        assert_eq!(checked.replay_window_end(), NOW + MAX_PROOF_AGE + 1);
    }
}

#[test]
fn the_header_carries_the_public_key_without_kid_or_private_members() {
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    let proof = key.sign_dpop_proof(&claims()).unwrap();
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(proof.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["typ"], "dpop+jwt");
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["jwk"]["kty"], "EC");
    assert!(header["jwk"].get("kid").is_none());
    assert!(header["jwk"].get("d").is_none());
}

#[test]
fn method_uri_and_time_must_fit_the_request() {
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    let expected = at_token_endpoint();
    let sign = |c: ProofClaims| key.sign_dpop_proof(&c).unwrap();
    let get = ProofClaims {
        htm: "GET".into(),
        ..claims()
    };
    assert!(refused(&sign(get), &expected).contains("htm"));
    let elsewhere = ProofClaims {
        htu: "https://auth.example.com/userinfo".into(),
        ..claims()
    };
    assert!(refused(&sign(elsewhere), &expected).contains("htu"));
    let old = ProofClaims {
        iat: NOW - MAX_PROOF_AGE - 1,
        ..claims()
    };
    assert!(refused(&sign(old), &expected).contains("too old"));
    let future = ProofClaims {
        iat: NOW + 60,
        ..claims()
    };
    assert!(refused(&sign(future), &expected).contains("future"));
    let empty_jti = ProofClaims {
        jti: String::new(),
        ..claims()
    };
    assert!(refused(&sign(empty_jti), &expected).contains("jti"));
}

#[test]
fn htu_is_compared_after_normalization_and_without_query_or_fragment() {
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    for htu in [
        "HTTPS://Auth.Example.com:443/oauth/token",
        "https://auth.example.com/oauth/token?x=1#frag",
    ] {
        let proof = key
            .sign_dpop_proof(&ProofClaims {
                htu: htu.into(),
                ..claims()
            })
            .unwrap();
        check_proof(&proof, &at_token_endpoint()).unwrap_or_else(|e| panic!("{htu}: {e}"));
    }
    let other_path = key
        .sign_dpop_proof(&ProofClaims {
            htu: "https://auth.example.com/oauth/token/".into(),
            ..claims()
        })
        .unwrap();
    assert!(check_proof(&other_path, &at_token_endpoint()).is_err());
}

#[test]
fn at_a_resource_ath_must_hash_the_presented_token() {
    let key = SigningKey::generate(Algorithm::PS256).unwrap();
    let expected = ExpectedRequest {
        access_token: Some("the-access-token"),
        ..at_token_endpoint()
    };
    let good = key
        .sign_dpop_proof(&ProofClaims {
            ath: Some(access_token_hash("the-access-token")),
            ..claims()
        })
        .unwrap();
    check_proof(&good, &expected).unwrap();
    let wrong = key
        .sign_dpop_proof(&ProofClaims {
            ath: Some(access_token_hash("another-token")),
            ..claims()
        })
        .unwrap();
    assert!(refused(&wrong, &expected).contains("ath"));
    let missing = key.sign_dpop_proof(&claims()).unwrap();
    assert_eq!(refused(&missing, &expected), "the DPoP proof has no ath");
}

#[test]
fn a_forged_or_retyped_proof_is_refused() {
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    let other = SigningKey::generate(Algorithm::ES256).unwrap();
    let proof = key.sign_dpop_proof(&claims()).unwrap();
    let other_proof = other.sign_dpop_proof(&claims()).unwrap();
    // `key`'s header and claims with `other`'s signature.
    let (signed, _) = proof.rsplit_once('.').unwrap();
    let (_, foreign_signature) = other_proof.rsplit_once('.').unwrap();
    let forged = format!("{signed}.{foreign_signature}");
    assert!(refused(&forged, &at_token_endpoint()).contains("signature"));
    // An access token is not a proof.
    let access_token = key.sign("at+jwt", &claims()).unwrap();
    assert!(refused(&access_token, &at_token_endpoint()).contains("typ"));
    assert!(refused("not.a.jwt.at-all", &at_token_endpoint()).contains("not a JWT"));
}

#[test]
fn a_header_with_a_private_key_none_or_a_mismatched_alg_is_refused() {
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let jwk = serde_json::to_value(key.public_jwk()).unwrap();
    let mut private = jwk.clone();
    private["d"] = json!("c2VjcmV0");
    let cases = [
        (
            json!({"typ": "dpop+jwt", "alg": "EdDSA", "jwk": private}),
            "private key",
        ),
        (json!({"typ": "dpop+jwt", "alg": "none", "jwk": jwk}), "alg"),
        (
            json!({"typ": "dpop+jwt", "alg": "HS256", "jwk": jwk}),
            "alg",
        ),
        (
            json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk}),
            "another algorithm",
        ),
        (json!({"typ": "dpop+jwt", "alg": "EdDSA"}), "no jwk"),
    ];
    for (header, reason) in cases {
        let proof = with_header(header.clone(), &claims());
        let ProofError(why) = check_proof(&proof, &at_token_endpoint()).unwrap_err();
        assert!(why.contains(reason), "{header}: {why}");
    }
}
