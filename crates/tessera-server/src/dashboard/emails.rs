//! Emails: the mails Tessera queued, sent, gave up on or (without an email provider) kept in
//! the development outbox, where their links can be followed.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use tessera_admin::email::outbox::MailView;
use tessera_admin::email::Delivery;

use crate::dashboard::session::SignedIn;
use crate::dashboard::view::{render, Chrome, Page};
use crate::state::AppState;

/// Mails listed.
const LISTED: u32 = 50;

#[derive(Template)]
#[template(path = "dashboard/emails.html")]
struct EmailsPage {
    chrome: Chrome,
    /// The SMTP server mails go to, or `None`: the outbox.
    smtp: Option<String>,
    mails: Vec<MailView>,
}

/// `GET /dashboard/emails`.
pub async fn show(State(state): State<AppState>, signed_in: SignedIn) -> Page {
    let mails = state.admin.recent_mails(&signed_in.caller, LISTED).await?;
    let smtp = match state.admin.delivery().await? {
        Delivery::Smtp(provider) => Some(format!("{}:{}", provider.host, provider.port)),
        Delivery::Outbox => None,
    };
    let page = EmailsPage {
        chrome: signed_in.chrome("emails"),
        smtp,
        mails,
    };
    Ok(render(StatusCode::OK, page.render()))
}
