use tessera_protocol::pkce::{
    parse_challenge, verifies, ChallengeMethod, CodeChallenge, PkceError,
};

/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn s256(challenge: &str) -> CodeChallenge {
    CodeChallenge {
        challenge: challenge.to_owned(),
        method: ChallengeMethod::S256,
    }
}

fn plain(challenge: &str) -> CodeChallenge {
    CodeChallenge {
        challenge: challenge.to_owned(),
        method: ChallengeMethod::Plain,
    }
}

// ---------------------------------------------------------------------------------------------
// parse_challenge
// ---------------------------------------------------------------------------------------------

#[test]
fn parse_challenge_s256_is_accepted() {
    for plain_allowed in [false, true] {
        assert_eq!(
            parse_challenge(Some(CHALLENGE), Some("S256"), plain_allowed),
            Ok(Some(s256(CHALLENGE)))
        );
    }
}

#[test]
fn parse_challenge_absent_is_none() {
    assert_eq!(parse_challenge(None, None, false), Ok(None));
    assert_eq!(parse_challenge(None, None, true), Ok(None));
}

/// RFC 7636 §4.3: a missing method means `plain`, which RFC 9700 §2.1.1 refuses by default.
#[test]
fn parse_challenge_missing_method_is_plain_and_refused_unless_plain_allowed() {
    assert_eq!(
        parse_challenge(Some(VERIFIER), None, false),
        Err(PkceError::PlainNotAllowed)
    );
    assert_eq!(
        parse_challenge(Some(VERIFIER), None, true),
        Ok(Some(plain(VERIFIER)))
    );
}

#[test]
fn parse_challenge_explicit_plain_is_refused_unless_plain_allowed() {
    assert_eq!(
        parse_challenge(Some(VERIFIER), Some("plain"), false),
        Err(PkceError::PlainNotAllowed)
    );
    assert_eq!(
        parse_challenge(Some(VERIFIER), Some("plain"), true),
        Ok(Some(plain(VERIFIER)))
    );
    assert_eq!(
        PkceError::PlainNotAllowed.to_string(),
        "code_challenge_method plain is not allowed for this application; use S256"
    );
}

#[test]
fn parse_challenge_unknown_method_is_unsupported() {
    for method in ["s256", "SHA256", "S512", "PLAIN", "none"] {
        for plain_allowed in [false, true] {
            assert_eq!(
                parse_challenge(Some(CHALLENGE), Some(method), plain_allowed),
                Err(PkceError::UnsupportedMethod(method.to_owned())),
                "{method}"
            );
        }
    }
    assert_eq!(
        PkceError::UnsupportedMethod("S512".to_owned()).to_string(),
        "code_challenge_method `S512` is not supported; use S256"
    );
}

/// RFC 7636 §4.2: the challenge is 43 to 128 characters of `[A-Z a-z 0-9 - . _ ~]`.
#[test]
fn parse_challenge_length_must_be_43_to_128() {
    for len in [43, 128] {
        let challenge = "a".repeat(len);
        assert_eq!(
            parse_challenge(Some(&challenge), Some("S256"), false),
            Ok(Some(s256(&challenge))),
            "length {len}"
        );
    }
    for len in [1, 42, 129, 500] {
        let challenge = "a".repeat(len);
        assert_eq!(
            parse_challenge(Some(&challenge), Some("S256"), false),
            Err(PkceError::MalformedChallenge),
            "length {len}"
        );
    }
}

#[test]
fn parse_challenge_with_characters_outside_the_unreserved_set_is_malformed() {
    let base = &CHALLENGE[..42];
    for bad in ['+', '/', '=', ' ', '%', '!', '\u{e9}', '\n'] {
        let challenge = format!("{base}{bad}");
        assert_eq!(
            parse_challenge(Some(&challenge), Some("S256"), true),
            Err(PkceError::MalformedChallenge),
            "{challenge:?}"
        );
    }
    let unreserved = format!("{}-._~", &CHALLENGE[..39]);
    assert!(parse_challenge(Some(&unreserved), Some("S256"), false).is_ok());
    assert_eq!(
        PkceError::MalformedChallenge.to_string(),
        "code_challenge must be 43 to 128 characters of [A-Z a-z 0-9 - . _ ~]"
    );
}

#[test]
fn parse_challenge_method_without_challenge_is_refused() {
    for method in ["S256", "plain", "bogus"] {
        assert_eq!(
            parse_challenge(None, Some(method), true),
            Err(PkceError::MethodWithoutChallenge),
            "{method}"
        );
    }
    assert_eq!(
        PkceError::MethodWithoutChallenge.to_string(),
        "code_challenge_method was sent without code_challenge"
    );
}

#[test]
fn challenge_method_spelling() {
    assert_eq!(ChallengeMethod::S256.as_str(), "S256");
    assert_eq!(ChallengeMethod::Plain.as_str(), "plain");
    assert_eq!(
        serde_json::to_string(&ChallengeMethod::S256).unwrap(),
        "\"S256\""
    );
    assert_eq!(
        serde_json::to_string(&ChallengeMethod::Plain).unwrap(),
        "\"plain\""
    );
}

// ---------------------------------------------------------------------------------------------
// verifies
// ---------------------------------------------------------------------------------------------

#[test]
fn verifies_s256_rfc7636_appendix_b_vector() {
    assert!(verifies(&s256(CHALLENGE), VERIFIER));
}

#[test]
fn verifies_s256_refuses_a_wrong_verifier() {
    let mut wrong = VERIFIER.to_owned();
    wrong.replace_range(0..1, "e");
    assert!(!verifies(&s256(CHALLENGE), &wrong));
    // The challenge itself is not a verifier for it.
    assert!(!verifies(&s256(CHALLENGE), CHALLENGE));
    assert!(!verifies(&s256(CHALLENGE), &format!("{VERIFIER}a")));
}

/// RFC 7636 §4.1: a verifier shorter than 43 characters is refused whatever the challenge.
#[test]
fn verifies_refuses_a_short_verifier() {
    let short = "a".repeat(42);
    assert!(!verifies(&plain(&short), &short));
    assert!(!verifies(&plain(&short), ""));
    let long = "a".repeat(129);
    assert!(!verifies(&plain(&long), &long));
}

#[test]
fn verifies_plain_compares_the_verifier_to_the_challenge() {
    assert!(verifies(&plain(VERIFIER), VERIFIER));
    assert!(!verifies(&plain(VERIFIER), CHALLENGE));
    // A plain challenge is never hashed: the S256 pair does not match under plain.
    assert!(!verifies(&plain(CHALLENGE), VERIFIER));
}

#[test]
fn code_challenge_serde_round_trip() {
    let challenge = s256(CHALLENGE);
    let json = serde_json::to_value(&challenge).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"challenge": CHALLENGE, "method": "S256"})
    );
    assert_eq!(
        serde_json::from_value::<CodeChallenge>(json).unwrap(),
        challenge
    );
}
