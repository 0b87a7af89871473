//! `GET /login/callback`: where other identity providers send the browser back (Auth0's path).

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use tessera_protocol::params::Params;

use crate::client_ip::Origin;
use crate::flows::interaction::{self, Callback};
use crate::routes::web;
use crate::state::AppState;

fn parse(params: &Params) -> Result<Callback, String> {
    let optional = |name: &str| -> Result<Option<String>, String> {
        params
            .get(name)
            .map(|v| v.map(str::to_owned))
            .map_err(|e| e.to_string())
    };
    Ok(Callback {
        state: web::field(params, "state")?,
        code: optional("code")?,
        iss: optional("iss")?,
        error: optional("error")?,
        error_description: optional("error_description")?,
    })
}

pub async fn get(
    State(state): State<AppState>,
    origin: Origin,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = match web::query_params(query.as_deref()) {
        Ok(params) => params,
        Err(description) => return web::bad_request(&description),
    };
    let answer = match parse(&params) {
        Ok(answer) => answer,
        Err(description) => return web::bad_request(&description),
    };
    let cookies = web::browser_cookies(&headers);
    match interaction::callback(&state, answer, &cookies, &origin).await {
        Ok(step) => web::interaction(&state.settings, step),
        Err(error) => error.into_response(),
    }
}
