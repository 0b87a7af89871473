//! RFC 6750 §3 and RFC 9449 §7.1 errors, their challenges and their responses.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use tessera_jwt::Algorithm;

use crate::DpopPolicy;

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BearerError {
    /// No credentials: a bare challenge, no error code (RFC 6750 §3.1).
    #[error("no access token was sent")]
    Missing,
    /// Malformed request, e.g. a token in two places or a bad `Authorization` header.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// Expired, revoked, malformed, or otherwise invalid.
    #[error("invalid token: {0}")]
    InvalidToken(String),
    /// Valid, but without the scope this resource needs.
    #[error("insufficient scope: `{0}` is required")]
    InsufficientScope(String),
    /// Valid, but its user does not hold the permission this resource needs (RFC 6750 has no
    /// code of its own for it: `insufficient_scope`, as for a scope).
    #[error("insufficient permission: `{0}` is required")]
    InsufficientPermission(String),
    /// The keys could not be fetched from the issuer; the token may well be valid.
    #[error("the issuer's keys are unavailable: {0}")]
    KeysUnavailable(String),
    /// Introspection was asked for and the issuer did not answer it; the token may be valid.
    #[error("the issuer's introspection is unavailable: {0}")]
    IntrospectionUnavailable(String),
    /// The DPoP proof is missing, malformed, not for this request, stale, or replayed
    /// (RFC 9449 §4.3, §7.1).
    #[error("invalid DPoP proof: {0}")]
    InvalidDpopProof(String),
    /// The proof may be valid, but the validator already remembers as many recent proofs as
    /// it may ([`crate::ValidatorOptions::dpop_replay_capacity`]) and cannot tell a replay.
    #[error("too many recent DPoP proofs to tell a replay; retry shortly")]
    DpopReplayCacheFull,
}

impl BearerError {
    pub fn status(&self) -> StatusCode {
        match self {
            BearerError::Missing
            | BearerError::InvalidToken(_)
            | BearerError::InvalidDpopProof(_) => StatusCode::UNAUTHORIZED,
            BearerError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            BearerError::InsufficientScope(_) | BearerError::InsufficientPermission(_) => {
                StatusCode::FORBIDDEN
            }
            BearerError::KeysUnavailable(_)
            | BearerError::IntrospectionUnavailable(_)
            | BearerError::DpopReplayCacheFull => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The RFC 6750 (or RFC 9449 §7.1) error code, if any.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            BearerError::Missing
            | BearerError::KeysUnavailable(_)
            | BearerError::IntrospectionUnavailable(_)
            | BearerError::DpopReplayCacheFull => None,
            BearerError::InvalidDpopProof(_) => Some("invalid_dpop_proof"),
            BearerError::InvalidRequest(_) => Some("invalid_request"),
            BearerError::InvalidToken(_) => Some("invalid_token"),
            BearerError::InsufficientScope(_) | BearerError::InsufficientPermission(_) => {
                Some("insufficient_scope")
            }
        }
    }

    fn description(&self) -> String {
        match self {
            BearerError::InvalidRequest(d)
            | BearerError::InvalidToken(d)
            | BearerError::KeysUnavailable(d)
            | BearerError::IntrospectionUnavailable(d)
            | BearerError::InvalidDpopProof(d) => d.clone(),
            BearerError::InsufficientScope(scope) => format!("the `{scope}` scope is required"),
            BearerError::InsufficientPermission(permission) => {
                format!("the `{permission}` permission is required")
            }
            BearerError::Missing => "no access token was sent".into(),
            BearerError::DpopReplayCacheFull => self.to_string(),
        }
    }

    /// The `WWW-Authenticate` value (RFC 6750 §3): a `Bearer` challenge, except for a DPoP
    /// proof's error, which only the `DPoP` scheme has ([`BearerError::dpop_challenge`]).
    pub fn challenge(&self) -> String {
        if let BearerError::InvalidDpopProof(_) = self {
            return self.dpop_challenge();
        }
        match self.error_params() {
            Some(params) => format!("Bearer {params}"),
            None => "Bearer".into(),
        }
    }

    /// The `WWW-Authenticate` value of the `DPoP` scheme (RFC 9449 §7.1): the same error, and
    /// the algorithms a proof may be signed with (`algs`).
    pub fn dpop_challenge(&self) -> String {
        let algs = dpop_algs();
        match self.error_params() {
            Some(params) => format!("DPoP {params}, algs=\"{algs}\""),
            None => format!("DPoP algs=\"{algs}\""),
        }
    }

