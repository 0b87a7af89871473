//! Hosted pages (login, consent, error) rendered from templates, with the headers every page
//! carries: no caching, no framing, no referrer, and a CSP that allows no script — except, on
//! pages with a passkey step, Tessera's own `/u/passkey.js`.

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use tessera_admin::connections::LoginButton;
use tessera_protocol::error::AuthorizeError;
use tessera_protocol::WebOrigin;

use crate::error::InternalError;
use crate::flows::account::AccountView;
use crate::flows::authorize::ClientResponse;
use crate::flows::interaction::{
    ConsentView, ForgotPasswordView, LoginView, MfaScreen, MfaView, ScopeLine, SignUpView,
};
use crate::i18n::{self, text, Messages};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    t: Messages,
    client_name: &'a str,
    logo: Option<&'a str>,
    state: &'a str,
    csrf_token: &'a str,
    username: &'a str,
    error: &'a Option<String>,
    can_sign_up: bool,
    passkey: Option<PasskeyStep<'a>>,
    connections: &'a [LoginButton],
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignUpPage<'a> {
    t: Messages,
    view: &'a SignUpView,
}

#[derive(Template)]
#[template(path = "forgot_password.html")]
struct ForgotPasswordPage<'a> {
    t: Messages,
    view: &'a ForgotPasswordView,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    t: Messages,
    view: &'a AccountView,
}

#[derive(Template)]
#[template(path = "mfa.html")]
struct MfaPage<'a> {
    t: Messages,
    view: &'a MfaView,
    passkey: Option<PasskeyStep<'a>>,
}

#[derive(Template)]
#[template(path = "reset_password.html")]
struct ResetPasswordPage<'a> {
    t: Messages,
    ticket: &'a str,
    email: &'a str,
    policy: &'a [String],
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    t: Messages,
    client_name: &'a str,
    logo: Option<&'a str>,
    api_name: &'a Option<String>,
    user_name: &'a str,
    scopes: &'a [ScopeLine],
    state: &'a str,
    csrf_token: &'a str,
}

#[derive(Template)]
#[template(path = "form_post.html")]
struct FormPostPage<'a> {
    t: Messages,
    action: &'a str,
    fields: Vec<(&'a str, &'a str)>,
    nonce: &'a str,
}

#[derive(Template)]
#[template(path = "web_message.html")]
struct WebMessagePage<'a> {
    /// `{"origin": …, "response": {…}}` as JSON, safe inside a script element.
    message: &'a str,
    nonce: &'a str,
}

#[derive(Template)]
#[template(path = "logged_out.html")]
struct LoggedOutPage {
    t: Messages,
}

#[derive(Template)]
#[template(path = "logout_confirm.html")]
struct LogoutConfirmPage<'a> {
    t: Messages,
    csrf_token: &'a str,
    fields: &'a [(String, String)],
}

#[derive(Template)]
#[template(path = "activate.html")]
struct ActivatePage<'a> {
    t: Messages,
    typed: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage<'a> {
    t: Messages,
    title: &'a str,
    text: &'a str,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: Messages,
    title: &'a str,
    explanation: &'a str,
    code: &'a str,
    description: &'a str,
}

/// The `Content-Security-Policy` of hosted pages. `form-action` is left out on purpose: after
/// a form post Tessera redirects to the client, which browsers would check against it.
/// The branding's style sheet is `'self'`; its logo, favicon and font may be any `https` URL.
const CSP: &str = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; font-src https:; base-uri 'none'; frame-ancestors 'none'";

/// The CSP of a page with a passkey step: the same, and Tessera's own script
/// (`/u/passkey.js`, which calls `navigator.credentials`); nothing inline runs.
const CSP_WITH_PASSKEY_SCRIPT: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; font-src https:; base-uri 'none'; frame-ancestors 'none'";

/// The WebAuthn options of a passkey step, safe inside the page's JSON data block.
pub struct PasskeyStep<'a> {
    pub options: String,
    pub sealed: &'a str,
}

impl<'a> PasskeyStep<'a> {
    pub fn of(ceremony: &'a tessera_admin::mfa::Ceremony) -> PasskeyStep<'a> {
        PasskeyStep {
            options: ceremony.options.replace('<', "\\u003c"),
            sealed: &ceremony.sealed,
        }
    }
}

/// A page with a passkey step: [`page`], whose CSP allows `/u/passkey.js`.
fn page_with_passkey_script(status: StatusCode, html: Result<String, askama::Error>) -> Response {
    let mut response = page(status, html);
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP_WITH_PASSKEY_SCRIPT),
    );
    response
}

/// Adds the hosted-page security headers.
pub fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn page(status: StatusCode, html: Result<String, askama::Error>) -> Response {
    match html {
        Ok(html) => secure((status, Html(html)).into_response()),
        Err(error) => InternalError::from(error).into_response(),
    }
}

pub fn login(view: &LoginView, status: StatusCode) -> Response {
    let html = LoginPage {
        t: i18n::messages(view.ui_locales.as_deref()),
        client_name: &view.client_name,
        logo: view.logo.as_deref(),
        state: &view.state,
        csrf_token: &view.csrf_token,
        username: &view.username,
        error: &view.error,
        can_sign_up: view.can_sign_up,
        passkey: view.passkey.as_ref().map(PasskeyStep::of),
        connections: &view.connections,
    }
    .render();
    if view.passkey.is_some() {
        page_with_passkey_script(status, html)
    } else {
        page(status, html)
    }
}

