//! Signing and verification: round trips, tampering, and algorithm confusion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use tessera_jwt::{decode_header, verify, Algorithm, JwkSet, JwtError, SigningKey, VerifyingKey};

fn key() -> SigningKey {
    SigningKey::generate(Algorithm::RS256).unwrap()
}

fn verifier(key: &SigningKey) -> VerifyingKey {
    VerifyingKey::from_jwk(&key.public_jwk()).unwrap()
}

#[test]
fn signed_token_verifies_with_its_public_jwk() {
    let key = key();
    let token = key.sign("at+jwt", &json!({"sub": "u1", "n": 1})).unwrap();
    let (header, claims): (_, Value) = verify(&token, &verifier(&key)).unwrap();
    assert_eq!(header.alg, "RS256");
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(header.kid.as_deref(), Some(key.kid()));
    assert_eq!(claims, json!({"sub": "u1", "n": 1}));
}

#[test]
fn kid_is_the_rfc7638_thumbprint_and_survives_pkcs8_round_trip() {
    let key = key();
    let jwk = key.public_jwk();
    assert_eq!(key.kid(), jwk.thumbprint());
    let reloaded = SigningKey::from_pkcs8(Algorithm::RS256, &key.pkcs8().unwrap()).unwrap();
    assert_eq!(reloaded.kid(), key.kid());
    assert_eq!(reloaded.public_jwk(), jwk);
}

#[test]
fn jwk_has_rsa_members_and_signature_use() {
    let jwk = key().public_jwk();
    let value = serde_json::to_value(&jwk).unwrap();
    assert_eq!(value["kty"], "RSA");
    assert_eq!(value["use"], "sig");
    assert_eq!(value["alg"], "RS256");
    assert_eq!(value["e"], "AQAB");
    assert_eq!(URL_SAFE_NO_PAD.decode(jwk.n.as_bytes()).unwrap().len(), 256);
}

#[test]
fn tampered_payload_is_rejected() {
    let key = key();
    let token = key.sign("at+jwt", &json!({"sub": "u1"})).unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let forged_payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"admin"}"#);
    let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    let result: Result<(_, Value), _> = verify(&forged, &verifier(&key));
    assert!(matches!(result, Err(JwtError::BadSignature)));
}

#[test]
fn token_signed_by_another_key_is_rejected() {
    let (signer, other) = (key(), key());
    let token = signer.sign("at+jwt", &json!({"sub": "u1"})).unwrap();
    let result: Result<(_, Value), _> = verify(&token, &verifier(&other));
    assert!(matches!(result, Err(JwtError::BadSignature)));
}

fn with_header(token: &str, header: Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap());
    format!("{}.{}.{}", header, parts[1], parts[2])
}

#[test]
fn alg_none_is_rejected() {
    let key = key();
    let token = key.sign("at+jwt", &json!({"sub": "u1"})).unwrap();
    let unsigned = with_header(&token, json!({"alg": "none", "typ": "at+jwt"}));
    let unsigned = format!("{}.", unsigned.rsplit_once('.').unwrap().0);
    let result: Result<(_, Value), _> = verify(&unsigned, &verifier(&key));
    assert!(matches!(result, Err(JwtError::UnsupportedAlgorithm(alg)) if alg == "none"));
}

#[test]
fn hmac_with_the_public_key_is_rejected() {
    let key = key();
    let token = key.sign("at+jwt", &json!({"sub": "u1"})).unwrap();
    let confused = with_header(
        &token,
        json!({"alg": "HS256", "typ": "at+jwt", "kid": key.kid()}),
    );
    let result: Result<(_, Value), _> = verify(&confused, &verifier(&key));
    assert!(matches!(result, Err(JwtError::UnsupportedAlgorithm(alg)) if alg == "HS256"));
}

#[test]
fn malformed_tokens_are_rejected_without_panic() {
    let key = key();
    for token in ["", "a", "a.b", "a.b.c.d", "!!.??.**", "e30.e30.e30"] {
        let result: Result<(_, Value), _> = verify(token, &verifier(&key));
        assert!(result.is_err(), "{token}");
    }
    assert!(decode_header("not-base64!.x.y").is_err());
}

#[test]
fn jwk_set_finds_keys_by_kid() {
    let (a, b) = (key(), key());
    let set = JwkSet {
        keys: vec![a.public_jwk(), b.public_jwk()],
    };
    assert_eq!(set.find(b.kid()), Some(&b.public_jwk()));
    assert_eq!(set.find("unknown"), None);
    let json = serde_json::to_string(&set).unwrap();
    assert_eq!(serde_json::from_str::<JwkSet>(&json).unwrap(), set);
}

#[test]
fn non_rsa_jwk_is_refused() {
    let mut jwk = key().public_jwk();
    jwk.kty = "oct".into();
    assert!(matches!(
        VerifyingKey::from_jwk(&jwk),
        Err(JwtError::InvalidKey(_))
    ));
}
