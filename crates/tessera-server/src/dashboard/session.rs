//! Administrators signing in to the Dashboard: the sign-in form (argon2id), the `tessera_admin`
//! session cookie (only its digest is stored), the CSRF token bound to the session, and logout.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tessera_admin::scopes::scopes_of;
use tessera_admin::{Caller, Principal};
use tessera_core::audit::RequestContext;
use tessera_core::crypto::{bound_csrf_token, new_secret, random_token};
use tessera_protocol::SecretDigest;
use tessera_store::{Admin, AdminRole, AdminSession};

use crate::client_ip::request_context_of;
use crate::dashboard::view::{self, Chrome, Failure, Fields, FormBody, Refusal};
use crate::routes::web::{cookie, found};
use crate::state::{AppState, Settings};

/// The session cookie of a signed-in administrator.
pub const ADMIN_COOKIE: &str = "tessera_admin";
/// The double-submit cookie that binds the sign-in form to the browser that loaded it.
const SIGNIN_COOKIE: &str = "tessera_admin_signin";
/// How long a Dashboard session lasts, in seconds.
const SESSION_LIFETIME: i64 = 8 * 3600;
/// Where the sign-in page is.
pub const SIGNIN_PATH: &str = "/dashboard/login";

/// A signed-in administrator.
pub struct SignedIn {
    pub admin: Admin,
    pub csrf_token: String,
    digest: SecretDigest,
    /// The administrator as the admin service's caller, with the role's scopes.
    pub caller: Caller,
}

impl SignedIn {
    /// Refuses a form whose `csrf_token` is not this session's.
    pub fn check(&self, fields: &Fields) -> Result<(), Refusal> {
        let sent = fields.get("csrf_token");
        let same = aws_lc_rs::constant_time::verify_slices_are_equal(
            sent.as_bytes(),
            self.csrf_token.as_bytes(),
        )
        .is_ok();
        if same {
            Ok(())
        } else {
            Err(Refusal::from(&Failure::new(
                StatusCode::FORBIDDEN,
                "This form could not be verified (CSRF token mismatch). Reload the page and try again.",
            )))
        }
    }

    /// What the layout shows for this administrator in `section`.
    pub fn chrome(&self, section: &'static str) -> Chrome {
        Chrome {
            username: self.admin.username.clone(),
            read_only: self.admin.role == AdminRole::ReadOnly,
            csrf_token: self.csrf_token.clone(),
            section,
        }
    }
}

/// The admin service's caller for `admin`: the Management API scopes of their role.
fn caller_of(admin: &Admin, request: RequestContext) -> Caller {
    Caller::new(
        Principal::Administrator(admin.username.clone()),
        scopes_of(admin.role),
        request,
    )
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let refused = || found(SIGNIN_PATH);
        let value = cookie(&parts.headers, ADMIN_COOKIE).ok_or_else(refused)?;
        let digest = SecretDigest::of(value);
        let now = state.clock.now();
        let session = state
            .store
            .admin_session(&digest, now)
            .await
            .map_err(|e| internal(&e.to_string()))?
            .ok_or_else(refused)?;
        let admin = state
            .store
            .admin(&session.username)
            .await
            .map_err(|e| internal(&e.to_string()))?
            .ok_or_else(refused)?;
        let request = request_context_of(parts, state.settings.trust_forwarded_for);
        Ok(SignedIn {
            caller: caller_of(&admin, request),
            admin,
            csrf_token: session_csrf(value),
            digest,
        })
    }
}

/// The CSRF token of a session's forms, bound to its cookie (the store keeps only the
/// cookie's digest).
fn session_csrf(cookie_value: &str) -> String {
    bound_csrf_token("dashboard", cookie_value)
}

fn internal(detail: &str) -> Response {
    tracing::error!(detail, "dashboard session lookup failed");
    view::failure(&Failure::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side.",
    ))
}

/// A `Set-Cookie` value for the Dashboard: HttpOnly, SameSite=Strict, Secure on https.
fn set_cookie(settings: &Settings, name: &str, value: &str, max_age: i64) -> Option<HeaderValue> {
    let secure = if settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .ok()
}

fn with_cookie(mut response: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// `GET /dashboard/login`.
pub async fn show(State(state): State<AppState>) -> Response {
    signin_page(&state, "", None, StatusCode::OK)
}

fn signin_page(
    state: &AppState,
    username: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let Ok(token) = random_token(24) else {
        return internal("no randomness for the sign-in form");
    };
    let page = view::signin(username, &token, error, status);
    with_cookie(
        page,
        set_cookie(&state.settings, SIGNIN_COOKIE, &token, 900),
    )
}

/// `POST /dashboard/login`: checks the password and starts a session.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    FormBody(fields): FormBody,
) -> Response {
    let fields = Fields(fields);
    let bound = cookie(&headers, SIGNIN_COOKIE);
    if bound.is_none() || bound != Some(fields.get("csrf_token")) {
        return signin_page(
            &state,
            fields.get("username"),
            Some("The form expired. Please sign in again."),
            StatusCode::FORBIDDEN,
        );
    }
    let username = fields.get("username").trim();
    let admin = match state.store.admin(username).await {
        Ok(admin) => admin,
        Err(e) => return internal(&e.to_string()),
    };
    let hash = admin.as_ref().map(|a| a.password_hash.clone());
    let verified = state
        .passwords
        .verify(hash, fields.get("password").to_owned())
        .await
        .unwrap_or(false);
    let Some(admin) = admin.filter(|_| verified) else {
        tracing::info!(username, "dashboard sign-in refused");
        return signin_page(
            &state,
            username,
            Some("Wrong username or password."),
            StatusCode::UNAUTHORIZED,
        );
    };
    match start_session(&state, &admin).await {
        Ok(value) => {
            let response = found("/dashboard/applications");
            let response = with_cookie(response, set_cookie(&state.settings, SIGNIN_COOKIE, "", 0));
            with_cookie(
                response,
                set_cookie(&state.settings, ADMIN_COOKIE, &value, SESSION_LIFETIME),
            )
        }
        Err(e) => internal(&e),
    }
}

/// Stores a new session for `admin`; returns the cookie value.
async fn start_session(state: &AppState, admin: &Admin) -> Result<String, String> {
    let value = new_secret().map_err(|e| e.to_string())?;
    let now = state.clock.now();
    let session = AdminSession {
        username: admin.username.clone(),
        expires_at: now.plus(SESSION_LIFETIME),
    };
    state
        .store
        .create_admin_session(&SecretDigest::of(&value), &session, now)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(username = %admin.username, "dashboard sign-in");
    Ok(value)
}

/// `POST /dashboard/logout`: ends the session.
pub async fn logout(
    State(state): State<AppState>,
    signed_in: SignedIn,
    FormBody(fields): FormBody,
) -> Response {
    if let Err(refused) = signed_in.check(&Fields(fields)) {
        return refused.into_response();
    }
    if let Err(e) = state.store.end_admin_session(&signed_in.digest).await {
        return internal(&e.to_string());
    }
    let response = found(SIGNIN_PATH);
    with_cookie(response, set_cookie(&state.settings, ADMIN_COOKIE, "", 0)).into_response()
}
