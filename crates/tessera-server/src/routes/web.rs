//! What handlers share: who sent the request, parameter parsing (query, form, JSON), cookies,
//! and turning a flow's outcome into a browser response.

use std::convert::Infallible;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tessera_protocol::authorize::ResponseMode;
use tessera_protocol::params::Params;
use tessera_protocol::WebOrigin;

use crate::client_ip::{request_context_of, Origin};
use crate::flows::authorize::Outcome;
use crate::flows::browser::BrowserCookies;
use crate::flows::interaction::{Interaction, Refusal};
use crate::i18n::text;
use crate::pages;
use crate::state::{AppState, Settings};

/// Handlers take the request's [`Origin`] as an argument; the server's `trust_forwarded_for`
/// decides whether a proxy's `X-Forwarded-For` names the client.
impl FromRequestParts<AppState> for Origin {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Origin {
            context: request_context_of(parts, state.settings.trust_forwarded_for),
        })
    }
}

pub const SESSION_COOKIE: &str = "tessera_session";
pub const BROWSER_COOKIE: &str = "tessera_browser";
/// A browser remembered after a second factor (Auth0's `auth0-mf`).
pub const REMEMBERED_COOKIE: &str = "tessera_mfa";

/// Parses a query string; invalid UTF-8 is an error.
pub fn query_params(query: Option<&str>) -> Result<Params, String> {
    Params::from_query(query).map_err(|e| e.to_string())
}

/// Whether the request's body is JSON.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"))
}

/// The body of one of Auth0's Authentication API endpoints (`/dbconnections/*`), which take
/// JSON or a form, read into its fields.
pub fn json_or_form<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, String> {
    if is_json(headers) {
        return serde_json::from_slice(body).map_err(|e| format!("Invalid body: {e}"));
    }
    body_params(headers, body)?;
    serde_urlencoded::from_bytes(body).map_err(|e| format!("Invalid body: {e}"))
}

/// Parses a body as `application/x-www-form-urlencoded` or as a JSON object of strings.
pub fn body_params(headers: &HeaderMap, body: &[u8]) -> Result<Params, String> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("unreadable"));
    Params::from_body(content_type, body).map_err(|e| e.to_string())
}

