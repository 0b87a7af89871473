//! `GET`/`POST /userinfo` (OIDC Core §5.3) with RFC 6750 Bearer errors.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::flows::userinfo::{self, BearerFailure};
use crate::routes::web;
use crate::state::AppState;

pub async fn get(State(state): State<AppState>, headers: HeaderMap) -> Response {
    answer(&state, bearer_from_header(&headers)).await
}

/// RFC 6750 §2.2 also allows the token in a form body; a token in two places is refused.
pub async fn post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let description = rejection.body_text();
            return challenge(rejection.status(), Some(("invalid_request", &description)));
        }
    };
    let from_header = bearer_from_header(&headers);
    let from_body = web::body_params(&headers, &body)
        .ok()
        .and_then(|p| p.get("access_token").ok().flatten().map(str::to_owned));
    match (from_header, from_body) {
        (Some(_), Some(_)) => challenge(
            StatusCode::BAD_REQUEST,
            Some((
                "invalid_request",
                "the access token was sent in more than one way",
            )),
        ),
        (Some(token), None) => answer(&state, Some(token)).await,
        (None, token) => answer(&state, token).await,
    }
}

fn bearer_from_header(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

async fn answer(state: &AppState, token: Option<String>) -> Response {
    match userinfo::userinfo(state, token.as_deref()).await {
        Ok(claims) => Json(claims).into_response(),
        Err(BearerFailure::Missing) => challenge(StatusCode::UNAUTHORIZED, None),
        Err(BearerFailure::Rejected { code, description }) => {
            let status = StatusCode::from_u16(code.status()).unwrap_or(StatusCode::UNAUTHORIZED);
            challenge(status, Some((code.as_str(), &description)))
        }
        Err(BearerFailure::Internal(error)) => error.into_response(),
    }
}

/// RFC 6750 §3: `WWW-Authenticate: Bearer` with `error` and `error_description` when known.
fn challenge(status: StatusCode, error: Option<(&str, &str)>) -> Response {
    let mut value = String::from("Bearer realm=\"tessera\"");
    if let Some((code, description)) = error {
        let description = description.replace(['"', '\\'], "'");
        value.push_str(&format!(
            ", error=\"{code}\", error_description=\"{description}\""
        ));
        if code == "insufficient_scope" {
            value.push_str(", scope=\"openid\"");
        }
    }
    let body = match error {
        Some((code, description)) => {
            serde_json::json!({ "error": code, "error_description": description })
        }
        None => {
            serde_json::json!({ "error": "invalid_request", "error_description": "no access token was sent" })
        }
    };
    let mut response = (status, Json(body)).into_response();
    if let Ok(header_value) = HeaderValue::from_str(&value) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, header_value);
    }
    response
}
