//! Sign-up to the database connection, shared by the hosted sign-up page and Auth0's
//! `POST /dbconnections/signup`: at most [`SIGNUPS_PER_WINDOW`] attempts per IP in a window,
//! then the admin service decides, and the outcome goes to the audit log (`ss`, `fs`).

use tessera_admin::connections::DatabaseOptions;
use tessera_admin::email::Application;
use tessera_admin::signup::{SignUp, SignUpRefusal};
use tessera_core::audit::{Event, EventType, RequestContext};
use tessera_protocol::password_policy::PasswordRejection;
use tessera_store::User;

use crate::client_ip::ClientIp;
use crate::error::InternalError;
use crate::state::AppState;

/// Auth0's suspicious IP throttling lets an IP make 50 sign-up attempts, a new one every
/// 1.2 s; here, 50 in each minute's window, every attempt counted (each costs a password hash
/// and may write a user).
pub const SIGNUPS_PER_WINDOW: u32 = 50;
const WINDOW_SECONDS: i64 = 60;

/// What a throttled person reads.
pub const SIGNUP_THROTTLED: &str = "Too many sign-up attempts from your network. Try again later.";

/// The counter of an IP's sign-up attempts, apart from its failed logins in the same table.
fn signup_key(ip: ClientIp) -> String {
    format!("signup {}", ip.key())
}

/// A sign-up's outcome, or the throttle that kept it from being tried.
pub enum Attempt {
    Created(Box<User>),
    Refused(SignUpRefusal),
    /// Too many attempts from this IP; try again after this many seconds.
    Throttled {
        retry_after: i64,
    },
}

/// The application a person signs up through.
pub struct Through<'a> {
    pub client_id: &'a str,
    pub client_name: &'a str,
}

pub async fn sign_up(
    state: &AppState,
    options: &DatabaseOptions,
    sign_up: SignUp,
    through: Through<'_>,
    request: &RequestContext,
) -> Result<Attempt, InternalError> {
    let now = state.clock.now();
    let key = signup_key(ClientIp(request.ip));
    let window_start = now.plus(-WINDOW_SECONDS);
    if state.store.ip_failures(&key, window_start).await? >= SIGNUPS_PER_WINDOW {
        return Ok(Attempt::Throttled {
            retry_after: WINDOW_SECONDS,
        });
    }
    state
        .store
        .record_ip_failure(&key, now, window_start)
        .await?;
    let email = sign_up.email.clone();
    let sign_up = SignUp {
        application: Some(Application {
            client_id: through.client_id.to_owned(),
            name: through.client_name.to_owned(),
        }),
        ..sign_up
    };
    let outcome = state.admin.sign_up(options, sign_up).await?;
    let event = match &outcome {
        Ok(user) => Event::new(EventType::SuccessSignup).user(&user.user_id, &user.email),
        Err(refusal) => Event::new(EventType::FailedSignup)
            .user_name(email)
            .description(describe(refusal)),
    };
    state.record(
        event.client(through.client_id, Some(through.client_name)),
        request,
    );
    Ok(match outcome {
        Ok(user) => Attempt::Created(Box::new(user)),
        Err(refusal) => Attempt::Refused(refusal),
    })
}

/// A refused password in the words a person reads: the reason, and the rules it breaks.
pub fn describe_password(rejection: &PasswordRejection) -> String {
    let unmet: Vec<String> = rejection
        .explain()
        .iter()
        .filter(|rule| rule.verified == Some(false))
        .map(|rule| rule.text())
        .collect();
    match unmet.is_empty() {
        true => rejection.to_string(),
        false => format!("{} It must be: {}.", rejection, unmet.join("; ")),
    }
}

/// A refusal in the words a person reads on the sign-up page (and the log's description).
pub fn describe(refusal: &SignUpRefusal) -> String {
    match refusal {
        SignUpRefusal::Disabled => "Sign-up is disabled for this application.".to_owned(),
        SignUpRefusal::InvalidEmail => "Enter a valid email address.".to_owned(),
        SignUpRefusal::UsernameRequired => "Choose a username.".to_owned(),
        SignUpRefusal::InvalidUsername(why) => format!("This username is not allowed: {why}."),
        SignUpRefusal::InvalidMetadata(why) => why.clone(),
        SignUpRefusal::Password(rejection) => describe_password(rejection),
        SignUpRefusal::Taken => {
            "We could not sign you up with these details. If you have an account already, log \
             in instead."
                .to_owned()
        }
    }
}

/// The policy's requirements as the page lists them: each strength rule with its sub-items
/// indented, then the dictionary and personal-data rules when they are on.
pub fn policy_lines(rules: &tessera_protocol::password_policy::PasswordRules) -> Vec<String> {
    let mut lines = Vec::new();
    for rule in rules.explain() {
        lines.push(rule.text());
        lines.extend(rule.items.iter().map(|item| format!("– {}", item.text())));
    }
    if rules.password_dictionary.enable {
        lines.push("Not one of the most common passwords".to_owned());
    }
    if rules.password_no_personal_info.enable {
        lines.push("Not based on your name, username or email".to_owned());
    }
    lines
}
