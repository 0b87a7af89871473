//! `GET`/`POST /u/login`: the hosted login page.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::client_ip::ClientIp;
use crate::flows::interaction::{self, LoginForm};
use crate::routes::web;
use crate::state::AppState;

pub async fn show(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let id = match web::pending_id(query.as_deref()) {
        Ok(id) => id,
        Err(description) => return web::bad_request(&description),
    };
    match interaction::login_page(&state, &id, &web::browser_cookies(&headers)).await {
        Ok(step) => web::interaction(&state.settings, step),
        Err(error) => error.into_response(),
    }
}

fn parse(headers: &HeaderMap, body: &[u8]) -> Result<LoginForm, String> {
    let params = web::body_params(headers, body)?;
    Ok(LoginForm {
        state: web::field(&params, "state")?,
        csrf_token: web::field(&params, "csrf_token")?,
        username: web::field(&params, "username")?,
        password: web::field(&params, "password")?,
    })
}

pub async fn submit(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match parse(&headers, &body) {
        Ok(form) => form,
        Err(description) => return web::bad_request(&description),
    };
    match interaction::submit_login(&state, form, &web::browser_cookies(&headers), &ip).await {
        Ok(step) => web::interaction(&state.settings, step),
        Err(error) => error.into_response(),
    }
}
