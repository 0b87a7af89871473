//! The Management API's error body, as Auth0's: `{statusCode, error, message, errorCode}`, and
//! how the admin service's errors map onto it.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use tessera_admin::AdminError;

/// Auth0's error body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Error)]
pub struct ErrorBody {
    /// The HTTP status, repeated.
    pub status_code: u16,
    /// The status' reason phrase (`Bad Request`, `Not Found`, …).
    pub error: String,
    /// What is wrong; a validation error names the field.
    pub message: String,
    /// A stable code: `invalid_body`, `invalid_query_string`, `insufficient_scope`,
    /// `inexistent_client` (`_user`, `_resource_server`, `_resource`), `already_exists`,
    /// `operation_not_supported`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<&'static str>,
}

/// A refused or failed Management API request.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub error_code: Option<&'static str>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        message: impl Into<String>,
        error_code: Option<&'static str>,
    ) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            error_code,
        }
    }

    /// 400 with `invalid_body`: the payload does not validate; the message names the field.
    pub fn invalid_body(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message, Some("invalid_body"))
    }

    pub fn invalid_query(message: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            message,
            Some("invalid_query_string"),
        )
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, message, None)
    }
}

impl From<AdminError> for ApiError {
    fn from(error: AdminError) -> Self {
        let message = error.to_string();
        let (status, code) = match &error {
            AdminError::InvalidBody(_) => (StatusCode::BAD_REQUEST, Some("invalid_body")),
            AdminError::InvalidQuery(_) => (StatusCode::BAD_REQUEST, Some("invalid_query_string")),
            AdminError::InsufficientScope(_) => (StatusCode::FORBIDDEN, Some("insufficient_scope")),
            AdminError::NotSupported(_) => (StatusCode::FORBIDDEN, Some("operation_not_supported")),
            AdminError::NotFound(missing, _) => (StatusCode::NOT_FOUND, Some(missing.error_code())),
            AdminError::Conflict(_) => (StatusCode::CONFLICT, Some("already_exists")),
            AdminError::Unavailable(_) | AdminError::Internal(_) => {
                tracing::error!(%error, "management request failed");
                let status = match error {
                    AdminError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                    _ => StatusCode::INTERNAL_SERVER_ERROR,
                };
                return ApiError::new(status, "The server could not complete the request.", None);
            }
        };
        ApiError::new(status, message, code)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            status_code: self.status.as_u16(),
            error: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            message: self.message,
            error_code: self.error_code,
        };
        let mut response = (self.status, Json(body)).into_response();
        let challenge = match self.status {
            StatusCode::UNAUTHORIZED => Some((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            )),
            StatusCode::SERVICE_UNAVAILABLE => {
                Some((header::RETRY_AFTER, HeaderValue::from_static("5")))
            }
            _ => None,
        };
        if let Some((name, value)) = challenge {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
