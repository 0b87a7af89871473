//! `GET /authorize` (RFC 6749 §4.1.1, OIDC Core §3.1.2.1).

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::client_ip::Origin;
use crate::flows::authorize;
use crate::routes::web;
use crate::state::AppState;

pub async fn get(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    origin: Origin,
    headers: HeaderMap,
) -> Response {
    let params = match web::query_params(query.as_deref()) {
        Ok(params) => params,
        Err(description) => return web::bad_request(&description),
    };
    match authorize::begin(
        &state,
        &params,
        &web::browser_cookies(&headers),
        &origin.context,
    )
    .await
    {
        Ok(outcome) => web::navigate(&state.settings, outcome),
        Err(error) => error.into_response(),
    }
}
