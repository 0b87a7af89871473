//! Failures of the server itself (not of the client's request): logged in full, answered with
//! a generic 500 or, when the store is unreachable, 503 with `Retry-After`.

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
}

impl InternalError {
    pub fn status(&self) -> StatusCode {
        match self {
            InternalError::Store(StoreError::Database(sqlx_error))
                if is_unavailable(sqlx_error) =>
            {
                StatusCode::SERVICE_UNAVAILABLE
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The store is unreachable, not wrong: the request may succeed later (503, not 500).
fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::Io(_)
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_) => true,
        sqlx::Error::Protocol(_) | sqlx::Error::WorkerCrashed => true,
        // PostgreSQL's class 08 (connection exception) and 57P01–57P03 (shutting down, or
        // not accepting connections yet).
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P0")),
        // SQLite: the database is locked by another writer past the busy timeout.
        _ => false,
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
