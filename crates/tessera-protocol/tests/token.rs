#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use common::{client, client_id, params, scopes, uri, API_ID, CALLBACK, CLIENT_ID, CLIENT_SECRET};
use tessera_protocol::error::TokenError;
use tessera_protocol::params::Params;
use tessera_protocol::token::{
    authenticate_client, check_code, check_refresh, client_credentials, parse_token_request,
    AuthMethod, ClientAuthError, ClientCredentials, CodeGrant, RefreshGrant, TokenRequest,
};
use tessera_protocol::{ClientId, GrantType, Timestamp, TokenErrorCode};

fn assert_code(err: &TokenError, code: TokenErrorCode, wire: &str) {
    assert_eq!(err.code, code, "{err}");
    assert_eq!(err.code.as_str(), wire);
}

fn assert_auth_error(
    err: &ClientAuthError,
    code: TokenErrorCode,
    wire: &str,
    basic_attempted: bool,
) {
    assert_code(&err.error, code, wire);
    assert_eq!(
        err.basic_attempted, basic_attempted,
        "basic_attempted for {}",
        err.error
    );
}

fn basic(raw_credentials: &str) -> String {
    format!("Basic {}", STANDARD.encode(raw_credentials))
}

fn credentials(id: &str, secret: &str, method: AuthMethod) -> ClientCredentials {
    ClientCredentials {
        client_id: ClientId(id.to_owned()),
        secret: secret.to_owned(),
        method,
    }
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
        "password",
        "client_credentials",
        "implicit",
        "AUTHORIZATION_CODE",
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
            redirect_uri: None
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
fn parse_token_request_repeated_parameter_is_invalid_request() {
    let cases: [&[(&str, &str)]; 5] = [
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
// client_credentials
// ---------------------------------------------------------------------------------------------

#[test]
fn client_credentials_basic_is_decoded() {
    let header = basic(&format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    let creds = client_credentials(Some(&header), &Params::default()).unwrap();
    assert_eq!(
        creds,
        credentials(CLIENT_ID, CLIENT_SECRET, AuthMethod::ClientSecretBasic)
    );
}

#[test]
fn client_credentials_basic_id_and_secret_are_form_urlencoded() {
    let header = basic("a%3Ab:x+y%2Bz%25");
    let creds = client_credentials(Some(&header), &Params::default()).unwrap();
    assert_eq!(creds.client_id, ClientId("a:b".to_owned()));
    assert_eq!(creds.secret, "x y+z%");
    assert_eq!(creds.method, AuthMethod::ClientSecretBasic);
}

#[test]
fn client_credentials_basic_decodes_percent_encoded_utf8() {
    let creds =
        client_credentials(Some(&basic("caf%C3%A9:s%C3%A9cret")), &Params::default()).unwrap();
    assert_eq!(creds.client_id, ClientId("caf\u{e9}".to_owned()));
    assert_eq!(creds.secret, "s\u{e9}cret");
}

#[test]
fn client_credentials_basic_secret_may_contain_a_raw_colon() {
    let creds = client_credentials(Some(&basic("app1:se:cret")), &Params::default()).unwrap();
    assert_eq!(creds.client_id, ClientId("app1".to_owned()));
    assert_eq!(creds.secret, "se:cret");
}

#[test]
fn client_credentials_basic_scheme_is_case_insensitive() {
    let encoded = STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    for scheme in ["basic", "BASIC", "bAsIc", "Basic"] {
        let header = format!("{scheme} {encoded}");
        let creds = client_credentials(Some(&header), &Params::default()).unwrap();
        assert_eq!(
            creds,
            credentials(CLIENT_ID, CLIENT_SECRET, AuthMethod::ClientSecretBasic),
            "{scheme}"
        );
    }
}

#[test]
fn client_credentials_invalid_base64_is_invalid_client_with_basic_attempted() {
    for header in [
        "Basic !!!not-base64!!!",
        "Basic ",
        "Basic YXBwMTpzZWNyZXQ==",
    ] {
        let err = client_credentials(Some(header), &Params::default()).unwrap_err();
        assert_auth_error(&err, TokenErrorCode::InvalidClient, "invalid_client", true);
        assert_eq!(
            err.error.description,
            "the Authorization header is not valid HTTP Basic"
        );
    }
}

#[test]
fn client_credentials_basic_without_colon_is_invalid_client() {
    let err = client_credentials(Some(&basic("app1secret")), &Params::default()).unwrap_err();
    assert_auth_error(&err, TokenErrorCode::InvalidClient, "invalid_client", true);
}

#[test]
fn client_credentials_basic_with_empty_id_is_invalid_client() {
    let err = client_credentials(Some(&basic(":secret")), &Params::default()).unwrap_err();
    assert_auth_error(&err, TokenErrorCode::InvalidClient, "invalid_client", true);
}

#[test]
fn client_credentials_basic_with_bad_percent_encoding_is_invalid_client() {
    for raw in ["app%zz:secret", "app1:secret%4", "app1:%", "app1:%C3"] {
        let err = client_credentials(Some(&basic(raw)), &Params::default()).unwrap_err();
        assert_auth_error(&err, TokenErrorCode::InvalidClient, "invalid_client", true);
    }
}

#[test]
fn client_credentials_basic_and_client_secret_in_body_is_invalid_request() {
    let header = basic(&format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    let body = params(&[("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)]);
    let err = client_credentials(Some(&header), &body).unwrap_err();
    assert_auth_error(
        &err,
        TokenErrorCode::InvalidRequest,
        "invalid_request",
        true,
    );
    assert_eq!(
        err.error.description,
        "use either HTTP Basic or client_secret in the body, not both"
    );
}

#[test]
fn client_credentials_body_client_id_differing_from_basic_is_invalid_request() {
    let header = basic(&format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    let err = client_credentials(Some(&header), &params(&[("client_id", "other")])).unwrap_err();
    assert_auth_error(
        &err,
        TokenErrorCode::InvalidRequest,
        "invalid_request",
        true,
    );
    assert_eq!(
        err.error.description,
        "client_id in the body differs from the HTTP Basic one"
    );
}

#[test]
fn client_credentials_body_client_id_equal_to_basic_is_accepted() {
    let header = basic("a%3Ab:secret");
    let creds = client_credentials(Some(&header), &params(&[("client_id", "a:b")])).unwrap();
    assert_eq!(
        creds,
        credentials("a:b", "secret", AuthMethod::ClientSecretBasic)
    );
}

#[test]
fn client_credentials_post_method() {
    let body = params(&[
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("grant_type", "x"),
    ]);
    let creds = client_credentials(None, &body).unwrap();
    assert_eq!(
        creds,
        credentials(CLIENT_ID, CLIENT_SECRET, AuthMethod::ClientSecretPost)
    );
}

#[test]
fn client_credentials_post_values_are_taken_verbatim() {
    // The body is already form-decoded by the caller; no second decoding happens.
    let body = params(&[("client_id", "a%3Ab"), ("client_secret", "x+y")]);
    let creds = client_credentials(None, &body).unwrap();
    assert_eq!(
        creds,
        credentials("a%3Ab", "x+y", AuthMethod::ClientSecretPost)
    );
}

#[test]
fn client_credentials_non_basic_authorization_header_is_ignored() {
    let body = params(&[("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)]);
    for header in ["Bearer abc", "", "Basic", "Basi"] {
        let creds = client_credentials(Some(header), &body).unwrap();
        assert_eq!(creds.method, AuthMethod::ClientSecretPost, "{header:?}");
    }
}

#[test]
fn client_credentials_missing_is_invalid_client_without_basic_attempted() {
    let err = client_credentials(None, &Params::default()).unwrap_err();
    assert_auth_error(&err, TokenErrorCode::InvalidClient, "invalid_client", false);
    assert_eq!(
        err.error.description,
        "no client authentication was included"
    );
    let err = client_credentials(None, &params(&[("client_secret", CLIENT_SECRET)])).unwrap_err();
    assert_auth_error(&err, TokenErrorCode::InvalidClient, "invalid_client", false);
}

#[test]
fn client_credentials_client_id_without_secret_is_invalid_client() {
    let err = client_credentials(None, &params(&[("client_id", CLIENT_ID)])).unwrap_err();
    assert_auth_error(&err, TokenErrorCode::InvalidClient, "invalid_client", false);
    assert_eq!(err.error.description, "the client_secret is missing");
}

#[test]
fn client_credentials_repeated_body_parameter_is_invalid_request() {
    let body = params(&[
        ("client_id", CLIENT_ID),
        ("client_secret", "a"),
        ("client_secret", "b"),
    ]);
    let err = client_credentials(None, &body).unwrap_err();
    assert_auth_error(
        &err,
        TokenErrorCode::InvalidRequest,
        "invalid_request",
        false,
    );
    let header = basic(&format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    let body = params(&[("client_id", CLIENT_ID), ("client_id", CLIENT_ID)]);
    let err = client_credentials(Some(&header), &body).unwrap_err();
    assert_auth_error(
        &err,
        TokenErrorCode::InvalidRequest,
        "invalid_request",
        true,
    );
}

#[test]
fn client_credentials_debug_redacts_the_secret() {
    let creds = credentials(
        CLIENT_ID,
        "super-secret-value",
        AuthMethod::ClientSecretPost,
    );
    let debug = format!("{creds:?}");
    assert!(!debug.contains("super-secret-value"), "{debug}");
    assert!(debug.contains(CLIENT_ID), "{debug}");
}

/// A header value with a multi-byte character straddling byte 6 must be refused, not panic
/// (`h[..6]` in `client_credentials` slices inside the character).
#[test]
fn client_credentials_non_ascii_authorization_header_does_not_panic() {
    let body = params(&[("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)]);
    let result = std::panic::catch_unwind(|| {
        client_credentials(Some("Basic\u{e9}xyz"), &body).map(|c| c.method)
    });
    assert!(result.is_ok(), "client_credentials panicked");
    let result = std::panic::catch_unwind(|| {
        client_credentials(Some("abcde\u{e9}"), &body).map(|c| c.method)
    });
    assert!(result.is_ok(), "client_credentials panicked");
}

// ---------------------------------------------------------------------------------------------
// authenticate_client
// ---------------------------------------------------------------------------------------------

#[test]
fn authenticate_client_right_secret_is_ok() {
    let c = client();
    for method in [AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretPost] {
        assert_eq!(
            authenticate_client(&credentials(CLIENT_ID, CLIENT_SECRET, method), Some(&c)),
            Ok(())
        );
    }
}

#[test]
fn authenticate_client_wrong_secret_is_invalid_client() {
    let c = client();
    for secret in [
        "wrong",
        "",
        "s3cret-of-app",
        "s3cret-of-app1 ",
        "S3CRET-OF-APP1",
    ] {
        let err = authenticate_client(
            &credentials(CLIENT_ID, secret, AuthMethod::ClientSecretPost),
            Some(&c),
        )
        .unwrap_err();
        assert_auth_error(&err, TokenErrorCode::InvalidClient, "invalid_client", false);
        assert_eq!(err.error.description, "client authentication failed");
        assert_eq!(err.error.code.status(), 401);
    }
}

#[test]
fn authenticate_client_unknown_client_is_invalid_client() {
    let err = authenticate_client(
        &credentials("nope", CLIENT_SECRET, AuthMethod::ClientSecretPost),
        None,
    )
    .unwrap_err();
    assert_auth_error(&err, TokenErrorCode::InvalidClient, "invalid_client", false);
}

#[test]
fn authenticate_client_basic_attempted_reflects_the_method() {
    let c = client();
    let err = authenticate_client(
        &credentials(CLIENT_ID, "wrong", AuthMethod::ClientSecretBasic),
        Some(&c),
    )
    .unwrap_err();
    assert_auth_error(&err, TokenErrorCode::InvalidClient, "invalid_client", true);
    let err = authenticate_client(
        &credentials("nope", "wrong", AuthMethod::ClientSecretBasic),
        None,
    )
    .unwrap_err();
    assert_auth_error(&err, TokenErrorCode::InvalidClient, "invalid_client", true);
    let err = authenticate_client(
        &credentials(CLIENT_ID, "wrong", AuthMethod::ClientSecretPost),
        Some(&c),
    )
    .unwrap_err();
    assert_auth_error(&err, TokenErrorCode::InvalidClient, "invalid_client", false);
}

// ---------------------------------------------------------------------------------------------
// check_code
// ---------------------------------------------------------------------------------------------

const ISSUED: Timestamp = Timestamp(1_700_000_000);
const EXPIRES: Timestamp = Timestamp(1_700_000_060);

fn code_grant(redirect_uri_explicit: bool) -> CodeGrant {
    CodeGrant {
        client_id: client_id(),
        redirect_uri: uri(CALLBACK),
        redirect_uri_explicit,
        user_id: "user|1".to_owned(),
        scope: scopes("openid read:items"),
        audience: Some(API_ID.to_owned()),
        nonce: Some("n".to_owned()),
        auth_time: ISSUED,
        expires_at: EXPIRES,
    }
}

#[test]
fn check_code_valid_code_is_ok() {
    assert_eq!(
        check_code(&code_grant(true), &client_id(), Some(CALLBACK), ISSUED),
        Ok(())
    );
    assert_eq!(
        check_code(
            &code_grant(true),
            &client_id(),
            Some(CALLBACK),
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
        let err = check_code(&code_grant(true), &client_id(), Some(CALLBACK), now).unwrap_err();
        assert_code(&err, TokenErrorCode::InvalidGrant, "invalid_grant");
        assert_eq!(err.description, "the code has expired");
    }
}

#[test]
fn check_code_now_equal_to_expires_at_counts_as_expired() {
    let err = check_code(&code_grant(false), &client_id(), None, EXPIRES).unwrap_err();
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
            let err =
                check_code(&code_grant(explicit), &client_id(), Some(given), ISSUED).unwrap_err();
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
    let err = check_code(&code_grant(true), &client_id(), None, ISSUED).unwrap_err();
    assert_code(&err, TokenErrorCode::InvalidRequest, "invalid_request");
    assert_eq!(err.description, "the redirect_uri parameter is missing");
}

#[test]
fn check_code_missing_redirect_uri_when_not_explicit_is_ok() {
    assert_eq!(
        check_code(&code_grant(false), &client_id(), None, ISSUED),
        Ok(())
    );
    assert_eq!(
        check_code(&code_grant(false), &client_id(), Some(CALLBACK), ISSUED),
        Ok(())
    );
}

#[test]
fn code_grant_serde_round_trip() {
    let grant = code_grant(true);
    let json = serde_json::to_string(&grant).unwrap();
    assert_eq!(serde_json::from_str::<CodeGrant>(&json).unwrap(), grant);
}

// ---------------------------------------------------------------------------------------------
// check_refresh
// ---------------------------------------------------------------------------------------------

fn refresh_grant(expires_at: Option<Timestamp>, revoked: bool) -> RefreshGrant {
    RefreshGrant {
        client_id: client_id(),
        user_id: "user|1".to_owned(),
        scope: scopes("openid offline_access read:items write:items"),
        audience: Some(API_ID.to_owned()),
        auth_time: ISSUED,
        expires_at,
        revoked,
    }
}

#[test]
fn check_refresh_other_client_is_invalid_grant() {
    let err = check_refresh(
        &refresh_grant(None, false),
        &ClientId("app2".to_owned()),
        None,
        ISSUED,
    )
    .unwrap_err();
    assert_code(&err, TokenErrorCode::InvalidGrant, "invalid_grant");
    assert_eq!(
        err.description,
        "the refresh token was issued to another client"
    );
}

#[test]
fn check_refresh_revoked_is_invalid_grant() {
    let err = check_refresh(&refresh_grant(None, true), &client_id(), None, ISSUED).unwrap_err();
    assert_code(&err, TokenErrorCode::InvalidGrant, "invalid_grant");
    assert_eq!(err.description, "the refresh token is expired or revoked");
}

#[test]
fn check_refresh_expired_is_invalid_grant() {
    for now in [EXPIRES, Timestamp(EXPIRES.0 + 1)] {
        let err = check_refresh(
            &refresh_grant(Some(EXPIRES), false),
            &client_id(),
            None,
            now,
        )
        .unwrap_err();
        assert_code(&err, TokenErrorCode::InvalidGrant, "invalid_grant");
    }
    let scope = check_refresh(
        &refresh_grant(Some(EXPIRES), false),
        &client_id(),
        None,
        Timestamp(EXPIRES.0 - 1),
    );
    assert!(scope.is_ok());
}

#[test]
fn check_refresh_without_expiry_never_expires() {
    let far = Timestamp(i64::MAX);
    assert!(check_refresh(&refresh_grant(None, false), &client_id(), None, far).is_ok());
}

#[test]
fn check_refresh_narrowing_scope_is_ok() {
    let requested = scopes("read:items openid");
    assert_eq!(
        check_refresh(
            &refresh_grant(None, false),
            &client_id(),
            Some(&requested),
            ISSUED
        ),
        Ok(requested.clone())
    );
}

#[test]
fn check_refresh_same_scope_is_ok() {
    let grant = refresh_grant(None, false);
    assert_eq!(
        check_refresh(&grant, &client_id(), Some(&grant.scope), ISSUED),
        Ok(grant.scope.clone())
    );
}

#[test]
fn check_refresh_widening_scope_is_invalid_scope() {
    let requested = scopes("read:items delete:items");
    let err = check_refresh(
        &refresh_grant(None, false),
        &client_id(),
        Some(&requested),
        ISSUED,
    )
    .unwrap_err();
    assert_code(&err, TokenErrorCode::InvalidScope, "invalid_scope");
    assert_eq!(
        err.description,
        "the requested scope exceeds the scope originally granted"
    );
}

#[test]
fn check_refresh_without_requested_scope_keeps_the_original() {
    let grant = refresh_grant(None, false);
    assert_eq!(
        check_refresh(&grant, &client_id(), None, ISSUED),
        Ok(grant.scope.clone())
    );
}
