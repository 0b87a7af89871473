//! Sign-up to the database connection, shared by the hosted sign-up page and Auth0's
//! `POST /dbconnections/signup`: at most [`SIGNUPS_PER_WINDOW`] attempts per IP in a window,
//! then the admin service decides, and the outcome goes to the audit log (`ss`, `fs`).

use tessera_admin::connections::DatabaseOptions;
use tessera_admin::email::Application;
use tessera_admin::signup::{SignUp, SignUpRefusal};
use tessera_core::audit::{Event, EventType, RequestContext};
use tessera_protocol::password_policy::{PasswordRejection, RuleOutcome};
use tessera_store::User;

use crate::client_ip::ClientIp;
use crate::error::InternalError;
use crate::i18n::{text, Messages};
use crate::state::AppState;

/// Auth0's suspicious IP throttling lets an IP make 50 sign-up attempts, a new one every
/// 1.2 s; here, 50 in each minute's window, every attempt counted (each costs a password hash
/// and may write a user).
pub const SIGNUPS_PER_WINDOW: u32 = 50;
const WINDOW_SECONDS: i64 = 60;

/// What a throttled person reads.
pub const SIGNUP_THROTTLED: &str =
    text("Too many sign-up attempts from your network. Try again later.");

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
            .description(describe(refusal, Messages::english())),
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

/// A rule of the password policy in `t`'s language: password-sheriff's message, translated,
/// then its `%d`/`%s` filled in.
fn rule_text(rule: &RuleOutcome, t: Messages) -> String {
    let message = match rule.code {
        "nonEmpty" => text("Non-empty password required"),
        "lengthAtLeast" => text("At least %d characters in length"),
        "shouldContain" => text("Should contain:"),
        "containsAtLeast" => text("Contain at least %d of the following %d types of characters:"),
        "identicalChars" => {
            text("No more than %d identical characters in a row (e.g., “%s” not allowed)")
        }
        "lowerCase" => text("lower case letters (a-z)"),
        "upperCase" => text("upper case letters (A-Z)"),
        "numbers" => text("numbers (i.e. 0-9)"),
        "specialCharacters" => text("special characters (e.g. !@#$%^&*)"),
        _ => return rule.text(),
    };
    rule.text_of(&t.t(message))
}

/// A refused password in the words a person reads: the reason, and the rules it breaks.
pub fn describe_password(rejection: &PasswordRejection, t: Messages) -> String {
    let reason = t.t(match rejection {
        PasswordRejection::TooWeak { .. } => text("Password is too weak."),
        PasswordRejection::TooCommon => text("Password is too common."),
        PasswordRejection::ContainsUserInfo => text("Password is based on user information."),
        PasswordRejection::ReusedPassword { .. } => text("Password has previously been used."),
    });
    let unmet: Vec<String> = rejection
        .explain()
        .iter()
        .filter(|rule| rule.verified == Some(false))
        .map(|rule| rule_text(rule, t))
        .collect();
    match unmet.is_empty() {
        true => reason.into_owned(),
        false => t.t2(
            "{reason} It must be: {rules}.",
            &("reason", &reason),
            &("rules", unmet.join("; ")),
        ),
    }
}

/// A refusal in the words a person reads on the sign-up page, in `t`'s language (English for
/// the log's description and the API).
pub fn describe(refusal: &SignUpRefusal, t: Messages) -> String {
    match refusal {
        SignUpRefusal::Disabled => t.t("Sign-up is disabled for this application.").into_owned(),
        SignUpRefusal::InvalidEmail => t.t("Enter a valid email address.").into_owned(),
        SignUpRefusal::UsernameRequired => t.t("Choose a username.").into_owned(),
        SignUpRefusal::InvalidUsername(why) => {
            t.t1("This username is not allowed: {reason}.", "reason", why)
        }
        SignUpRefusal::InvalidMetadata(why) => why.clone(),
        SignUpRefusal::Password(rejection) => describe_password(rejection, t),
        SignUpRefusal::Taken => t
            .t("We could not sign you up with these details. If you have an account already, log in instead.")
            .into_owned(),
    }
}

/// The policy's requirements as the page lists them, in `t`'s language: each strength rule
/// with its sub-items indented, then the dictionary and personal-data rules when they are on.
pub fn policy_lines(
    rules: &tessera_protocol::password_policy::PasswordRules,
    t: Messages,
) -> Vec<String> {
    let mut lines = Vec::new();
    for rule in rules.explain() {
        lines.push(rule_text(&rule, t));
        lines.extend(
            rule.items
                .iter()
                .map(|item| format!("– {}", rule_text(item, t))),
        );
    }
    if rules.password_dictionary.enable {
        lines.push(t.t("Not one of the most common passwords").into_owned());
    }
    if rules.password_no_personal_info.enable {
        lines.push(
            t.t("Not based on your name, username or email")
                .into_owned(),
        );
    }
    lines
}
