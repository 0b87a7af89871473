//! A deadline for every request, body reading included: a client trickling its body (or a
//! request stuck on the store) gets a 408 in the shape its endpoint speaks, not a held socket.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::management::ApiError;
use crate::pages;
use crate::state::AppState;

const DESCRIPTION: &str = "the request was not completed in time";

/// Runs the request under `request_timeout`.
pub async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    match tokio::time::timeout(state.settings.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::info!(path, "request timed out");
            timed_out(&path)
        }
    }
}

fn timed_out(path: &str) -> Response {
    let status = StatusCode::REQUEST_TIMEOUT;
    if path.starts_with("/api/v2/") {
        ApiError::new(status, DESCRIPTION, None).into_response()
    } else if path.starts_with("/oauth/")
        || path.starts_with("/userinfo")
        || path.starts_with("/.well-known/")
    {
        // RFC 6749 §5.2's body; the status says what happened.
        let body =
            serde_json::json!({ "error": "invalid_request", "error_description": DESCRIPTION });
        (status, Json(body)).into_response()
    } else {
        pages::error_page(
            status,
            "This took too long",
            "The request was not completed in time. Please try again.",
            "invalid_request",
            DESCRIPTION,
        )
    }
}
