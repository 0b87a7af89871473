//! `GET /v2/logout` (Auth0) and `GET`/`POST /oidc/logout` (RP-Initiated Logout).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use tessera_protocol::params::Params;

use crate::flows::logout::{self, LogoutOutcome};
use crate::i18n::text;
use crate::pages;
use crate::routes::web;
use crate::state::{AppState, Settings};

pub async fn auth0(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = match web::query_params(query.as_deref()) {
        Ok(params) => params,
        Err(description) => return web::bad_request(&description),
    };
    match logout::auth0_logout(&state, &params, &web::browser_cookies(&headers)).await {
        Ok(outcome) => render(&state.settings, outcome, &params),
        Err(error) => error.into_response(),
    }
}

pub async fn oidc_get(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = match web::query_params(query.as_deref()) {
        Ok(params) => params,
        Err(description) => return web::bad_request(&description),
    };
    match logout::oidc_logout(&state, &params, &web::browser_cookies(&headers), None).await {
        Ok(outcome) => render(&state.settings, outcome, &params),
        Err(error) => error.into_response(),
    }
}

/// The confirmation form posts the original parameters back with its CSRF token.
pub async fn oidc_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let params = match web::posted_params(&headers, body) {
        Ok(params) => params,
        Err(page) => return *page,
    };
    let csrf = params.get("csrf_token").ok().flatten().map(str::to_owned);
    match logout::oidc_logout(
        &state,
        &params,
        &web::browser_cookies(&headers),
        csrf.as_deref(),
    )
    .await
    {
        Ok(outcome) => render(&state.settings, outcome, &params),
        Err(error) => error.into_response(),
    }
}

/// Ending the session also clears its cookie.
fn render(settings: &Settings, outcome: LogoutOutcome, params: &Params) -> Response {
    let mut response = match outcome {
        LogoutOutcome::Redirect(location) => web::found(&location),
        LogoutOutcome::LoggedOut => pages::logged_out(),
        LogoutOutcome::Refused(description) => {
            return pages::error_page(
                StatusCode::BAD_REQUEST,
                text("This logout link is not valid"),
                text("The application asked to send you somewhere it is not allowed to. You may not have been logged out."),
                "invalid_request",
                &description,
            )
        }
        LogoutOutcome::Confirm { csrf_token, browser_cookie } => {
            let fields = params.pairs_except("csrf_token");
            let mut page = pages::logout_confirm(&csrf_token, &fields);
            if let Some(cookie) = browser_cookie.and_then(|v| web::set_cookie(settings, web::BROWSER_COOKIE, &v, None)) {
                page.headers_mut().append(header::SET_COOKIE, cookie);
            }
            return page;
        }
    };
    if let Some(cleared) = web::set_cookie(settings, web::SESSION_COOKIE, "", Some(0)) {
        response.headers_mut().append(header::SET_COOKIE, cleared);
    }
    response
}
