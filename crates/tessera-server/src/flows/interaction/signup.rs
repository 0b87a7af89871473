//! The hosted sign-up page (`/u/signup`): reached from the login page's link or by Auth0's
//! `screen_hint=signup`; a new user is created by the admin service under the connection's
//! policy, logged in, and the authorization goes on to consent and back to the application.

use tessera_admin::connections::DatabaseOptions;
use tessera_admin::signup::SignUp;
use tessera_protocol::mfa::Amr;
use tessera_store::PendingAuthorization;

use super::mfa::after_first_factor;
use super::{
    app_identity, csrf_of, load, load_for_post, to_login, AppIdentity, Interaction, SignUpForm,
};
use crate::client_ip::Origin;
use crate::error::InternalError;
use crate::flows::browser::BrowserCookies;
use crate::flows::signup::{describe, policy_lines, sign_up, Attempt, Through, SIGNUP_THROTTLED};
use crate::i18n;
use crate::state::AppState;

/// What the sign-up page shows.
#[derive(Debug, Clone)]
pub struct SignUpView {
    pub state: String,
    pub csrf_token: String,
    pub client_name: String,
    /// The application's `logo_uri`, shown above the heading.
    pub logo: Option<String>,
    pub email: String,
    /// The username field, when the connection requires one, and what was typed in it.
    pub username: Option<String>,
    /// The password policy, one requirement a line.
    pub policy: Vec<String>,
    pub error: Option<String>,
    pub ui_locales: Option<String>,
}

/// `GET /u/signup`: the form, or the login page when sign-up is disabled.
pub async fn signup_page(
    state: &AppState,
    id: &str,
    cookies: &BrowserCookies,
) -> Result<Interaction, InternalError> {
    let pending = match load(state, id, cookies).await? {
        Ok(pending) => pending,
        Err(refusal) => return Ok(Interaction::Refused(refusal)),
    };
    let options = state.admin.database_options().await?;
    if options.disable_signup {
        return Ok(to_login(&pending));
    }
    let typed = Typed {
        email: pending.request.login_hint.clone().unwrap_or_default(),
        username: None,
    };
    let app = app_identity(state, &pending.request.client_id).await?;
    let view = sign_up_view(&pending, cookies, app, &options, typed, None);
    Ok(Interaction::SignUp(view))
}

/// What the person typed, shown again.
struct Typed {
    email: String,
    username: Option<String>,
}

fn sign_up_view(
    pending: &PendingAuthorization,
    cookies: &BrowserCookies,
    app: AppIdentity,
    options: &DatabaseOptions,
    typed: Typed,
    error: Option<String>,
) -> SignUpView {
    SignUpView {
        state: pending.id.clone(),
        csrf_token: csrf_of(pending, cookies),
        client_name: app.name,
        logo: app.logo,
        email: typed.email,
        username: options
            .requires_username
            .then(|| typed.username.unwrap_or_default()),
        policy: policy_lines(
            &options.passwords,
            i18n::messages(pending.request.ui_locales.as_deref()),
        ),
        error,
        ui_locales: pending.request.ui_locales.clone(),
    }
}

/// `POST /u/signup`: the user created and logged in, or the form again with what to fix.
pub async fn submit_signup(
    state: &AppState,
    form: SignUpForm,
    cookies: &BrowserCookies,
    origin: &Origin,
) -> Result<Interaction, InternalError> {
    let mut pending = match load_for_post(state, &form.state, &form.csrf_token, cookies).await? {
        Ok(pending) => pending,
        Err(refusal) => return Ok(Interaction::Refused(refusal)),
    };
    let app = app_identity(state, &pending.request.client_id).await?;
    let through = Through {
        client_id: pending.request.client_id.as_str(),
        client_name: &app.name,
    };
    let request = SignUp {
        email: form.email.clone(),
        password: form.password,
        username: form.username.clone(),
        ..SignUp::default()
    };
    let options = state.admin.database_options().await?;
    let attempt = sign_up(state, &options, request, through, &origin.context).await?;
    let t = i18n::messages(pending.request.ui_locales.as_deref());
    let (error, retry_after) = match attempt {
        Attempt::Created(user) => {
            return after_first_factor(
                state,
                &mut pending,
                &user,
                Amr::password(),
                &app.name,
                cookies,
                origin,
            )
            .await
        }
        Attempt::Refused(refusal) => (describe(&refusal, t), None),
        Attempt::Throttled { retry_after } => {
            (t.t(SIGNUP_THROTTLED).into_owned(), Some(retry_after))
        }
    };
    let typed = Typed {
        email: form.email,
        username: form.username,
    };
    let view = sign_up_view(&pending, cookies, app, &options, typed, Some(error));
    Ok(match retry_after {
        Some(retry_after) => Interaction::SignUpThrottled { view, retry_after },
        None => Interaction::SignUpRefused(view),
    })
}
