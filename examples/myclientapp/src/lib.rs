//! The seed's regular web application: a Sign In link built like Auth0's example, `state`
//! checked on the callback against a signed cookie, the code exchanged with the client secret
//! in a JSON body, the ID token verified and shown, and the API called with the access token.

mod oauth;
mod pages;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use crate::oauth::{OAuth, SignedIn};

/// What the app needs to know about Tessera and itself.
#[derive(Clone)]
pub struct WebAppConfig {
    /// Tessera's issuer, with its trailing slash.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// This app's own base URL, e.g. `http://127.0.0.1:4000/`; the callback is `{base}callback`.
    pub base_url: String,
    /// The API's base URL, e.g. `http://127.0.0.1:3001/`.
    pub api_url: String,
    /// The API's identifier (the audience).
    pub audience: String,
}

impl std::fmt::Debug for WebAppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebAppConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// The scopes of the Sign In link: the seed's API scopes, plus OpenID Connect to learn who
/// signed in.
pub const SIGN_IN_SCOPE: &str = "openid profile email appointments contacts";
/// Asking for one more scope than at Sign In brings Tessera's consent page back.
pub const OFFLINE_SCOPE: &str = "openid profile email appointments contacts offline_access";

const SESSION_COOKIE: &str = "myclientapp_session";
const STATE_COOKIE: &str = "myclientapp_state";

#[derive(Clone)]
struct AppState {
    oauth: Arc<OAuth>,
    sessions: Arc<Mutex<HashMap<String, SignedIn>>>,
}

/// The app's routes: `/` (home), `/callback`, `/logout`.
pub fn router(config: WebAppConfig) -> Router {
    let state = AppState {
        oauth: Arc::new(OAuth::new(config)),
        sessions: Arc::default(),
    };
    Router::new()
        .route("/", get(home))
        .route("/callback", get(callback))
        .route("/logout", get(logout))
        .with_state(state)
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

fn with_cookie(mut response: Response, name: &str, value: &str, max_age: Option<i64>) -> Response {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(seconds) = max_age {
        text.push_str(&format!("; Max-Age={seconds}"));
    }
    if let Ok(value) = HeaderValue::from_str(&text) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

fn signed_in(state: &AppState, headers: &HeaderMap) -> Option<SignedIn> {
    let id = cookie(headers, SESSION_COOKIE)?;
    state.sessions.lock().ok()?.get(id).cloned()
}

/// Home: the Sign In link, or who is signed in and what the API answers for them. Each visit
/// makes a fresh `state`, kept in a signed cookie for the callback to check.
async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let oauth = &state.oauth;
    let login_state = match oauth::random() {
        Ok(value) => value,
        Err(message) => return pages::error(StatusCode::INTERNAL_SERVER_ERROR, "Error", &message),
    };
    let page = match signed_in(&state, &headers) {
        None => pages::signed_out(&oauth.authorize_url(SIGN_IN_SCOPE, &login_state)),
        Some(user) => {
            let appointments = oauth.call_api("api/appointments", &user.access_token).await;
            let contacts = oauth.call_api("api/contacts", &user.access_token).await;
            pages::signed_in(
                &user,
                &appointments,
                &contacts,
                &oauth.authorize_url(OFFLINE_SCOPE, &login_state),
            )
        }
    };
    with_cookie(
        page,
        STATE_COOKIE,
        &oauth.sign_state(&login_state),
        Some(600),
    )
}

#[derive(Debug, Deserialize)]
struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The redirect URI: refuse a `state` that is not the one this browser was given, show
/// Tessera's error, or exchange the code.
async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<CallbackParams>,
) -> Response {
    let oauth = &state.oauth;
    let expected = cookie(&headers, STATE_COOKIE).and_then(|c| oauth.verify_state(c));
    let state_matches = match (expected.as_deref(), params.state.as_deref()) {
        (Some(expected), Some(returned)) => oauth::same(expected, returned),
        _ => false,
    };
    if !state_matches {
        return pages::error(
            StatusCode::BAD_REQUEST,
            "Sign-in refused",
            "The state returned by the authorization server does not match the one this browser was given (possible CSRF).",
        );
    }
    if let Some(error) = params.error {
        let description = params.error_description.unwrap_or_default();
        return pages::error(
            StatusCode::UNAUTHORIZED,
            "Sign-in failed",
            &format!("{error}: {description}"),
        );
    }
    let Some(code) = params.code else {
        return pages::error(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            "The callback has no code.",
        );
    };
    let user = match oauth.exchange(&code).await {
        Ok(user) => user,
        Err(message) => return pages::error(StatusCode::BAD_GATEWAY, "Sign-in failed", &message),
    };
    let session_id = match oauth::random() {
        Ok(id) => id,
        Err(message) => return pages::error(StatusCode::INTERNAL_SERVER_ERROR, "Error", &message),
    };
    if let Ok(mut sessions) = state.sessions.lock() {
        sessions.insert(session_id.clone(), user);
    }
    let response = with_cookie(
        Redirect::to("/").into_response(),
        SESSION_COOKIE,
        &session_id,
        None,
    );
    with_cookie(response, STATE_COOKIE, "", Some(0))
}

/// Sign Out: forgets the app's session (Tessera's own SSO session stays).
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let (Some(id), Ok(mut sessions)) = (cookie(&headers, SESSION_COOKIE), state.sessions.lock())
    {
        sessions.remove(id);
    }
    with_cookie(
        Redirect::to("/").into_response(),
        SESSION_COOKIE,
        "",
        Some(0),
    )
}
