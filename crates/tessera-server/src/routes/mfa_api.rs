//! Auth0's MFA API (for the password grant's `mfa_required`): `GET /mfa/authenticators`,
//! `POST /mfa/associate` (with the `mfa_token` as a Bearer token) and `POST /mfa/challenge`
//! (the application authenticated as at the token endpoint); JSON or form bodies, errors in
//! RFC 6749 §5.2's shape as Auth0 answers them.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::client_ip::Origin;
use crate::flows::client_auth::authenticate;
use crate::flows::mfa_api::{self, MfaApiError};
use crate::routes::token::{authorization, client_request, failure_response, no_store};
use crate::state::AppState;

fn refused(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({ "error": error, "error_description": description });
    no_store((status, Json(body)).into_response())
}

fn error_response(error: MfaApiError) -> Response {
    match error {
        MfaApiError::Token(bad) => {
            refused(StatusCode::UNAUTHORIZED, "invalid_grant", bad.description())
        }
        MfaApiError::AlreadyEnrolled => refused(
            StatusCode::FORBIDDEN,
            "access_denied",
            "User is already enrolled.",
        ),
        MfaApiError::UnsupportedChallenge(asked) => refused(
            StatusCode::BAD_REQUEST,
            "unsupported_challenge_type",
            &format!("User is not enrolled with an authenticator that supports `{asked}`"),
        ),
        MfaApiError::OtherClient => refused(
            StatusCode::FORBIDDEN,
            "invalid_grant",
            "the mfa_token was issued to another application",
        ),
        MfaApiError::Internal(error) => no_store(error.into_response()),
    }
}

/// The `mfa_token` sent as `Authorization: Bearer …`.
fn bearer(headers: &HeaderMap) -> Result<&str, Box<Response>> {
    authorization(headers)
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            Box::new(refused(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "the mfa_token is missing: send it as a Bearer token",
            ))
        })
}

/// `GET /mfa/authenticators`.
pub async fn authenticators(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let token = match bearer(&headers) {
        Ok(token) => token,
        Err(response) => return *response,
    };
    match mfa_api::authenticators(&state, token).await {
        Ok(listed) => no_store(Json(listed).into_response()),
        Err(error) => error_response(error),
    }
}

/// `POST /mfa/associate`'s body: JSON with `authenticator_types` as an array (as Auth0's
/// documentation sends it), or a form naming one type.
#[derive(Debug, Default, Deserialize)]
struct AssociateBody {
    client_id: Option<String>,
    #[serde(default)]
    authenticator_types: Vec<String>,
}

fn associate_body(headers: &HeaderMap, body: &[u8]) -> Result<AssociateBody, String> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json {
        return serde_json::from_slice(body).map_err(|e| format!("the body is not valid: {e}"));
    }
    let form: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|e| format!("the body is not valid: {e}"))?;
    let mut parsed = AssociateBody::default();
    for (name, value) in form {
        match name.as_str() {
            "client_id" => parsed.client_id = Some(value),
            "authenticator_types" | "authenticator_types[]" => {
                parsed.authenticator_types.push(value)
            }
            _ => {}
        }
    }
    Ok(parsed)
}

/// `POST /mfa/associate`.
pub async fn associate(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let token = match bearer(&headers) {
        Ok(token) => token,
        Err(response) => return *response,
    };
    let parsed = body
        .map_err(|rejection| rejection.body_text())
        .and_then(|body| associate_body(&headers, &body));
    let body = match parsed {
        Ok(body) => body,
        Err(description) => {
            return refused(StatusCode::BAD_REQUEST, "invalid_request", &description)
        }
    };
    if !body.authenticator_types.iter().any(|t| t == "otp") {
        return refused(
            StatusCode::BAD_REQUEST,
            "unsupported_challenge_type",
            "only the otp authenticator type can be associated",
        );
    }
    match mfa_api::associate(&state, token, body.client_id.as_deref()).await {
        Ok(association) => no_store(Json(association).into_response()),
        Err(error) => error_response(error),
    }
}

/// `POST /mfa/challenge`.
pub async fn challenge(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let params = match client_request(&headers, body) {
        Ok(params) => params,
        Err(response) => return *response,
    };
    let client = match authenticate(&state, authorization(&headers), &params, &origin.ip()).await {
        Ok(client) => client,
        Err(failure) => return failure_response(failure),
    };
    let Ok(Some(token)) = params.get("mfa_token") else {
        return refused(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the mfa_token parameter is missing",
        );
    };
    let types = params.get("challenge_type").ok().flatten();
    match mfa_api::challenge(&state, &client, token, types).await {
        Ok(kind) => no_store(Json(json!({ "challenge_type": kind })).into_response()),
        Err(error) => error_response(error),
    }
}
