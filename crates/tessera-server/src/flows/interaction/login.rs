//! The hosted login: brute-force checks, then the password (argon2id, off the executor), then an
//! SSO session, and on to the next step of the authorization.

use tessera_core::audit::{Event, EventType};
use tessera_core::brute_force::{account_key, Verdict, ACCOUNT_BLOCKED, IP_THROTTLED};
use tessera_core::crypto::{is_imported, new_secret};
use tessera_protocol::authorize::Authentication;
use tessera_protocol::SecretDigest;
use tessera_store::{Login, PendingAuthorization, Session, User};

use super::{client_name, csrf_of, load, load_for_post, login_view, Interaction, LoginForm};
use crate::client_ip::Origin;
use crate::error::InternalError;
use crate::flows::authorize::{proceed, Stage};
use crate::flows::browser::{Authenticated, BrowserCookies};
use crate::metrics::LoginFailure;
use crate::state::AppState;

/// Counts and records a failed login: `fu` for an unknown user, `fp` for a wrong password,
/// `f` for a blocked account. The typed identifier is kept (as Auth0's `user_name`), never
/// the password.
fn login_failed(
    state: &AppState,
    user: Option<&User>,
    blocked: bool,
    typed: &str,
    pending: &PendingAuthorization,
    client_name: &str,
    origin: &Origin,
) {
    let (why, event) = match (user, blocked) {
        (None, _) => (
            LoginFailure::UnknownUser,
            about(EventType::UnknownUser, None, typed),
        ),
        (Some(_), true) => (
            LoginFailure::Blocked,
            about(EventType::FailedLogin, user, typed).description("Login of a blocked user"),
        ),
        (Some(_), false) => (
            LoginFailure::WrongPassword,
            about(EventType::WrongPassword, user, typed),
        ),
    };
    refuse_login(state, why, event, pending, client_name, origin);
}

/// An event about `user` or, when there is none, about the identifier typed.
fn about(event_type: EventType, user: Option<&User>, typed: &str) -> Event {
    match user {
        Some(user) => Event::new(event_type).user(&user.user_id, &user.email),
        None => Event::new(event_type).user_name(typed.trim()),
    }
}

/// Counts a refused login and records its event, for the client of this authorization.
fn refuse_login(
    state: &AppState,
    why: LoginFailure,
    event: Event,
    pending: &PendingAuthorization,
    client_name: &str,
    origin: &Origin,
) {
    state.metrics.login_failed(why);
    let event = event.client(pending.request.client_id.as_str(), Some(client_name));
    state.record(event, &origin.context);
}

/// `GET /u/login`.
pub async fn login_page(
    state: &AppState,
    id: &str,
    cookies: &BrowserCookies,
) -> Result<Interaction, InternalError> {
    let pending = match load(state, id, cookies).await? {
        Ok(pending) => pending,
        Err(refusal) => return Ok(Interaction::Refused(refusal)),
    };
    let name = client_name(state, &pending.request.client_id).await?;
    // OIDC Core §3.1.2.1: login_hint prefills the identifier.
    let hint = pending.request.login_hint.clone().unwrap_or_default();
    Ok(Interaction::Login(login_view(
        &pending,
        csrf_of(&pending, cookies),
        name,
        hint,
        None,
    )))
}

