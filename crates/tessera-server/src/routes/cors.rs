//! Cross-origin requests from browsers (single-page apps). The token and revocation endpoints
//! let a page read their answer only when its origin is one the client allows — as Auth0: the
//! origins of its callbacks, its Allowed Origins (CORS) and its Allowed Web Origins. Userinfo,
//! discovery and the JWKS answer any page: they need a bearer token, or hold only public keys
//! and metadata, and no cookie is ever involved.

use std::time::Duration;

use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use tessera_protocol::client_auth::client_credentials;
use tessera_protocol::params::Params;
use tower_http::cors::{AllowHeaders, Any, CorsLayer};

use crate::routes::web::DPOP_NONCE;
use crate::state::AppState;

/// How long a browser may reuse a preflight's answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// For endpoints any page may call with a bearer token or none (no credentials mode).
pub fn any_origin() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([
            header::WWW_AUTHENTICATE,
            HeaderName::from_static(DPOP_NONCE),
        ])
        .max_age(PREFLIGHT_MAX_AGE)
}

/// The preflight of a client's POST (token, revocation): it names no client, so it is allowed
/// for any origin; whether the page may read the answer is decided on the POST itself.
pub async fn client_preflight(headers: HeaderMap) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let Some(origin) = headers.get(header::ORIGIN).cloned() else {
        return response;
    };
    let answer = response.headers_mut();
    answer.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    answer.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST"),
    );
    if let Some(requested) = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        answer.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
    }
    answer.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from(PREFLIGHT_MAX_AGE.as_secs()),
    );
    answer.insert(header::VARY, HeaderValue::from_static("Origin"));
    response
}

/// Lets the page that sent a client's POST read `response` when the client (named by the
/// request's credentials) allows the page's origin. Requests without `Origin` (servers) cost
/// nothing here.
pub async fn for_client(
    state: &AppState,
    headers: &HeaderMap,
    params: &Params,
    mut response: Response,
) -> Response {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return response;
    };
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("Origin"));
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let Ok(credentials) = client_credentials(authorization, params) else {
        return response;
    };
    let allowed = match (
        origin.to_str(),
        state.catalog.client(&credentials.client_id).await,
    ) {
        (Ok(origin), Ok(Some(client))) => client.allows_cors_from(origin),
        _ => false,
    };
    if allowed {
        response
            .headers_mut()
            .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        // A single-page app reads the DPoP nonce it must use next (RFC 9449 §8).
        response.headers_mut().insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(DPOP_NONCE),
        );
    }
    response
}
