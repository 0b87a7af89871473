//! The hosted login and consent steps of a pending authorization. Every POST must carry the
//! pending authorization's CSRF token and come from the browser that started it.

use tessera_protocol::authorize::{Authentication, NextStep};
use tessera_protocol::consent::{consentable, grant_after_allow};
use tessera_protocol::error::AuthorizeError;
use tessera_protocol::secret::constant_time_eq;
use tessera_protocol::{AuthorizeErrorCode, ClientId, SecretDigest};
use tessera_store::{Login, PendingAuthorization, Session};

use serde_json::json;
use tessera_store::User;

use crate::client_ip::ClientIp;
use crate::error::InternalError;
use crate::flows::authorize::{
    already_completed, current_session, interaction_location, proceed, request_error,
    Authenticated, BrowserCookies, Outcome, Stage,
};
use crate::metrics::LoginFailure;
use crate::state::AppState;
use tessera_core::audit::{Event, EventType};
use tessera_core::brute_force::{account_key, Verdict, ACCOUNT_BLOCKED, IP_THROTTLED};
use tessera_core::crypto::{bound_csrf_token, new_secret, random_hex};

/// What the login page shows.
#[derive(Debug, Clone)]
pub struct LoginView {
    pub state: String,
    pub csrf_token: String,
    pub client_name: String,
    pub username: String,
    pub error: Option<String>,
}

/// One line of the consent page.
#[derive(Debug, Clone)]
pub struct ScopeLine {
    pub value: String,
    pub description: String,
}

/// What the consent page shows.
#[derive(Debug, Clone)]
pub struct ConsentView {
    pub state: String,
    pub csrf_token: String,
    pub client_name: String,
    pub api_name: Option<String>,
    pub user_name: String,
    pub scopes: Vec<ScopeLine>,
}

/// The result of a step.
#[derive(Debug)]
pub enum Interaction {
    Login(LoginView),
    /// Wrong credentials: the login page again, with an error.
    LoginFailed(LoginView),
    /// Brute-force protection refused the attempt before checking the password: the login
    /// page again, with the reason, and when to retry at the latest.
    Throttled {
        view: LoginView,
        retry_after: i64,
    },
    Consent(ConsentView),
    Navigate(Outcome),
    LoggedIn {
        outcome: Outcome,
        session_cookie: String,
    },
    /// The request cannot go on; shown as an error page.
    Refused(Refusal),
}

/// Why a hosted-page request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown, finished or timed out.
    Gone(AuthorizeError),
    /// The CSRF token or the browser binding did not match.
    Forbidden,
    BadRequest(String),
}

/// The login form's fields.
#[derive(Debug, Clone)]
pub struct LoginForm {
    pub state: String,
    pub csrf_token: String,
    pub username: String,
    pub password: String,
}

/// The consent form's fields.
#[derive(Debug, Clone)]
pub struct ConsentForm {
    pub state: String,
    pub csrf_token: String,
    pub decision: String,
}

/// Loads the pending authorization and checks it belongs to this browser.
async fn load(
    state: &AppState,
    id: &str,
    cookies: &BrowserCookies,
) -> Result<Result<PendingAuthorization, Refusal>, InternalError> {
    let Some(pending) = state.store.pending(id, state.clock.now()).await? else {
        return Ok(Err(Refusal::Gone(already_completed())));
    };
    let same_browser = cookies
        .browser
        .as_deref()
        .is_some_and(|b| pending.browser_digest.verifies(b));
    Ok(if same_browser {
        Ok(pending)
    } else {
        Err(Refusal::Forbidden)
    })
}

/// Loads and checks the CSRF token of a submitted form.
async fn load_for_post(
    state: &AppState,
    id: &str,
    csrf_token: &str,
    cookies: &BrowserCookies,
) -> Result<Result<PendingAuthorization, Refusal>, InternalError> {
    Ok(load(state, id, cookies).await?.and_then(|pending| {
        if constant_time_eq(&csrf_of(&pending, cookies), csrf_token) {
            Ok(pending)
        } else {
            Err(Refusal::Forbidden)
        }
    }))
}

async fn client_name(state: &AppState, client_id: &ClientId) -> Result<String, InternalError> {
    Ok(state
        .catalog
        .client(client_id)
        .await?
        .map(|c| c.name.clone())
        .unwrap_or_else(|| client_id.to_string()))
}

/// The CSRF token of a pending authorization's forms, bound to the browser cookie the
/// authorization is bound to and to its id.
fn csrf_of(pending: &PendingAuthorization, cookies: &BrowserCookies) -> String {
    let browser = cookies.browser.as_deref().unwrap_or_default();
    bound_csrf_token("interaction", &format!("{browser}:{}", pending.id))
}

fn login_view(
    pending: &PendingAuthorization,
    csrf_token: String,
    client_name: String,
    username: String,
    error: Option<String>,
) -> LoginView {
    LoginView {
        state: pending.id.clone(),
        csrf_token,
        client_name,
        username,
        error,
    }
}

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
    refuse_login(state, why, event, pending, client_name);
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
) {
    state.metrics.login_failed(why);
    state.record(event.client(pending.request.client_id.as_str(), Some(client_name)));
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
    ip: &ClientIp,
) -> Result<Interaction, InternalError> {
    let mut pending = match load_for_post(state, &form.state, &form.csrf_token, cookies).await? {
        Ok(pending) => pending,
        Err(refusal) => return Ok(Interaction::Refused(refusal)),
    };
    let guard = state.settings.brute_force;
    let user = state.store.user_by_login(form.username.trim()).await?;
    let account = account_key(user.as_ref(), &form.username);
    let verdict = guard
        .check(state.store.as_ref(), &account, &ip.key(), state.clock.now())
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
        refuse_login(state, LoginFailure::Throttled, event, &pending, &name);
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
            form.password,
        )
        .await?;
    if !matched {
        guard
            .failed(state.store.as_ref(), &account, &ip.key(), state.clock.now())
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
    guard
        .succeeded(state.store.as_ref(), &account, &ip.key())
        .await?;
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
    let name = client_name(state, &pending.request.client_id).await?;
    state.record(
        Event::new(EventType::SuccessLogin)
            .user(&user.user_id, &user.email)
            .client(pending.request.client_id.as_str(), Some(&name)),
    );
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
        now,
    )
    .await?;
    Ok(Interaction::LoggedIn {
        outcome,
        session_cookie,
    })
}

