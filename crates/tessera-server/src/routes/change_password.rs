//! "Forgot password?": the hosted page (`GET`/`POST /u/reset-password/request`) and Auth0's
//! Authentication API endpoint `POST /dbconnections/change_password` (JSON or form body),
//! which answers Auth0's sentence whether or not the address has an account.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use tessera_admin::email::Application;
use tessera_admin::CONNECTION;
use tessera_protocol::ClientId;

use crate::client_ip::Origin;
use crate::flows::interaction::{self, ResetRequestForm};
use crate::flows::password_reset::{request_reset, ResetAttempt, RESET_ANSWER, RESET_THROTTLED};
use crate::routes::signup::{bad_request, missing};
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
    match interaction::forgot_password_page(&state, &id, &web::browser_cookies(&headers)).await {
        Ok(step) => web::interaction(&state.settings, step),
        Err(error) => error.into_response(),
    }
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
    let form = match (|| {
        Ok::<_, String>(ResetRequestForm {
            state: web::field(&params, "state")?,
            csrf_token: web::field(&params, "csrf_token")?,
            email: web::field(&params, "email")?,
        })
    })() {
        Ok(form) => form,
        Err(description) => return web::bad_request(&description),
    };
    let cookies = web::browser_cookies(&headers);
    match interaction::submit_forgot_password(&state, form, &cookies, &origin).await {
        Ok(step) => web::interaction(&state.settings, step),
        Err(error) => error.into_response(),
    }
}

/// The body of `POST /dbconnections/change_password`, as Auth0 documents it (`organization`
/// is ignored: Tessera has none).
#[derive(Debug, Default, Deserialize)]
struct ChangePasswordBody {
    client_id: Option<String>,
    email: Option<String>,
    connection: Option<String>,
}

pub async fn dbconnections(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return bad_request("invalid_body", &rejection.body_text()),
    };
    let body: ChangePasswordBody = match web::json_or_form(&headers, &body) {
        Ok(body) => body,
        Err(description) => return bad_request("invalid_body", &description),
    };
    let (Some(client_id), Some(email), Some(connection)) =
        (body.client_id, body.email, body.connection)
    else {
        return missing("client_id, email and connection");
    };
    let client = match state.catalog.client(&ClientId(client_id.clone())).await {
        Ok(Some(client)) => client,
        Ok(None) => return bad_request("invalid_client", "Unknown client"),
        Err(error) => return crate::error::InternalError::from(error).into_response(),
    };
    if connection != CONNECTION {
        return bad_request(
            "connection_not_found",
            &format!("The connection {connection} does not exist"),
        );
    }
    if email.trim().is_empty() {
        return missing("email");
    }
    let application = Application {
        client_id,
        name: client.name.clone(),
    };
    match request_reset(&state, &email, Some(application), &origin.context).await {
        Ok(ResetAttempt::Answered) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            RESET_ANSWER,
        )
            .into_response(),
        Ok(ResetAttempt::Throttled { retry_after }) => {
            let body =
                json!({ "error": "too_many_attempts", "error_description": RESET_THROTTLED });
            let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after));
            response
        }
        Err(error) => error.into_response(),
    }
}
