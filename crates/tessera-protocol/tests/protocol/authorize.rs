use crate::common::{
    api, api_with, client, client_with, params, public_client, scopes, uri, API_ID, CALLBACK,
    CLIENT_ID,
};
use tessera_protocol::authorize::{
    error_response_mode, next_step, requested_audience, trusted_redirect, validate, validate_scope,
    Authentication, AuthorizationRequest, NextStep, Prompt, ResponseMode, ResponseType,
    MULTI_FACTOR,
};
use tessera_protocol::error::AuthorizeError;
use tessera_protocol::pkce::{ChallengeMethod, CodeChallenge};
use tessera_protocol::{
    AuthorizeErrorCode, GrantType, RegisteredClient, ResourceServer, ScopeSet, Timestamp,
};

const OTHER_CALLBACK: &str = "https://app.example.com/other-callback";
/// RFC 7636 Appendix B.
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn assert_code(err: &AuthorizeError, code: AuthorizeErrorCode, wire: &str) {
    assert_eq!(err.code, code, "{err}");
    assert_eq!(err.code.as_str(), wire);
}

/// Runs `validate` as the server would: the redirect is trusted, the audience is the API's.
fn validate_with(
    pairs: &[(&str, &str)],
    api: Option<&ResourceServer>,
) -> Result<AuthorizationRequest, AuthorizeError> {
    validate(
        &params(pairs),
        &client(),
        (uri(CALLBACK), true),
        api.map(|a| a.identifier.as_str()),
        api,
    )
}

fn code_request(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs = vec![
        ("response_type".to_owned(), "code".to_owned()),
        ("client_id".to_owned(), CLIENT_ID.to_owned()),
    ];
    pairs.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    pairs
}

fn validate_code(
    extra: &[(&str, &str)],
    api: Option<&ResourceServer>,
) -> Result<AuthorizationRequest, AuthorizeError> {
    let owned = code_request(extra);
    let pairs: Vec<(&str, &str)> = owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    validate_with(&pairs, api)
}

/// Runs `validate` for `client` with the callback trusted.
fn validate_for(
    client: &RegisteredClient,
    pairs: &[(&str, &str)],
) -> Result<AuthorizationRequest, AuthorizeError> {
    validate(&params(pairs), client, (uri(CALLBACK), true), None, None)
}

/// A confidential client that opted into the implicit grant (besides the code grant).
fn implicit_client() -> RegisteredClient {
    client_with(
        &[CALLBACK],
        &[GrantType::AuthorizationCode, GrantType::Implicit],
    )
}

fn names(set: &ScopeSet) -> Vec<&str> {
    set.iter().map(|s| s.as_str()).collect()
}

// ---------------------------------------------------------------------------------------------
// trusted_redirect
// ---------------------------------------------------------------------------------------------

#[test]
fn trusted_redirect_missing_client_id_is_invalid_request() {
    let err =
        trusted_redirect(&params(&[("redirect_uri", CALLBACK)]), Some(&client())).unwrap_err();
    assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
    assert_eq!(err.description, "the client_id parameter is missing");
}

#[test]
fn trusted_redirect_empty_client_id_is_missing() {
    let err = trusted_redirect(
        &params(&[("client_id", ""), ("redirect_uri", CALLBACK)]),
        None,
    )
    .unwrap_err();
    assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
    assert_eq!(err.description, "the client_id parameter is missing");
}

#[test]
fn trusted_redirect_unknown_client_is_invalid_request() {
    let err = trusted_redirect(
        &params(&[("client_id", "nope"), ("redirect_uri", CALLBACK)]),
        None,
    )
    .unwrap_err();
    assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
    assert_eq!(
        err.description,
        "unknown client: `nope` is not a registered application"
    );
}

#[test]
fn trusted_redirect_repeated_client_id_is_invalid_request() {
    let p = params(&[
        ("client_id", CLIENT_ID),
        ("client_id", "other"),
        ("redirect_uri", CALLBACK),
    ]);
    let err = trusted_redirect(&p, Some(&client())).unwrap_err();
    assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
    assert_eq!(
        err.description,
        "parameter `client_id` was given more than once"
    );
}

#[test]
fn trusted_redirect_repeated_redirect_uri_is_invalid_request() {
    let p = params(&[
        ("client_id", CLIENT_ID),
        ("redirect_uri", CALLBACK),
        ("redirect_uri", CALLBACK),
    ]);
    let err = trusted_redirect(&p, Some(&client())).unwrap_err();
    assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
    assert_eq!(
        err.description,
        "parameter `redirect_uri` was given more than once"
    );
}

#[test]
fn trusted_redirect_registered_redirect_uri_is_trusted_and_explicit() {
    let c = client_with(&[OTHER_CALLBACK, CALLBACK], &GrantType::ALL);
    let p = params(&[("client_id", CLIENT_ID), ("redirect_uri", CALLBACK)]);
    assert_eq!(trusted_redirect(&p, Some(&c)), Ok((uri(CALLBACK), true)));
}

