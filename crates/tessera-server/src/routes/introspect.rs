//! `POST /oauth/introspect` (RFC 7662).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::client_ip::Origin;
use crate::flows::revocation;
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
    match revocation::introspect(&state, authorization(&headers), &params, &origin.ip()).await {
        Ok(answer) => no_store(Json(answer).into_response()),
        Err(failure) => failure_response(failure),
    }
}
