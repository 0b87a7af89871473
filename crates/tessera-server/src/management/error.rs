//! The Management API's error body, as Auth0's: `{statusCode, error, message, errorCode}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use tessera_store::StoreError;

use crate::error::InternalError;

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

    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("{} does not exist", what.into()),
            Some("inexistent_resource"),
        )
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, message, Some("already_exists"))
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, message, None)
    }

    pub fn insufficient_scope(scope: &str) -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            format!("Insufficient scope, expected any of: {scope}"),
            Some("insufficient_scope"),
        )
    }
}

impl From<InternalError> for ApiError {
    fn from(error: InternalError) -> Self {
        tracing::error!(%error, "management request failed");
        let status = error.status();
        ApiError::new(status, "The server could not complete the request.", None)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(what) => ApiError::conflict(format!("{what} already exists")),
            other => InternalError::from(other).into(),
        }
    }
}

impl From<tessera_core::crypto::CryptoError> for ApiError {
    fn from(error: tessera_core::crypto::CryptoError) -> Self {
        InternalError::from(error).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "statusCode": self.status.as_u16(),
            "error": self.status.canonical_reason().unwrap_or("Error"),
            "message": self.message,
        });
        if let Some(code) = self.error_code {
            body["errorCode"] = json!(code);
        }
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
