//! `/.well-known/openid-configuration` (OIDC Discovery §3) and `/.well-known/jwks.json`.
//! Discovery lists only what is implemented.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use tessera_jwt::Algorithm;
use tessera_protocol::authorize::MULTI_FACTOR;
use tessera_protocol::GrantType;

use crate::state::AppState;

pub async fn configuration(State(state): State<AppState>) -> Response {
    let s = &state.settings;
    let document = json!({
        "issuer": s.issuer,
        "authorization_endpoint": s.endpoint("authorize"),
        "token_endpoint": s.endpoint("oauth/token"),
        "userinfo_endpoint": s.endpoint("userinfo"),
        "jwks_uri": s.endpoint(".well-known/jwks.json"),
        "revocation_endpoint": s.endpoint("oauth/revoke"),
        "introspection_endpoint": s.endpoint("oauth/introspect"),
        "pushed_authorization_request_endpoint": s.endpoint("oauth/par"),
        "device_authorization_endpoint": s.endpoint("oauth/device/code"),
        "require_pushed_authorization_requests": false,
        "end_session_endpoint": s.endpoint("oidc/logout"),
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "response_types_supported": ["code", "token", "id_token", "id_token token"],
        "response_modes_supported": ["query", "fragment", "form_post", "web_message"],
        "grant_types_supported": GrantType::ALL.map(GrantType::as_str),
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "ui_locales_supported": crate::i18n::supported(),
        "acr_values_supported": [MULTI_FACTOR],
        "claims_supported": [
            "acr", "amr", "aud", "auth_time", "email", "email_verified", "exp", "iat", "iss",
            "name", "nickname", "nonce", "sid", "sub", "updated_at", "at_hash"
        ],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "authorization_response_iss_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
        "dpop_signing_alg_values_supported": dpop_algorithms(),
    });
    Json(document).into_response()
}

/// The algorithms a DPoP proof may be signed with (RFC 9449 §5.1): every asymmetric one
/// Tessera verifies.
pub fn dpop_algorithms() -> [&'static str; 4] {
    Algorithm::ALL.map(Algorithm::as_str)
}

pub async fn jwks(State(state): State<AppState>) -> Response {
    let mut response = state.keys.current().jwks_json().to_owned().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}
