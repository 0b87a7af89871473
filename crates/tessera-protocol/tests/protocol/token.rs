use crate::common::{api_with, client_id, params, scopes, uri, API_ID, CALLBACK};
use tessera_protocol::claims::CustomClaims;
use tessera_protocol::error::TokenError;
use tessera_protocol::pkce::{ChallengeMethod, CodeChallenge};
use tessera_protocol::token::{
    check_code, parse_token_request, password_scope, CodeGrant, TokenRequest,
};
use tessera_protocol::{ClientId, GrantType, Timestamp, TokenErrorCode};

/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn assert_code(err: &TokenError, code: TokenErrorCode, wire: &str) {
    assert_eq!(err.code, code, "{err}");
    assert_eq!(err.code.as_str(), wire);
}

// ---------------------------------------------------------------------------------------------
// parse_token_request
// ---------------------------------------------------------------------------------------------

#[test]
fn parse_token_request_missing_grant_type_is_invalid_request() {
    let err = parse_token_request(&params(&[("code", "abc")])).unwrap_err();
    assert_code(&err, TokenErrorCode::InvalidRequest, "invalid_request");
    assert_eq!(err.description, "the grant_type parameter is missing");
    let err = parse_token_request(&params(&[("grant_type", ""), ("code", "abc")])).unwrap_err();
    assert_code(&err, TokenErrorCode::InvalidRequest, "invalid_request");
}

#[test]
fn parse_token_request_unknown_grant_type_is_unsupported_grant_type() {
    for grant_type in [
        "PASSWORD",
        "AUTHORIZATION_CODE",
        "urn:ietf:params:oauth:grant-type:token-exchange",
    ] {
        let err = parse_token_request(&params(&[("grant_type", grant_type)])).unwrap_err();
        assert_code(
            &err,
            TokenErrorCode::UnsupportedGrantType,
            "unsupported_grant_type",
        );
        assert_eq!(
            err.description,
            format!("grant_type `{grant_type}` is not supported")
        );
    }
}

/// The implicit grant exists only at the authorization endpoint (RFC 6749 §4.2): it is never a
/// `grant_type` at the token endpoint.
#[test]
fn parse_token_request_implicit_grant_type_is_unsupported_grant_type() {
    let err = parse_token_request(&params(&[("grant_type", "implicit")])).unwrap_err();
    assert_code(
        &err,
        TokenErrorCode::UnsupportedGrantType,
        "unsupported_grant_type",
    );
    assert_eq!(err.description, "grant_type `implicit` is not supported");
}

#[test]
fn parse_token_request_authorization_code_without_code_is_invalid_request() {
    let err = parse_token_request(&params(&[
        ("grant_type", "authorization_code"),
        ("redirect_uri", CALLBACK),
    ]))
    .unwrap_err();
    assert_code(&err, TokenErrorCode::InvalidRequest, "invalid_request");
    assert_eq!(err.description, "the code parameter is missing");
}

#[test]
fn parse_token_request_authorization_code_is_parsed() {
    let request = parse_token_request(&params(&[
        ("grant_type", "authorization_code"),
        ("code", "c0de"),
        ("redirect_uri", CALLBACK),
    ]))
    .unwrap();
    assert_eq!(
        request,
        TokenRequest::AuthorizationCode {
            code: "c0de".to_owned(),
            redirect_uri: Some(CALLBACK.to_owned()),
            code_verifier: None,
        }
    );
    assert_eq!(request.grant_type(), GrantType::AuthorizationCode);
    let request = parse_token_request(&params(&[
        ("grant_type", "authorization_code"),
        ("code", "c0de"),
    ]))
    .unwrap();
    assert_eq!(
        request,
        TokenRequest::AuthorizationCode {
            code: "c0de".to_owned(),
            redirect_uri: None,
            code_verifier: None,
        }
    );
}

#[test]
fn parse_token_request_authorization_code_carries_the_code_verifier() {
    let request = parse_token_request(&params(&[
        ("grant_type", "authorization_code"),
        ("code", "c0de"),
        ("code_verifier", VERIFIER),
    ]))
    .unwrap();
    assert_eq!(
        request,
        TokenRequest::AuthorizationCode {
            code: "c0de".to_owned(),
            redirect_uri: None,
            code_verifier: Some(VERIFIER.to_owned()),
        }
    );
}

#[test]
fn parse_token_request_refresh_without_refresh_token_is_invalid_request() {
    let err = parse_token_request(&params(&[("grant_type", "refresh_token")])).unwrap_err();
    assert_code(&err, TokenErrorCode::InvalidRequest, "invalid_request");
    assert_eq!(err.description, "the refresh_token parameter is missing");
}

