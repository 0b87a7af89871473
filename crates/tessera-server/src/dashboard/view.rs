//! The Dashboard's pages: askama templates under `templates/dashboard/`, rendered with the
//! hosted-page security headers (no script, no framing, no caching).

use crate::i18n::Messages;
use askama::Template;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use tessera_admin::AdminError;

use crate::pages::secure;

/// Why a Dashboard request did not succeed: the status and what to tell the administrator.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: StatusCode,
    pub message: String,
}

impl Failure {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
        }
    }
}

impl From<AdminError> for Failure {
    fn from(error: AdminError) -> Self {
        let status = match &error {
            AdminError::InvalidBody(_) | AdminError::InvalidQuery(_) => StatusCode::BAD_REQUEST,
            AdminError::InsufficientScope(_) | AdminError::NotSupported(_) => StatusCode::FORBIDDEN,
            AdminError::NotFound(..) => StatusCode::NOT_FOUND,
            AdminError::Conflict(_) => StatusCode::CONFLICT,
            AdminError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AdminError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::error!(%error, "dashboard request failed");
            return Failure::new(status, "Something went wrong on our side.");
        }
        Failure::new(status, error.to_string())
    }
}

/// A failed request's page (the `Err` of every handler).
impl From<AdminError> for Refusal {
    fn from(error: AdminError) -> Self {
        Refusal::from(&Failure::from(error))
    }
}

impl From<&Failure> for Refusal {
    fn from(failure_: &Failure) -> Self {
        Refusal(Box::new(failure(failure_)))
    }
}

/// A page that answers a refused or failed request (boxed: handlers return it as their `Err`,
/// and a response is large).
pub struct Refusal(Box<Response>);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// What every Dashboard handler returns.
pub type Page = Result<Response, Refusal>;

/// A posted form's fields, repeated names kept (checkboxes).
pub struct Fields(pub Vec<(String, String)>);

/// A posted form body. A body that cannot be read (not form encoding, too large) gets the
/// Dashboard's failure page with axum's status (415, 413, 422), not a plain-text rejection.
pub struct FormBody(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequest<S> for FormBody {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        match Form::<Vec<(String, String)>>::from_request(request, state).await {
            Ok(Form(fields)) => Ok(FormBody(fields)),
            Err(rejection) => Err(failure(&Failure::new(
                rejection.status(),
                rejection.body_text(),
            ))),
        }
    }
}

impl Fields {
    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .collect()
    }

    /// Whether a checkbox `name` was checked.
    pub fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(key, _)| key == name)
    }

    /// The non-empty lines (or comma-separated items) of `name`.
    pub fn lines(&self, name: &str) -> Vec<String> {
        self.get(name)
            .split(['\n', ','])
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// What the layout shows on every page: who is signed in, the logout form, the section.
pub struct Chrome {
    pub username: String,
    pub read_only: bool,
    pub csrf_token: String,
    pub section: &'static str,
}

/// A form page shown again with an error is a 400; otherwise a 200.
pub fn form_status(error: &Option<String>) -> StatusCode {
    if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    }
}

/// A page with the security headers, or a 500 if it does not render.
pub fn render(status: StatusCode, html: Result<String, askama::Error>) -> Response {
    match html {
        Ok(html) => secure((status, Html(html)).into_response()),
        Err(error) => crate::error::InternalError::from(error).into_response(),
    }
}

#[derive(Template)]
#[template(path = "dashboard/signin.html")]
struct SigninPage<'a> {
    /// The Dashboard speaks English; its sign-in page shares the hosted pages' frame.
    t: Messages,
    username: &'a str,
    csrf_token: &'a str,
    error: Option<&'a str>,
}

pub fn signin(
    username: &str,
    csrf_token: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let page = SigninPage {
        t: Messages::english(),
        username,
        csrf_token,
        error,
    };
    render(status, page.render())
}

#[derive(Template)]
#[template(path = "dashboard/failure.html")]
struct FailurePage<'a> {
    t: Messages,
    title: &'a str,
    message: &'a str,
}

/// A friendly page for a refused or failed request (403: not allowed for this role).
pub fn failure(failure: &Failure) -> Response {
    let title = match failure.status.as_u16() {
        403 => "You are not allowed to do this",
        404 => "Not found",
        400 | 409 => "This could not be saved",
        _ => "Something went wrong",
    };
    let message = if failure.status == StatusCode::FORBIDDEN {
        format!(
            "{} Your administrator role does not include this action; ask an administrator with full access.",
            failure.message
        )
    } else {
        failure.message.clone()
    };
    render(
        failure.status,
        FailurePage {
            t: Messages::english(),
            title,
            message: &message,
        }
        .render(),
    )
}

#[derive(Template)]
#[template(path = "dashboard/confirm.html")]
struct ConfirmPage<'a> {
    chrome: Chrome,
    title: &'a str,
    message: &'a str,
    action: &'a str,
    fields: &'a [(String, String)],
    back: &'a str,
}

/// Asks before a destructive action: the form posts `fields` again with `confirmed=yes`.
pub fn confirm(
    chrome: Chrome,
    title: &str,
    message: &str,
    action: &str,
    fields: &Fields,
    back: &str,
) -> Response {
    let kept: Vec<(String, String)> = fields
        .0
        .iter()
        .filter(|(key, _)| key != "csrf_token" && key != "confirmed")
        .cloned()
        .collect();
    let page = ConfirmPage {
        chrome,
        title,
        message,
        action,
        fields: &kept,
        back,
    };
    render(StatusCode::OK, page.render())
}

/// `text` percent-encoded for one path segment (an API identifier is often a URL).
pub fn segment(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// The Dashboard page of the user `user_id`.
pub(super) fn user_path(user_id: &str) -> String {
    format!("/dashboard/users/{}", segment(user_id))
}