#[test]
fn trusted_redirect_unregistered_redirect_uri_is_invalid_request() {
    for requested in [
        "https://evil.example.com/callback",
        "https://app.example.com/callback/",
        "https://app.example.com/callback?x=1",
        "https://APP.example.com/callback",
    ] {
        let p = params(&[("client_id", CLIENT_ID), ("redirect_uri", requested)]);
        let err = trusted_redirect(&p, Some(&client())).unwrap_err();
        assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
        assert_eq!(
            err.description,
            format!(
                "the redirect_uri `{requested}` is not in the application's Allowed Callback URLs"
            )
        );
    }
}

#[test]
fn trusted_redirect_omitted_redirect_uri_with_exactly_one_callback_uses_it() {
    let p = params(&[("client_id", CLIENT_ID)]);
    assert_eq!(
        trusted_redirect(&p, Some(&client())),
        Ok((uri(CALLBACK), false))
    );
    let empty = params(&[("client_id", CLIENT_ID), ("redirect_uri", "")]);
    assert_eq!(
        trusted_redirect(&empty, Some(&client())),
        Ok((uri(CALLBACK), false))
    );
}

#[test]
fn trusted_redirect_omitted_redirect_uri_with_several_callbacks_is_invalid_request() {
    let c = client_with(&[CALLBACK, OTHER_CALLBACK], &GrantType::ALL);
    let err = trusted_redirect(&params(&[("client_id", CLIENT_ID)]), Some(&c)).unwrap_err();
    assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
    assert_eq!(
        err.description,
        "the redirect_uri parameter is missing and the application has not exactly one callback URL"
    );
}

#[test]
fn trusted_redirect_omitted_redirect_uri_without_callbacks_is_invalid_request() {
    let c = client_with(&[], &GrantType::ALL);
    let err = trusted_redirect(&params(&[("client_id", CLIENT_ID)]), Some(&c)).unwrap_err();
    assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
}

#[test]
fn trusted_redirect_ignores_repetition_of_other_params() {
    // Repeated state is reported later by `validate`, to the (trusted) redirect URI.
    let p = params(&[("client_id", CLIENT_ID), ("state", "a"), ("state", "b")]);
    assert_eq!(
        trusted_redirect(&p, Some(&client())),
        Ok((uri(CALLBACK), false))
    );
}

// ---------------------------------------------------------------------------------------------
// requested_audience
// ---------------------------------------------------------------------------------------------

#[test]
fn requested_audience_is_the_audience_parameter() {
    let p = params(&[("audience", API_ID)]);
    assert_eq!(
        requested_audience(&p, Some("https://default.example.com")),
        Ok(Some(API_ID.to_owned()))
    );
}

#[test]
fn requested_audience_resource_is_a_synonym() {
    let p = params(&[("resource", API_ID)]);
    assert_eq!(requested_audience(&p, None), Ok(Some(API_ID.to_owned())));
}

#[test]
fn requested_audience_same_audience_and_resource_is_accepted() {
    let p = params(&[("audience", API_ID), ("resource", API_ID)]);
    assert_eq!(requested_audience(&p, None), Ok(Some(API_ID.to_owned())));
}

#[test]
fn requested_audience_conflicting_audience_and_resource_is_invalid_request() {
    let p = params(&[
        ("audience", API_ID),
        ("resource", "https://other.example.com"),
    ]);
    let err = requested_audience(&p, None).unwrap_err();
    assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
    assert_eq!(err.description, "audience and resource name different APIs");
}

#[test]
fn requested_audience_defaults_when_neither_is_given() {
    let p = params(&[("client_id", CLIENT_ID), ("audience", "")]);
    assert_eq!(
        requested_audience(&p, Some("https://default.example.com")),
        Ok(Some("https://default.example.com".to_owned()))
    );
    assert_eq!(requested_audience(&p, None), Ok(None));
}

#[test]
fn requested_audience_repeated_is_invalid_request() {
    let p = params(&[("audience", API_ID), ("audience", API_ID)]);
    let err = requested_audience(&p, None).unwrap_err();
    assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
    let p = params(&[("resource", API_ID), ("resource", "x")]);
    let err = requested_audience(&p, None).unwrap_err();
    assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
    assert_eq!(
        err.description,
        "parameter `resource` was given more than once"
    );
}

// ---------------------------------------------------------------------------------------------
// validate
// ---------------------------------------------------------------------------------------------

#[test]
fn validate_minimal_code_request_is_accepted() {
    let request = validate_code(&[], None).unwrap();
    assert_eq!(
        request,
        AuthorizationRequest {
            client_id: crate::common::client_id(),
            redirect_uri: uri(CALLBACK),
            redirect_uri_explicit: true,
            scope: ScopeSet::default(),
            audience: None,
            state: None,
            nonce: None,
            prompt: Prompt::default(),
            max_age: None,
            response_type: ResponseType::Code,
            response_mode: ResponseMode::Query,
            code_challenge: None,
            login_hint: None,
            screen_hint: tessera_protocol::authorize::ScreenHint::Login,
            connection: None,
            ui_locales: None,
            skip_consent: false,
            acr_values: None,
        }
    );
    assert!(!request.is_openid());
}

#[test]
fn validate_carries_the_trusted_redirect_and_its_explicitness() {
    let request = validate(
        &params(&[("response_type", "code")]),
        &client(),
        (uri(CALLBACK), false),
        None,
        None,
    )
    .unwrap();
    assert_eq!(request.redirect_uri, uri(CALLBACK));
    assert!(!request.redirect_uri_explicit);
}

