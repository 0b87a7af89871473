//! End users of the database connection (Auth0's `Username-Password-Authentication`).
//! Passwords are hashed with argon2id and never shown.

use serde::{Deserialize, Serialize};
use tessera_core::crypto::random_hex;
use tessera_protocol::connection::{is_database_user, Strategy};
use tessera_protocol::revocation::AccessRevocation;
use tessera_protocol::Timestamp;
use tessera_store::{JsonObject, NewUser, User as StoredUser, UserProfile};

use crate::error::{AdminError, AdminResult, Missing};
use crate::paging::{list_shapes, Listed, Paging};
use crate::passwords::Owner;
use crate::service::{Admin, Caller};
use crate::user_search::{parse_query, parse_sort};

pub use crate::CONNECTION;

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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Defaults to the part of the email before its `@`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// A URL of the user's picture.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// What the user may change about themselves. On update, merged into the stored object by
    /// top-level key: a key set to `null` is removed, and `{}` removes them all (as Auth0).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub user_metadata: Option<JsonObject>,
    /// What only the tenant may change (roles, plans, external ids); merged as `user_metadata`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub app_metadata: Option<JsonObject>,
    /// On creation only: the id without its `auth0|` prefix (as Auth0 takes it); by default,
    /// 24 random hex digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// At least 8 characters; stored only as an argon2id hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// A blocked user cannot log in, and their refresh tokens stop working.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked: Option<bool>,
    /// On creation: mail the verification link (default: when `email_verified` is false), as
    /// Auth0 does; accepted and not acted on in an update.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_email: Option<bool>,
    /// Accepted for compatibility; must be the database connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
}

/// The search of a user list, as Auth0's.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Auth0's user search query (Lucene syntax): `email:"jane@example.com"`,
    /// `name:jo*`, `app_metadata.plan:"gold"`, `logins_count:[2 TO *]`, `AND`/`OR`/`NOT`; a
    /// word without a field is looked for in the user's names and email.
    pub q: Option<String>,
    /// `v3` (the only engine; accepted for compatibility).
    pub search_engine: Option<String>,
    /// `field:1` or `field:-1`: email, name, username, nickname, user_id, created_at,
    /// updated_at, last_login or logins_count. By username when absent.
    pub sort: Option<String>,
}

impl UserQuery {
    /// Finds users by a query in Auth0's syntax.
    pub fn search(q: &str) -> UserQuery {
        UserQuery {
            q: Some(q.to_owned()),
            ..UserQuery::default()
        }
    }
}

/// `GET /api/v2/users-by-email`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EmailQuery {
    /// The exact email (emails are stored in lower case, as Auth0 stores them).
    pub email: String,
}

/// A user's identity at a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Identity {
    /// `Username-Password-Authentication`, or the name of an OpenID connection.
    pub connection: String,
    /// The strategy: `auth0` or `oidc`.
    pub provider: String,
    /// The user id without its provider (`{connection}|{sub}` for `oidc`).
    pub user_id: String,
    #[serde(rename = "isSocial")]
    pub is_social: bool,
    /// What the provider of a linked identity last said about the person.
    #[serde(
        rename = "profileData",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<Object>)]
    pub profile_data: Option<JsonObject>,
}

impl Identity {
    /// The identity a user's id names: `auth0|…` at the database connection,
    /// `oidc|{connection}|{sub}` and `oauth2|{connection}|{id}` at the connection named, and
    /// `google-oauth2|…` and `github|…` at the connection Auth0 names so by default (a user's
    /// stored identity names the connection it really came through: [`Admin::shown_user`]).
    pub fn primary_of(user_id: &str) -> Identity {
        let (provider, local_id) = user_id.split_once('|').unwrap_or(("auth0", user_id));
        let connection = match Strategy::parse(provider) {
            Some(Strategy::Oidc | Strategy::OAuth2) => {
                local_id.split_once('|').map_or(local_id, |(c, _)| c)
            }
            Some(preset @ (Strategy::Google | Strategy::GitHub)) => preset.as_str(),
            _ => CONNECTION,
        };
        Identity {
            connection: connection.to_owned(),
            provider: provider.to_owned(),
            user_id: local_id.to_owned(),
            is_social: Strategy::parse(provider).is_some_and(Strategy::is_social),
            profile_data: None,
        }
    }
}

/// A user (never with a password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    /// `auth0|` and, unless given at creation, 24 hex digits.
    pub user_id: String,
    pub email: String,
    pub email_verified: bool,
    pub username: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    pub nickname: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    pub blocked: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    pub identities: Vec<Identity>,
    #[schema(value_type = Object)]
    pub user_metadata: JsonObject,
    #[schema(value_type = Object)]
    pub app_metadata: JsonObject,
    /// RFC 3339; absent until the first login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_ip: Option<String>,
    pub logins_count: u64,
}

