//! A deadline for every request, body reading included: a client trickling its body (or a
//! request stuck on the store) gets a 408 in the shape its endpoint speaks, not a held socket.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::i18n::text;
use crate::management::ApiError;
use crate::pages;
use crate::state::AppState;

const DESCRIPTION: &str = "the request was not completed in time";

/// Runs the request under `request_timeout`.
pub async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // A user import's file may take minutes to arrive; its handler has a deadline of its own.
    if crate::management::UPLOAD_PATHS.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    // Decided before the request moves on, so the common case allocates nothing.
    let shape = Shape::of(request.uri().path());
    match tokio::time::timeout(state.settings.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::info!(?shape, "request timed out");
            shape.timed_out()
        }
    }
}

/// The error shape an endpoint speaks.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// Auth0's Management API error body.
    ManagementApi,
    /// RFC 6749 §5.2's JSON body.
    OAuth,
    /// An HTML error page.
    Page,
}

impl Shape {
    fn of(path: &str) -> Shape {
        if path.starts_with("/api/v2/") {
            Shape::ManagementApi
        } else if path.starts_with("/oauth/")
            || path.starts_with("/userinfo")
            || path.starts_with("/.well-known/")
        {
            Shape::OAuth
        } else {
            Shape::Page
        }
    }

    fn timed_out(self) -> Response {
        let status = StatusCode::REQUEST_TIMEOUT;
        match self {
            Shape::ManagementApi => ApiError::new(status, DESCRIPTION, None).into_response(),
            Shape::OAuth => {
                // RFC 6749 §5.2's body; the status says what happened.
                let body = serde_json::json!({ "error": "invalid_request", "error_description": DESCRIPTION });
                (status, Json(body)).into_response()
            }
            Shape::Page => pages::error_page(
                status,
                text("This took too long"),
                text("The request was not completed in time. Please try again."),
                "invalid_request",
                DESCRIPTION,
            ),
        }
    }
}
