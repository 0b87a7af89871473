use tessera_protocol::error::{AuthorizeError, TokenError};
use tessera_protocol::{AuthorizeErrorCode, BearerErrorCode, TokenErrorCode};

#[test]
fn authorize_error_codes_are_spelled_as_in_rfc_6749_and_oidc() {
    let expected = [
        (AuthorizeErrorCode::InvalidRequest, "invalid_request"),
        (
            AuthorizeErrorCode::UnauthorizedClient,
            "unauthorized_client",
        ),
        (AuthorizeErrorCode::AccessDenied, "access_denied"),
        (
            AuthorizeErrorCode::UnsupportedResponseType,
            "unsupported_response_type",
        ),
        (AuthorizeErrorCode::InvalidScope, "invalid_scope"),
        (AuthorizeErrorCode::ServerError, "server_error"),
        (
            AuthorizeErrorCode::TemporarilyUnavailable,
            "temporarily_unavailable",
        ),
        (AuthorizeErrorCode::LoginRequired, "login_required"),
        (AuthorizeErrorCode::ConsentRequired, "consent_required"),
    ];
    for (code, wire) in expected {
        assert_eq!(code.as_str(), wire);
    }
}

#[test]
fn token_error_codes_are_spelled_as_in_rfc_6749() {
    let expected = [
        (TokenErrorCode::InvalidRequest, "invalid_request"),
        (TokenErrorCode::InvalidClient, "invalid_client"),
        (TokenErrorCode::InvalidGrant, "invalid_grant"),
        (TokenErrorCode::UnauthorizedClient, "unauthorized_client"),
        (
            TokenErrorCode::UnsupportedGrantType,
            "unsupported_grant_type",
        ),
        (TokenErrorCode::InvalidScope, "invalid_scope"),
        (TokenErrorCode::ServerError, "server_error"),
        (TokenErrorCode::TooManyAttempts, "too_many_attempts"),
        (TokenErrorCode::AccessDenied, "access_denied"),
    ];
    for (code, wire) in expected {
        assert_eq!(code.as_str(), wire);
    }
}

#[test]
fn token_error_status_is_401_for_invalid_client_and_400_for_client_errors() {
    assert_eq!(TokenErrorCode::InvalidClient.status(), 401);
    assert_eq!(TokenErrorCode::TooManyAttempts.status(), 429);
    assert_eq!(TokenErrorCode::AccessDenied.status(), 403, "as Auth0");
    for code in [
        TokenErrorCode::InvalidRequest,
        TokenErrorCode::InvalidGrant,
        TokenErrorCode::UnauthorizedClient,
        TokenErrorCode::UnsupportedGrantType,
        TokenErrorCode::InvalidScope,
    ] {
        assert_eq!(code.status(), 400, "{}", code.as_str());
    }
}

#[test]
fn token_error_status_is_500_for_server_error() {
    assert_eq!(TokenErrorCode::ServerError.status(), 500);
}

#[test]
fn bearer_error_codes_and_statuses_follow_rfc_6750() {
    assert_eq!(BearerErrorCode::InvalidRequest.as_str(), "invalid_request");
    assert_eq!(BearerErrorCode::InvalidToken.as_str(), "invalid_token");
    assert_eq!(
        BearerErrorCode::InsufficientScope.as_str(),
        "insufficient_scope"
    );
    assert_eq!(BearerErrorCode::InvalidRequest.status(), 400);
    assert_eq!(BearerErrorCode::InvalidToken.status(), 401);
    assert_eq!(BearerErrorCode::InsufficientScope.status(), 403);
}

#[test]
fn authorize_error_display_is_code_then_description() {
    let err = AuthorizeError::new(AuthorizeErrorCode::InvalidScope, "scope `x` is unknown");
    assert_eq!(err.code, AuthorizeErrorCode::InvalidScope);
    assert_eq!(err.description, "scope `x` is unknown");
    assert_eq!(err.to_string(), "invalid_scope: scope `x` is unknown");
}

#[test]
fn token_error_display_is_code_then_description() {
    let err = TokenError::new(
        TokenErrorCode::InvalidGrant,
        String::from("the code has expired"),
    );
    assert_eq!(err.code, TokenErrorCode::InvalidGrant);
    assert_eq!(err.to_string(), "invalid_grant: the code has expired");
}
