//! A user's identities at connections, the profile a provider's claims make, and account
//! linking: Auth0's `POST /api/v2/users/{id}/identities` and
//! `DELETE /api/v2/users/{id}/identities/{provider}/{user_id}`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_protocol::connection::Strategy;
use tessera_protocol::revocation::AccessRevocation;
use tessera_store::{Identity as StoredIdentity, JsonObject, NewUser, User as StoredUser};

use crate::error::{AdminError, AdminResult, Missing};
use crate::service::{Admin, Caller};
use crate::users::{Identity, User};

/// `POST /api/v2/users/{id}/identities`: the secondary account to link.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    /// The secondary account's provider (`oidc`, `oauth2`, `google-oauth2`, `github`).
    pub provider: Option<String>,
    /// The secondary account's id without its provider (`{connection}|{sub}` for `oidc`,
    /// `{connection}|{id}` for `oauth2`, the provider's id for the presets).
    pub user_id: Option<String>,
    /// Accepted; the provider and id name the account already.
    pub connection_id: Option<String>,
    /// An ID token of the secondary account: not supported (a 400 saying so).
    pub link_with: Option<String>,
}

/// A user to make from what a provider says about a person (its ID token's claims, Auth0's
/// `profileData`): the standard profile claims, and never a password.
pub fn federated_user(user_id: String, profile: &JsonObject) -> NewUser {
    let text = |name: &str| profile.get(name).and_then(Value::as_str).map(str::to_owned);
    let email = text("email").unwrap_or_default();
    let mut user = NewUser {
        user_id,
        username: String::new(),
        name: text("name").unwrap_or_else(|| email.clone()),
        email,
        // Nothing verifies against this: the provider proves who logs in.
        password_hash: "!".to_owned(),
        email_verified: profile
            .get("email_verified")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        profile: Default::default(),
    };
    user.profile.given_name = text("given_name");
    user.profile.family_name = text("family_name");
    user.profile.nickname = text("nickname");
    user.profile.picture = text("picture");
    user
}

/// `user`'s root profile from what its provider now says (as Auth0 does at each login of the
/// primary identity); true when anything changed.
pub fn refresh_profile(user: &mut StoredUser, profile: &JsonObject) -> bool {
    let fresh = federated_user(user.user_id.clone(), profile);
    let mut refreshed = user.clone();
    refreshed.email = fresh.email;
    refreshed.email_verified = fresh.email_verified;
    refreshed.name = fresh.name;
    refreshed.profile.given_name = fresh.profile.given_name;
    refreshed.profile.family_name = fresh.profile.family_name;
    refreshed.profile.nickname = fresh.profile.nickname;
    refreshed.profile.picture = fresh.profile.picture;
    let changed = refreshed != *user;
    *user = refreshed;
    changed
}

impl Identity {
    /// A stored identity as Auth0 shows it in `identities[]`.
    fn of_stored(identity: &StoredIdentity, with_profile: bool) -> Identity {
        let strategy = Strategy::parse(&identity.strategy);
        Identity {
            connection: identity.connection_name.clone(),
            provider: identity.strategy.clone(),
            user_id: strategy.map_or_else(
                || identity.upstream_id.clone(),
                |s| s.identity_user_id(&identity.connection_name, &identity.upstream_id),
            ),
            is_social: strategy.is_some_and(Strategy::is_social),
            profile_data: with_profile.then(|| identity.profile.clone()),
        }
    }
}

impl Admin {
    /// `stored` as Auth0 shows it: its own identity first, then those linked to it (with
    /// what their providers said, Auth0's `profileData`).
    pub(crate) async fn shown_user(&self, stored: &StoredUser) -> AdminResult<User> {
        let mut user = User::of(stored);
        for identity in self.store().identities_of(&stored.user_id).await? {
            let own = Strategy::parse(&identity.strategy).is_some_and(|s| {
                s.user_id(&identity.connection_name, &identity.upstream_id) == stored.user_id
            });
            if !own {
                user.identities.push(Identity::of_stored(&identity, true));
            } else if let Some(primary) = user.identities.first_mut() {
                // A preset's user id does not name the connection: the stored identity does.
                primary.connection = identity.connection_name.clone();
            }
        }
        Ok(user)
    }

    /// Links the secondary account `body` names to `primary_id`: its identities become the
    /// primary's, and the secondary user is deleted. Only users of connections to other
    /// providers can be secondary (a database user's password has no place on another user
    /// yet).
    pub async fn link_user_account(
        &self,
        caller: &Caller,
        primary_id: &str,
        body: LinkBody,
    ) -> AdminResult<Vec<Identity>> {
        caller.require("update:users")?;
        if body.link_with.is_some() {
            return Err(AdminError::InvalidBody(
                "Payload validation error: link_with (an ID token) is not supported; give \
                 provider and user_id"
                    .to_owned(),
            ));
        }
        let Some(provider) = body.provider else {
            return Err(AdminError::missing("provider"));
        };
        let Some(user_id) = body.user_id else {
            return Err(AdminError::missing("user_id"));
        };
        let secondary_id = format!("{provider}|{user_id}");
        if secondary_id == primary_id {
            return Err(AdminError::InvalidBody(
                "Main identity and the new one are the same.".to_owned(),
            ));
        }
        let primary = self.stored_user(primary_id).await?;
        let secondary = self.stored_user(&secondary_id).await?;
        if Strategy::parse(&provider).is_none_or(|s| s == Strategy::Database) {
            return Err(AdminError::NotSupported(
                "only users of connections to other identity providers can be linked as \
                 secondary accounts"
                    .to_owned(),
            ));
        }
        if !self
            .store()
            .link_user(&primary.user_id, &secondary.user_id)
            .await?
        {
            return Err(crate::users::not_found(&secondary_id));
        }
        // The secondary user is gone: its access tokens stop working, as a deleted user's.
        self.revoke_access(AccessRevocation::user(&secondary.user_id, self.now()))
            .await?;
        self.changed();
        Ok(self.shown_user(&primary).await?.identities)
    }

    /// Unlinks the identity `provider`/`user_id` from `primary_id`: it becomes a user of its
    /// own again, with what its provider last said about the person.
    pub async fn unlink_user_account(
        &self,
        caller: &Caller,
        primary_id: &str,
        provider: &str,
        user_id: &str,
    ) -> AdminResult<Vec<Identity>> {
        caller.require("update:users")?;
        let primary = self.stored_user(primary_id).await?;
        let full_id = format!("{provider}|{user_id}");
        if full_id == primary.user_id {
            return Err(AdminError::InvalidBody(
                "The main identity cannot be unlinked.".to_owned(),
            ));
        }
        let linked = self.store().identities_of(&primary.user_id).await?;
        let Some(identity) = linked.into_iter().find(|identity| {
            let shown = Identity::of_stored(identity, false);
            shown.provider == provider && shown.user_id == user_id
        }) else {
            return Err(AdminError::NotFound(
                Missing::Other,
                format!("The identity {provider}|{user_id} of {primary_id}"),
            ));
        };
        let restored = federated_user(full_id, &identity.profile);
        let unlinked = self
            .store()
            .unlink_identity(
                &primary.user_id,
                &identity.connection_id,
                &identity.upstream_id,
                &restored,
                self.now(),
            )
            .await
            .map_err(|e| match e {
                tessera_store::StoreError::Conflict(_) => {
                    AdminError::Conflict(format!("A user {} exists already", restored.user_id))
                }
                other => other.into(),
            })?;
        if !unlinked {
            return Err(crate::users::not_found(primary_id));
        }
        self.changed();
        Ok(self.shown_user(&primary).await?.identities)
    }
}