pub fn sign_up(view: &SignUpView, status: StatusCode) -> Response {
    let t = i18n::messages(view.ui_locales.as_deref());
    page(status, SignUpPage { t, view }.render())
}

pub fn forgot_password(view: &ForgotPasswordView, status: StatusCode) -> Response {
    let t = i18n::messages(view.ui_locales.as_deref());
    page(status, ForgotPasswordPage { t, view }.render())
}

pub fn account(view: &AccountView) -> Response {
    let t = i18n::messages(None);
    page(StatusCode::OK, AccountPage { t, view }.render())
}

pub fn mfa(view: &MfaView, status: StatusCode) -> Response {
    let t = i18n::messages(view.ui_locales.as_deref());
    let passkey = match &view.screen {
        MfaScreen::PasskeyChallenge { ceremony, .. }
        | MfaScreen::PasskeyEnrollment { ceremony, .. } => Some(PasskeyStep::of(ceremony)),
        _ => None,
    };
    if passkey.is_some() {
        page_with_passkey_script(status, MfaPage { t, view, passkey }.render())
    } else {
        page(status, MfaPage { t, view, passkey }.render())
    }
}

pub fn consent(view: &ConsentView) -> Response {
    let html = ConsentPage {
        t: i18n::messages(view.ui_locales.as_deref()),
        client_name: &view.client_name,
        logo: view.logo.as_deref(),
        api_name: &view.api_name,
        user_name: &view.user_name,
        scopes: &view.scopes,
        state: &view.state,
        csrf_token: &view.csrf_token,
    }
    .render();
    page(StatusCode::OK, html)
}

/// An error page for an authorization error that must not be redirected.
pub fn authorize_error(error: &AuthorizeError) -> Response {
    error_page(
        StatusCode::BAD_REQUEST,
        text("Something is wrong with this sign-in link"),
        text("The application that sent you here made a request Tessera cannot accept. If you are its developer, the detail below says what to fix."),
        error.code.as_str(),
        &error.description,
    )
}

/// The device activation page: a form for the code a device shows.
pub fn activate(typed: &str, error: Option<&str>) -> Response {
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let t = i18n::messages(None);
    page(status, ActivatePage { t, typed, error }.render())
}

/// The form that takes a new password for a password-change ticket (its policy and error
/// already in the language of `t`).
pub fn reset_password(
    t: Messages,
    status: StatusCode,
    ticket: &str,
    email: &str,
    policy: &[String],
    error: Option<&str>,
) -> Response {
    let html = ResetPasswordPage {
        t,
        ticket,
        email,
        policy,
        error,
    }
    .render();
    page(status, html)
}

/// A page that only says something (a device connected or not).
pub fn notice(status: StatusCode, title: &str, text: &str) -> Response {
    let t = i18n::messages(None);
    page(status, NoticePage { t, title, text }.render())
}

pub fn error_page(
    status: StatusCode,
    title: &str,
    explanation: &str,
    code: &str,
    description: &str,
) -> Response {
    let html = ErrorPage {
        t: i18n::messages(None),
        title,
        explanation,
        code,
        description,
    }
    .render();
    page(status, html)
}

/// OAuth 2.0 Form Post Response Mode: an auto-submitting form to the redirect URI. Its one
/// inline script is allowed by a per-response nonce; without JavaScript a button submits it.
pub fn form_post(response: &ClientResponse) -> Response {
    let nonce = match tessera_core::crypto::random_token(16) {
        Ok(nonce) => nonce,
        Err(error) => return InternalError::from(error).into_response(),
    };
    let form = FormPostPage {
        t: i18n::messages(None),
        action: response.redirect_uri.as_str(),
        fields: response
            .params
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect(),
        nonce: &nonce,
    };
    let mut rendered = page(StatusCode::OK, form.render());
    let csp = format!("default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'");
    if let Ok(value) = HeaderValue::from_str(&csp) {
        rendered
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    rendered
}

/// Auth0's `web_message` response: a page, framed by the client's page of `origin`, that posts
/// the response to it (`{type: "authorization_response", response: {…}}`) and to no other origin.
pub fn web_message(response: &ClientResponse, origin: &WebOrigin) -> Response {
    let nonce = match tessera_core::crypto::random_token(16) {
        Ok(nonce) => nonce,
        Err(error) => return InternalError::from(error).into_response(),
    };
    let fields: serde_json::Map<String, serde_json::Value> = response
        .params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(v.as_str())))
        .collect();
    let message = serde_json::json!({ "origin": origin.as_str(), "response": fields });
    // `<` escaped, so that no value can close the script element.
    let message = message.to_string().replace('<', "\\u003c");
    let html = WebMessagePage {
        message: &message,
        nonce: &nonce,
    }
    .render();
    let mut rendered = page(StatusCode::OK, html);
    let headers = rendered.headers_mut();
    headers.remove(header::X_FRAME_OPTIONS);
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; base-uri 'none'; frame-ancestors {origin}"
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    rendered
}

pub fn logged_out() -> Response {
    let t = i18n::messages(None);
    page(StatusCode::OK, LoggedOutPage { t }.render())
}

/// Asks before ending the session; the form posts `fields` back with `csrf_token`.
pub fn logout_confirm(csrf_token: &str, fields: &[(String, String)]) -> Response {
    page(
        StatusCode::OK,
        LogoutConfirmPage {
            t: i18n::messages(None),
            csrf_token,
            fields,
        }
        .render(),
    )
}