/// `POST /u/login`: brute-force checks, then the password (argon2id, off the executor), then an
/// SSO session.
pub async fn submit_login(
    state: &AppState,
    form: LoginForm,
    cookies: &BrowserCookies,
    origin: &Origin,
) -> Result<Interaction, InternalError> {
    let mut pending = match load_for_post(state, &form.state, &form.csrf_token, cookies).await? {
        Ok(pending) => pending,
        Err(refusal) => return Ok(Interaction::Refused(refusal)),
    };
    let guard = state.settings.brute_force;
    let ip = origin.ip().key();
    let user = state.store.user_by_login(form.username.trim()).await?;
    let account = account_key(user.as_ref(), &form.username);
    let verdict = guard
        .check(state.store.as_ref(), &account, &ip, state.clock.now())
        .await?;
    let (message, retry_after) = match verdict {
        Verdict::Allowed => ("", 0),
        Verdict::AccountBlocked { retry_after } => (ACCOUNT_BLOCKED, retry_after),
        Verdict::IpThrottled { retry_after } => (IP_THROTTLED, retry_after),
    };
    if verdict != Verdict::Allowed {
        let name = client_name(state, &pending.request.client_id).await?;
        let event = match verdict {
            Verdict::IpThrottled { .. } => Event::new(EventType::BlockedIp),
            _ => about(EventType::BlockedAccount, user.as_ref(), &form.username),
        };
        refuse_login(
            state,
            LoginFailure::Throttled,
            event,
            &pending,
            &name,
            origin,
        );
        let view = login_view(
            &pending,
            csrf_of(&pending, cookies),
            name,
            form.username,
            Some(message.into()),
        );
        return Ok(Interaction::Throttled { view, retry_after });
    }
    let matched = state
        .passwords
        .verify(
            user.as_ref().map(|u| u.password_hash.clone()),
            form.password.clone(),
        )
        .await?;
    if !matched {
        guard
            .failed(state.store.as_ref(), &account, &ip, state.clock.now())
            .await?;
    }
    let user = match user {
        Some(user) if matched && !user.blocked => user,
        found => {
            let blocked = matched && found.as_ref().is_some_and(|u| u.blocked);
            let message = if blocked {
                "This account is blocked. Contact the administrator."
            } else {
                "Wrong username or password."
            };
            let name = client_name(state, &pending.request.client_id).await?;
            login_failed(
                state,
                found.as_ref(),
                blocked,
                &form.username,
                &pending,
                &name,
                origin,
            );
            return Ok(Interaction::LoginFailed(login_view(
                &pending,
                csrf_of(&pending, cookies),
                name,
                form.username,
                Some(message.into()),
            )));
        }
    };
    guard.succeeded(state.store.as_ref(), &account, &ip).await?;
    if is_imported(&user.password_hash) {
        // The hash an import brought served once; from now on the password is argon2id's.
        let rehashed = state.passwords.hash(form.password).await?;
        state
            .store
            .replace_password_hash(&user.user_id, &user.password_hash, &rehashed)
            .await?;
    }
    let now = state.clock.now();
    let session_cookie = new_secret()?;
    let session = Session {
        sid: new_secret()?,
        user_id: user.user_id.clone(),
        auth_time: now,
        expires_at: now.plus(state.settings.session_lifetime),
    };
    state
        .store
        .create_session(&SecretDigest::of(&session_cookie), &session, now)
        .await?;
    let login = Login {
        user_id: user.user_id.clone(),
        auth_time: now,
        sid: session.sid.clone(),
    };
    state.store.record_login(&pending.id, &login).await?;
    let last_ip = origin.context.ip.map(|ip| ip.to_string());
    state
        .store
        .record_user_login(&user.user_id, last_ip.as_deref(), now)
        .await?;
    pending.login = Some(login);
    let name = client_name(state, &pending.request.client_id).await?;
    let event = Event::new(EventType::SuccessLogin)
        .user(&user.user_id, &user.email)
        .client(pending.request.client_id.as_str(), Some(&name));
    state.record(event, &origin.context);
    let authenticated = Authenticated {
        user_id: user.user_id,
        sid: session.sid,
        auth: Authentication {
            auth_time: now,
            during_this_request: true,
        },
    };
    let outcome = proceed(
        state,
        &pending.request,
        Some(authenticated),
        false,
        Stage::Pending(&pending),
        &origin.context,
        now,
    )
    .await?;
    Ok(Interaction::LoggedIn {
        outcome,
        session_cookie,
    })
}