#[test]
fn parse_token_request_refresh_with_scope_is_parsed() {
    let request = parse_token_request(&params(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", "rt"),
        ("scope", "openid read:items openid"),
    ]))
    .unwrap();
    assert_eq!(
        request,
        TokenRequest::RefreshToken {
            refresh_token: "rt".to_owned(),
            scope: Some(scopes("openid read:items")),
        }
    );
    assert_eq!(request.grant_type(), GrantType::RefreshToken);
}

#[test]
fn parse_token_request_refresh_without_scope_has_none() {
    let request = parse_token_request(&params(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", "rt"),
        ("scope", ""),
    ]))
    .unwrap();
    assert_eq!(
        request,
        TokenRequest::RefreshToken {
            refresh_token: "rt".to_owned(),
            scope: None
        }
    );
}

#[test]
fn parse_token_request_refresh_with_malformed_scope_is_invalid_scope() {
    let err = parse_token_request(&params(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", "rt"),
        ("scope", "openid bad\\scope"),
    ]))
    .unwrap_err();
    assert_code(&err, TokenErrorCode::InvalidScope, "invalid_scope");
}

#[test]
fn parse_token_request_client_credentials_carries_audience_and_scope() {
    let request = parse_token_request(&params(&[
        ("grant_type", "client_credentials"),
        ("audience", API_ID),
        ("scope", "read:items write:items"),
    ]))
    .unwrap();
    assert_eq!(
        request,
        TokenRequest::ClientCredentials {
            audience: Some(API_ID.to_owned()),
            scope: Some(scopes("read:items write:items")),
        }
    );
    assert_eq!(request.grant_type(), GrantType::ClientCredentials);
}

#[test]
fn parse_token_request_client_credentials_resource_is_a_synonym_of_audience() {
    let request = parse_token_request(&params(&[
        ("grant_type", "client_credentials"),
        ("resource", API_ID),
    ]))
    .unwrap();
    assert_eq!(
        request,
        TokenRequest::ClientCredentials {
            audience: Some(API_ID.to_owned()),
            scope: None,
        }
    );
}

#[test]
fn parse_token_request_client_credentials_without_audience_or_scope_has_none() {
    let request = parse_token_request(&params(&[("grant_type", "client_credentials")])).unwrap();
    assert_eq!(
        request,
        TokenRequest::ClientCredentials {
            audience: None,
            scope: None,
        }
    );
}

#[test]
fn parse_token_request_client_credentials_with_malformed_scope_is_invalid_scope() {
    let err = parse_token_request(&params(&[
        ("grant_type", "client_credentials"),
        ("audience", API_ID),
        ("scope", "read:items \"quoted\""),
    ]))
    .unwrap_err();
    assert_code(&err, TokenErrorCode::InvalidScope, "invalid_scope");
}

#[test]
fn parse_token_request_repeated_parameter_is_invalid_request() {
    let cases: [&[(&str, &str)]; 8] = [
        &[
            ("grant_type", "authorization_code"),
            ("grant_type", "authorization_code"),
            ("code", "c"),
        ],
        &[
            ("grant_type", "authorization_code"),
            ("code", "c"),
            ("code", "d"),
        ],
        &[
            ("grant_type", "authorization_code"),
            ("code", "c"),
            ("redirect_uri", CALLBACK),
            ("redirect_uri", CALLBACK),
        ],
        &[
            ("grant_type", "authorization_code"),
            ("code", "c"),
            ("code_verifier", VERIFIER),
            ("code_verifier", VERIFIER),
        ],
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "a"),
            ("refresh_token", "b"),
        ],
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "a"),
            ("scope", "openid"),
            ("scope", "openid"),
        ],
        &[
            ("grant_type", "client_credentials"),
            ("audience", API_ID),
            ("audience", API_ID),
        ],
        &[
            ("grant_type", "client_credentials"),
            ("resource", API_ID),
            ("resource", API_ID),
        ],
    ];
    for pairs in cases {
        let err = parse_token_request(&params(pairs)).unwrap_err();
        assert_code(&err, TokenErrorCode::InvalidRequest, "invalid_request");
        assert!(
            err.description.ends_with("was given more than once"),
            "{}",
            err.description
        );
    }
}

// ---------------------------------------------------------------------------------------------
// check_code
// ---------------------------------------------------------------------------------------------

const ISSUED: Timestamp = Timestamp(1_700_000_000);
const EXPIRES: Timestamp = Timestamp(1_700_000_060);