impl User {
    pub fn of(user: &StoredUser) -> User {
        let profile = &user.profile;
        User {
            user_id: user.user_id.clone(),
            email: user.email.clone(),
            email_verified: user.email_verified,
            username: user.username.clone(),
            name: user.name.clone(),
            given_name: profile.given_name.clone(),
            family_name: profile.family_name.clone(),
            nickname: user.nickname(),
            picture: profile.picture.clone(),
            blocked: user.blocked,
            created_at: user.created_at.rfc3339(),
            updated_at: user.updated_at.rfc3339(),
            identities: vec![Identity::primary_of(&user.user_id)],
            user_metadata: profile.user_metadata.clone(),
            app_metadata: profile.app_metadata.clone(),
            last_login: user.last_login.map(|at| at.rfc3339()),
            last_ip: user.last_ip.clone(),
            logins_count: user.logins_count,
        }
    }
}

list_shapes! {
    UserList, UserPage, User, users, "users";
}

/// Auth0's metadata update: top-level keys replace the stored ones, a `null` removes its key,
/// and an empty object removes every key.
pub fn merge_metadata(stored: &mut JsonObject, update: JsonObject) {
    if update.is_empty() {
        stored.clear();
    }
    for (key, value) in update {
        if value.is_null() {
            stored.remove(&key);
        } else {
            stored.insert(key, value);
        }
    }
}

/// Auth0 refuses metadata keys with a `.` or starting with `$` (with a 500); here they are
/// a 400 naming the key, at any depth.
pub(crate) fn check_metadata_keys(field: &str, metadata: &JsonObject) -> AdminResult<()> {
    fn bad_key(object: &JsonObject) -> Option<&str> {
        object.iter().find_map(|(key, value)| {
            if key.contains('.') || key.starts_with('$') {
                return Some(key.as_str());
            }
            match value {
                serde_json::Value::Object(inner) => bad_key(inner),
                serde_json::Value::Array(items) => items.iter().find_map(|item| match item {
                    serde_json::Value::Object(inner) => bad_key(inner),
                    _ => None,
                }),
                _ => None,
            }
        })
    }
    match bad_key(metadata) {
        Some(key) => Err(AdminError::InvalidBody(format!(
            "Payload validation error: {field} key `{key}` contains a `.` or starts with `$`"
        ))),
        None => Ok(()),
    }
}

/// An id given at creation: the part after `auth0|` (with or without the prefix), as Auth0
/// takes ids from imports and migrations.
pub(crate) fn user_id_of(given: Option<String>) -> AdminResult<String> {
    let Some(given) = given else {
        return Ok(format!("auth0|{}", random_hex(12)?));
    };
    let local = given.strip_prefix("auth0|").unwrap_or(&given);
    let valid = !local.is_empty()
        && local.len() <= 255
        && local.chars().all(|c| c.is_ascii_graphic() && c != '|');
    if !valid {
        return Err(AdminError::InvalidBody(format!(
            "Payload validation error: user_id `{given}` is not 1 to 255 printable characters without `|`"
        )));
    }
    Ok(format!("auth0|{local}"))
}

fn check_connection(connection: Option<&str>) -> AdminResult<()> {
    match connection {
        Some(name) if name != CONNECTION => Err(AdminError::InvalidBody(format!(
            "Payload validation error: connection `{name}` does not exist; use `{CONNECTION}`"
        ))),
        _ => Ok(()),
    }
}

/// Auth0 stores the emails of its own users in lower case.
pub(crate) fn checked_email(email: String) -> AdminResult<String> {
    check_email(&email)?;
    Ok(email.to_lowercase())
}

/// An address with something before its `@`, a dot after it, and no whitespace.
pub(crate) fn is_email(email: &str) -> bool {
    matches!(email.split_once('@'), Some((local, domain))
        if !local.is_empty() && domain.contains('.') && !email.contains(char::is_whitespace))
}

pub(crate) fn check_email(email: &str) -> AdminResult<()> {
    if is_email(email) {
        Ok(())
    } else {
        Err(AdminError::InvalidBody(format!(
            "Payload validation error: email `{email}` is not an email address"
        )))
    }
}

pub(crate) fn not_found(id: &str) -> AdminError {
    AdminError::NotFound(Missing::User, format!("The user `{id}`"))
}

