//! RFC 6750 §3 errors and their responses.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

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
}

impl BearerError {
    pub fn status(&self) -> StatusCode {
        match self {
            BearerError::Missing | BearerError::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            BearerError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            BearerError::InsufficientScope(_) | BearerError::InsufficientPermission(_) => {
                StatusCode::FORBIDDEN
            }
            BearerError::KeysUnavailable(_) | BearerError::IntrospectionUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        }
    }

    /// The RFC 6750 error code, if any.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            BearerError::Missing
            | BearerError::KeysUnavailable(_)
            | BearerError::IntrospectionUnavailable(_) => None,
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
            | BearerError::IntrospectionUnavailable(d) => d.clone(),
            BearerError::InsufficientScope(scope) => format!("the `{scope}` scope is required"),
            BearerError::InsufficientPermission(permission) => {
                format!("the `{permission}` permission is required")
            }
            BearerError::Missing => "no access token was sent".into(),
        }
    }

    /// The `WWW-Authenticate` value (RFC 6750 §3).
    pub fn challenge(&self) -> String {
        let mut value = String::from("Bearer");
        if let Some(code) = self.code() {
            let description = quotable(&self.description());
            value.push_str(&format!(
                " error=\"{code}\", error_description=\"{description}\""
            ));
            if let BearerError::InsufficientScope(scope) = self {
                value.push_str(&format!(", scope=\"{scope}\""));
            }
        }
        value
    }
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

impl IntoResponse for BearerError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": self.code().unwrap_or(if matches!(self, BearerError::Missing) { "unauthorized" } else { "temporarily_unavailable" }),
            "error_description": self.description(),
        });
        let mut response = (self.status(), Json(body)).into_response();
        if let Ok(value) = HeaderValue::from_str(&self.challenge()) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        if self.status() == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}
