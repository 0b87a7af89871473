//! `Validator::validate`: signatures, header checks, and claim checks.

use crate::common::*;
use aws_lc_rs::hmac;
use serde_json::json;
use tessera_resource::{Validator, ValidatorOptions};

async fn setup() -> (JwksServer, Validator) {
    let server = JwksServer::start(&[issuer_key()]).await;
    let validator = Validator::new(server.issuer(), AUDIENCE);
    (server, validator)
}

// ---------------------------------------------------------------- valid tokens

#[tokio::test]
async fn valid_token_yields_claims() {
    let (server, validator) = setup().await;
    let token = mint(
        issuer_key(),
        &claims_with(&server.issuer(), json!({ "org_id": "org_42" })),
    );

    let claims = validator.validate(&token).await.unwrap();

    assert_eq!(claims.sub, SUB);
    assert_eq!(claims.scope, vec!["appointments", "read:profile"]);
    assert!(claims.has_scope("appointments"));
    assert!(!claims.has_scope("admin"));
    assert_eq!(claims.client_id.as_deref(), Some(CLIENT_ID));
    assert_eq!(claims.iss, server.issuer());
    assert_eq!(claims.jti.as_deref(), Some("token-1"));
    assert!(claims.iat.is_some());
    assert_eq!(claims.extra.get("org_id"), Some(&json!("org_42")));
}

#[tokio::test]
async fn audience_as_string_is_accepted() {
    let (server, validator) = setup().await;
    let token = mint(
        issuer_key(),
        &claims_with(&server.issuer(), json!({ "aud": AUDIENCE })),
    );
    let claims = validator.validate(&token).await.unwrap();
    assert_eq!(claims.sub, SUB);
}

#[tokio::test]
async fn audience_as_array_containing_the_api_is_accepted() {
    let (server, validator) = setup().await;
    let aud = json!([format!("{}userinfo", server.issuer()), AUDIENCE]);
    let token = mint(
        issuer_key(),
        &claims_with(&server.issuer(), json!({ "aud": aud })),
    );
    let claims = validator.validate(&token).await.unwrap();
    assert_eq!(claims.sub, SUB);
}

#[tokio::test]
async fn token_without_scope_has_empty_scope_list() {
    let (server, validator) = setup().await;
    let token = mint(
        issuer_key(),
        &claims_with(&server.issuer(), json!({ "scope": null })),
    );
    let claims = validator.validate(&token).await.unwrap();
    assert!(claims.scope.is_empty());
}

// ---------------------------------------------------------------- forged tokens

#[tokio::test]
async fn token_signed_by_unpublished_key_with_published_kid_is_rejected() {
    let (server, validator) = setup().await;
    let header = json!({ "alg": "RS256", "typ": "at+jwt", "kid": issuer_key().kid() });
    // A genuine RS256 signature, but by the attacker's key.
    let token = sign_raw(attacker_key(), &header, &claims(&server.issuer()));
    assert_invalid_token(validator.validate(&token).await);
}

#[tokio::test]
async fn token_signed_by_unpublished_key_with_its_own_kid_is_rejected() {
    let (server, validator) = setup().await;
    let token = mint(attacker_key(), &claims(&server.issuer()));
    assert_invalid_token(validator.validate(&token).await);
}

#[tokio::test]
async fn tampered_payload_is_rejected() {
    let (server, validator) = setup().await;
    let token = mint(issuer_key(), &claims(&server.issuer()));
    // Sanity: the untampered token is fine.
    validator.validate(&token).await.unwrap();

    let parts: Vec<&str> = token.split('.').collect();
    let tampered_claims = claims_with(
        &server.issuer(),
        json!({ "sub": "auth0|mallory", "scope": "appointments admin" }),
    );
    let tampered = format!("{}.{}.{}", parts[0], b64_json(&tampered_claims), parts[2]);
    assert_invalid_token(validator.validate(&tampered).await);
}