#[test]
fn validate_missing_response_type_is_invalid_request() {
    let err = validate_with(&[("client_id", CLIENT_ID), ("response_type", "")], None).unwrap_err();
    assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
    assert_eq!(err.description, "the response_type parameter is missing");
}

#[test]
fn validate_other_response_type_is_unsupported_response_type() {
    for response_type in [
        "code id_token",
        "code token",
        "code id_token token",
        "CODE",
        "none",
        "token token",
        "device_code",
    ] {
        let err =
            validate_for(&implicit_client(), &[("response_type", response_type)]).unwrap_err();
        assert_code(
            &err,
            AuthorizeErrorCode::UnsupportedResponseType,
            "unsupported_response_type",
        );
        assert_eq!(
            err.description,
            format!("response_type `{response_type}` is not supported; use `code`")
        );
    }
}

/// The hybrid flow is not implemented: `code id_token` is refused as a whole, in any order.
#[test]
fn validate_code_id_token_is_unsupported_response_type() {
    for response_type in ["code id_token", "id_token code"] {
        let err = validate_for(
            &implicit_client(),
            &[
                ("response_type", response_type),
                ("scope", "openid"),
                ("nonce", "n"),
            ],
        )
        .unwrap_err();
        assert_code(
            &err,
            AuthorizeErrorCode::UnsupportedResponseType,
            "unsupported_response_type",
        );
    }
}

#[test]
fn validate_client_without_authorization_code_grant_is_unauthorized_client() {
    let c = client_with(&[CALLBACK], &[GrantType::RefreshToken]);
    let err = validate(
        &params(&[("response_type", "code")]),
        &c,
        (uri(CALLBACK), true),
        None,
        None,
    )
    .unwrap_err();
    assert_code(
        &err,
        AuthorizeErrorCode::UnauthorizedClient,
        "unauthorized_client",
    );
}

#[test]
fn validate_audience_without_api_is_invalid_request_naming_the_identifier() {
    let unknown = "https://unknown.example.com";
    let err = validate(
        &params(&[("response_type", "code"), ("audience", unknown)]),
        &client(),
        (uri(CALLBACK), true),
        Some(unknown),
        None,
    )
    .unwrap_err();
    assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
    assert!(err.description.contains(unknown), "{}", err.description);
    assert_eq!(
        err.description,
        "Service not found: `https://unknown.example.com` is not a registered API identifier"
    );
}

#[test]
fn validate_audience_is_the_api_identifier() {
    let api = api();
    let request =
        validate_code(&[("audience", API_ID), ("scope", "read:items")], Some(&api)).unwrap();
    assert_eq!(request.audience.as_deref(), Some(API_ID));
}

#[test]
fn validate_unknown_scope_is_invalid_scope() {
    let api = api();
    let err = validate_code(&[("scope", "openid delete:items")], Some(&api)).unwrap_err();
    assert_code(&err, AuthorizeErrorCode::InvalidScope, "invalid_scope");
    assert_eq!(
        err.description,
        "scope `delete:items` is not defined by the API `https://api.example.com`"
    );
}

#[test]
fn validate_malformed_scope_token_is_invalid_scope() {
    let err = validate_code(&[("scope", "openid pro\"file")], None).unwrap_err();
    assert_code(&err, AuthorizeErrorCode::InvalidScope, "invalid_scope");
}

#[test]
fn validate_oidc_scopes_are_allowed_without_api() {
    let request = validate_code(&[("scope", "openid profile email")], None).unwrap();
    assert_eq!(names(&request.scope), ["openid", "profile", "email"]);
    assert_eq!(request.audience, None);
    assert!(request.is_openid());
}

#[test]
fn validate_api_scopes_without_api_are_invalid_scope() {
    let err = validate_code(&[("scope", "openid read:items")], None).unwrap_err();
    assert_code(&err, AuthorizeErrorCode::InvalidScope, "invalid_scope");
    assert_eq!(
        err.description,
        "scope `read:items` needs an audience that defines it"
    );
}

#[test]
fn validate_api_scopes_with_api_are_accepted_alongside_oidc_scopes() {
    let api = api();
    let request = validate_code(
        &[("scope", "openid read:items profile write:items")],
        Some(&api),
    )
    .unwrap();
    assert_eq!(
        names(&request.scope),
        ["openid", "read:items", "profile", "write:items"]
    );
}

#[test]
fn validate_offline_access_is_dropped_when_api_disallows() {
    let api = api_with(false);
    let request =
        validate_code(&[("scope", "openid offline_access read:items")], Some(&api)).unwrap();
    assert_eq!(names(&request.scope), ["openid", "read:items"]);
}

#[test]
fn validate_offline_access_is_dropped_without_api() {
    let request = validate_code(&[("scope", "openid offline_access")], None).unwrap();
    assert_eq!(names(&request.scope), ["openid"]);
}

#[test]
fn validate_offline_access_is_kept_when_api_allows() {
    let api = api_with(true);
    let request =
        validate_code(&[("scope", "openid offline_access read:items")], Some(&api)).unwrap();
    assert_eq!(
        names(&request.scope),
        ["openid", "offline_access", "read:items"]
    );
}

