//! Error codes per endpoint family: the only place a wire error code is spelled.

use std::fmt;

/// Authorization endpoint errors (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizeErrorCode {
    InvalidRequest,
    UnauthorizedClient,
    AccessDenied,
    UnsupportedResponseType,
    InvalidScope,
    ServerError,
    TemporarilyUnavailable,
    LoginRequired,
    ConsentRequired,
    /// OIDC Core §3.1.2.6: the login needs the user (a second factor) and `prompt=none` forbade it.
    InteractionRequired,
}

impl AuthorizeErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::InteractionRequired => "interaction_required",
        }
    }
}

/// An authorization error with a human-readable description for the client developer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeError {
    pub code: AuthorizeErrorCode,
    pub description: String,
}

impl AuthorizeError {
    pub fn new(code: AuthorizeErrorCode, description: impl Into<String>) -> Self {
        AuthorizeError {
            code,
            description: description.into(),
        }
    }
}

impl fmt::Display for AuthorizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

/// Token endpoint errors (RFC 6749 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    ServerError,
    /// Auth0's code for attempts refused by brute-force protection (HTTP 429).
    TooManyAttempts,
    /// Auth0's refusal of an API the client may not have a token for (unknown, or no client
    /// grant), with HTTP 403; RFC 6749 §5.2 has no code for it.
    AccessDenied,
    /// Auth0's answer, HTTP 401, to the password grant for a blocked user.
    Unauthorized,
    /// RFC 8628 §3.5: the user has not decided yet.
    AuthorizationPending,
    /// RFC 8628 §3.5: polling too fast.
    SlowDown,
    /// RFC 8628 §3.5: the device code expired.
    ExpiredToken,
    /// RFC 9449 §5: the DPoP proof is missing where required, or invalid.
    InvalidDpopProof,
    /// RFC 9449 §8: the proof must carry the server's current nonce (sent in `DPoP-Nonce`).
    UseDpopNonce,
    /// Auth0's answer, HTTP 403, when a second factor is due and the grant cannot ask for one.
    MfaRequired,
}

impl TokenErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::ServerError => "server_error",
            Self::TooManyAttempts => "too_many_attempts",
            Self::AccessDenied => "access_denied",
            Self::Unauthorized => "unauthorized",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::ExpiredToken => "expired_token",
            Self::InvalidDpopProof => "invalid_dpop_proof",
            Self::UseDpopNonce => "use_dpop_nonce",
            Self::MfaRequired => "mfa_required",
        }
    }

    /// RFC 6749 §5.2: 400 unless stated otherwise; `invalid_client` is 401.
    pub fn status(self) -> u16 {
        match self {
            Self::InvalidClient | Self::Unauthorized => 401,
            Self::AccessDenied | Self::MfaRequired => 403,
            Self::TooManyAttempts => 429,
            Self::ServerError => 500,
            _ => 400,
        }
    }
}

/// A token endpoint error with its description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    pub code: TokenErrorCode,
    pub description: String,
}

impl TokenError {
    pub fn new(code: TokenErrorCode, description: impl Into<String>) -> Self {
        TokenError {
            code,
            description: description.into(),
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

/// Bearer token errors at protected resources (RFC 6750 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerErrorCode {
    InvalidRequest,
    InvalidToken,
    InsufficientScope,
    /// RFC 9449 §7.1: the DPoP proof sent with a bound token is missing or invalid.
    InvalidDpopProof,
}

impl BearerErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::InvalidDpopProof => "invalid_dpop_proof",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            Self::InvalidRequest => 400,
            Self::InvalidToken | Self::InvalidDpopProof => 401,
            Self::InsufficientScope => 403,
        }
    }
}

/// RFC 6749 §3.1, §3.2: a parameter sent more than once is `invalid_request`.
impl From<crate::params::RepeatedParam> for TokenError {
    fn from(repeated: crate::params::RepeatedParam) -> Self {
        TokenError::new(TokenErrorCode::InvalidRequest, repeated.to_string())
    }
}
