//! "Forgot password?", shared by the hosted page and Auth0's `POST
//! /dbconnections/change_password`: throttled per IP (refused past [`RESETS_PER_IP`]) and per
//! address (past [`RESETS_PER_ADDRESS`] nothing more is sent, silently); the answer and the
//! time it takes are the same whether or not the address has an account, because the lookup
//! and the mail happen after the answer.

use tessera_admin::email::Application;
use tessera_core::audit::{Event, EventType, RequestContext};

use crate::client_ip::ClientIp;
use crate::error::InternalError;
use crate::i18n::text;
use crate::state::AppState;

/// Reset requests one IP may make per window.
pub const RESETS_PER_IP: u32 = 20;
/// Reset mails one address may be sent per window: enough for a lost mail or two, too few
/// to flood a mailbox.
pub const RESETS_PER_ADDRESS: u32 = 3;
const WINDOW_SECONDS: i64 = 3600;

/// What a throttled person reads.
pub const RESET_THROTTLED: &str =
    text("Too many password reset requests from your network. Try again later.");

/// Auth0's answer, whether or not a mail was sent.
pub const RESET_ANSWER: &str = "We've just sent you an email to reset your password.";

/// A reset request's outcome, as the requester may know it.
pub enum ResetAttempt {
    /// Answered [`RESET_ANSWER`]; a mail goes out if the address has an account.
    Answered,
    /// Too many requests from this IP; try again after this many seconds.
    Throttled { retry_after: i64 },
}

pub async fn request_reset(
    state: &AppState,
    email: &str,
    application: Option<Application>,
    request: &RequestContext,
) -> Result<ResetAttempt, InternalError> {
    let now = state.clock.now();
    let window_start = now.plus(-WINDOW_SECONDS);
    let ip_key = format!("reset {}", ClientIp(request.ip).key());
    if state.store.ip_failures(&ip_key, window_start).await? >= RESETS_PER_IP {
        return Ok(ResetAttempt::Throttled {
            retry_after: WINDOW_SECONDS,
        });
    }
    state
        .store
        .record_ip_failure(&ip_key, now, window_start)
        .await?;
    let email = email.trim().to_lowercase();
    let address_key = format!("reset-address {email}");
    let sent_to_address = state.store.ip_failures(&address_key, window_start).await?;
    state
        .store
        .record_ip_failure(&address_key, now, window_start)
        .await?;
    let mut event = Event::new(EventType::ChangePasswordRequest).user_name(email.clone());
    if let Some(application) = &application {
        event = event.client(&application.client_id, Some(&application.name));
    }
    if sent_to_address >= RESETS_PER_ADDRESS {
        state.record(
            event.description("Too many reset requests for this address: no mail sent"),
            request,
        );
        return Ok(ResetAttempt::Answered);
    }
    state.record(event, request);
    let admin = state.admin.clone();
    tokio::spawn(async move {
        if let Err(error) = admin
            .request_password_reset(&email, application.as_ref())
            .await
        {
            tracing::warn!(%error, "a password reset mail could not be queued");
        }
    });
    Ok(ResetAttempt::Answered)
}
