//! Signing and verification for RS256, PS256, ES256 and EdDSA: round trips, tampering,
//! algorithm confusion, JWK shapes and RFC 7638 thumbprints (with the RFCs' own vectors).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use tessera_jwt::{
    decode_header, verify, Algorithm, Jwk, JwkSet, JwtError, SigningKey, VerifyingKey,
};

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
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(jwk.n.as_deref().unwrap().as_bytes())
            .unwrap()
            .len(),
        256
    );
    assert!(value.get("crv").is_none() && value.get("x").is_none() && value.get("y").is_none());
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
fn unknown_key_type_is_refused() {
    let mut jwk = key().public_jwk();
    jwk.kty = "oct".into();
    assert!(matches!(
        VerifyingKey::from_jwk(&jwk),
        Err(JwtError::InvalidKey(_))
    ));
}

// ---- Every algorithm ----------------------------------------------------------------------

const ALGORITHMS: [Algorithm; 4] = Algorithm::ALL;

fn key_for(alg: Algorithm) -> SigningKey {
    SigningKey::generate(alg).unwrap()
}

fn b64_len(value: &Option<String>) -> usize {
    URL_SAFE_NO_PAD
        .decode(value.as_deref().unwrap().as_bytes())
        .unwrap()
        .len()
}

#[test]
fn algorithm_names_round_trip_and_none_or_hmac_never_parse() {
    for alg in ALGORITHMS {
        assert_eq!(Algorithm::parse(alg.as_str()).unwrap(), alg);
        assert_eq!(alg.to_string(), alg.as_str());
    }
    assert_eq!(
        ALGORITHMS.map(Algorithm::as_str),
        ["RS256", "PS256", "ES256", "EdDSA"]
    );
    for refused in [
        "none", "HS256", "HS384", "HS512", "es256", "EDDSA", "RS512", "",
    ] {
        assert!(
            matches!(Algorithm::parse(refused), Err(JwtError::UnsupportedAlgorithm(a)) if a == refused),
            "{refused}"
        );
    }
}

#[test]
fn every_algorithm_round_trips_with_its_public_jwk() {
    for alg in ALGORITHMS {
        let key = key_for(alg);
        assert_eq!(key.algorithm(), alg);
        let token = key.sign("at+jwt", &json!({"sub": "u1", "n": 1})).unwrap();
        let verifier = verifier(&key);
        assert_eq!(verifier.algorithm(), alg);
        assert_eq!(verifier.kid(), key.kid());
        let (header, claims): (_, Value) = verify(&token, &verifier).unwrap();
        assert_eq!(header.alg, alg.as_str());
        assert_eq!(header.kid.as_deref(), Some(key.kid()));
        assert_eq!(claims, json!({"sub": "u1", "n": 1}));
    }
}

#[test]
fn every_algorithm_survives_a_pkcs8_round_trip_with_the_same_kid() {
    for alg in ALGORITHMS {
        let key = key_for(alg);
        assert_eq!(key.kid(), key.public_jwk().thumbprint(), "{alg}");
        let reloaded = SigningKey::from_pkcs8(alg, &key.pkcs8().unwrap()).unwrap();
        assert_eq!(reloaded.kid(), key.kid(), "{alg}");
        assert_eq!(reloaded.public_jwk(), key.public_jwk(), "{alg}");
        // The reloaded key signs tokens the original's JWK verifies.
        let token = reloaded.sign("JWT", &json!({"a": 1})).unwrap();
        let _: (_, Value) = verify(&token, &verifier(&key)).unwrap();
    }
}

#[test]
fn pkcs8_of_another_key_type_is_refused() {
    let rsa = key_for(Algorithm::RS256).pkcs8().unwrap();
    let ec = key_for(Algorithm::ES256).pkcs8().unwrap();
    let ed = key_for(Algorithm::EdDSA).pkcs8().unwrap();
    for (alg, der) in [
        (Algorithm::RS256, &ec),
        (Algorithm::PS256, &ed),
        (Algorithm::ES256, &rsa),
        (Algorithm::ES256, &ed),
        (Algorithm::EdDSA, &rsa),
        (Algorithm::EdDSA, &ec),
    ] {
        assert!(
            matches!(
                SigningKey::from_pkcs8(alg, der),
                Err(JwtError::InvalidKey(_))
            ),
            "{alg}"
        );
    }
    // An RSA key serves either RSA algorithm.
    let ps = SigningKey::from_pkcs8(Algorithm::PS256, &rsa).unwrap();
    assert_eq!(ps.public_jwk().alg.as_deref(), Some("PS256"));
}

