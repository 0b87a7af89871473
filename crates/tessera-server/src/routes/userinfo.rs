//! `GET`/`POST /userinfo` (OIDC Core §5.3) with RFC 6750 Bearer and RFC 9449 DPoP errors.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use tessera_protocol::BearerErrorCode;

use crate::flows::userinfo::{self, BearerFailure, Presented, Scheme};
use crate::routes::web::dpop_proof;
use crate::routes::{discovery, web};
use crate::state::AppState;

pub async fn get(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let presented = match from_header(&headers, "GET") {
        Ok(presented) => presented,
        Err(refused) => return *refused,
    };
    answer(&state, presented).await
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
            return challenge(
                rejection.status(),
                Scheme::Bearer,
                Some(("invalid_request", &description)),
            );
        }
    };
    let from_header = match from_header(&headers, "POST") {
        Ok(presented) => presented,
        Err(refused) => return *refused,
    };
    let from_body = web::body_params(&headers, &body)
        .ok()
        .and_then(|p| p.get("access_token").ok().flatten().map(str::to_owned));
    match (from_header, from_body) {
        (Some(presented), Some(_)) => challenge(
            StatusCode::BAD_REQUEST,
            presented.scheme,
            Some((
                "invalid_request",
                "the access token was sent in more than one way",
            )),
        ),
        (Some(presented), None) => answer(&state, Some(presented)).await,
        (None, Some(token)) => {
            let presented = Presented {
                token: &token,
                scheme: Scheme::Bearer,
                proof: None,
                method: "POST",
            };
            answer(&state, Some(presented)).await
        }
        (None, None) => answer(&state, None).await,
    }
}

/// The token of an `Authorization: Bearer` or `Authorization: DPoP` header, with the proof.
fn from_header<'h>(
    headers: &'h HeaderMap,
    method: &'static str,
) -> Result<Option<Presented<'h>>, Box<Response>> {
    let Some((scheme, token)) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
    else {
        return Ok(None);
    };
    let scheme = if scheme.eq_ignore_ascii_case("bearer") {
        Scheme::Bearer
    } else if scheme.eq_ignore_ascii_case("dpop") {
        Scheme::Dpop
    } else {
        return Ok(None);
    };
    let proof = dpop_proof(headers).map_err(|reason| {
        Box::new(challenge(
            StatusCode::UNAUTHORIZED,
            Scheme::Dpop,
            Some((BearerErrorCode::InvalidDpopProof.as_str(), reason)),
        ))
    })?;
    Ok(Some(Presented {
        token: token.trim(),
        scheme,
        proof,
        method,
    }))
}

async fn answer(state: &AppState, presented: Option<Presented<'_>>) -> Response {
    let scheme = presented.map_or(Scheme::Bearer, |p| p.scheme);
    match userinfo::userinfo(state, presented).await {
        Ok(claims) => Json(claims).into_response(),
        Err(BearerFailure::Missing) => challenge(StatusCode::UNAUTHORIZED, scheme, None),
        Err(BearerFailure::Rejected { code, description }) => {
            let status = StatusCode::from_u16(code.status()).unwrap_or(StatusCode::UNAUTHORIZED);
            let scheme = match code {
                BearerErrorCode::InvalidDpopProof => Scheme::Dpop,
                _ => scheme,
            };
            challenge(status, scheme, Some((code.as_str(), &description)))
        }
        Err(BearerFailure::Internal(error)) => error.into_response(),
    }
}

/// RFC 6750 §3: `WWW-Authenticate: Bearer` with `error` and `error_description` when known;
/// RFC 9449 §7.1: `DPoP` with the algorithms proofs may use, for a request in that scheme. A
/// request with no token at all is told of both.
fn challenge(status: StatusCode, scheme: Scheme, error: Option<(&str, &str)>) -> Response {
    let bearer = String::from("Bearer realm=\"tessera\"");
    let dpop = format!(
        "DPoP realm=\"tessera\", algs=\"{}\"",
        discovery::dpop_algorithms().join(" ")
    );
    let mut value = match scheme {
        Scheme::Bearer => bearer.clone(),
        Scheme::Dpop => dpop.clone(),
    };
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
    let headers = response.headers_mut();
    if let Ok(header_value) = HeaderValue::from_str(&value) {
        headers.insert(header::WWW_AUTHENTICATE, header_value);
    }
    if error.is_none() {
        let other = match scheme {
            Scheme::Bearer => dpop,
            Scheme::Dpop => bearer,
        };
        if let Ok(header_value) = HeaderValue::from_str(&other) {
            headers.append(header::WWW_AUTHENTICATE, header_value);
        }
    }
    response
}