#[tokio::test]
async fn tampered_header_is_rejected() {
    let (server, validator) = setup().await;
    let token = mint(issuer_key(), &claims(&server.issuer()));
    let parts: Vec<&str> = token.split('.').collect();
    // Same meaning, different bytes: the signature covers the encoded header.
    let header = json!({ "kid": issuer_key().kid(), "typ": "at+jwt", "alg": "RS256" });
    let tampered = format!("{}.{}.{}", b64_json(&header), parts[1], parts[2]);
    assert_invalid_token(validator.validate(&tampered).await);
}

#[tokio::test]
async fn truncated_signature_is_rejected() {
    let (server, validator) = setup().await;
    let token = mint(issuer_key(), &claims(&server.issuer()));
    let truncated = &token[..token.len() - 4];
    assert_invalid_token(validator.validate(truncated).await);
}

// ---------------------------------------------------------------- time

#[tokio::test]
async fn expired_token_is_rejected() {
    let (server, validator) = setup().await;
    let now = now();
    let token = mint(
        issuer_key(),
        &claims_with(
            &server.issuer(),
            json!({ "iat": now - 3600, "exp": now - 120 }),
        ),
    );
    assert_invalid_token(validator.validate(&token).await);
}

#[tokio::test]
async fn token_expired_within_leeway_is_accepted() {
    let (server, validator) = setup().await;
    let exp = 1_700_000_000;
    let token = mint(
        issuer_key(),
        &claims_with(&server.issuer(), json!({ "iat": exp - 300, "exp": exp })),
    );
    // Default leeway is 30 s.
    validator.validate_at(&token, exp - 1).await.unwrap();
    validator.validate_at(&token, exp).await.unwrap();
    validator.validate_at(&token, exp + 29).await.unwrap();
}

#[tokio::test]
async fn token_expired_just_beyond_leeway_is_rejected() {
    let (server, validator) = setup().await;
    let exp = 1_700_000_000;
    let token = mint(
        issuer_key(),
        &claims_with(&server.issuer(), json!({ "iat": exp - 300, "exp": exp })),
    );
    assert_invalid_token(validator.validate_at(&token, exp + 30).await);
    assert_invalid_token(validator.validate_at(&token, exp + 31).await);
}

#[tokio::test]
async fn custom_leeway_is_honoured() {
    let server = JwksServer::start(&[issuer_key()]).await;
    let validator = Validator::with_options(
        server.issuer(),
        AUDIENCE,
        ValidatorOptions {
            leeway: 0,
            ..Default::default()
        },
    );
    let exp = 1_700_000_000;
    let token = mint(
        issuer_key(),
        &claims_with(&server.issuer(), json!({ "iat": exp - 300, "exp": exp })),
    );
    validator.validate_at(&token, exp - 1).await.unwrap();
    assert_invalid_token(validator.validate_at(&token, exp).await);
}

#[tokio::test]
async fn not_yet_valid_token_is_rejected() {
    let (server, validator) = setup().await;
    let now = now();
    let token = mint(
        issuer_key(),
        &claims_with(
            &server.issuer(),
            json!({ "nbf": now + 120, "exp": now + 600 }),
        ),
    );
    assert_invalid_token(validator.validate(&token).await);
}

#[tokio::test]
async fn nbf_within_leeway_is_accepted_and_beyond_is_rejected() {
    let (server, validator) = setup().await;
    let nbf = 1_700_000_000;
    let token = mint(
        issuer_key(),
        &claims_with(
            &server.issuer(),
            json!({ "nbf": nbf, "iat": nbf, "exp": nbf + 600 }),
        ),
    );
    validator.validate_at(&token, nbf).await.unwrap();
    validator.validate_at(&token, nbf - 30).await.unwrap();
    assert_invalid_token(validator.validate_at(&token, nbf - 31).await);
}

// ---------------------------------------------------------------- iss / aud

