//! Sign-up to the database connection, shared by the hosted sign-up page and Auth0's
//! `POST /dbconnections/signup`: the admin service decides, this records the outcome in the
//! audit log (`ss`, `fs`).

use tessera_admin::signup::{SignUp, SignUpRefusal};
use tessera_core::audit::{Event, EventType, RequestContext};
use tessera_store::User;

use crate::error::InternalError;
use crate::state::AppState;

/// The application a person signs up through.
pub struct Through<'a> {
    pub client_id: &'a str,
    pub client_name: &'a str,
}

pub async fn sign_up(
    state: &AppState,
    sign_up: SignUp,
    through: Through<'_>,
    request: &RequestContext,
) -> Result<Result<User, SignUpRefusal>, InternalError> {
    let email = sign_up.email.clone();
    let outcome = state.admin.sign_up(sign_up).await?;
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
    Ok(outcome)
}

/// A refusal in the words a person reads on the sign-up page (and the log's description).
pub fn describe(refusal: &SignUpRefusal) -> String {
    match refusal {
        SignUpRefusal::Disabled => "Sign-up is disabled for this application.".to_owned(),
        SignUpRefusal::InvalidEmail => "Enter a valid email address.".to_owned(),
        SignUpRefusal::UsernameRequired => "Choose a username.".to_owned(),
        SignUpRefusal::InvalidUsername(why) => format!("This username is not allowed: {why}."),
        SignUpRefusal::InvalidMetadata(why) => why.clone(),
        SignUpRefusal::Password(rejection) => {
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
        SignUpRefusal::Taken => {
            "We could not sign you up with these details. If you have an account already, log \
             in instead."
                .to_owned()
        }
    }
}
