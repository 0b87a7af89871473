//! `POST /oauth/token` (RFC 6749 §3.2, §5): JSON or form body, errors as RFC 6749 §5.2 JSON.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use tessera_protocol::error::{TokenError, TokenErrorCode};
use tessera_protocol::params::Params;

use crate::client_ip::Origin;
use crate::flows::grant::TokenFailure;
use crate::flows::{dpop, token};
use crate::routes::web::{dpop_proof, DPOP_NONCE};
use crate::routes::{cors, web};
use crate::state::AppState;

pub async fn post(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let params = match client_request(&headers, body) {
        Ok(params) => params,
        Err(response) => return *response,
    };
    let proof = match dpop_proof(&headers) {
        Ok(proof) => proof,
        Err(reason) => {
            let error = TokenError::new(TokenErrorCode::InvalidDpopProof, reason);
            return error_response(&error, false);
        }
    };
    let exchanged = token::exchange(&state, authorization(&headers), proof, &params, &origin).await;
    let mut response = match exchanged {
        Ok(tokens) => no_store(Json(tokens).into_response()),
        Err(failure) => failure_response(failure),
    };
    // RFC 9449 §8: with nonces on, every answer to a DPoP request carries the nonce to use next.
    if proof.is_some() && state.settings.dpop_nonce_required {
        match dpop::fresh_nonce(&state).map(HeaderValue::try_from) {
            Ok(Ok(nonce)) => {
                response.headers_mut().insert(DPOP_NONCE, nonce);
            }
            Ok(Err(_)) => {}
            Err(error) => return no_store(error.into_response()),
        }
    }
    cors::for_client(&state, &headers, &params, response).await
}

/// The parameters of a client's POST to the token, revocation or introspection endpoint, or
/// the RFC 6749 §5.2 error for a body that cannot be read.
pub(crate) fn client_request(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Params, Box<Response>> {
    let body = body.map_err(|rejection| {
        let error = TokenError::new(TokenErrorCode::InvalidRequest, rejection.body_text());
        let mut response = error_response(&error, false);
        *response.status_mut() = rejection.status();
        Box::new(response)
    })?;
    let invalid = |description: String| {
        Box::new(error_response(
            &TokenError::new(TokenErrorCode::InvalidRequest, description),
            false,
        ))
    };
    let params = web::body_params(headers, &body).map_err(invalid)?;
    // RFC 6749 §3.2: request parameters MUST NOT be included more than once. Checked before
    // client authentication, so a malformed request is `invalid_request` whatever else it holds.
    match params.any_repeated() {
        Some(repeated) => Err(invalid(repeated.to_string())),
        None => Ok(params),
    }
}

pub(crate) fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

/// A failed client request as RFC 6749 §5.2 JSON (or a 5xx for internal failures).
pub(crate) fn failure_response(failure: TokenFailure) -> Response {
    match failure {
        TokenFailure::Protocol {
            error,
            basic_challenge,
        } => error_response(&error, basic_challenge),
        TokenFailure::Throttled {
            retry_after,
            reason,
        } => throttled(retry_after, reason),
        TokenFailure::DpopNonce(reason) => error_response(
            &TokenError::new(TokenErrorCode::UseDpopNonce, reason),
            false,
        ),
        TokenFailure::MfaRequired { mfa_token } => {
            let error = TokenError::new(
                TokenErrorCode::MfaRequired,
                "Multifactor authentication required",
            );
            let mut body = error_body(&error);
            if let Some(token) = mfa_token {
                body["mfa_token"] = serde_json::Value::String(token);
            }
            no_store((StatusCode::FORBIDDEN, Json(body)).into_response())
        }
        TokenFailure::Internal(error) => no_store(error.into_response()),
    }
}

/// RFC 6749 §5.1: responses with tokens or credentials carry `Cache-Control: no-store` and
/// `Pragma: no-cache`.
pub(crate) fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// Refused by brute-force protection: 429 with `Retry-After` (RFC 6585 §4) rather than
/// `invalid_client` or `invalid_grant`, which a client takes for wrong credentials while these
/// may be right; the body keeps RFC 6749 §5.2's shape with Auth0's `too_many_attempts` code.
fn throttled(retry_after: i64, reason: &str) -> Response {
    let error = TokenError::new(
        TokenErrorCode::TooManyAttempts,
        format!("{reason}; retry in {retry_after} seconds"),
    );
    let mut response = error_response(&error, false);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after.max(1)));
    response
}

fn error_body(error: &TokenError) -> serde_json::Value {
    serde_json::json!({ "error": error.code.as_str(), "error_description": error.description })
}

/// RFC 6749 §5.2 error body; `invalid_client` after HTTP Basic gets `WWW-Authenticate`.
fn error_response(error: &TokenError, basic_challenge: bool) -> Response {
    tracing::info!(error = error.code.as_str(), description = %error.description, "token request refused");
    let status = StatusCode::from_u16(error.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let body = error_body(error);
    let mut response = no_store((status, Json(body)).into_response());
    if basic_challenge && error.code == TokenErrorCode::InvalidClient {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"tessera\""),
        );
    }
    response
}