impl Admin {
    /// Users matching Auth0's user search query (all when there is none).
    pub async fn list_users(
        &self,
        caller: &Caller,
        paging: &Paging,
        query: &UserQuery,
    ) -> AdminResult<Listed<User>> {
        caller.require("read:users")?;
        let page = paging.page()?;
        let invalid =
            |reason: String| AdminError::InvalidQuery(format!("Query validation error: {reason}"));
        let search = match query.q.as_deref().map(str::trim) {
            Some(q) if !q.is_empty() => {
                Some(parse_query(q).map_err(|e| invalid(format!("q: {e}")))?)
            }
            _ => None,
        };
        let sort = match query.sort.as_deref() {
            Some(sort) => Some(parse_sort(sort).map_err(invalid)?),
            None => None,
        };
        let listing = self.store().list_users(page, search.as_ref(), sort).await?;
        let mut shown = Vec::with_capacity(listing.items.len());
        for user in &listing.items {
            shown.push(self.shown_user(user).await?);
        }
        let mut listed = Listed::of(page, listing, User::of);
        listed.items = shown;
        Ok(listed)
    }

    /// `GET /api/v2/users-by-email`: exact, as Auth0's (which stores its users' emails in lower
    /// case, so a search in another case finds none of them).
    pub async fn users_by_email(&self, caller: &Caller, email: &str) -> AdminResult<Vec<User>> {
        caller.require("read:users")?;
        let mut shown = Vec::new();
        for user in self.store().users_by_email(email).await? {
            shown.push(self.shown_user(&user).await?);
        }
        Ok(shown)
    }

    pub async fn user(&self, caller: &Caller, id: &str) -> AdminResult<User> {
        caller.require("read:users")?;
        self.shown_user(&self.stored_user(id).await?).await
    }

    pub(crate) async fn stored_user(&self, id: &str) -> AdminResult<StoredUser> {
        self.store().user(id).await?.ok_or_else(|| not_found(id))
    }

    pub async fn create_user(&self, caller: &Caller, body: UserBody) -> AdminResult<User> {
        caller.require("create:users")?;
        check_connection(body.connection.as_deref())?;
        let email = checked_email(body.email.ok_or_else(|| AdminError::missing("email"))?)?;
        let password = body
            .password
            .ok_or_else(|| AdminError::missing("password"))?;
        let user_metadata = body.user_metadata.unwrap_or_default();
        let app_metadata = body.app_metadata.unwrap_or_default();
        check_metadata_keys("user_metadata", &user_metadata)?;
        check_metadata_keys("app_metadata", &app_metadata)?;
        let username = body.username.unwrap_or_else(|| email.clone());
        let name = body.name.unwrap_or_else(|| email.clone());
        let owner = Owner {
            email: &email,
            username: Some(&username),
            name: Some(&name),
            nickname: body.nickname.as_deref(),
            user_metadata: Some(&user_metadata),
            ..Owner::default()
        };
        let password_hash = self.password_hash_for_api(owner, password).await?;
        let new = NewUser {
            user_id: user_id_of(body.user_id)?,
            name,
            username,
            email,
            password_hash,
            email_verified: body.email_verified.unwrap_or(false),
            profile: UserProfile {
                given_name: body.given_name,
                family_name: body.family_name,
                nickname: body.nickname,
                picture: body.picture,
                user_metadata: without_nulls(user_metadata),
                app_metadata: without_nulls(app_metadata),
            },
        };
        let now = self.now();
        let mut user = self.store().create_user(&new, now).await?;
        self.remember_password(&user).await?;
        if body.blocked == Some(true) {
            user.blocked = true;
            self.store().update_user(&user, now).await?;
        }
        self.changed();
        if body.verify_email.unwrap_or(!user.email_verified) {
            // The user exists whatever happens to the mail; an administrator can send another.
            if let Err(error) = self.mail_verification(&user, None).await {
                tracing::warn!(%error, user = %user.user_id, "the verification mail of a new user could not be queued");
            }
        }
        Ok(User::of(&user))
    }