fn code_grant(redirect_uri_explicit: bool) -> CodeGrant {
    CodeGrant {
        amr: Default::default(),
        client_id: client_id(),
        redirect_uri: uri(CALLBACK),
        redirect_uri_explicit,
        user_id: "user|1".to_owned(),
        scope: scopes("openid read:items"),
        audience: Some(API_ID.to_owned()),
        nonce: Some("n".to_owned()),
        auth_time: ISSUED,
        expires_at: EXPIRES,
        code_challenge: None,
        sid: None,
        custom_claims: CustomClaims::default(),
    }
}

fn pkce_grant(method: ChallengeMethod, challenge: &str) -> CodeGrant {
    CodeGrant {
        code_challenge: Some(CodeChallenge {
            challenge: challenge.to_owned(),
            method,
        }),
        ..code_grant(true)
    }
}

#[test]
fn check_code_valid_code_is_ok() {
    assert_eq!(
        check_code(
            &code_grant(true),
            &client_id(),
            Some(CALLBACK),
            None,
            ISSUED
        ),
        Ok(())
    );
    assert_eq!(
        check_code(
            &code_grant(true),
            &client_id(),
            Some(CALLBACK),
            None,
            Timestamp(EXPIRES.0 - 1)
        ),
        Ok(())
    );
}

#[test]
fn check_code_other_client_is_invalid_grant() {
    let err = check_code(
        &code_grant(true),
        &ClientId("app2".to_owned()),
        Some(CALLBACK),
        None,
        ISSUED,
    )
    .unwrap_err();
    assert_code(&err, TokenErrorCode::InvalidGrant, "invalid_grant");
    assert_eq!(err.description, "the code was issued to another client");
}

#[test]
fn check_code_expired_is_invalid_grant() {
    for now in [
        EXPIRES,
        Timestamp(EXPIRES.0 + 1),
        Timestamp(EXPIRES.0 + 3600),
    ] {
        let err =
            check_code(&code_grant(true), &client_id(), Some(CALLBACK), None, now).unwrap_err();
        assert_code(&err, TokenErrorCode::InvalidGrant, "invalid_grant");
        assert_eq!(err.description, "the code has expired");
    }
}

#[test]
fn check_code_now_equal_to_expires_at_counts_as_expired() {
    let err = check_code(&code_grant(false), &client_id(), None, None, EXPIRES).unwrap_err();
    assert_code(&err, TokenErrorCode::InvalidGrant, "invalid_grant");
}

#[test]
fn check_code_redirect_uri_mismatch_is_invalid_grant() {
    for given in [
        "https://app.example.com/callback/",
        "https://app.example.com/other",
        "https://APP.example.com/callback",
    ] {
        for explicit in [true, false] {
            let err = check_code(
                &code_grant(explicit),
                &client_id(),
                Some(given),
                None,
                ISSUED,
            )
            .unwrap_err();
            assert_code(&err, TokenErrorCode::InvalidGrant, "invalid_grant");
            assert_eq!(
                err.description,
                "redirect_uri does not match the one used in the authorization request"
            );
        }
    }
}

#[test]
fn check_code_missing_redirect_uri_when_explicit_is_invalid_request() {
    let err = check_code(&code_grant(true), &client_id(), None, None, ISSUED).unwrap_err();
    assert_code(&err, TokenErrorCode::InvalidRequest, "invalid_request");
    assert_eq!(err.description, "the redirect_uri parameter is missing");
}

#[test]
fn check_code_missing_redirect_uri_when_not_explicit_is_ok() {
    assert_eq!(
        check_code(&code_grant(false), &client_id(), None, None, ISSUED),
        Ok(())
    );
    assert_eq!(
        check_code(
            &code_grant(false),
            &client_id(),
            Some(CALLBACK),
            None,
            ISSUED
        ),
        Ok(())
    );
}

#[test]
fn check_code_pkce_s256_with_the_right_verifier_is_ok() {
    let grant = pkce_grant(ChallengeMethod::S256, CHALLENGE);
    assert_eq!(
        check_code(&grant, &client_id(), Some(CALLBACK), Some(VERIFIER), ISSUED),
        Ok(())
    );
}

#[test]
fn check_code_pkce_plain_with_the_right_verifier_is_ok() {
    let grant = pkce_grant(ChallengeMethod::Plain, VERIFIER);
    assert_eq!(
        check_code(&grant, &client_id(), Some(CALLBACK), Some(VERIFIER), ISSUED),
        Ok(())
    );
}