/// The parameters of a hosted page's POST, or the HTML error page for a body that cannot be
/// read (too large, not form or JSON encoding), with the status axum chose (413, 400).
pub fn posted_params(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Params, Box<Response>> {
    let body = body.map_err(|rejection| {
        let mut page = bad_request(&rejection.body_text());
        *page.status_mut() = rejection.status();
        Box::new(page)
    })?;
    body_params(headers, &body).map_err(|description| Box::new(bad_request(&description)))
}

/// The value of cookie `name`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

pub fn browser_cookies(headers: &HeaderMap) -> BrowserCookies {
    BrowserCookies {
        session: cookie(headers, SESSION_COOKIE).map(str::to_owned),
        browser: cookie(headers, BROWSER_COOKIE).map(str::to_owned),
        remembered: cookie(headers, REMEMBERED_COOKIE).map(str::to_owned),
    }
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure when the issuer is https.
pub fn set_cookie(
    settings: &Settings,
    name: &str,
    value: &str,
    max_age: Option<i64>,
) -> Option<HeaderValue> {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if settings.secure_cookies {
        cookie.push_str("; Secure");
    }
    if let Some(seconds) = max_age {
        cookie.push_str(&format!("; Max-Age={seconds}"));
    }
    HeaderValue::from_str(&cookie).ok()
}

/// A 302 to `location`, with the hosted-page headers.
pub fn found(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => {
            pages::secure((StatusCode::FOUND, [(header::LOCATION, value)]).into_response())
        }
        Err(_) => bad_request("the redirect location is not a valid header value"),
    }
}

/// A browser response for an authorization outcome.
pub fn navigate(settings: &Settings, outcome: Outcome) -> Response {
    match outcome {
        Outcome::ErrorPage(error) => pages::authorize_error(&error),
        Outcome::ToClient(response) => match response.mode {
            ResponseMode::FormPost => pages::form_post(&response),
            ResponseMode::WebMessage => match WebOrigin::of_url(response.redirect_uri.as_str()) {
                Some(origin) => pages::web_message(&response, &origin),
                None => bad_request("web_message needs an http(s) redirect_uri"),
            },
            ResponseMode::Query | ResponseMode::Fragment => found(&response.location()),
        },
        Outcome::Interact {
            location,
            browser_cookie,
        } => {
            let mut response = found(&location);
            if let Some(cookie) =
                browser_cookie.and_then(|v| set_cookie(settings, BROWSER_COOKIE, &v, None))
            {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            response
        }
    }
}

/// A throttled step's page, saying when to retry at the latest.
fn retry_after(mut response: Response, seconds: i64) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
    response
}

/// A browser response for a hosted-page step.
pub fn interaction(settings: &Settings, interaction: Interaction) -> Response {
    const THROTTLED: StatusCode = StatusCode::TOO_MANY_REQUESTS;
    match interaction {
        Interaction::Login(view) => pages::login(&view, StatusCode::OK),
        Interaction::LoginFailed(view) => pages::login(&view, StatusCode::UNAUTHORIZED),
        Interaction::Throttled {
            view,
            retry_after: s,
        } => retry_after(pages::login(&view, THROTTLED), s),
        Interaction::Consent(view) => pages::consent(&view),
        Interaction::SignUp(view) => pages::sign_up(&view, StatusCode::OK),
        Interaction::SignUpRefused(view) => pages::sign_up(&view, StatusCode::BAD_REQUEST),
        Interaction::SignUpThrottled {
            view,
            retry_after: s,
        } => retry_after(pages::sign_up(&view, THROTTLED), s),
        Interaction::ForgotPassword(view) => pages::forgot_password(&view, StatusCode::OK),
        Interaction::ResetRefused(view) => pages::forgot_password(&view, StatusCode::BAD_REQUEST),
        Interaction::ResetThrottled {
            view,
            retry_after: s,
        } => retry_after(pages::forgot_password(&view, THROTTLED), s),
        Interaction::Mfa(view) => pages::mfa(&view, StatusCode::OK),
        Interaction::MfaRefused(view) => pages::mfa(&view, StatusCode::UNAUTHORIZED),
        Interaction::MfaThrottled {
            view,
            retry_after: s,
        } => retry_after(pages::mfa(&view, THROTTLED), s),
        Interaction::Navigate(outcome) => navigate(settings, outcome),
        Interaction::LoggedIn {
            outcome,
            session_cookie,
            remembered,
        } => {
            let mut response = navigate(settings, outcome);
            let max_age = Some(settings.session_lifetime);
            if let Some(cookie) = set_cookie(settings, SESSION_COOKIE, &session_cookie, max_age) {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            let idle = Some(crate::flows::interaction::REMEMBERED_IDLE_SECONDS);
            let remembered =
                remembered.and_then(|v| set_cookie(settings, REMEMBERED_COOKIE, &v, idle));
            if let Some(cookie) = remembered {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            response
        }
        Interaction::Refused(refusal) => refused(&refusal),
    }
}

fn refused(refusal: &Refusal) -> Response {
    match refusal {
        Refusal::Gone(error) => pages::error_page(
            StatusCode::BAD_REQUEST,
            text("This sign-in has ended"),
            text("Go back to the application and sign in again."),
            error.code.as_str(),
            &error.description,
        ),
        Refusal::Forbidden => pages::error_page(
            StatusCode::FORBIDDEN,
            text("This form could not be verified"),
            text("It did not come from the browser window that started the sign-in. Go back to the application and sign in again."),
            "invalid_request",
            "CSRF token or browser binding mismatch",
        ),
        Refusal::BadRequest(description) => bad_request(description),
    }
}

pub fn bad_request(description: &str) -> Response {
    pages::error_page(
        StatusCode::BAD_REQUEST,
        text("Bad request"),
        text("The request could not be understood."),
        "invalid_request",
        description,
    )
}

/// A checkbox: sent as `on` (a browser's default) or `true`.
pub fn checked(params: &Params, name: &str) -> bool {
    matches!(params.get(name), Ok(Some("on" | "true")))
}

/// A required form field, or what is wrong with it.
pub fn field(params: &Params, name: &str) -> Result<String, String> {
    match params.get(name) {
        Ok(Some(value)) => Ok(value.to_owned()),
        Ok(None) => Err(format!("the {name} field is missing")),
        Err(repeated) => Err(repeated.to_string()),
    }
}

/// The pending authorization id in a hosted page's query (`?state=…`, as Auth0's `/u/login`).
pub fn pending_id(query: Option<&str>) -> Result<String, String> {
    field(&query_params(query)?, "state")
}

/// RFC 9449 §8.1: the header that carries a server's DPoP nonce.
pub(crate) const DPOP_NONCE: &str = "dpop-nonce";

/// The request's DPoP proof (RFC 9449 §4.1), if any; §4.3: more than one is refused.
pub(crate) fn dpop_proof(headers: &HeaderMap) -> Result<Option<&str>, &'static str> {
    let mut values = headers.get_all("dpop").iter();
    match (values.next(), values.next()) {
        (None, _) => Ok(None),
        (Some(value), None) => value
            .to_str()
            .map(Some)
            .map_err(|_| "the DPoP header is not a JWT"),
        (Some(_), Some(_)) => Err("more than one DPoP header was sent"),
    }
}
