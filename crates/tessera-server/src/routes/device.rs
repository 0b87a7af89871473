//! The device authorization grant's endpoints (RFC 8628): `POST /oauth/device/code` for the
//! device, `GET /activate` and `GET /activate/done` for the person.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::client_ip::Origin;
use crate::flows::device::{self, Activation, Finished};
use crate::i18n::text;
use crate::pages;
use crate::routes::token::{authorization, client_request, failure_response, no_store};
use crate::routes::web;
use crate::state::AppState;

pub async fn code(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let params = match client_request(&headers, body) {
        Ok(params) => params,
        Err(response) => return *response,
    };
    match device::start(&state, authorization(&headers), &params, &origin.ip()).await {
        Ok(codes) => no_store(Json(codes).into_response()),
        Err(failure) => failure_response(failure),
    }
}

pub async fn activate(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    origin: Origin,
    headers: HeaderMap,
) -> Response {
    let params = match web::query_params(query.as_deref()) {
        Ok(params) => params,
        Err(description) => return web::bad_request(&description),
    };
    let cookies = web::browser_cookies(&headers);
    match device::activate(&state, &params, &cookies, &origin.context).await {
        Ok(Activation::Form { typed, error }) => pages::activate(&typed, error),
        Ok(Activation::Proceed(outcome)) => web::navigate(&state.settings, outcome),
        Err(error) => error.into_response(),
    }
}

pub async fn done(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    origin: Origin,
) -> Response {
    let params = match web::query_params(query.as_deref()) {
        Ok(params) => params,
        Err(description) => return web::bad_request(&description),
    };
    match device::done(&state, &params, &origin.context).await {
        Ok(Finished::Connected) => pages::notice(
            StatusCode::OK,
            text("Your device is connected"),
            text("You can close this window and go back to your device."),
        ),
        Ok(Finished::Denied) => pages::notice(
            StatusCode::OK,
            text("Your device was not connected"),
            text("You chose not to allow it. You can close this window."),
        ),
        Ok(Finished::Unusable) => pages::notice(
            StatusCode::BAD_REQUEST,
            text("This activation cannot be completed"),
            text("It expired, was already completed, or the link was changed. Start again on your device."),
        ),
        Err(error) => error.into_response(),
    }
}
