//! `GET`/`POST /u/login`: the hosted login page, and `POST /u/login/connection`: its buttons
//! for other identity providers.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use tessera_protocol::params::Params;

use crate::client_ip::Origin;
use crate::flows::interaction::{self, ConnectionForm, LoginForm};
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

fn parse(params: &Params) -> Result<LoginForm, String> {
    Ok(LoginForm {
        state: web::field(params, "state")?,
        csrf_token: web::field(params, "csrf_token")?,
        username: web::field(params, "username")?,
        password: web::field(params, "password")?,
    })
}

pub async fn submit(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let params = match web::posted_params(&headers, body) {
        Ok(params) => params,
        Err(page) => return *page,
    };
    let form = match parse(&params) {
        Ok(form) => form,
        Err(description) => return web::bad_request(&description),
    };
    match interaction::submit_login(&state, form, &web::browser_cookies(&headers), &origin).await {
        Ok(step) => web::interaction(&state.settings, step),
        Err(error) => error.into_response(),
    }
}

/// `POST /u/login/connection`.
pub async fn connection(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let params = match web::posted_params(&headers, body) {
        Ok(params) => params,
        Err(page) => return *page,
    };
    let parsed = (|| -> Result<ConnectionForm, String> {
        Ok(ConnectionForm {
            state: web::field(&params, "state")?,
            csrf_token: web::field(&params, "csrf_token")?,
            connection: web::field(&params, "connection")?,
        })
    })();
    let form = match parsed {
        Ok(form) => form,
        Err(description) => return web::bad_request(&description),
    };
    let cookies = web::browser_cookies(&headers);
    match interaction::submit_connection_login(&state, form, &cookies).await {
        Ok(step) => web::interaction(&state.settings, step),
        Err(error) => error.into_response(),
    }
}