#[tokio::test]
async fn wrong_audience_is_rejected() {
    let (server, validator) = setup().await;
    let token = mint(
        issuer_key(),
        &claims_with(&server.issuer(), json!({ "aud": "billing:api" })),
    );
    assert_invalid_token(validator.validate(&token).await);
}

#[tokio::test]
async fn audience_array_without_the_api_is_rejected() {
    let (server, validator) = setup().await;
    let token = mint(
        issuer_key(),
        &claims_with(
            &server.issuer(),
            json!({ "aud": ["billing:api", "appointments:api:extra"] }),
        ),
    );
    assert_invalid_token(validator.validate(&token).await);
}

#[tokio::test]
async fn wrong_issuer_is_rejected() {
    let (server, validator) = setup().await;
    let token = mint(
        issuer_key(),
        &claims_with(
            &server.issuer(),
            json!({ "iss": "https://evil.example.com/" }),
        ),
    );
    assert_invalid_token(validator.validate(&token).await);
}

#[tokio::test]
async fn issuer_without_trailing_slash_is_rejected() {
    let (server, validator) = setup().await;
    let issuer = server.issuer();
    let token = mint(
        issuer_key(),
        &claims_with(&issuer, json!({ "iss": issuer.trim_end_matches('/') })),
    );
    assert_invalid_token(validator.validate(&token).await);
}

#[tokio::test]
async fn token_missing_a_required_claim_is_rejected() {
    let (server, validator) = setup().await;
    for missing in ["exp", "sub", "aud", "iss"] {
        let token = mint(
            issuer_key(),
            &claims_with(&server.issuer(), json!({ missing: null })),
        );
        assert_invalid_token(validator.validate(&token).await);
    }
}

// ---------------------------------------------------------------- header checks

#[tokio::test]
async fn hs256_alg_confusion_is_rejected() {
    let (server, validator) = setup().await;
    let header = json!({ "alg": "HS256", "typ": "at+jwt", "kid": issuer_key().kid() });
    let body = claims(&server.issuer());
    // The classic attack: HMAC with the issuer's *public* key as the secret.
    let public = serde_json::to_vec(&issuer_key().public_jwk()).unwrap();
    let signing_input = format!("{}.{}", b64_json(&header), b64_json(&body));
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, &public),
        signing_input.as_bytes(),
    );
    let token = format!("{signing_input}.{}", b64(tag.as_ref()));

    assert_invalid_token(validator.validate(&token).await);
    // Refused on the header alone: the issuer is not even asked for keys.
    assert_eq!(server.fetches(), 0);
}

#[tokio::test]
async fn alg_none_is_rejected() {
    let (server, validator) = setup().await;
    for alg in ["none", "None", "NONE"] {
        let header = json!({ "alg": alg, "typ": "at+jwt", "kid": issuer_key().kid() });
        let token = assemble(&header, &claims(&server.issuer()), b"");
        assert!(token.ends_with('.'));
        assert_invalid_token(validator.validate(&token).await);
    }
    assert_eq!(server.fetches(), 0);
}

#[tokio::test]
async fn alg_other_than_rs256_is_rejected() {
    let (server, validator) = setup().await;
    for alg in ["RS384", "RS512", "PS256", "ES256", "rs256", "HS512"] {
        let header = json!({ "alg": alg, "typ": "at+jwt", "kid": issuer_key().kid() });
        // Genuinely signed with RS256 by the published key; only the header lies.
        let token = sign_raw(issuer_key(), &header, &claims(&server.issuer()));
        assert_invalid_token(validator.validate(&token).await);
    }
}

#[tokio::test]
async fn typ_jwt_is_rejected() {
    let (server, validator) = setup().await;
    let token = issuer_key().sign("JWT", &claims(&server.issuer())).unwrap();
    assert_invalid_token(validator.validate(&token).await);
    assert_eq!(server.fetches(), 0);
}