#[test]
fn jwks_have_the_members_of_their_key_type() {
    let ps = key_for(Algorithm::PS256).public_jwk();
    assert_eq!((ps.kty.as_str(), ps.alg.as_deref()), ("RSA", Some("PS256")));
    assert_eq!(b64_len(&ps.n), 256, "RSA 2048");
    assert_eq!(ps.e.as_deref(), Some("AQAB"));
    assert_eq!((&ps.crv, &ps.x, &ps.y), (&None, &None, &None));

    let es = key_for(Algorithm::ES256).public_jwk();
    let value = serde_json::to_value(&es).unwrap();
    assert_eq!(value["kty"], "EC");
    assert_eq!(value["crv"], "P-256");
    assert_eq!(value["alg"], "ES256");
    assert_eq!(value["use"], "sig");
    assert_eq!((b64_len(&es.x), b64_len(&es.y)), (32, 32));
    assert!(value.get("n").is_none() && value.get("e").is_none());

    let ed = key_for(Algorithm::EdDSA).public_jwk();
    let value = serde_json::to_value(&ed).unwrap();
    assert_eq!(value["kty"], "OKP");
    assert_eq!(value["crv"], "Ed25519");
    assert_eq!(value["alg"], "EdDSA");
    assert_eq!(b64_len(&ed.x), 32);
    assert!(value.get("y").is_none() && value.get("n").is_none());
}

#[test]
fn every_algorithm_rejects_tampered_payloads_and_signatures() {
    for alg in ALGORITHMS {
        let key = key_for(alg);
        let token = key.sign("at+jwt", &json!({"sub": "u1"})).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let forged_payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"admin"}"#);
        let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        let result: Result<(_, Value), _> = verify(&forged, &verifier(&key));
        assert!(matches!(result, Err(JwtError::BadSignature)), "{alg}");

        let mut signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        signature[7] ^= 1;
        let flipped = format!(
            "{}.{}.{}",
            parts[0],
            parts[1],
            URL_SAFE_NO_PAD.encode(&signature)
        );
        let result: Result<(_, Value), _> = verify(&flipped, &verifier(&key));
        assert!(matches!(result, Err(JwtError::BadSignature)), "{alg}");

        let truncated = format!("{}.{}.{}", parts[0], parts[1], &parts[2][..12]);
        let result: Result<(_, Value), _> = verify(&truncated, &verifier(&key));
        assert!(matches!(result, Err(JwtError::BadSignature)), "{alg}");
    }
}

#[test]
fn every_algorithm_rejects_another_keys_signature() {
    for alg in ALGORITHMS {
        let (signer, other) = (key_for(alg), key_for(alg));
        let token = signer.sign("at+jwt", &json!({"sub": "u1"})).unwrap();
        let result: Result<(_, Value), _> = verify(&token, &verifier(&other));
        assert!(matches!(result, Err(JwtError::BadSignature)), "{alg}");
    }
}

#[test]
fn a_key_verifies_only_its_own_algorithm() {
    let keys = ALGORITHMS.map(key_for);
    for signer in &keys {
        let token = signer.sign("at+jwt", &json!({"sub": "u1"})).unwrap();
        for other in &keys {
            if other.algorithm() == signer.algorithm() {
                continue;
            }
            // A token of another algorithm, verified with this key: refused before any
            // signature check, whatever key made it.
            let result: Result<(_, Value), _> = verify(&token, &verifier(other));
            assert!(
                matches!(result, Err(JwtError::AlgorithmMismatch)),
                "{} token, {} key",
                signer.algorithm(),
                other.algorithm()
            );
            // The signer's own token relabelled with another algorithm.
            let relabelled = with_header(
                &token,
                json!({"alg": other.algorithm().as_str(), "typ": "at+jwt", "kid": signer.kid()}),
            );
            let result: Result<(_, Value), _> = verify(&relabelled, &verifier(signer));
            assert!(
                matches!(result, Err(JwtError::AlgorithmMismatch)),
                "{} token relabelled {}",
                signer.algorithm(),
                other.algorithm()
            );
        }
    }
}

