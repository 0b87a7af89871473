//! The HTTP surface: one file per endpoint. Handlers parse, call one flow, and render.

mod account;
mod authorize;
mod branding;
mod change_password;
mod consent;
mod cors;
mod deadline;
mod device;
mod discovery;
mod export;
mod health;
mod introspect;
mod login;
mod login_callback;
mod logout;
mod mfa;
mod mfa_api;
mod par;
mod passkey;
mod revoke;
mod signup;
mod tickets;
pub(crate) mod token;
mod userinfo;
pub(crate) mod web;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tower_http::trace::TraceLayer;

use crate::metrics::ObserveLayer;
use crate::state::AppState;

/// Largest request body accepted on any route; OAuth requests are small.
const MAX_BODY: usize = 64 * 1024;

/// All of Tessera's routes.
pub fn router(state: AppState) -> Router {
    let observe = ObserveLayer::new(std::sync::Arc::clone(&state.metrics));
    let router = if state.settings.metrics_endpoint {
        Router::new().route("/metrics", get(health::metrics))
    } else {
        Router::new()
    };
    router
        .merge(crate::management::router())
        .merge(crate::dashboard::router())
        .route("/authorize", get(authorize::get))
        .route("/u/login", get(login::show).post(login::submit))
        .route("/u/consent", get(consent::show).post(consent::submit))
        .route("/u/signup", get(signup::show).post(signup::submit))
        .route(
            "/u/mfa-otp-challenge",
            get(mfa::otp_challenge).post(mfa::submit_otp_challenge),
        )
        .route(
            "/u/mfa-otp-enrollment-qr",
            get(mfa::otp_enrollment).post(mfa::submit_otp_enrollment),
        )
        .route(
            "/u/mfa-recovery-code-challenge",
            get(mfa::recovery_challenge).post(mfa::submit_recovery_challenge),
        )
        .route(
            "/u/mfa-recovery-code-enrollment",
            post(mfa::submit_recovery_code_saved),
        )
        .route(
            "/u/mfa-webauthn-platform-challenge",
            get(passkey::challenge).post(passkey::submit_challenge),
        )
        .route(
            "/u/mfa-webauthn-platform-enrollment",
            get(passkey::enrollment).post(passkey::submit_enrollment),
        )
        .route(
            "/u/passkey-enrollment",
            get(passkey::offer).post(passkey::submit_offer),
        )
        .route("/u/login/passkey", post(passkey::login))
        .route("/u/login/connection", post(login::connection))
        .route("/login/callback", get(login_callback::get))
        .route("/u/passkey.js", get(passkey::script))
        .route("/u/account", get(account::show))
        .route("/u/account/recovery-code", post(account::new_recovery_code))
        .route(
            "/u/account/authenticator-app/remove",
            post(account::remove_authenticator_app),
        )
        .route("/u/account/passkey/remove", post(account::remove_passkey))
        .route(
            "/u/reset-password",
            get(tickets::reset_page).post(tickets::reset_submit),
        )
        .route(
            "/u/reset-password/request",
            get(change_password::show).post(change_password::submit),
        )
        .route("/u/email-verification", get(tickets::verify_email))
        .route("/u/branding.css", get(branding::style))
        .route("/u/favicon", get(branding::favicon))
        .route(
            "/dbconnections/signup",
            post(signup::dbconnections).options(cors::client_preflight),
        )
        .route(
            "/dbconnections/change_password",
            post(change_password::dbconnections).options(cors::client_preflight),
        )
        .route("/mfa/authenticators", get(mfa_api::authenticators))
        .route("/mfa/associate", post(mfa_api::associate))
        .route("/mfa/challenge", post(mfa_api::challenge))
        .route(
            "/oauth/token",
            post(token::post).options(cors::client_preflight),
        )
        .route(
            "/oauth/revoke",
            post(revoke::post).options(cors::client_preflight),
        )
        .route("/oauth/introspect", post(introspect::post))
        .route("/oauth/par", post(par::post))
        .route("/oauth/device/code", post(device::code))
        .route("/activate", get(device::activate))
        .route("/activate/done", get(device::done))
        .route("/v2/logout", get(logout::auth0))
        .route(
            "/oidc/logout",
            get(logout::oidc_get).post(logout::oidc_post),
        )
        .route(
            "/userinfo",
            get(userinfo::get)
                .post(userinfo::post)
                .layer(cors::any_origin()),
        )
        .route(
            "/.well-known/openid-configuration",
            get(discovery::configuration).layer(cors::any_origin()),
        )
        .route(
            "/.well-known/jwks.json",
            get(discovery::jwks).layer(cors::any_origin()),
        )
        .route("/jobs/{id}/export", get(export::download))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(
            crate::i18n::remember_accept_language,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            deadline::limit,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(observe)
        .with_state(state)
}

/// The span of a request: method and path only. Query strings carry `id_token_hint`, codes in
/// misdirected callbacks and other values that must never reach the logs.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    tracing::debug_span!("request", method = %request.method(), path = request.uri().path())
}

async fn not_found() -> Response {
    let body = serde_json::json!({ "error": "not_found", "error_description": "no such endpoint" });
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}
