//! End users of the database connection (Auth0's `Username-Password-Authentication`).
//! Passwords are hashed with argon2id and never shown.

use serde::{Deserialize, Serialize};
use tessera_core::crypto::random_hex;
use tessera_store::{NewUser, User as StoredUser};

use crate::error::{AdminError, AdminResult, Missing};
use crate::paging::{list_shapes, Listed, Paging};
use crate::service::{Admin, Caller};

/// Auth0's name for the username/password store, the only connection Tessera has.
pub const CONNECTION: &str = "Username-Password-Authentication";
/// Auth0's "Fair" password policy: at least 8 characters.
const MIN_PASSWORD_LENGTH: usize = 8;

/// The writable fields of a user; absent fields keep their value.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// At least 8 characters; stored only as an argon2id hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// A blocked user cannot log in, and their refresh tokens stop working.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked: Option<bool>,
    /// Accepted for compatibility; must be the database connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
}

/// The search of a user list.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Finds users whose username, email or name contains it.
    pub q: Option<String>,
}

/// A user's identity at the database connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Identity {
    /// Always `Username-Password-Authentication`.
    pub connection: String,
    /// Always `auth0`.
    pub provider: String,
    /// The user id without its `auth0|` prefix.
    pub user_id: String,
    #[serde(rename = "isSocial")]
    pub is_social: bool,
}

/// A user (never with a password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    /// `auth0|` and 24 hex digits.
    pub user_id: String,
    pub email: String,
    pub email_verified: bool,
    pub username: String,
    pub name: String,
    pub nickname: String,
    pub blocked: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    pub identities: Vec<Identity>,
}

impl User {
    pub fn of(user: &StoredUser) -> User {
        let local_id = user
            .user_id
            .split_once('|')
            .map_or(user.user_id.as_str(), |(_, id)| id);
        User {
            user_id: user.user_id.clone(),
            email: user.email.clone(),
            email_verified: user.email_verified,
            username: user.username.clone(),
            name: user.name.clone(),
            nickname: user.username.clone(),
            blocked: user.blocked,
            created_at: user.created_at.rfc3339(),
            updated_at: user.updated_at.rfc3339(),
            identities: vec![Identity {
                connection: CONNECTION.to_owned(),
                provider: "auth0".to_owned(),
                user_id: local_id.to_owned(),
                is_social: false,
            }],
        }
    }
}

list_shapes! {
    UserList, UserPage, User, users, "users";
}

fn check_connection(connection: Option<&str>) -> AdminResult<()> {
    match connection {
        Some(name) if name != CONNECTION => Err(AdminError::InvalidBody(format!(
            "Payload validation error: connection `{name}` does not exist; use `{CONNECTION}`"
        ))),
        _ => Ok(()),
    }
}

fn check_email(email: &str) -> AdminResult<()> {
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && domain.contains('.')
                && !email.contains(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err(AdminError::InvalidBody(format!(
            "Payload validation error: email `{email}` is not an email address"
        ))),
    }
}

pub(crate) fn not_found(id: &str) -> AdminError {
    AdminError::NotFound(Missing::User, format!("The user `{id}`"))
}

impl Admin {
    /// Users whose username, email or name contains `search` (all when `None`), by username.
    pub async fn list_users(
        &self,
        caller: &Caller,
        paging: &Paging,
        search: Option<&str>,
    ) -> AdminResult<Listed<User>> {
        caller.require("read:users")?;
        let page = paging.page()?;
        let search = search.map(str::trim).filter(|q| !q.is_empty());
        let listing = self.store().list_users(page, search).await?;
        Ok(Listed::of(page, listing, User::of))
    }

    pub async fn user(&self, caller: &Caller, id: &str) -> AdminResult<User> {
        caller.require("read:users")?;
        Ok(User::of(&self.stored_user(id).await?))
    }

    pub(crate) async fn stored_user(&self, id: &str) -> AdminResult<StoredUser> {
        self.store().user(id).await?.ok_or_else(|| not_found(id))
    }

    async fn hash(&self, password: String) -> AdminResult<String> {
        if password.chars().count() < MIN_PASSWORD_LENGTH {
            return Err(AdminError::InvalidBody(format!(
                "PasswordStrengthError: password must have at least {MIN_PASSWORD_LENGTH} characters"
            )));
        }
        Ok(self.parts().passwords.hash(password).await?)
    }

    pub async fn create_user(&self, caller: &Caller, body: UserBody) -> AdminResult<User> {
        caller.require("create:users")?;
        check_connection(body.connection.as_deref())?;
        let email = body.email.ok_or_else(|| AdminError::missing("email"))?;
        check_email(&email)?;
        let password = body
            .password
            .ok_or_else(|| AdminError::missing("password"))?;
        let username = body.username.unwrap_or_else(|| email.clone());
        let new = NewUser {
            user_id: format!("auth0|{}", random_hex(12)?),
            name: body.name.unwrap_or_else(|| username.clone()),
            username,
            email,
            password_hash: self.hash(password).await?,
            email_verified: body.email_verified.unwrap_or(false),
        };
        let now = self.now();
        let mut user = self.store().create_user(&new, now).await?;
        if body.blocked == Some(true) {
            user.blocked = true;
            self.store().update_user(&user, now).await?;
        }
        self.changed();
        Ok(User::of(&user))
    }

    /// Changes what `body` gives; blocking revokes the user's refresh tokens.
    pub async fn update_user(
        &self,
        caller: &Caller,
        id: &str,
        body: UserBody,
    ) -> AdminResult<User> {
        caller.require("update:users")?;
        check_connection(body.connection.as_deref())?;
        let mut user = self.stored_user(id).await?;
        if let Some(email) = body.email {
            check_email(&email)?;
            user.email = email;
        }
        if let Some(username) = body.username {
            user.username = username;
        }
        if let Some(name) = body.name {
            user.name = name;
        }
        if let Some(verified) = body.email_verified {
            user.email_verified = verified;
        }
        if let Some(blocked) = body.blocked {
            user.blocked = blocked;
        }
        if let Some(password) = body.password {
            user.password_hash = self.hash(password).await?;
        }
        let now = self.now();
        self.store().update_user(&user, now).await?;
        if user.blocked {
            // A blocked user keeps no way back in: their refresh tokens stop working.
            self.store()
                .revoke_refresh_tokens_of(&user.user_id, None, now)
                .await?;
        }
        self.changed();
        Ok(User::of(&self.stored_user(id).await?))
    }

    /// Deletes a user with their sessions, consents and refresh tokens.
    pub async fn delete_user(&self, caller: &Caller, id: &str) -> AdminResult<()> {
        caller.require("delete:users")?;
        self.store()
            .revoke_refresh_tokens_of(id, None, self.now())
            .await?;
        if !self.store().delete_user(id).await? {
            return Err(not_found(id));
        }
        self.changed();
        Ok(())
    }
}
