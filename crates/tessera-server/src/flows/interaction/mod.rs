//! The hosted steps of a pending authorization (login, second factor, sign-up, "Forgot
//! password?", consent), and what they share: loading the pending authorization, which must
//! belong to this browser, every POST's CSRF token, bound to it, and the SSO session that a
//! login, a sign-up or a second factor ends with.

mod consent;
mod federated;
mod forgot_password;
mod login;
mod mfa;
mod remembered;
mod signup;

use tessera_admin::connections::LoginButton;
use tessera_admin::mfa::Ceremony;
use tessera_core::audit::{Event, EventType};
use tessera_core::crypto::{bound_csrf_token, new_secret};
use tessera_protocol::authorize::{Authentication, NextStep};
use tessera_protocol::error::AuthorizeError;
use tessera_protocol::mfa::Amr;
use tessera_protocol::secret::constant_time_eq;
use tessera_protocol::{ClientId, SecretDigest};
use tessera_store::{Login, PendingAuthorization, Session, User};

use crate::client_ip::Origin;
use crate::error::InternalError;
use crate::flows::authorize::{already_completed, interaction_location, proceed, Outcome, Stage};
use crate::flows::browser::{current_session, Authenticated, BrowserCookies};
use crate::state::AppState;

pub use consent::{consent_page, submit_consent};
pub use federated::{callback, submit_connection_login, Callback};
pub use forgot_password::{forgot_password_page, submit_forgot_password, ForgotPasswordView};
pub use login::{login_page, submit_login, submit_passkey_login};
pub use mfa::{
    otp_challenge_page, otp_enrollment_page, passkey_page, recovery_challenge_page, submit_code,
    submit_passkey, submit_recovery_code_saved, CodeForm, MfaScreen, MfaView, PasskeyStep,
};
pub use remembered::IDLE_SECONDS as REMEMBERED_IDLE_SECONDS;
pub use signup::{signup_page, submit_signup, SignUpView};

