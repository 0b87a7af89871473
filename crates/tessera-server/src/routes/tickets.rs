//! The pages user tickets open (`/api/v2/tickets/*`): `GET`/`POST /u/reset-password?ticket=…`
//! asks for a new password under the connection's policy, `GET /u/email-verification?ticket=…`
//! marks the email verified. Each ticket works once; afterwards the person goes to the ticket's
//! `result_url` with `success` and `message`, as Auth0 sends them, or sees a page.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use tessera_admin::tickets::PasswordChanged;

use crate::error::InternalError;
use crate::flows::signup::policy_lines;
use crate::i18n::{self, text};
use crate::pages;
use crate::routes::web;
use crate::state::AppState;

const GONE_TITLE: &str = text("This link no longer works");
const GONE_TEXT: &str = text("It was used already or has expired. Ask for a new one.");

fn gone() -> Response {
    pages::notice(StatusCode::BAD_REQUEST, GONE_TITLE, GONE_TEXT)
}

/// The ticket's result URL with Auth0's `success` and `message`, or a page saying `message`.
fn done(result_url: Option<String>, title: &str, message: &str) -> Response {
    match result_url.and_then(|url| url::Url::parse(&url).ok()) {
        Some(mut url) => {
            url.query_pairs_mut()
                .append_pair("success", "true")
                .append_pair("message", message);
            let mut response = Redirect::to(url.as_str()).into_response();
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            response
        }
        None => pages::notice(StatusCode::OK, title, message),
    }
}

fn ticket_of(params: &tessera_protocol::params::Params) -> Option<String> {
    web::field(params, "ticket").ok()
}

async fn reset_form(
    state: &AppState,
    ticket: &str,
    status: StatusCode,
    error: Option<&str>,
) -> Result<Response, InternalError> {
    let Some(user) = state.admin.password_ticket_user(ticket).await? else {
        return Ok(gone());
    };
    let rules = state.admin.database_options().await?.passwords;
    let t = i18n::messages(None);
    let policy = policy_lines(&rules, t);
    Ok(pages::reset_password(
        t,
        status,
        ticket,
        &user.email,
        &policy,
        error,
    ))
}

pub async fn reset_page(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let Some(ticket) = web::query_params(query.as_deref())
        .ok()
        .as_ref()
        .and_then(ticket_of)
    else {
        return gone();
    };
    reset_form(&state, &ticket, StatusCode::OK, None)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

pub async fn reset_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let params = match web::posted_params(&headers, body) {
        Ok(params) => params,
        Err(page) => return *page,
    };
    let (Some(ticket), Ok(password)) = (ticket_of(&params), web::field(&params, "password")) else {
        return web::bad_request("the ticket and password fields are required");
    };
    let outcome = match state
        .admin
        .change_password_with_ticket(&ticket, password)
        .await
    {
        Ok(outcome) => outcome,
        Err(error) => return InternalError::from(error).into_response(),
    };
    match outcome {
        PasswordChanged::Changed { result_url } => done(
            result_url,
            text("Password changed"),
            text("You can now log in to the application with the new password."),
        ),
        PasswordChanged::Refused(rejection) => {
            let message = crate::flows::signup::describe_password(&rejection, i18n::messages(None));
            reset_form(&state, &ticket, StatusCode::BAD_REQUEST, Some(&message))
                .await
                .unwrap_or_else(IntoResponse::into_response)
        }
        PasswordChanged::Gone => gone(),
    }
}

pub async fn verify_email(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let Some(ticket) = web::query_params(query.as_deref())
        .ok()
        .as_ref()
        .and_then(ticket_of)
    else {
        return gone();
    };
    match state.admin.verify_email_with_ticket(&ticket).await {
        Ok(Some(result_url)) => done(
            result_url,
            text("Email verified"),
            text("Your email was verified. You can continue using the application."),
        ),
        Ok(None) => gone(),
        Err(error) => InternalError::from(error).into_response(),
    }
}
