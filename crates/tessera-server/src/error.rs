//! Failures of the server itself (not of the client's request): logged in full, answered with
//! a generic 500 or, when the store is unreachable or its disk full, 503 with `Retry-After`.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use tessera_store::StoreError;

use tessera_core::crypto::CryptoError;

/// An internal failure while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum InternalError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Jwt(#[from] tessera_jwt::JwtError),
    #[error("rendering a page: {0}")]
    Template(#[from] askama::Error),
    #[error("signing keys: {0}")]
    Keys(#[from] tessera_core::keys::KeyError),
    #[error("master secret: {0}")]
    Secret(#[from] tessera_core::secrets::SecretError),
    #[error(transparent)]
    Admin(#[from] tessera_admin::AdminError),
}

impl InternalError {
    pub fn status(&self) -> StatusCode {
        match self {
            // The store is unreachable or full, not wrong: the request may succeed later.
            InternalError::Store(StoreError::Unavailable(_) | StoreError::Full(_))
            | InternalError::Admin(tessera_admin::AdminError::Unavailable(_)) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for InternalError {
    fn into_response(self) -> Response {
        tracing::error!(error = %self, "request failed");
        let status = self.status();
        let mut response = (
            status,
            [(header::CACHE_CONTROL, "no-store")],
            "The server could not complete the request.",
        )
            .into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
        }
        response
    }
}