/// Who is authenticated for this pending authorization: whoever logged in during it, or else
/// the SSO session's user.
async fn authentication_of(
    state: &AppState,
    pending: &PendingAuthorization,
    cookies: &BrowserCookies,
) -> Result<Option<Authenticated>, InternalError> {
    if let Some(login) = &pending.login {
        return Ok(Some(Authenticated {
            user_id: login.user_id.clone(),
            sid: login.sid.clone(),
            auth: Authentication {
                auth_time: login.auth_time,
                during_this_request: true,
            },
        }));
    }
    let session = current_session(state, cookies.session.as_deref(), state.clock.now()).await?;
    Ok(session.map(Authenticated::from_session))
}

fn to_login(pending: &PendingAuthorization) -> Interaction {
    Interaction::Navigate(Outcome::Interact {
        location: interaction_location(NextStep::Login, &pending.id),
        browser_cookie: None,
    })
}

/// `GET /u/consent`.
pub async fn consent_page(
    state: &AppState,
    id: &str,
    cookies: &BrowserCookies,
) -> Result<Interaction, InternalError> {
    let pending = match load(state, id, cookies).await? {
        Ok(pending) => pending,
        Err(refusal) => return Ok(Interaction::Refused(refusal)),
    };
    let Some(Authenticated { user_id, .. }) = authentication_of(state, &pending, cookies).await?
    else {
        return Ok(to_login(&pending));
    };
    let request = &pending.request;
    let api = match &request.audience {
        Some(identifier) => state.catalog.api(identifier).await?,
        None => None,
    };
    let user_name = state
        .catalog
        .user(&user_id)
        .await?
        .map(|u| u.name.clone())
        .unwrap_or_default();
    let scopes = consentable(&request.scope)
        .iter()
        .map(|scope| ScopeLine {
            value: scope.to_string(),
            description: api
                .as_ref()
                .and_then(|api| api.description_of(scope))
                .filter(|d| !d.is_empty())
                .map(str::to_owned)
                .unwrap_or_else(|| standard_scope_description(scope.as_str())),
        })
        .collect();
    Ok(Interaction::Consent(ConsentView {
        state: pending.id.clone(),
        csrf_token: csrf_of(&pending, cookies),
        client_name: client_name(state, &request.client_id).await?,
        api_name: api.map(|a| a.name.clone()),
        user_name,
        scopes,
    }))
}

fn standard_scope_description(scope: &str) -> String {
    match scope {
        "profile" => "Your profile: name and nickname".into(),
        "email" => "Your email address".into(),
        "offline_access" => "Keep access while you are away (a refresh token)".into(),
        other => other.into(),
    }
}

/// `POST /u/consent`: Allow stores the widened grant and continues; Deny returns
/// `access_denied` to the client.
pub async fn submit_consent(
    state: &AppState,
    form: ConsentForm,
    cookies: &BrowserCookies,
) -> Result<Interaction, InternalError> {
    let pending = match load_for_post(state, &form.state, &form.csrf_token, cookies).await? {
        Ok(pending) => pending,
        Err(refusal) => return Ok(Interaction::Refused(refusal)),
    };
    let Some(user) = authentication_of(state, &pending, cookies).await? else {
        return Ok(to_login(&pending));
    };
    let request = &pending.request;
    let now = state.clock.now();
    match form.decision.as_str() {
        "allow" => {
            let audience = request.audience.as_deref();
            let granted = state
                .store
                .consent(&user.user_id, &request.client_id, audience)
                .await?;
            let scope = grant_after_allow(granted.as_ref(), &request.scope);
            state
                .store
                .save_consent(
                    &user.user_id,
                    &request.client_id,
                    audience,
                    &scope,
                    &random_hex(12)?,
                    now,
                )
                .await?;
            let details = json!({ "audience": audience, "scope": scope.to_string() });
            let mut event = Event::new(EventType::ConsentGranted)
                .client(request.client_id.as_str(), None)
                .details(details);
            event.user_id = Some(user.user_id.clone());
            state.record(event);
            let outcome = proceed(
                state,
                request,
                Some(user),
                true,
                Stage::Pending(&pending),
                now,
            )
            .await?;
            Ok(Interaction::Navigate(outcome))
        }
        "deny" => {
            if !state.store.finish_pending(&pending.id).await? {
                return Ok(Interaction::Refused(Refusal::Gone(already_completed())));
            }
            let error = AuthorizeError::new(
                AuthorizeErrorCode::AccessDenied,
                "the user did not allow access",
            );
            Ok(Interaction::Navigate(Outcome::ToClient(request_error(
                state, request, &error,
            ))))
        }
        _ => Ok(Interaction::Refused(Refusal::BadRequest(
            "decision must be allow or deny".into(),
        ))),
    }
}
