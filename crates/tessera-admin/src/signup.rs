//! Public sign-up to the database connection, for the hosted sign-up page and Auth0's
//! `POST /dbconnections/signup`: the connection's settings, then the password policy, then the
//! user, created unverified.

use tessera_protocol::password_policy::PasswordRejection;
use tessera_store::{JsonObject, NewUser, StoreError, User as StoredUser, UserProfile};

use crate::connections::DatabaseOptions;
use crate::error::AdminResult;
use crate::passwords::Owner;
use crate::service::Admin;
use crate::users::{check_metadata_keys, is_email, user_id_of};

/// What a person signing up gives.
#[derive(Debug, Clone, Default)]
pub struct SignUp {
    pub email: String,
    pub password: String,
    pub username: Option<String>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub nickname: Option<String>,
    pub picture: Option<String>,
    pub user_metadata: JsonObject,
    /// The application signed up to (named in the verification mail).
    pub application: Option<crate::email::Application>,
}

/// Why a sign-up was refused; nothing was written.
#[derive(Debug, Clone, PartialEq)]
pub enum SignUpRefusal {
    /// The connection's `disable_signup`.
    Disabled,
    InvalidEmail,
    /// `requires_username` and none was given.
    UsernameRequired,
    /// A username outside Auth0's rule; the reason.
    InvalidUsername(String),
    InvalidMetadata(String),
    Password(PasswordRejection),
    /// The email or username belongs to a user already. Said no more precisely than Auth0
    /// says it (`invalid_signup`).
    Taken,
}

/// Auth0's default username rule: 1 to 15 characters, letters, digits and `_+-.!#$'^`~@`.
const USERNAME_MAX: usize = 15;
const USERNAME_SYMBOLS: &str = "_+-.!#$'^`~@";

fn check_username(username: &str) -> Result<(), String> {
    let length = username.chars().count();
    if length == 0 || length > USERNAME_MAX {
        return Err(format!("a username has 1 to {USERNAME_MAX} characters"));
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || USERNAME_SYMBOLS.contains(c))
    {
        return Err(format!(
            "a username has only letters, digits and the characters {USERNAME_SYMBOLS}"
        ));
    }
    Ok(())
}

impl Admin {
    /// Creates the user `sign_up` describes under the connection's `options` (read once by
    /// the caller, who may show them again), or says why not.
    pub async fn sign_up(
        &self,
        options: &DatabaseOptions,
        sign_up: SignUp,
    ) -> AdminResult<Result<StoredUser, SignUpRefusal>> {
        if options.disable_signup {
            return Ok(Err(SignUpRefusal::Disabled));
        }
        let application = sign_up.application;
        let email = sign_up.email.trim().to_lowercase();
        if !is_email(&email) {
            return Ok(Err(SignUpRefusal::InvalidEmail));
        }
        let username = match (sign_up.username, options.requires_username) {
            (Some(username), _) if !username.is_empty() => {
                if let Err(why) = check_username(&username) {
                    return Ok(Err(SignUpRefusal::InvalidUsername(why)));
                }
                username
            }
            (_, true) => return Ok(Err(SignUpRefusal::UsernameRequired)),
            (_, false) => email.clone(),
        };
        if let Err(why) = check_metadata_keys("user_metadata", &sign_up.user_metadata) {
            return Ok(Err(SignUpRefusal::InvalidMetadata(why.to_string())));
        }
        let name = sign_up.name.unwrap_or_else(|| email.clone());
        let owner = Owner {
            email: &email,
            username: Some(&username),
            name: Some(&name),
            nickname: sign_up.nickname.as_deref(),
            user_metadata: Some(&sign_up.user_metadata),
            ..Owner::default()
        };
        let rules = &options.passwords;
        let password_hash = match self
            .new_password_hash(rules, owner, sign_up.password)
            .await?
        {
            Ok(hash) => hash,
            Err(rejection) => return Ok(Err(SignUpRefusal::Password(rejection))),
        };
        let new = NewUser {
            user_id: user_id_of(None)?,
            username,
            email,
            name,
            password_hash,
            email_verified: false,
            profile: UserProfile {
                given_name: sign_up.given_name,
                family_name: sign_up.family_name,
                nickname: sign_up.nickname,
                picture: sign_up.picture,
                user_metadata: sign_up.user_metadata,
                app_metadata: JsonObject::new(),
            },
        };
        let user = match self.store().create_user(&new, self.now()).await {
            Ok(user) => user,
            Err(StoreError::Conflict(_)) => return Ok(Err(SignUpRefusal::Taken)),
            Err(error) => return Err(error.into()),
        };
        self.remember_password(&user).await?;
        self.changed();
        // The account exists whatever happens to its mail; an administrator can send another.
        if let Err(error) = self.mail_new_user(&user, application.as_ref()).await {
            tracing::warn!(%error, user = %user.user_id, "the verification mail of a sign-up could not be queued");
        }
        Ok(Ok(user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_auth0s_default_rule() {
        for good in ["jane", "j.doe-42", "a", "fifteen_chars_x", "ada+lovelace@x"] {
            assert_eq!(check_username(good), Ok(()), "{good}");
        }
        for bad in ["", "sixteen_chars_xx", "jane doe", "jané", "a/b"] {
            assert!(check_username(bad).is_err(), "{bad}");
        }
    }
}