    /// `error`, `error_description` and `scope` (RFC 6750 §3), when there is an error code.
    fn error_params(&self) -> Option<String> {
        let code = self.code()?;
        let description = quotable(&self.description());
        let mut params = format!("error=\"{code}\", error_description=\"{description}\"");
        if let BearerError::InsufficientScope(scope) = self {
            params.push_str(&format!(", scope=\"{scope}\""));
        }
        Some(params)
    }

    /// The JSON body of the response: RFC 6750's error code, or `unauthorized` without
    /// credentials and `temporarily_unavailable` when the issuer could not be asked.
    fn body(&self) -> serde_json::Value {
        let fallback = if matches!(self, BearerError::Missing) {
            "unauthorized"
        } else {
            "temporarily_unavailable"
        };
        serde_json::json!({
            "error": self.code().unwrap_or(fallback),
            "error_description": self.description(),
        })
    }
}

/// RFC 9449 §7.1 `algs`: the algorithms a DPoP proof may be signed with, space-separated.
fn dpop_algs() -> String {
    Algorithm::ALL.map(Algorithm::as_str).join(" ")
}

/// RFC 6750 §3: `error_description` holds only %x20-21 / %x23-5B / %x5D-7E. Anything else
/// (quotes, backslashes, control or non-ASCII characters echoed from a hostile token) becomes
/// `?`, and the text is bounded.
fn quotable(text: &str) -> String {
    text.chars()
        .take(200)
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '?',
        })
        .collect()
}

/// The response to `error`, challenging with each of `challenges` in turn.
fn respond(error: &BearerError, challenges: &[String]) -> Response {
    let mut response = (error.status(), Json(error.body())).into_response();
    for challenge in challenges {
        if let Ok(value) = HeaderValue::from_str(challenge) {
            response
                .headers_mut()
                .append(header::WWW_AUTHENTICATE, value);
        }
    }
    if error.status() == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    response
}

/// A response with the single challenge of [`BearerError::challenge`]. A request handled by
/// [`crate::Validator::validate_request`] is answered with its [`Rejection`] instead, which
/// knows which scheme the client used.
impl IntoResponse for BearerError {
    fn into_response(self) -> Response {
        respond(&self, &[self.challenge()])
    }
}

/// The scheme a request's `Authorization` header used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    Bearer,
    Dpop,
}

/// A refused request: the [`BearerError`], and the challenges it is answered with, which depend
/// on the scheme the client used and on the API's [`DpopPolicy`] (RFC 9449 §7.1, §7.2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}")]
pub struct Rejection {
    error: BearerError,
    /// `None` when the request had no usable `Authorization` header.
    scheme: Option<Scheme>,
    policy: DpopPolicy,
}

impl Rejection {
    pub(crate) fn new(error: BearerError, scheme: Option<Scheme>, policy: DpopPolicy) -> Self {
        Rejection {
            error,
            scheme,
            policy,
        }
    }

    pub fn error(&self) -> &BearerError {
        &self.error
    }

    pub fn into_error(self) -> BearerError {
        self.error
    }

    pub fn status(&self) -> StatusCode {
        self.error.status()
    }

    /// The JSON body of the response: `{"error": …, "error_description": …}`.
    pub fn body(&self) -> serde_json::Value {
        self.error.body()
    }

    /// The `WWW-Authenticate` values, in order, one challenge each. The error goes in the
    /// challenge of the scheme the client used — `DPoP` when DPoP is required (RFC 9449 §7.2).
    /// An API taking both schemes also names the other on a 401, without an error, so a
    /// client learns it may use it (RFC 9449 §7.2, RFC 9110 §11.6.1).
    pub fn challenges(&self) -> Vec<String> {
        let dpop = self.policy == DpopPolicy::Required
            || self.scheme == Some(Scheme::Dpop)
            || matches!(self.error, BearerError::InvalidDpopProof(_));
        let mut challenges = vec![if dpop {
            self.error.dpop_challenge()
        } else {
            self.error.challenge()
        }];
        if self.policy == DpopPolicy::Allowed && self.status() == StatusCode::UNAUTHORIZED {
            challenges.push(if dpop {
                BearerError::Missing.challenge()
            } else {
                BearerError::Missing.dpop_challenge()
            });
        }
        challenges
    }
}

impl From<Rejection> for BearerError {
    fn from(rejection: Rejection) -> BearerError {
        rejection.error
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        respond(&self.error, &self.challenges())
    }
}