#[test]
fn check_code_pkce_wrong_verifier_is_invalid_grant() {
    let grant = pkce_grant(ChallengeMethod::S256, CHALLENGE);
    let wrong = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK";
    for verifier in [wrong, CHALLENGE, "short"] {
        let err =
            check_code(&grant, &client_id(), Some(CALLBACK), Some(verifier), ISSUED).unwrap_err();
        assert_code(&err, TokenErrorCode::InvalidGrant, "invalid_grant");
        assert_eq!(
            err.description,
            "the code_verifier does not match the code_challenge"
        );
    }
}

#[test]
fn check_code_pkce_missing_verifier_is_invalid_grant() {
    let grant = pkce_grant(ChallengeMethod::S256, CHALLENGE);
    let err = check_code(&grant, &client_id(), Some(CALLBACK), None, ISSUED).unwrap_err();
    assert_code(&err, TokenErrorCode::InvalidGrant, "invalid_grant");
    assert_eq!(err.description, "the code_verifier is missing");
}

/// RFC 9700 §4.8.2: a verifier for a code issued without a challenge is a PKCE downgrade.
#[test]
fn check_code_verifier_without_challenge_is_invalid_grant() {
    let err = check_code(
        &code_grant(true),
        &client_id(),
        Some(CALLBACK),
        Some(VERIFIER),
        ISSUED,
    )
    .unwrap_err();
    assert_code(&err, TokenErrorCode::InvalidGrant, "invalid_grant");
    assert_eq!(
        err.description,
        "a code_verifier was sent but the authorization request had no code_challenge"
    );
}

#[test]
fn check_code_client_and_expiry_are_checked_before_pkce() {
    let grant = pkce_grant(ChallengeMethod::S256, CHALLENGE);
    let err = check_code(
        &grant,
        &ClientId("app2".to_owned()),
        Some(CALLBACK),
        Some(VERIFIER),
        ISSUED,
    )
    .unwrap_err();
    assert_eq!(err.description, "the code was issued to another client");
    let err = check_code(
        &grant,
        &client_id(),
        Some(CALLBACK),
        Some(VERIFIER),
        EXPIRES,
    )
    .unwrap_err();
    assert_eq!(err.description, "the code has expired");
}

#[test]
fn code_grant_serde_round_trip() {
    let grant = CodeGrant {
        sid: Some("sid-1".to_owned()),
        ..pkce_grant(ChallengeMethod::S256, CHALLENGE)
    };
    let json = serde_json::to_string(&grant).unwrap();
    assert_eq!(serde_json::from_str::<CodeGrant>(&json).unwrap(), grant);
    let mut custom_claims = CustomClaims::default();
    custom_claims.id_token.insert(
        "https://app.example.com/roles".to_owned(),
        serde_json::json!(["admin"]),
    );
    let grant = CodeGrant {
        custom_claims,
        ..code_grant(true)
    };
    let json = serde_json::to_string(&grant).unwrap();
    assert_eq!(serde_json::from_str::<CodeGrant>(&json).unwrap(), grant);
    let grant = code_grant(true);
    let json = serde_json::to_string(&grant).unwrap();
    assert_eq!(serde_json::from_str::<CodeGrant>(&json).unwrap(), grant);
}

/// Codes stored before PKCE and `sid` existed still deserialize, with neither.
#[test]
fn code_grant_without_challenge_and_sid_fields_deserializes() {
    let mut value = serde_json::to_value(code_grant(true)).unwrap();
    let object = value.as_object_mut().unwrap();
    object.remove("code_challenge");
    object.remove("sid");
    let grant: CodeGrant = serde_json::from_value(value).unwrap();
    assert_eq!(grant, code_grant(true));
}

#[test]
fn parse_client_credentials_with_conflicting_audience_and_resource_is_invalid_request() {
    let err = parse_token_request(&params(&[
        ("grant_type", "client_credentials"),
        ("audience", API_ID),
        ("resource", "https://other.example.com/"),
    ]))
    .unwrap_err();
    assert_eq!(err.code, TokenErrorCode::InvalidRequest);
}

// ---------------------------------------------------------------------------------------------
// the password grant
// ---------------------------------------------------------------------------------------------