#[test]
fn the_same_rsa_key_published_as_ps256_does_not_accept_pkcs1_signatures() {
    let rs = key_for(Algorithm::RS256);
    let ps = SigningKey::from_pkcs8(Algorithm::PS256, &rs.pkcs8().unwrap()).unwrap();
    let token = rs.sign("at+jwt", &json!({"sub": "u1"})).unwrap();
    // Header says PS256 (so it passes the alg check), signature is PKCS#1 v1.5.
    let relabelled = with_header(&token, json!({"alg": "PS256", "kid": ps.kid()}));
    let result: Result<(_, Value), _> = verify(&relabelled, &verifier(&ps));
    assert!(matches!(result, Err(JwtError::BadSignature)));
    // And the other way round.
    let token = ps.sign("at+jwt", &json!({"sub": "u1"})).unwrap();
    let relabelled = with_header(&token, json!({"alg": "RS256", "kid": rs.kid()}));
    let result: Result<(_, Value), _> = verify(&relabelled, &verifier(&rs));
    assert!(matches!(result, Err(JwtError::BadSignature)));
}

#[test]
fn hmac_and_none_are_refused_for_every_key_type() {
    for alg in ALGORITHMS {
        let key = key_for(alg);
        let token = key.sign("at+jwt", &json!({"sub": "u1"})).unwrap();
        for bad in ["HS256", "none"] {
            let confused = with_header(&token, json!({"alg": bad, "kid": key.kid()}));
            let result: Result<(_, Value), _> = verify(&confused, &verifier(&key));
            assert!(
                matches!(result, Err(JwtError::UnsupportedAlgorithm(a)) if a == bad),
                "{alg} / {bad}"
            );
        }
    }
}

#[test]
fn es256_signatures_are_the_fixed_64_byte_form() {
    let key = key_for(Algorithm::ES256);
    for _ in 0..8 {
        let token = key.sign("at+jwt", &json!({"sub": "u1"})).unwrap();
        let signature = URL_SAFE_NO_PAD
            .decode(token.rsplit('.').next().unwrap())
            .unwrap();
        assert_eq!(signature.len(), 64, "R || S, not ASN.1 DER");
    }
    let ed = key_for(Algorithm::EdDSA)
        .sign("at+jwt", &json!({"sub": "u1"}))
        .unwrap();
    let signature = URL_SAFE_NO_PAD
        .decode(ed.rsplit('.').next().unwrap())
        .unwrap();
    assert_eq!(signature.len(), 64);
}

#[test]
fn rfc7515_es256_example_verifies() {
    // RFC 7515 Appendix A.3: a JWS made by another implementation, in the fixed R || S form.
    let jwk: Jwk = serde_json::from_value(json!({
        "kty": "EC",
        "kid": "rfc7515-a3",
        "crv": "P-256",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
    }))
    .unwrap();
    let key = VerifyingKey::from_jwk(&jwk).unwrap();
    assert_eq!(
        key.algorithm(),
        Algorithm::ES256,
        "EC P-256 without alg is ES256"
    );
    let token = concat!(
        "eyJhbGciOiJFUzI1NiJ9",
        ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ",
        ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
    );
    let (header, claims): (_, Value) = verify(token, &key).unwrap();
    assert_eq!(header.alg, "ES256");
    assert_eq!(claims["iss"], "joe");
    assert_eq!(
        jwk.thumbprint(),
        "oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U"
    );
}

