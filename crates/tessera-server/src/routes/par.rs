//! `POST /oauth/par` (RFC 9126).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::client_ip::Origin;
use crate::flows::par::{self, PushRefused};
use crate::routes::token::{authorization, client_request, failure_response, no_store};
use crate::state::AppState;

pub async fn post(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let params = match client_request(&headers, body) {
        Ok(params) => params,
        Err(response) => return *response,
    };
    match par::push(&state, authorization(&headers), &params, &origin.ip()).await {
        Ok(pushed) => no_store((StatusCode::CREATED, Json(pushed)).into_response()),
        Err(PushRefused::Client(failure)) => failure_response(failure),
        // RFC 9126 §2.3: the token endpoint's error format, with /authorize's codes.
        Err(PushRefused::Request(error)) => {
            tracing::info!(error = error.code.as_str(), description = %error.description, "pushed authorization request refused");
            let body = serde_json::json!({
                "error": error.code.as_str(),
                "error_description": error.description,
            });
            no_store((StatusCode::BAD_REQUEST, Json(body)).into_response())
        }
    }
}
