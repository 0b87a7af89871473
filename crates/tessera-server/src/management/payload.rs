//! JSON request bodies whose errors are Auth0-shaped and name the offending field.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::management::error::ApiError;

/// A JSON body of type `T`.
#[derive(Debug)]
pub struct Payload<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Payload<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            });
        if !is_json {
            return Err(ApiError::invalid_body(
                "Payload validation error: the body must be application/json",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                ApiError::invalid_body(format!(
                    "Payload validation error: {}",
                    rejection.body_text()
                ))
            })?;
        serde_json::from_slice(&bytes)
            .map(Payload)
            .map_err(|e| ApiError::invalid_body(format!("Payload validation error: {e}")))
    }
}
