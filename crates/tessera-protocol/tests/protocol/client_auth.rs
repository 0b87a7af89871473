use crate::common::{client, params, public_client, CLIENT_ID, CLIENT_SECRET};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use tessera_protocol::client_auth::{
    authenticate_client, client_credentials, AuthMethod, ClientAuthError, ClientCredentials,
};
use tessera_protocol::error::TokenError;
use tessera_protocol::params::Params;
use tessera_protocol::{ClientId, TokenErrorCode};

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

fn credentials(id: &str, secret: Option<&str>, method: AuthMethod) -> ClientCredentials {
    ClientCredentials {
        client_id: ClientId(id.to_owned()),
        secret: secret.map(str::to_owned),
        method,
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
        credentials(
            CLIENT_ID,
            Some(CLIENT_SECRET),
            AuthMethod::ClientSecretBasic
        )
    );
}

#[test]
fn client_credentials_basic_id_and_secret_are_form_urlencoded() {
    let header = basic("a%3Ab:x+y%2Bz%25");
    let creds = client_credentials(Some(&header), &Params::default()).unwrap();
    assert_eq!(creds.client_id, ClientId("a:b".to_owned()));
    assert_eq!(creds.secret.as_deref(), Some("x y+z%"));
    assert_eq!(creds.method, AuthMethod::ClientSecretBasic);
}

#[test]
fn client_credentials_basic_decodes_percent_encoded_utf8() {
    let creds =
        client_credentials(Some(&basic("caf%C3%A9:s%C3%A9cret")), &Params::default()).unwrap();
    assert_eq!(creds.client_id, ClientId("caf\u{e9}".to_owned()));
    assert_eq!(creds.secret.as_deref(), Some("s\u{e9}cret"));
}

#[test]
fn client_credentials_basic_secret_may_contain_a_raw_colon() {
    let creds = client_credentials(Some(&basic("app1:se:cret")), &Params::default()).unwrap();
    assert_eq!(creds.client_id, ClientId("app1".to_owned()));
    assert_eq!(creds.secret.as_deref(), Some("se:cret"));
}

/// HTTP Basic always carries a secret, even an empty one: it is never the `none` method.
#[test]
fn client_credentials_basic_with_empty_secret_is_an_empty_secret() {
    let creds = client_credentials(Some(&basic("app1:")), &Params::default()).unwrap();
    assert_eq!(
        creds,
        credentials(CLIENT_ID, Some(""), AuthMethod::ClientSecretBasic)
    );
}

