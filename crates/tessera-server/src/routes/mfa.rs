//! The second factor's hosted pages, at Auth0's Universal Login paths:
//! `/u/mfa-otp-challenge`, `/u/mfa-otp-enrollment-qr`, `/u/mfa-recovery-code-challenge` (each
//! `GET` and `POST`) and `POST /u/mfa-recovery-code-enrollment`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use tessera_protocol::params::Params;

use crate::client_ip::Origin;
use crate::flows::interaction::{self, CodeForm, MfaForm};
use crate::routes::web;
use crate::state::AppState;

/// Which page is shown.
#[derive(Debug, Clone, Copy)]
enum Page {
    OtpChallenge,
    OtpEnrollment,
    RecoveryChallenge,
}

/// Which form is posted: one with a code, or the recovery code's "saved, continue".
#[derive(Debug, Clone, Copy)]
enum Form {
    Code(CodeForm),
    RecoveryCodeSaved,
}

async fn show(state: AppState, query: Option<String>, headers: HeaderMap, page: Page) -> Response {
    let id = match web::pending_id(query.as_deref()) {
        Ok(id) => id,
        Err(description) => return web::bad_request(&description),
    };
    let cookies = web::browser_cookies(&headers);
    let step = match page {
        Page::OtpChallenge => interaction::otp_challenge_page(&state, &id, &cookies).await,
        Page::OtpEnrollment => interaction::otp_enrollment_page(&state, &id, &cookies).await,
        Page::RecoveryChallenge => {
            interaction::recovery_challenge_page(&state, &id, &cookies).await
        }
    };
    match step {
        Ok(step) => web::interaction(&state.settings, step),
        Err(error) => error.into_response(),
    }
}

fn parse(params: &Params, form: Form) -> Result<MfaForm, String> {
    let code = match form {
        Form::RecoveryCodeSaved => String::new(),
        _ => web::field(params, "code")?,
    };
    Ok(MfaForm {
        state: web::field(params, "state")?,
        csrf_token: web::field(params, "csrf_token")?,
        code,
        remember: web::checked(params, "rememberBrowser"),
    })
}

async fn submit(
    state: AppState,
    origin: Origin,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
    posted: Form,
) -> Response {
    let params = match web::posted_params(&headers, body) {
        Ok(params) => params,
        Err(page) => return *page,
    };
    let form = match parse(&params, posted) {
        Ok(form) => form,
        Err(description) => return web::bad_request(&description),
    };
    let cookies = web::browser_cookies(&headers);
    let step = match posted {
        Form::Code(kind) => interaction::submit_code(&state, form, kind, &cookies, &origin).await,
        Form::RecoveryCodeSaved => {
            interaction::submit_recovery_code_saved(&state, form, &cookies, &origin).await
        }
    };
    match step {
        Ok(step) => web::interaction(&state.settings, step),
        Err(error) => error.into_response(),
    }
}

pub async fn otp_challenge(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    show(state, query, headers, Page::OtpChallenge).await
}

pub async fn otp_enrollment(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    show(state, query, headers, Page::OtpEnrollment).await
}

pub async fn recovery_challenge(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    show(state, query, headers, Page::RecoveryChallenge).await
}

pub async fn submit_otp_challenge(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    submit(
        state,
        origin,
        headers,
        body,
        Form::Code(CodeForm::OtpChallenge),
    )
    .await
}

pub async fn submit_otp_enrollment(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    submit(
        state,
        origin,
        headers,
        body,
        Form::Code(CodeForm::OtpEnrollment),
    )
    .await
}

pub async fn submit_recovery_challenge(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    submit(
        state,
        origin,
        headers,
        body,
        Form::Code(CodeForm::RecoveryChallenge),
    )
    .await
}

pub async fn submit_recovery_code_saved(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    submit(state, origin, headers, body, Form::RecoveryCodeSaved).await
}