#[tokio::test]
async fn missing_typ_is_rejected() {
    let (server, validator) = setup().await;
    let header = json!({ "alg": "RS256", "kid": issuer_key().kid() });
    let token = sign_raw(issuer_key(), &header, &claims(&server.issuer()));
    assert_invalid_token(validator.validate(&token).await);
}

#[tokio::test]
async fn id_token_typ_is_rejected() {
    let (server, validator) = setup().await;
    // What an ID token or a logout token would carry: never an access token.
    for typ in ["JWT", "jwt", "logout+jwt", "at+jwt+extra", ""] {
        let token = issuer_key().sign(typ, &claims(&server.issuer())).unwrap();
        assert_invalid_token(validator.validate(&token).await);
    }
}

#[tokio::test]
async fn typ_application_at_jwt_is_accepted() {
    let (server, validator) = setup().await;
    let token = issuer_key()
        .sign("application/at+jwt", &claims(&server.issuer()))
        .unwrap();
    let claims = validator.validate(&token).await.unwrap();
    assert_eq!(claims.sub, SUB);
}

#[tokio::test]
async fn typ_is_case_insensitive() {
    let (server, validator) = setup().await;
    let token = issuer_key()
        .sign("AT+JWT", &claims(&server.issuer()))
        .unwrap();
    validator.validate(&token).await.unwrap();
}

#[tokio::test]
async fn missing_kid_is_rejected() {
    let (server, validator) = setup().await;
    let header = json!({ "alg": "RS256", "typ": "at+jwt" });
    let token = sign_raw(issuer_key(), &header, &claims(&server.issuer()));
    assert_invalid_token(validator.validate(&token).await);
    assert_eq!(server.fetches(), 0);
}

// ---------------------------------------------------------------- malformed

#[tokio::test]
async fn malformed_tokens_are_rejected_without_panicking() {
    let (server, validator) = setup().await;
    let good = mint(issuer_key(), &claims(&server.issuer()));
    let parts: Vec<&str> = good.split('.').collect();
    let not_json = b64(b"not json");
    let array_header = b64(b"[1,2,3]");
    let four_parts = format!("{good}.extra");
    let two_parts = format!("{}.{}", parts[0], parts[1]);
    let bad_signature_encoding = format!("{}.{}.!!!", parts[0], parts[1]);
    let bad_payload_encoding = format!("{}.%%%.{}", parts[0], parts[2]);
    let not_json_header = format!("{not_json}.{}.{}", parts[1], parts[2]);
    let array_header = format!("{array_header}.{}.{}", parts[1], parts[2]);
    let padded = format!("{}=.{}.{}", parts[0], parts[1], parts[2]);
    let with_whitespace = format!(" {good}");
    let malformed: Vec<&str> = vec![
        "",
        "abc",
        "a.b.c",
        ".",
        "..",
        "...",
        "a.b",
        "a.b.c.d",
        "\u{0}",
        "ünïcödé.ünïcödé.ünïcödé",
        &four_parts,
        &two_parts,
        &bad_signature_encoding,
        &bad_payload_encoding,
        &not_json_header,
        &array_header,
        &padded,
        &with_whitespace,
    ];
    for token in malformed {
        let result = validator.validate(token).await;
        assert!(
            matches!(result, Err(tessera_resource::BearerError::InvalidToken(_))),
            "{token:?} gave {result:?}"
        );
    }
}

#[tokio::test]
async fn signed_garbage_payload_is_rejected() {
    let (_server, validator) = setup().await;
    let header = json!({ "alg": "RS256", "typ": "at+jwt", "kid": issuer_key().kid() });
    // A correctly signed token whose payload is not a claims object.
    for payload in [json!("a string"), json!([1, 2]), json!(null), json!({})] {
        let token = sign_raw(issuer_key(), &header, &payload);
        assert_invalid_token(validator.validate(&token).await);
    }
}
