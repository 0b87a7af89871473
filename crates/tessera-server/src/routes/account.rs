//! `/u/account`: the signed-in person's second factors (`GET`), and their changes (`POST
//! /u/account/recovery-code`, `POST /u/account/authenticator-app/remove`, `POST
//! /u/account/passkey/remove`).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use tessera_protocol::params::Params;

use crate::client_ip::Origin;
use crate::flows::account::{self, Account, Change};
use crate::i18n::text;
use crate::pages;
use crate::routes::web;
use crate::state::AppState;

fn render(account: Account) -> Response {
    match account {
        Account::Page(view) => pages::account(&view),
        Account::SignedOut => pages::notice(
            StatusCode::UNAUTHORIZED,
            text("You are not logged in"),
            text("Log in to one of your applications, then open this page again."),
        ),
        Account::Forbidden => pages::notice(
            StatusCode::FORBIDDEN,
            text("This change was not made"),
            text("Open your account page again and log in with your second factor first."),
        ),
    }
}

pub async fn show(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let cookies = web::browser_cookies(&headers);
    match account::page(&state, cookies.session.as_deref()).await {
        Ok(account) => render(account),
        Err(error) => error.into_response(),
    }
}

async fn change(
    state: AppState,
    origin: Origin,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
    change_of: fn(&Params) -> Result<Change, String>,
) -> Response {
    let params = match web::posted_params(&headers, body) {
        Ok(params) => params,
        Err(page) => return *page,
    };
    let parsed =
        web::field(&params, "csrf_token").and_then(|token| Ok((token, change_of(&params)?)));
    let (csrf_token, change) = match parsed {
        Ok(parsed) => parsed,
        Err(description) => return web::bad_request(&description),
    };
    let cookies = web::browser_cookies(&headers);
    let session = cookies.session.as_deref();
    match account::submit(&state, session, &csrf_token, change, &origin.context).await {
        Ok(account) => render(account),
        Err(error) => error.into_response(),
    }
}

pub async fn new_recovery_code(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    change(state, origin, headers, body, |_| {
        Ok(Change::NewRecoveryCode)
    })
    .await
}

pub async fn remove_authenticator_app(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let remove = |_: &Params| Ok(Change::RemoveAuthenticatorApp);
    change(state, origin, headers, body, remove).await
}

pub async fn remove_passkey(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let remove = |params: &Params| web::field(params, "id").map(Change::RemovePasskey);
    change(state, origin, headers, body, remove).await
}