/// What the login page shows.
#[derive(Debug, Clone)]
pub struct LoginView {
    pub state: String,
    pub csrf_token: String,
    pub client_name: String,
    /// The application's `logo_uri`, shown above the heading.
    pub logo: Option<String>,
    pub username: String,
    pub error: Option<String>,
    /// The database connection takes sign-ups: the page links to the sign-up page.
    pub can_sign_up: bool,
    /// The connection offers passkeys: a login by passkey, begun (autofill and a button).
    pub passkey: Option<Ceremony>,
    /// The authorization's `ui_locales`: the page's language, before `Accept-Language`.
    pub ui_locales: Option<String>,
    /// A button for each other identity provider the application may log users in with.
    pub connections: Vec<LoginButton>,
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
    /// The application's `logo_uri`, shown above the heading.
    pub logo: Option<String>,
    pub api_name: Option<String>,
    pub user_name: String,
    pub scopes: Vec<ScopeLine>,
    pub ui_locales: Option<String>,
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
    SignUp(SignUpView),
    /// A refused sign-up: the form again, with what to fix.
    SignUpRefused(SignUpView),
    /// Too many sign-up attempts from this IP: the form again, and when to retry.
    SignUpThrottled {
        view: SignUpView,
        retry_after: i64,
    },
    /// "Forgot password?": the form, or (`sent`) the answer that a mail is on its way.
    ForgotPassword(ForgotPasswordView),
    /// The form again, with what to fix.
    ResetRefused(ForgotPasswordView),
    /// Too many reset requests from this IP.
    ResetThrottled {
        view: ForgotPasswordView,
        retry_after: i64,
    },
    /// A page of the second factor.
    Mfa(MfaView),
    /// A wrong code: the page again, with the reason.
    MfaRefused(MfaView),
    /// Too many wrong codes for this user or from this IP.
    MfaThrottled {
        view: MfaView,
        retry_after: i64,
    },
    Navigate(Outcome),
    LoggedIn {
        outcome: Outcome,
        session_cookie: String,
        /// A new value of the remembered-browser cookie, when this login set or renewed it.
        remembered: Option<String>,
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

/// The form of a login page's button for another identity provider.
#[derive(Debug, Clone)]
pub struct ConnectionForm {
    pub state: String,
    pub csrf_token: String,
    pub connection: String,
}

/// The sign-up form's fields.
#[derive(Debug, Clone)]
pub struct SignUpForm {
    pub state: String,
    pub csrf_token: String,
    pub email: String,
    pub username: Option<String>,
    pub password: String,
}

/// The "Forgot password?" form's fields.
#[derive(Debug, Clone)]
pub struct ResetRequestForm {
    pub state: String,
    pub csrf_token: String,
    pub email: String,
}

/// A second-factor form's fields (`code` is empty on the form that only goes on).
#[derive(Debug, Clone)]
pub struct MfaForm {
    pub state: String,
    pub csrf_token: String,
    pub code: String,
    /// Auth0's `rememberBrowser`: remember this browser after the second factor.
    pub remember: bool,
}

/// A passkey form's fields: the sealed ceremony and the browser's answer, or (`skip`) "Not
/// now" where a passkey is only offered.
#[derive(Debug, Clone)]
pub struct PasskeyForm {
    pub state: String,
    pub csrf_token: String,
    pub ceremony: String,
    pub credential: String,
    pub skip: bool,
    /// Auth0's `rememberBrowser`, at the second factor.
    pub remember: bool,
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

/// How the hosted pages show the application of an authorization.
#[derive(Debug, Clone)]
struct AppIdentity {
    /// Its name, or its id when it no longer exists.
    name: String,
    /// Its `logo_uri` (validated when registered), if it has one.
    logo: Option<String>,
}

/// The name and logo of `client_id`, in one catalog lookup.
async fn app_identity(
    state: &AppState,
    client_id: &ClientId,
) -> Result<AppIdentity, InternalError> {
    Ok(match state.catalog.client(client_id).await? {
        Some(client) => AppIdentity {
            name: client.name.clone(),
            logo: client.logo_uri.clone(),
        },
        None => AppIdentity {
            name: client_id.to_string(),
            logo: None,
        },
    })
}

/// The CSRF token of a pending authorization's forms, bound to the browser cookie the
/// authorization is bound to and to its id.
fn csrf_of(pending: &PendingAuthorization, cookies: &BrowserCookies) -> String {
    let browser = cookies.browser.as_deref().unwrap_or_default();
    bound_csrf_token("interaction", &format!("{browser}:{}", pending.id))
}

async fn login_view(
    state: &AppState,
    pending: &PendingAuthorization,
    csrf_token: String,
    app: AppIdentity,
    username: String,
    error: Option<String>,
) -> Result<LoginView, InternalError> {
    let options = state.admin.database_options().await?;
    let passkey = if options.passkeys() {
        state.admin.begin_passkey_login(&pending.id)?
    } else {
        None
    };
    Ok(LoginView {
        state: pending.id.clone(),
        csrf_token,
        client_name: app.name,
        logo: app.logo,
        username,
        error,
        can_sign_up: !options.disable_signup,
        passkey,
        ui_locales: pending.request.ui_locales.clone(),
        connections: state
            .admin
            .login_buttons(&pending.request.client_id)
            .await?,
    })
}

/// The login page again, with `message`, for a way in that was refused before any name was
/// typed (a passkey, a connection's button).
async fn login_refused(
    state: &AppState,
    pending: &PendingAuthorization,
    cookies: &BrowserCookies,
    app: AppIdentity,
    message: &str,
) -> Result<Interaction, InternalError> {
    let csrf_token = csrf_of(pending, cookies);
    let error = Some(message.to_owned());
    let view = login_view(state, pending, csrf_token, app, String::new(), error).await?;
    Ok(Interaction::LoginFailed(view))
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
                multi_factor: login.amr.is_multi_factor(),
            },
            amr: login.amr.clone(),
        }));
    }
    let session = current_session(state, cookies.session.as_deref(), state.clock.now()).await?;
    Ok(session.map(Authenticated::from_session))
}

/// The login page, or the sign-up page when the request asked for it (`screen_hint=signup`).
fn to_login(pending: &PendingAuthorization) -> Interaction {
    Interaction::Navigate(Outcome::Interact {
        location: interaction_location(NextStep::Login, &pending.id),
        browser_cookie: None,
    })
}

/// Starts an SSO session for `user`, who just proved who they are during `pending` (a login or
/// a sign-up, and a second factor when one was due) by `amr`, and goes on with the
/// authorization.
async fn log_in(
    state: &AppState,
    pending: &mut PendingAuthorization,
    user: &User,
    amr: Amr,
    client_name: &str,
    origin: &Origin,
) -> Result<Interaction, InternalError> {
    let now = state.clock.now();
    let session_cookie = new_secret()?;
    let session = Session {
        sid: new_secret()?,
        user_id: user.user_id.clone(),
        auth_time: now,
        amr: amr.clone(),
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
        amr: amr.clone(),
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
            multi_factor: amr.is_multi_factor(),
        },
        amr,
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
        remembered: None,
    })
}

impl Interaction {
    /// This login, remembering the browser with the cookie value `remembered`.
    fn remembering(self, remembered: String) -> Interaction {
        match self {
            Interaction::LoggedIn {
                outcome,
                session_cookie,
                ..
            } => Interaction::LoggedIn {
                outcome,
                session_cookie,
                remembered: Some(remembered),
            },
            other => other,
        }
    }
}
