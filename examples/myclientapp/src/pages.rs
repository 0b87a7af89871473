//! The app's pages.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::oauth::{ApiAnswer, SignedIn};

#[derive(Template)]
#[template(path = "signed_out.html")]
struct SignedOut<'a> {
    sign_in_url: &'a str,
}

#[derive(Template)]
#[template(path = "signed_in.html")]
struct SignedInPage<'a> {
    name: &'a str,
    email: &'a str,
    sub: &'a str,
    scope: &'a str,
    has_refresh_token: bool,
    claims: String,
    appointments_status: u16,
    appointments: &'a str,
    contacts_status: u16,
    contacts: &'a str,
    offline_url: &'a str,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

fn render(status: StatusCode, page: Result<String, askama::Error>) -> Response {
    match page {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

pub fn signed_out(sign_in_url: &str) -> Response {
    render(StatusCode::OK, SignedOut { sign_in_url }.render())
}

pub fn signed_in(
    user: &SignedIn,
    appointments: &ApiAnswer,
    contacts: &ApiAnswer,
    offline_url: &str,
) -> Response {
    let claim = |name: &str| user.claims[name].as_str().unwrap_or("").to_owned();
    let (name, email, sub) = (claim("name"), claim("email"), claim("sub"));
    let page = SignedInPage {
        name: &name,
        email: &email,
        sub: &sub,
        scope: &user.scope,
        has_refresh_token: user.refresh_token.is_some(),
        claims: serde_json::to_string_pretty(&user.claims).unwrap_or_default(),
        appointments_status: appointments.status,
        appointments: &appointments.body,
        contacts_status: contacts.status,
        contacts: &contacts.body,
        offline_url,
    };
    render(StatusCode::OK, page.render())
}

pub fn error(status: StatusCode, title: &str, message: &str) -> Response {
    render(status, ErrorPage { title, message }.render())
}