    /// Changes what `body` gives (metadata merged as Auth0 merges it); blocking revokes the
    /// user's refresh tokens.
    pub async fn update_user(
        &self,
        caller: &Caller,
        id: &str,
        body: UserBody,
    ) -> AdminResult<User> {
        caller.require("update:users")?;
        check_connection(body.connection.as_deref())?;
        if body.user_id.is_some() {
            return Err(AdminError::InvalidBody(
                "Payload validation error: user_id cannot be changed".to_owned(),
            ));
        }
        let mut user = self.stored_user(id).await?;
        if body.password.is_some() && !is_database_user(&user.user_id) {
            // Auth0: only a database user has a password.
            return Err(AdminError::InvalidBody(
                "Cannot update password of a user of another connection than the database"
                    .to_owned(),
            ));
        }
        if let Some(email) = body.email {
            user.email = checked_email(email)?;
        }
        if let Some(username) = body.username {
            user.username = username;
        }
        if let Some(name) = body.name {
            user.name = name;
        }
        let profile = &mut user.profile;
        for (field, value) in [
            (&mut profile.given_name, body.given_name),
            (&mut profile.family_name, body.family_name),
            (&mut profile.nickname, body.nickname),
            (&mut profile.picture, body.picture),
        ] {
            if value.is_some() {
                *field = value;
            }
        }
        if let Some(update) = body.user_metadata {
            check_metadata_keys("user_metadata", &update)?;
            merge_metadata(&mut profile.user_metadata, update);
        }
        if let Some(update) = body.app_metadata {
            check_metadata_keys("app_metadata", &update)?;
            merge_metadata(&mut profile.app_metadata, update);
        }
        if let Some(verified) = body.email_verified {
            user.email_verified = verified;
        }
        if let Some(blocked) = body.blocked {
            user.blocked = blocked;
        }
        let new_password = match body.password {
            Some(password) => Some(
                self.password_hash_for_api(Owner::of(&user), password)
                    .await?,
            ),
            None => None,
        };
        if let Some(hash) = &new_password {
            user.password_hash.clone_from(hash);
        }
        let now = self.now();
        self.store().update_user(&user, now).await?;
        if new_password.is_some() {
            self.remember_password(&user).await?;
        }
        if user.blocked {
            // A blocked user keeps no way back in: their refresh and access tokens stop working.
            self.revoke_tokens_of(&user.user_id, now).await?;
        }
        self.changed();
        self.shown_user(&self.stored_user(id).await?).await
    }

    /// Revokes every refresh token of `user_id` and refuses their access tokens issued until
    /// `now`.
    pub(crate) async fn revoke_tokens_of(&self, user_id: &str, now: Timestamp) -> AdminResult<()> {
        self.store()
            .revoke_refresh_tokens_of(user_id, None, now)
            .await?;
        self.revoke_access(AccessRevocation::user(user_id, now))
            .await
    }

    /// Deletes a user with their sessions, consents and refresh tokens; their access tokens
    /// are refused from now on.
    pub async fn delete_user(&self, caller: &Caller, id: &str) -> AdminResult<()> {
        caller.require("delete:users")?;
        let now = self.now();
        self.store().revoke_refresh_tokens_of(id, None, now).await?;
        if !self.store().delete_user(id).await? {
            return Err(not_found(id));
        }
        self.revoke_access(AccessRevocation::user(id, now)).await?;
        self.changed();
        Ok(())
    }
}

/// Metadata as created: a `null` value stores nothing.
fn without_nulls(mut metadata: JsonObject) -> JsonObject {
    metadata.retain(|_, value| !value.is_null());
    metadata
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    fn object(value: serde_json::Value) -> JsonObject {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn metadata_merges_top_level_keys_and_null_removes_one() {
        let mut stored =
            object(json!({"hobby": "surfing", "address": {"home": "1 Main St"}, "age": 3}));
        merge_metadata(
            &mut stored,
            object(json!({"address": {"work": "2 Side St"}, "age": null, "color": "red"})),
        );
        assert_eq!(
            stored,
            object(json!({"hobby": "surfing", "address": {"work": "2 Side St"}, "color": "red"}))
        );
        merge_metadata(&mut stored, JsonObject::new());
        assert!(stored.is_empty(), "an empty object removes every key");
    }

    #[test]
    fn metadata_keys_with_a_dot_or_a_leading_dollar_are_refused_at_any_depth() {
        assert!(check_metadata_keys("app_metadata", &object(json!({"plan": {"tier": 1}}))).is_ok());
        for bad in [
            json!({"preference.color": "pink"}),
            json!({"$set": 1}),
            json!({"a": {"b.c": 1}}),
            json!({"a": [{"$x": 1}]}),
        ] {
            let error = check_metadata_keys("app_metadata", &object(bad)).unwrap_err();
            assert!(error.to_string().contains("app_metadata key"), "{error}");
        }
    }

    #[test]
    fn ids_given_at_creation_keep_their_shape() {
        assert_eq!(user_id_of(Some("abc123".into())).unwrap(), "auth0|abc123");
        assert_eq!(
            user_id_of(Some("auth0|abc123".into())).unwrap(),
            "auth0|abc123"
        );
        let generated = user_id_of(None).unwrap();
        assert!(
            generated.starts_with("auth0|") && generated.len() == 30,
            "{generated}"
        );
        for bad in ["", "auth0|", "a|b", "with space", "ctl\u{7}"] {
            assert!(user_id_of(Some(bad.into())).is_err(), "{bad}");
        }
    }
}
