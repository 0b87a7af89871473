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
        // The path names the offending property, as Auth0's messages do.
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(&bytes))
            .map(Payload)
            .map_err(|e| {
                ApiError::invalid_body(format!(
                    "Payload validation error: `{}`: {}",
                    e.path(),
                    e.inner()
                ))
            })
    }
}

/// A query string of type `T`; errors are Auth0's `invalid_query_string` and name the parameter.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let pairs = url::form_urlencoded::parse(query.as_bytes());
        serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(pairs))
            .map(ApiQuery)
            .map_err(|e| {
                ApiError::invalid_query(format!(
                    "Query validation error: `{}`: {}",
                    e.path(),
                    e.inner()
                ))
            })
    }
}