#[test]
fn rfc7638_rsa_thumbprint_example() {
    // RFC 7638 §3.1.
    let jwk: Jwk = serde_json::from_value(json!({
        "kty": "RSA",
        "kid": "2011-04-29",
        "alg": "RS256",
        "e": "AQAB",
        "n": concat!(
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B",
            "JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_F",
            "DW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4",
            "vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        ),
    }))
    .unwrap();
    assert_eq!(
        jwk.thumbprint(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
    // Members that are not required (kid, alg, use) do not change it.
    let mut bare = jwk.clone();
    (bare.kid, bare.alg, bare.use_) = (String::new(), None, Some("sig".into()));
    assert_eq!(bare.thumbprint(), jwk.thumbprint());
}

#[test]
fn rfc8037_ed25519_key_loads_with_the_rfc_thumbprint() {
    // RFC 8037 Appendix A.1–A.3: the private key d, its public x, and the JWK thumbprint.
    let seed = URL_SAFE_NO_PAD
        .decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
        .unwrap();
    // PKCS#8 v1 wrapping of an Ed25519 seed (RFC 8410 §7).
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend(seed);
    let key = SigningKey::from_pkcs8(Algorithm::EdDSA, &der).unwrap();
    let jwk = key.public_jwk();
    assert_eq!(
        jwk.x.as_deref(),
        Some("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
    );
    assert_eq!(key.kid(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
}

#[test]
fn thumbprints_differ_by_key_and_ignore_member_order_in_the_document() {
    let keys = ALGORITHMS.map(key_for);
    let kids: std::collections::HashSet<_> = keys.iter().map(|k| k.kid().to_owned()).collect();
    assert_eq!(kids.len(), keys.len());
    for key in &keys {
        // Parsed from a document with its members in another order: same thumbprint.
        let mut members: Vec<(String, Value)> = serde_json::to_value(key.public_jwk())
            .unwrap()
            .as_object()
            .unwrap()
            .clone()
            .into_iter()
            .collect();
        members.reverse();
        let text = format!(
            "{{{}}}",
            members
                .iter()
                .map(|(k, v)| format!("{}:{}", json!(k), v))
                .collect::<Vec<_>>()
                .join(",")
        );
        let parsed: Jwk = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed.thumbprint(), key.kid());
    }
}

#[test]
fn jwk_without_alg_gets_the_algorithm_its_key_type_implies() {
    for (alg, implied) in [
        (Algorithm::RS256, Algorithm::RS256),
        (Algorithm::PS256, Algorithm::RS256),
        (Algorithm::ES256, Algorithm::ES256),
        (Algorithm::EdDSA, Algorithm::EdDSA),
    ] {
        let mut jwk = key_for(alg).public_jwk();
        jwk.alg = None;
        assert_eq!(VerifyingKey::from_jwk(&jwk).unwrap().algorithm(), implied);
    }
}

#[test]
fn jwks_with_a_mismatched_alg_curve_or_missing_members_are_refused() {
    let mismatched = |alg: Algorithm, claimed: &str| {
        let mut jwk = key_for(alg).public_jwk();
        jwk.alg = Some(claimed.into());
        jwk
    };
    let mut bad = vec![
        mismatched(Algorithm::RS256, "ES256"),
        mismatched(Algorithm::ES256, "RS256"),
        mismatched(Algorithm::ES256, "EdDSA"),
        mismatched(Algorithm::EdDSA, "ES256"),
        mismatched(Algorithm::EdDSA, "PS256"),
    ];
    let mut curve = key_for(Algorithm::ES256).public_jwk();
    curve.crv = Some("P-384".into());
    bad.push(curve);
    let mut curve = key_for(Algorithm::EdDSA).public_jwk();
    curve.crv = Some("X25519".into());
    bad.push(curve);
    let mut no_y = key_for(Algorithm::ES256).public_jwk();
    no_y.y = None;
    bad.push(no_y);
    let mut short_x = key_for(Algorithm::EdDSA).public_jwk();
    short_x.x = Some("AAAA".into());
    bad.push(short_x);
    let mut no_n = key_for(Algorithm::RS256).public_jwk();
    no_n.n = None;
    bad.push(no_n);
    for jwk in bad {
        assert!(
            matches!(VerifyingKey::from_jwk(&jwk), Err(JwtError::InvalidKey(_))),
            "{jwk:?}"
        );
    }
    // An `alg` Tessera does not know is refused as such.
    assert!(matches!(
        VerifyingKey::from_jwk(&mismatched(Algorithm::RS256, "RS512")),
        Err(JwtError::UnsupportedAlgorithm(_))
    ));
}

#[test]
fn ec_point_not_on_the_curve_is_refused() {
    let mut jwk = key_for(Algorithm::ES256).public_jwk();
    jwk.y = jwk.x.clone();
    assert!(matches!(
        VerifyingKey::from_jwk(&jwk),
        Err(JwtError::InvalidKey(_))
    ));
}
