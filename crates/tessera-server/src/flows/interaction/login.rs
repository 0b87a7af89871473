//! The hosted login: brute-force checks, then the password (argon2id, off the executor), then an
//! SSO session, and on to the next step of the authorization.

use tessera_core::audit::{Event, EventType};
use tessera_core::brute_force::{Verdict, ACCOUNT_BLOCKED, IP_THROTTLED};
use tessera_core::crypto::new_secret;
use tessera_protocol::authorize::Authentication;
use tessera_protocol::SecretDigest;
use tessera_store::{Login, PendingAuthorization, Session, User};

use super::{app_identity, csrf_of, load, load_for_post, login_view, Interaction, LoginForm};
use crate::client_ip::Origin;
use crate::error::InternalError;
use crate::flows::authorize::{proceed, Stage};
use crate::flows::browser::{Authenticated, BrowserCookies};
use crate::flows::credentials::{self, Checked, ForClient};
use crate::i18n::text;
use crate::state::AppState;

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
    let app = app_identity(state, &pending.request.client_id).await?;
    // OIDC Core §3.1.2.1: login_hint prefills the identifier.
    let hint = pending.request.login_hint.clone().unwrap_or_default();
    Ok(Interaction::Login(
        login_view(state, &pending, csrf_of(&pending, cookies), app, hint, None).await?,
    ))
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
    let app = app_identity(state, &pending.request.client_id).await?;
    let client = ForClient {
        client_id: &pending.request.client_id,
        name: &app.name,
    };
    let checked = credentials::check(state, &form.username, form.password, client, origin).await?;
    let user = match checked {
        Checked::Valid(user) => user,
        Checked::Throttled(verdict) => {
            let (message, retry_after) = match verdict {
                Verdict::IpThrottled { retry_after } => (IP_THROTTLED, retry_after),
                Verdict::AccountBlocked { retry_after } => (ACCOUNT_BLOCKED, retry_after),
                Verdict::Allowed => (ACCOUNT_BLOCKED, 0),
            };
            let view = login_view(
                state,
                &pending,
                csrf_of(&pending, cookies),
                app,
                form.username,
                Some(message.into()),
            )
            .await?;
            return Ok(Interaction::Throttled { view, retry_after });
        }
        refused @ (Checked::Wrong | Checked::Blocked) => {
            let message = if matches!(refused, Checked::Blocked) {
                text("This account is blocked. Contact the administrator.")
            } else {
                text("Wrong username or password.")
            };
            return Ok(Interaction::LoginFailed(
                login_view(
                    state,
                    &pending,
                    csrf_of(&pending, cookies),
                    app,
                    form.username,
                    Some(message.into()),
                )
                .await?,
            ));
        }
    };
    log_in(state, &mut pending, &user, &app.name, origin).await
}

/// Starts an SSO session for `user`, who just proved who they are during `pending` (a login or
/// a sign-up), and goes on with the authorization.
pub(super) async fn log_in(
    state: &AppState,
    pending: &mut PendingAuthorization,
    user: &User,
    client_name: &str,
    origin: &Origin,
) -> Result<Interaction, InternalError> {
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
    pending.login = Some(login);
    let event = Event::new(EventType::SuccessLogin)
        .user(&user.user_id, &user.email)
        .client(pending.request.client_id.as_str(), Some(client_name));
    state.record(event, &origin.context);
    let authenticated = Authenticated {
        user_id: user.user_id.clone(),
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
        Stage::Pending(pending),
        &origin.context,
        now,
    )
    .await?;
    Ok(Interaction::LoggedIn {
        outcome,
        session_cookie,
    })
}
