//! Passkeys at the hosted login: the script that runs the WebAuthn ceremonies
//! (`GET /u/passkey.js`), a login by passkey (`POST /u/login/passkey`), a passkey as the second
//! factor (`/u/mfa-webauthn-platform-challenge`, `/u/mfa-webauthn-platform-enrollment`, as
//! Auth0 names them) and the offer of one after a password (`/u/passkey-enrollment`).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

use tessera_protocol::params::Params;

use crate::client_ip::Origin;
use crate::flows::interaction::{self, PasskeyForm, PasskeyStep};
use crate::routes::web;
use crate::state::AppState;

const SCRIPT: &str = include_str!("../../assets/passkey.js");

/// `GET /u/passkey.js`: the only script the hosted pages run.
pub async fn script() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        SCRIPT,
    )
        .into_response()
}

fn parse(params: &Params) -> Result<PasskeyForm, String> {
    let skip = params.get("skip").map_err(|e| e.to_string())?.is_some();
    let optional = |name: &str| -> Result<String, String> {
        if skip {
            Ok(String::new())
        } else {
            web::field(params, name)
        }
    };
    Ok(PasskeyForm {
        state: web::field(params, "state")?,
        csrf_token: web::field(params, "csrf_token")?,
        ceremony: optional("ceremony")?,
        credential: optional("credential")?,
        skip,
        remember: web::checked(params, "rememberBrowser"),
    })
}

/// The posted passkey form, or the page that says what is wrong with it.
fn form(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<PasskeyForm, Box<Response>> {
    let params = web::posted_params(headers, body)?;
    parse(&params).map_err(|description| Box::new(web::bad_request(&description)))
}

/// `POST /u/login/passkey`.
pub async fn login(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let form = match form(&headers, body) {
        Ok(form) => form,
        Err(page) => return *page,
    };
    let cookies = web::browser_cookies(&headers);
    match interaction::submit_passkey_login(&state, form, &cookies, &origin).await {
        Ok(step) => web::interaction(&state.settings, step),
        Err(error) => error.into_response(),
    }
}

async fn show(
    state: AppState,
    query: Option<String>,
    headers: HeaderMap,
    step: PasskeyStep,
) -> Response {
    let id = match web::pending_id(query.as_deref()) {
        Ok(id) => id,
        Err(description) => return web::bad_request(&description),
    };
    let cookies = web::browser_cookies(&headers);
    match interaction::passkey_page(&state, &id, &cookies, step).await {
        Ok(step) => web::interaction(&state.settings, step),
        Err(error) => error.into_response(),
    }
}

async fn submit(
    state: AppState,
    origin: Origin,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
    step: PasskeyStep,
) -> Response {
    let form = match form(&headers, body) {
        Ok(form) => form,
        Err(page) => return *page,
    };
    let cookies = web::browser_cookies(&headers);
    match interaction::submit_passkey(&state, form, step, &cookies, &origin).await {
        Ok(step) => web::interaction(&state.settings, step),
        Err(error) => error.into_response(),
    }
}

pub async fn challenge(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    show(state, query, headers, PasskeyStep::Challenge).await
}

pub async fn enrollment(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    show(state, query, headers, PasskeyStep::Enrollment).await
}

pub async fn offer(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    show(state, query, headers, PasskeyStep::Offer).await
}

pub async fn submit_challenge(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    submit(state, origin, headers, body, PasskeyStep::Challenge).await
}

pub async fn submit_enrollment(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    submit(state, origin, headers, body, PasskeyStep::Enrollment).await
}

pub async fn submit_offer(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    submit(state, origin, headers, body, PasskeyStep::Offer).await
}