#[test]
fn client_credentials_basic_scheme_is_case_insensitive() {
    let encoded = STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    for scheme in ["basic", "BASIC", "bAsIc", "Basic"] {
        let header = format!("{scheme} {encoded}");
        let creds = client_credentials(Some(&header), &Params::default()).unwrap();
        assert_eq!(
            creds,
            credentials(
                CLIENT_ID,
                Some(CLIENT_SECRET),
                AuthMethod::ClientSecretBasic
            ),
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

/// RFC 6749 §2.3.1: the id and secret are application/x-www-form-urlencoded before Basic
/// encoding; a malformed percent-escape is not a valid encoding and must not be taken literally.
#[test]
fn client_credentials_basic_with_bad_percent_encoding_is_invalid_client() {
    for raw in ["app%zz:secret", "app1:secret%4", "app1:%", "app1:%C3"] {
        match client_credentials(Some(&basic(raw)), &Params::default()) {
            Err(err) => {
                assert_auth_error(&err, TokenErrorCode::InvalidClient, "invalid_client", true)
            }
            Ok(creds) => panic!(
                "{raw:?} is not valid form-urlencoding, yet was accepted as {:?} / {:?}",
                creds.client_id.as_str(),
                creds.secret
            ),
        }
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
        credentials("a:b", Some("secret"), AuthMethod::ClientSecretBasic)
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
        credentials(CLIENT_ID, Some(CLIENT_SECRET), AuthMethod::ClientSecretPost)
    );
}

#[test]
fn client_credentials_post_values_are_taken_verbatim() {
    // The body is already form-decoded by the caller; no second decoding happens.
    let body = params(&[("client_id", "a%3Ab"), ("client_secret", "x+y")]);
    let creds = client_credentials(None, &body).unwrap();
    assert_eq!(
        creds,
        credentials("a%3Ab", Some("x+y"), AuthMethod::ClientSecretPost)
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

/// RFC 6749 §2.1 / §3.2.1: a public client identifies itself with `client_id` alone.
#[test]
fn client_credentials_body_client_id_without_secret_is_method_none() {
    let creds = client_credentials(None, &params(&[("client_id", CLIENT_ID)])).unwrap();
    assert_eq!(creds, credentials(CLIENT_ID, None, AuthMethod::None));
    // An empty client_secret counts as omitted (RFC 6749 §3.1).
    let creds = client_credentials(
        None,
        &params(&[("client_id", CLIENT_ID), ("client_secret", "")]),
    )
    .unwrap();
    assert_eq!(creds, credentials(CLIENT_ID, None, AuthMethod::None));
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
        Some("super-secret-value"),
        AuthMethod::ClientSecretPost,
    );
    let debug = format!("{creds:?}");
    assert!(!debug.contains("super-secret-value"), "{debug}");
    assert!(debug.contains(CLIENT_ID), "{debug}");
}

/// A header value with a multi-byte character straddling byte 6 must be refused, not panic
/// (`h[..6]` in `client_credentials` would slice inside the character).
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
            authenticate_client(
                &credentials(CLIENT_ID, Some(CLIENT_SECRET), method),
                Some(&c)
            ),
            Ok(())
        );
    }
}

#[test]
fn authenticate_client_confidential_wrong_secret_is_invalid_client() {
    let c = client();
    for secret in [
        "wrong",
        "",
        "s3cret-of-app",
        "s3cret-of-app1 ",
        "S3CRET-OF-APP1",
    ] {
        let err = authenticate_client(
            &credentials(CLIENT_ID, Some(secret), AuthMethod::ClientSecretPost),
            Some(&c),
        )
        .unwrap_err();
        assert_auth_error(&err, TokenErrorCode::InvalidClient, "invalid_client", false);
        assert_eq!(err.error.description, "client authentication failed");
        assert_eq!(err.error.code.status(), 401);
    }
}

#[test]
fn authenticate_client_confidential_without_secret_is_invalid_client() {
    let err = authenticate_client(
        &credentials(CLIENT_ID, None, AuthMethod::None),
        Some(&client()),
    )
    .unwrap_err();
    assert_auth_error(&err, TokenErrorCode::InvalidClient, "invalid_client", false);
    assert_eq!(err.error.description, "the client_secret is missing");
}

#[test]
fn authenticate_client_public_without_secret_is_ok() {
    assert_eq!(
        authenticate_client(
            &credentials(CLIENT_ID, None, AuthMethod::None),
            Some(&public_client())
        ),
        Ok(())
    );
}

/// A public client has no secret to send; one that sends a secret is refused rather than
/// silently ignored (RFC 6749 §2.3: the server must not accept what it cannot verify).
#[test]
fn authenticate_client_public_sent_a_secret_is_invalid_client() {
    let c = public_client();
    for (method, basic_attempted) in [
        (AuthMethod::ClientSecretPost, false),
        (AuthMethod::ClientSecretBasic, true),
    ] {
        for secret in ["anything", "", CLIENT_SECRET] {
            let err = authenticate_client(&credentials(CLIENT_ID, Some(secret), method), Some(&c))
                .unwrap_err();
            assert_auth_error(
                &err,
                TokenErrorCode::InvalidClient,
                "invalid_client",
                basic_attempted,
            );
            assert_eq!(
                err.error.description,
                "this application is public: send client_id without a secret, and use PKCE"
            );
        }
    }
}

#[test]
fn authenticate_client_unknown_client_is_invalid_client() {
    for secret in [Some(CLIENT_SECRET), None] {
        let err = authenticate_client(
            &credentials("nope", secret, AuthMethod::ClientSecretPost),
            None,
        )
        .unwrap_err();
        assert_auth_error(&err, TokenErrorCode::InvalidClient, "invalid_client", false);
        assert_eq!(err.error.description, "client authentication failed");
    }
}

#[test]
fn authenticate_client_basic_attempted_reflects_the_method() {
    let c = client();
    let err = authenticate_client(
        &credentials(CLIENT_ID, Some("wrong"), AuthMethod::ClientSecretBasic),
        Some(&c),
    )
    .unwrap_err();
    assert_auth_error(&err, TokenErrorCode::InvalidClient, "invalid_client", true);
    let err = authenticate_client(
        &credentials("nope", Some("wrong"), AuthMethod::ClientSecretBasic),
        None,
    )
    .unwrap_err();
    assert_auth_error(&err, TokenErrorCode::InvalidClient, "invalid_client", true);
    let err = authenticate_client(
        &credentials(CLIENT_ID, Some("wrong"), AuthMethod::ClientSecretPost),
        Some(&c),
    )
    .unwrap_err();
    assert_auth_error(&err, TokenErrorCode::InvalidClient, "invalid_client", false);
}