#[test]
fn parse_token_request_password_and_password_realm() {
    let request = parse_token_request(&params(&[
        ("grant_type", "password"),
        ("username", "jane"),
        ("password", "secret"),
        ("audience", API_ID),
        ("scope", "openid read:items"),
    ]))
    .unwrap();
    assert_eq!(request.grant_type(), GrantType::Password);
    assert_eq!(
        request,
        TokenRequest::Password {
            username: "jane".into(),
            password: "secret".into(),
            realm: None,
            audience: Some(API_ID.into()),
            scope: Some(scopes("openid read:items")),
        }
    );
    let realm = parse_token_request(&params(&[
        (
            "grant_type",
            "http://auth0.com/oauth/grant-type/password-realm",
        ),
        ("username", "jane"),
        ("password", "secret"),
        ("realm", "Username-Password-Authentication"),
    ]))
    .unwrap();
    assert_eq!(realm.grant_type(), GrantType::PasswordRealm);
    for missing in ["username", "password"] {
        let mut pairs = vec![
            ("grant_type", "password"),
            ("username", "jane"),
            ("password", "secret"),
        ];
        pairs.retain(|(name, _)| *name != missing);
        let err = parse_token_request(&params(&pairs)).unwrap_err();
        assert_code(&err, TokenErrorCode::InvalidRequest, "invalid_request");
        assert!(err.description.contains(missing), "{err}");
    }
    let err = parse_token_request(&params(&[
        (
            "grant_type",
            "http://auth0.com/oauth/grant-type/password-realm",
        ),
        ("username", "jane"),
        ("password", "secret"),
    ]))
    .unwrap_err();
    assert_eq!(err.description, "the realm parameter is missing");
}

#[test]
fn password_scope_is_what_was_asked_or_every_scope_of_the_api() {
    let api = api_with(false);
    assert_eq!(
        password_scope(None, Some(&api)).unwrap(),
        scopes("read:items write:items")
    );
    assert_eq!(password_scope(None, None).unwrap(), scopes(""));
    assert_eq!(
        password_scope(
            Some(&scopes("openid read:items offline_access")),
            Some(&api)
        )
        .unwrap(),
        scopes("openid read:items"),
        "offline_access only where the API allows it"
    );
    let offline = api_with(true);
    assert_eq!(
        password_scope(Some(&scopes("openid offline_access")), Some(&offline)).unwrap(),
        scopes("openid offline_access")
    );
    let err = password_scope(Some(&scopes("openid delete:items")), Some(&api)).unwrap_err();
    assert_code(&err, TokenErrorCode::InvalidScope, "invalid_scope");
}

#[test]
fn parse_token_request_device_code_needs_the_device_code() {
    let request = parse_token_request(&params(&[
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", "abc"),
    ]))
    .unwrap();
    assert_eq!(request.grant_type(), GrantType::DeviceCode);
    assert_eq!(
        request,
        TokenRequest::DeviceCode {
            device_code: "abc".into()
        }
    );
    let err = parse_token_request(&params(&[(
        "grant_type",
        "urn:ietf:params:oauth:grant-type:device_code",
    )]))
    .unwrap_err();
    assert_eq!(err.description, "the device_code parameter is missing");
}

#[test]
fn parse_token_request_reads_auth0s_mfa_grants() {
    use tessera_protocol::token::MfaProof;
    let otp = parse_token_request(&params(&[
        ("grant_type", "http://auth0.com/oauth/grant-type/mfa-otp"),
        ("mfa_token", "sealed"),
        ("otp", "123456"),
    ]))
    .unwrap();
    assert_eq!(otp.grant_type(), GrantType::MfaOtp);
    assert_eq!(
        otp,
        TokenRequest::Mfa {
            mfa_token: "sealed".into(),
            proof: MfaProof::Otp("123456".into())
        }
    );
    let recovery = parse_token_request(&params(&[
        (
            "grant_type",
            "http://auth0.com/oauth/grant-type/mfa-recovery-code",
        ),
        ("mfa_token", "sealed"),
        ("recovery_code", "ABCD"),
    ]))
    .unwrap();
    assert_eq!(recovery.grant_type(), GrantType::MfaRecoveryCode);
    let err = parse_token_request(&params(&[
        ("grant_type", "http://auth0.com/oauth/grant-type/mfa-otp"),
        ("otp", "123456"),
    ]))
    .unwrap_err();
    assert_eq!(err.description, "the mfa_token parameter is missing");
    let err = parse_token_request(&params(&[
        (
            "grant_type",
            "http://auth0.com/oauth/grant-type/mfa-recovery-code",
        ),
        ("mfa_token", "sealed"),
    ]))
    .unwrap_err();
    assert_eq!(err.description, "the recovery_code parameter is missing");
    assert!(GrantType::MfaOtp.is_mfa() && !GrantType::Password.is_mfa());
}
