//! `POST /oauth/revoke` (RFC 7009).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::client_ip::Origin;
use crate::flows::revocation;
use crate::routes::cors;
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
    let response =
        match revocation::revoke(&state, authorization(&headers), &params, &origin.ip()).await {
            Ok(()) => no_store(StatusCode::OK.into_response()),
            Err(failure) => failure_response(failure),
        };
    cors::for_client(&state, &headers, &params, response).await
}
