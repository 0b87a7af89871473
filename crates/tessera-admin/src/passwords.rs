//! New passwords of the database connection: its policy (strength, dictionary, personal data)
//! and history checked, then hashed and remembered. Every way a password is set goes through
//! here — sign-up, the Management API, a reset.

use tessera_protocol::password_policy::{PasswordRejection, PasswordRules, PersonalInfo};
use tessera_store::{JsonObject, User as StoredUser};

use crate::connections::DatabaseOptions;
use crate::error::{AdminError, AdminResult};
use crate::service::Admin;

/// Who a new password is for, as its personal-data rule reads them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Owner<'a> {
    /// Their stored id, whose previous passwords the history rule compares against.
    pub user_id: Option<&'a str>,
    pub email: &'a str,
    pub username: Option<&'a str>,
    pub name: Option<&'a str>,
    pub nickname: Option<&'a str>,
    pub user_metadata: Option<&'a JsonObject>,
}

impl<'a> Owner<'a> {
    pub fn of(user: &'a StoredUser) -> Owner<'a> {
        Owner {
            user_id: Some(&user.user_id),
            email: &user.email,
            username: Some(&user.username),
            name: Some(&user.name),
            nickname: user.profile.nickname.as_deref(),
            user_metadata: Some(&user.profile.user_metadata),
        }
    }

    fn personal_info(&self) -> PersonalInfo<'a> {
        let metadata = |key: &str| {
            self.user_metadata
                .and_then(|m| m.get(key))
                .and_then(|v| v.as_str())
        };
        PersonalInfo {
            email: Some(self.email),
            username: self.username,
            name: self.name,
            nickname: self.nickname,
            metadata_name: metadata("name"),
            metadata_first: metadata("first"),
            metadata_last: metadata("last"),
        }
    }
}

impl Admin {
    /// The database connection's options as stored.
    pub async fn database_options(&self) -> AdminResult<DatabaseOptions> {
        let connection = self.store().database_connection().await?;
        DatabaseOptions::parse(connection.options)
            .map_err(|e| AdminError::Internal(format!("stored connection options: {e}")))
    }

    /// `password` checked against the connection's policy `rules` and `owner`'s previous
    /// passwords: its argon2id hash, or why it is refused.
    pub async fn new_password_hash(
        &self,
        rules: &PasswordRules,
        owner: Owner<'_>,
        password: String,
    ) -> AdminResult<Result<String, PasswordRejection>> {
        if let Err(rejection) = rules.check(&password, &owner.personal_info()) {
            return Ok(Err(rejection));
        }
        let history_size = rules.history_size();
        if let (Some(user_id), true) = (owner.user_id, history_size > 0) {
            for previous in self
                .store()
                .previous_passwords(user_id, history_size)
                .await?
            {
                let passwords = &self.parts().passwords;
                if passwords.verify(Some(previous), password.clone()).await? {
                    return Ok(Err(PasswordRejection::ReusedPassword { history_size }));
                }
            }
        }
        Ok(Ok(self.parts().passwords.hash(password).await?))
    }

    /// [`Admin::new_password_hash`] for the Management API, whose callers see a refusal as
    /// Auth0's `PasswordStrengthError: Password is too weak` (and the like) with a 400.
    pub(crate) async fn password_hash_for_api(
        &self,
        owner: Owner<'_>,
        password: String,
    ) -> AdminResult<String> {
        let rules = self.database_options().await?.passwords;
        self.new_password_hash(&rules, owner, password)
            .await?
            .map_err(|rejection| AdminError::InvalidBody(rejection.management_message()))
    }

    /// Keeps a user's new password hash for the history rule.
    pub(crate) async fn remember_password(&self, user: &StoredUser) -> AdminResult<()> {
        let now = self.now();
        Ok(self
            .store()
            .remember_password(&user.user_id, &user.password_hash, now)
            .await?)
    }
}