#[test]
fn validate_scope_function_applies_the_same_rules() {
    let api = api_with(false);
    assert_eq!(validate_scope("", None), Ok(ScopeSet::default()));
    assert_eq!(
        validate_scope("offline_access read:items", Some(&api)),
        Ok(scopes("read:items"))
    );
    assert_eq!(
        validate_scope("read:items", None).unwrap_err().code,
        AuthorizeErrorCode::InvalidScope
    );
}

#[test]
fn validate_prompt_none_with_login_is_invalid_request() {
    let err = validate_code(&[("prompt", "none login")], None).unwrap_err();
    assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
    assert_eq!(
        err.description,
        "prompt=none cannot be combined with other prompt values"
    );
}

#[test]
fn validate_prompt_none_with_consent_is_invalid_request() {
    let err = validate_code(&[("prompt", "consent none")], None).unwrap_err();
    assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
}

#[test]
fn validate_prompt_unknown_value_is_invalid_request() {
    let err = validate_code(&[("prompt", "login bogus")], None).unwrap_err();
    assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
    assert_eq!(err.description, "unsupported prompt value `bogus`");
    let err = validate_code(&[("prompt", "LOGIN")], None).unwrap_err();
    assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
}

#[test]
fn validate_prompt_values_are_parsed() {
    let request = validate_code(&[("prompt", "login consent")], None).unwrap();
    assert_eq!(
        request.prompt,
        Prompt {
            none: false,
            login: true,
            consent: true
        }
    );
    let request = validate_code(&[("prompt", "none")], None).unwrap();
    assert_eq!(
        request.prompt,
        Prompt {
            none: true,
            login: false,
            consent: false
        }
    );
    let request = validate_code(&[("prompt", "select_account")], None).unwrap();
    assert_eq!(request.prompt, Prompt::default());
}

#[test]
fn prompt_parse_absent_is_default() {
    assert_eq!(Prompt::parse(None), Ok(Prompt::default()));
    assert_eq!(Prompt::parse(Some("  ")), Ok(Prompt::default()));
    assert_eq!(
        Prompt::parse(Some(" login  consent ")),
        Ok(Prompt {
            none: false,
            login: true,
            consent: true
        })
    );
}

/// OIDC Core §3.1.2.1: "If this parameter contains none with any other value, an error is
/// returned." `select_account` is such another value.
#[test]
fn prompt_none_with_select_account_is_invalid_request() {
    let err = Prompt::parse(Some("none select_account")).unwrap_err();
    assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
}

#[test]
fn validate_max_age_non_integer_is_invalid_request() {
    for max_age in ["abc", "-1", "1.5", "1e3", " 5", "0x10"] {
        let err = validate_code(&[("max_age", max_age)], None).unwrap_err();
        assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
        assert_eq!(
            err.description, "max_age must be a non-negative integer",
            "{max_age:?}"
        );
    }
}

#[test]
fn validate_max_age_integer_is_parsed() {
    assert_eq!(
        validate_code(&[("max_age", "0")], None).unwrap().max_age,
        Some(0)
    );
    assert_eq!(
        validate_code(&[("max_age", "3600")], None).unwrap().max_age,
        Some(3600)
    );
    assert_eq!(validate_code(&[], None).unwrap().max_age, None);
}

#[test]
fn validate_unknown_response_mode_is_invalid_request() {
    for mode in ["web-message", "QUERY", "Fragment", "form-post"] {
        let err = validate_code(&[("response_mode", mode)], None).unwrap_err();
        assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
        assert_eq!(
            err.description,
            format!("response_mode `{mode}` is not supported")
        );
    }
}

#[test]
fn validate_code_response_mode_defaults_to_query() {
    let request = validate_code(&[], None).unwrap();
    assert_eq!(request.response_type, ResponseType::Code);
    assert_eq!(request.response_mode, ResponseMode::Query);
    let request = validate_code(&[("response_mode", "query")], None).unwrap();
    assert_eq!(request.response_mode, ResponseMode::Query);
}

#[test]
fn validate_code_accepts_response_mode_form_post() {
    let request = validate_code(&[("response_mode", "form_post")], None).unwrap();
    assert_eq!(request.response_type, ResponseType::Code);
    assert_eq!(request.response_mode, ResponseMode::FormPost);
}

#[test]
fn validate_code_accepts_response_mode_fragment() {
    let request = validate_code(&[("response_mode", "fragment")], None).unwrap();
    assert_eq!(request.response_mode, ResponseMode::Fragment);
}

#[test]
fn validate_state_and_nonce_are_carried() {
    let request =
        validate_code(&[("state", "st a+te/=="), ("nonce", "n-0S6_WzA2Mj")], None).unwrap();
    assert_eq!(request.state.as_deref(), Some("st a+te/=="));
    assert_eq!(request.nonce.as_deref(), Some("n-0S6_WzA2Mj"));
}

#[test]
fn validate_empty_state_is_omitted() {
    let request = validate_code(&[("state", ""), ("nonce", "")], None).unwrap();
    assert_eq!(request.state, None);
    assert_eq!(request.nonce, None);
}

#[test]
fn validate_repeated_state_is_invalid_request() {
    let err = validate_code(&[("state", "a"), ("state", "b")], None).unwrap_err();
    assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
    assert_eq!(
        err.description,
        "parameter `state` was given more than once"
    );
}

#[test]
fn validate_repeated_parameter_is_invalid_request_for_each_checked_name() {
    for name in [
        "response_type",
        "scope",
        "state",
        "audience",
        "resource",
        "nonce",
        "prompt",
        "max_age",
        "response_mode",
        "code_challenge",
        "code_challenge_method",
        "login_hint",
    ] {
        let pairs = [("response_type", "code"), (name, "x"), (name, "y")];
        let err = validate_with(&pairs, None).unwrap_err();
        assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
        assert_eq!(
            err.description,
            format!("parameter `{name}` was given more than once")
        );
    }
}

#[test]
fn validate_repeated_parameter_is_reported_before_response_type() {
    let err = validate_with(
        &[("response_type", "token"), ("scope", "a"), ("scope", "b")],
        None,
    )
    .unwrap_err();
    assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
}

#[test]
fn authorization_request_serde_round_trip() {
    let api = api();
    let request = validate_code(
        &[
            ("scope", "openid read:items"),
            ("state", "s"),
            ("nonce", "n"),
            ("prompt", "login"),
            ("max_age", "60"),
            ("response_mode", "form_post"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("login_hint", "ada@example.com"),
        ],
        Some(&api),
    )
    .unwrap();
    assert!(request.code_challenge.is_some());
    let json = serde_json::to_string(&request).unwrap();
    assert_eq!(
        serde_json::from_str::<AuthorizationRequest>(&json).unwrap(),
        request
    );
}

/// Requests stored before response types, modes, PKCE and login_hint existed still load.
#[test]
fn authorization_request_without_new_fields_deserializes_with_defaults() {
    let request = validate_code(&[("scope", "openid"), ("state", "s")], None).unwrap();
    let mut value = serde_json::to_value(&request).unwrap();
    let object = value.as_object_mut().unwrap();
    for field in [
        "response_type",
        "response_mode",
        "code_challenge",
        "login_hint",
    ] {
        assert!(object.remove(field).is_some(), "{field}");
    }
    assert_eq!(
        serde_json::from_value::<AuthorizationRequest>(value).unwrap(),
        request
    );
}

// ---------------------------------------------------------------------------------------------
// validate: PKCE
// ---------------------------------------------------------------------------------------------

/// RFC 9700 §2.1.1: a public client must use PKCE.
#[test]
fn validate_public_client_without_code_challenge_is_invalid_request() {
    let err = validate_for(&public_client(), &[("response_type", "code")]).unwrap_err();
    assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
    assert_eq!(
        err.description,
        "this application is public and must use PKCE: send code_challenge with code_challenge_method=S256"
    );
}

#[test]
fn validate_public_client_with_s256_challenge_carries_the_challenge() {
    let request = validate_for(
        &public_client(),
        &[
            ("response_type", "code"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ],
    )
    .unwrap();
    assert_eq!(
        request.code_challenge,
        Some(CodeChallenge {
            challenge: CHALLENGE.to_owned(),
            method: ChallengeMethod::S256,
        })
    );
}

#[test]
fn validate_public_client_with_plain_challenge_is_invalid_request() {
    for method in [None, Some("plain")] {
        let mut pairs = vec![("response_type", "code"), ("code_challenge", CHALLENGE)];
        pairs.extend(method.map(|m| ("code_challenge_method", m)));
        let err = validate_for(&public_client(), &pairs).unwrap_err();
        assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
        assert_eq!(
            err.description,
            "code_challenge_method plain is not allowed for this application; use S256"
        );
    }
}

#[test]
fn validate_plain_challenge_is_accepted_when_the_client_allows_it() {
    let c = RegisteredClient {
        allow_plain_pkce: true,
        is_first_party: true,
        require_pushed_authorization_requests: false,
        ..public_client()
    };
    let request = validate_for(
        &c,
        &[("response_type", "code"), ("code_challenge", CHALLENGE)],
    )
    .unwrap();
    assert_eq!(
        request.code_challenge,
        Some(CodeChallenge {
            challenge: CHALLENGE.to_owned(),
            method: ChallengeMethod::Plain,
        })
    );
}

#[test]
fn validate_confidential_client_may_omit_or_send_a_code_challenge() {
    assert_eq!(validate_code(&[], None).unwrap().code_challenge, None);
    let request = validate_code(
        &[
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ],
        None,
    )
    .unwrap();
    assert_eq!(
        request.code_challenge.map(|c| c.method),
        Some(ChallengeMethod::S256)
    );
}

#[test]
fn validate_malformed_pkce_parameters_are_invalid_request() {
    let short = &CHALLENGE[..42];
    let cases: [&[(&str, &str)]; 3] = [
        &[("code_challenge", short), ("code_challenge_method", "S256")],
        &[
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S512"),
        ],
        &[("code_challenge_method", "S256")],
    ];
    for extra in cases {
        let err = validate_code(extra, None).unwrap_err();
        assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
    }
}

// ---------------------------------------------------------------------------------------------
// validate: implicit response types and response modes
// ---------------------------------------------------------------------------------------------

#[test]
fn response_type_parse_ignores_order() {
    assert_eq!(ResponseType::parse("code"), Some(ResponseType::Code));
    assert_eq!(ResponseType::parse("token"), Some(ResponseType::Token));
    assert_eq!(ResponseType::parse("id_token"), Some(ResponseType::IdToken));
    assert_eq!(
        ResponseType::parse("id_token token"),
        Some(ResponseType::IdTokenToken)
    );
    assert_eq!(
        ResponseType::parse("token id_token"),
        Some(ResponseType::IdTokenToken)
    );
    assert_eq!(ResponseType::IdTokenToken.as_str(), "id_token token");
    assert_eq!(ResponseType::parse("code id_token"), None);
}

#[test]
fn validate_implicit_response_types_default_to_fragment() {
    let cases = [
        ("token", ResponseType::Token),
        ("id_token", ResponseType::IdToken),
        ("id_token token", ResponseType::IdTokenToken),
        ("token id_token", ResponseType::IdTokenToken),
    ];
    for (value, expected) in cases {
        let request = validate_for(
            &implicit_client(),
            &[
                ("response_type", value),
                ("scope", "openid"),
                ("nonce", "n-1"),
            ],
        )
        .unwrap();
        assert_eq!(request.response_type, expected, "{value}");
        assert_eq!(request.response_mode, ResponseMode::Fragment, "{value}");
        assert_eq!(request.code_challenge, None, "{value}");
        assert_eq!(request.nonce.as_deref(), Some("n-1"));
    }
}

#[test]
fn validate_implicit_response_types_need_the_implicit_grant() {
    // `client()` has the code and refresh grants but not Implicit.
    for value in ["token", "id_token", "id_token token", "token id_token"] {
        let err = validate_for(
            &client(),
            &[
                ("response_type", value),
                ("scope", "openid"),
                ("nonce", "n"),
            ],
        )
        .unwrap_err();
        assert_code(
            &err,
            AuthorizeErrorCode::UnauthorizedClient,
            "unauthorized_client",
        );
        assert_eq!(
            err.description,
            "the application is not allowed the implicit grant"
        );
    }
}

#[test]
fn validate_implicit_only_client_cannot_use_the_code_flow() {
    let c = client_with(&[CALLBACK], &[GrantType::Implicit]);
    let err = validate_for(&c, &[("response_type", "code")]).unwrap_err();
    assert_code(
        &err,
        AuthorizeErrorCode::UnauthorizedClient,
        "unauthorized_client",
    );
    assert_eq!(
        err.description,
        "the application is not allowed the authorization_code grant"
    );
}

/// OAuth 2.0 Multiple Response Types §5: tokens must never be put in the query string.
#[test]
fn validate_implicit_with_response_mode_query_is_invalid_request() {
    for value in ["token", "id_token", "id_token token"] {
        let err = validate_for(
            &implicit_client(),
            &[
                ("response_type", value),
                ("response_mode", "query"),
                ("scope", "openid"),
                ("nonce", "n"),
            ],
        )
        .unwrap_err();
        assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
        assert_eq!(
            err.description,
            "response_mode query cannot carry tokens; use fragment or form_post"
        );
    }
}

#[test]
fn validate_implicit_accepts_response_mode_form_post() {
    let request = validate_for(
        &implicit_client(),
        &[("response_type", "token"), ("response_mode", "form_post")],
    )
    .unwrap();
    assert_eq!(request.response_mode, ResponseMode::FormPost);
}

#[test]
fn validate_token_alone_needs_neither_openid_nor_nonce() {
    let request = validate_for(&implicit_client(), &[("response_type", "token")]).unwrap();
    assert_eq!(request.response_type, ResponseType::Token);
    assert_eq!(request.nonce, None);
    assert!(!request.is_openid());
}

/// OIDC Core §3.2.2.1: an ID token from the authorization endpoint needs a nonce.
#[test]
fn validate_id_token_response_without_nonce_is_invalid_request() {
    for value in ["id_token", "id_token token"] {
        for nonce in [None, Some("")] {
            let mut pairs = vec![("response_type", value), ("scope", "openid profile")];
            pairs.extend(nonce.map(|n| ("nonce", n)));
            let err = validate_for(&implicit_client(), &pairs).unwrap_err();
            assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
            assert_eq!(
                err.description,
                "response_type id_token requires the openid scope and a nonce"
            );
        }
    }
}

#[test]
fn validate_id_token_response_without_openid_is_invalid_request() {
    for value in ["id_token", "id_token token"] {
        let err = validate_for(
            &implicit_client(),
            &[
                ("response_type", value),
                ("scope", "profile email"),
                ("nonce", "n"),
            ],
        )
        .unwrap_err();
        assert_code(&err, AuthorizeErrorCode::InvalidRequest, "invalid_request");
        assert_eq!(
            err.description,
            "response_type id_token requires the openid scope and a nonce"
        );
    }
}

#[test]
fn validate_login_hint_is_carried() {
    let request = validate_code(&[("login_hint", "ada@example.com")], None).unwrap();
    assert_eq!(request.login_hint.as_deref(), Some("ada@example.com"));
    let request = validate_code(&[("login_hint", "")], None).unwrap();
    assert_eq!(request.login_hint, None);
}

// ---------------------------------------------------------------------------------------------
// error_response_mode
// ---------------------------------------------------------------------------------------------

#[test]
fn error_response_mode_is_fragment_for_implicit_even_when_query_or_invalid_is_asked() {
    for response_type in ["token", "id_token", "id_token token", "token id_token"] {
        for mode in [None, Some("query"), Some("bogus"), Some("QUERY")] {
            let mut pairs = vec![("response_type", response_type)];
            pairs.extend(mode.map(|m| ("response_mode", m)));
            assert_eq!(
                error_response_mode(&params(&pairs)),
                ResponseMode::Fragment,
                "{response_type} {mode:?}"
            );
        }
    }
}

#[test]
fn error_response_mode_honours_a_valid_non_query_mode() {
    for response_type in ["code", "token", "bogus"] {
        assert_eq!(
            error_response_mode(&params(&[
                ("response_type", response_type),
                ("response_mode", "form_post"),
            ])),
            ResponseMode::FormPost,
            "{response_type}"
        );
        assert_eq!(
            error_response_mode(&params(&[
                ("response_type", response_type),
                ("response_mode", "fragment"),
            ])),
            ResponseMode::Fragment,
            "{response_type}"
        );
    }
}

#[test]
fn error_response_mode_is_query_for_code_or_unknown_response_types() {
    let cases: [&[(&str, &str)]; 5] = [
        &[("response_type", "code")],
        &[("response_type", "code"), ("response_mode", "query")],
        &[("response_type", "code"), ("response_mode", "bogus")],
        &[("response_type", "bogus")],
        &[],
    ];
    for pairs in cases {
        assert_eq!(
            error_response_mode(&params(pairs)),
            ResponseMode::Query,
            "{pairs:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// next_step
// ---------------------------------------------------------------------------------------------

const NOW: Timestamp = Timestamp(1_700_000_000);

fn request(scope: &str, prompt: Prompt, max_age: Option<i64>) -> AuthorizationRequest {
    AuthorizationRequest {
        client_id: crate::common::client_id(),
        redirect_uri: uri(CALLBACK),
        redirect_uri_explicit: true,
        scope: scopes(scope),
        audience: Some(API_ID.to_owned()),
        state: Some("state".to_owned()),
        nonce: None,
        prompt,
        max_age,
        response_type: ResponseType::Code,
        response_mode: ResponseMode::Query,
        code_challenge: None,
        login_hint: None,
        screen_hint: tessera_protocol::authorize::ScreenHint::Login,
        connection: None,
        ui_locales: None,
        skip_consent: false,
        acr_values: None,
    }
}

fn plain(scope: &str) -> AuthorizationRequest {
    request(scope, Prompt::default(), None)
}

fn session(seconds_ago: i64, during_this_request: bool) -> Option<Authentication> {
    Some(Authentication {
        auth_time: Timestamp(NOW.0 - seconds_ago),
        during_this_request,
        multi_factor: false,
    })
}

const NONE: Prompt = Prompt {
    none: true,
    login: false,
    consent: false,
};
const LOGIN: Prompt = Prompt {
    none: false,
    login: true,
    consent: false,
};
const CONSENT: Prompt = Prompt {
    none: false,
    login: false,
    consent: true,
};

#[test]
fn next_step_without_session_is_login() {
    assert_eq!(
        next_step(&plain("openid read:items"), None, None, false, NOW),
        Ok(NextStep::Login)
    );
    let granted = scopes("read:items");
    assert_eq!(
        next_step(&plain("openid read:items"), None, Some(&granted), true, NOW),
        Ok(NextStep::Login)
    );
}

#[test]
fn next_step_prompt_none_without_session_is_login_required() {
    let granted = scopes("read:items");
    let err = next_step(
        &request("openid read:items", NONE, None),
        None,
        Some(&granted),
        false,
        NOW,
    )
    .unwrap_err();
    assert_code(&err, AuthorizeErrorCode::LoginRequired, "login_required");
}

#[test]
fn next_step_prompt_login_with_earlier_session_is_login() {
    let granted = scopes("read:items");
    assert_eq!(
        next_step(
            &request("openid read:items", LOGIN, None),
            session(5, false),
            Some(&granted),
            false,
            NOW
        ),
        Ok(NextStep::Login)
    );
}

#[test]
fn next_step_prompt_login_is_satisfied_by_login_during_this_request() {
    let granted = scopes("read:items");
    assert_eq!(
        next_step(
            &request("openid read:items", LOGIN, None),
            session(5, true),
            Some(&granted),
            false,
            NOW
        ),
        Ok(NextStep::IssueCode)
    );
}

#[test]
fn next_step_max_age_exceeded_is_login() {
    let granted = scopes("read:items");
    let req = request("openid read:items", Prompt::default(), Some(300));
    assert_eq!(
        next_step(&req, session(301, false), Some(&granted), false, NOW),
        Ok(NextStep::Login)
    );
}

#[test]
fn next_step_max_age_reached_exactly_is_not_exceeded() {
    let granted = scopes("read:items");
    let req = request("openid read:items", Prompt::default(), Some(300));
    assert_eq!(
        next_step(&req, session(300, false), Some(&granted), false, NOW),
        Ok(NextStep::IssueCode)
    );
    assert_eq!(
        next_step(&req, session(0, false), Some(&granted), false, NOW),
        Ok(NextStep::IssueCode)
    );
}

#[test]
fn next_step_max_age_exceeded_with_prompt_none_is_login_required() {
    let granted = scopes("read:items");
    let req = request("openid read:items", NONE, Some(60));
    let err = next_step(&req, session(61, false), Some(&granted), false, NOW).unwrap_err();
    assert_code(&err, AuthorizeErrorCode::LoginRequired, "login_required");
}

/// After the user logs in during this very request, the authentication satisfies `max_age`
/// the same way it satisfies `prompt=login`; otherwise `max_age=0` (or any max_age smaller than
/// the time the login form took) sends the user back to the login page forever.
#[test]
fn next_step_max_age_is_satisfied_by_login_during_this_request() {
    let granted = scopes("read:items");
    let req = request("openid read:items", Prompt::default(), Some(0));
    assert_eq!(
        next_step(&req, session(1, true), Some(&granted), false, NOW),
        Ok(NextStep::IssueCode)
    );
}

/// `acr_values` naming the multi-factor policy: a login of one factor, even during this very
/// request, does not do; one with a second factor does.
#[test]
fn next_step_acr_values_multi_factor_needs_a_login_with_two_factors() {
    let granted = scopes("read:items");
    let mut req = request("openid read:items", Prompt::default(), None);
    req.acr_values = Some(format!("urn:other {MULTI_FACTOR}"));
    assert!(req.asks_for_multi_factor());
    for during_this_request in [false, true] {
        assert_eq!(
            next_step(
                &req,
                session(1, during_this_request),
                Some(&granted),
                false,
                NOW
            ),
            Ok(NextStep::Login)
        );
    }
    let two_factors = session(1, false).map(|auth| Authentication {
        multi_factor: true,
        ..auth
    });
    assert_eq!(
        next_step(&req, two_factors, Some(&granted), false, NOW),
        Ok(NextStep::IssueCode)
    );
    req.acr_values = Some("urn:other".into());
    assert!(!req.asks_for_multi_factor());
    assert_eq!(
        next_step(&req, session(1, false), Some(&granted), false, NOW),
        Ok(NextStep::IssueCode)
    );
}

#[test]
fn next_step_consent_needed_is_consent() {
    assert_eq!(
        next_step(
            &plain("openid read:items"),
            session(5, false),
            None,
            false,
            NOW
        ),
        Ok(NextStep::Consent)
    );
}

#[test]
fn next_step_prompt_none_needing_consent_is_consent_required() {
    let err = next_step(
        &request("openid read:items", NONE, None),
        session(5, false),
        None,
        false,
        NOW,
    )
    .unwrap_err();
    assert_code(
        &err,
        AuthorizeErrorCode::ConsentRequired,
        "consent_required",
    );
}

#[test]
fn next_step_granted_superset_issues_code() {
    let granted = scopes("write:items read:items profile");
    assert_eq!(
        next_step(
            &plain("openid read:items profile"),
            session(5, false),
            Some(&granted),
            false,
            NOW
        ),
        Ok(NextStep::IssueCode)
    );
    assert_eq!(
        next_step(
            &request("openid read:items", NONE, None),
            session(5, false),
            Some(&granted),
            false,
            NOW
        ),
        Ok(NextStep::IssueCode)
    );
}

#[test]
fn next_step_openid_alone_needs_no_scope_in_the_grant() {
    let granted = ScopeSet::default();
    assert_eq!(
        next_step(
            &plain("openid"),
            session(5, false),
            Some(&granted),
            false,
            NOW
        ),
        Ok(NextStep::IssueCode)
    );
}

#[test]
fn next_step_prompt_consent_forces_consent() {
    let granted = scopes("read:items");
    assert_eq!(
        next_step(
            &request("openid read:items", CONSENT, None),
            session(5, false),
            Some(&granted),
            false,
            NOW
        ),
        Ok(NextStep::Consent)
    );
}

#[test]
fn next_step_prompt_consent_is_satisfied_once_consented_now() {
    let granted = scopes("read:items");
    assert_eq!(
        next_step(
            &request("openid read:items", CONSENT, None),
            session(5, false),
            Some(&granted),
            true,
            NOW
        ),
        Ok(NextStep::IssueCode)
    );
}

#[test]
fn next_step_consented_now_issues_code_without_stored_grant() {
    assert_eq!(
        next_step(
            &plain("openid read:items"),
            session(5, false),
            None,
            true,
            NOW
        ),
        Ok(NextStep::IssueCode)
    );
}

#[test]
fn next_step_new_scope_added_is_consent() {
    let granted = scopes("read:items");
    assert_eq!(
        next_step(
            &plain("openid read:items write:items"),
            session(5, false),
            Some(&granted),
            false,
            NOW
        ),
        Ok(NextStep::Consent)
    );
}

#[test]
fn next_step_login_is_decided_before_consent() {
    let err = next_step(
        &request("openid read:items", NONE, None),
        None,
        None,
        false,
        NOW,
    )
    .unwrap_err();
    assert_code(&err, AuthorizeErrorCode::LoginRequired, "login_required");
}

#[test]
fn next_step_skips_consent_when_the_request_says_so_but_not_when_prompted() {
    let mut request = plain("openid read:items");
    request.skip_consent = true;
    assert_eq!(
        next_step(&request, session(5, false), None, false, NOW),
        Ok(NextStep::IssueCode)
    );
    request.prompt.consent = true;
    assert_eq!(
        next_step(&request, session(5, false), None, false, NOW),
        Ok(NextStep::Consent)
    );
}
