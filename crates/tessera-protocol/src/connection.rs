//! Connections as Auth0 names them: the strategies, what makes a valid connection name, the
//! ids of users who log in through another identity provider, and the profile an OAuth 2.0
//! provider's answer makes through a connection's field mapping.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

/// How a connection logs people in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// `auth0`: users and passwords kept by Tessera.
    Database,
    /// `oidc`: any OpenID provider, through its discovery document (an enterprise connection
    /// at Auth0).
    Oidc,
    /// `oauth2`: any OAuth 2.0 provider, through its endpoints and a profile URL (a custom
    /// social connection at Auth0).
    OAuth2,
    /// `google-oauth2`: Google, an OpenID provider.
    Google,
    /// `github`: GitHub, an OAuth 2.0 provider.
    GitHub,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Database => "auth0",
            Strategy::Oidc => "oidc",
            Strategy::OAuth2 => "oauth2",
            Strategy::Google => "google-oauth2",
            Strategy::GitHub => "github",
        }
    }

    /// Every strategy Tessera runs.
    pub const ALL: [Strategy; 5] = [
        Strategy::Database,
        Strategy::Oidc,
        Strategy::OAuth2,
        Strategy::Google,
        Strategy::GitHub,
    ];

    pub fn parse(text: &str) -> Option<Strategy> {
        Strategy::ALL
            .into_iter()
            .find(|strategy| strategy.as_str() == text)
    }

    /// Auth0's `isSocial` of its identities.
    pub fn is_social(self) -> bool {
        matches!(self, Strategy::OAuth2 | Strategy::Google | Strategy::GitHub)
    }

    /// Whether the strategy's provider is an OpenID provider (an ID token) rather than an
    /// OAuth 2.0 one (a profile URL).
    pub fn is_openid(self) -> bool {
        matches!(self, Strategy::Oidc | Strategy::Google)
    }

    /// Generic strategies put the connection's name in their users' ids, since one strategy
    /// serves many providers; a preset's provider is always the same.
    fn names_connection(self) -> bool {
        matches!(self, Strategy::Oidc | Strategy::OAuth2)
    }

    /// The `user_id` of an identity's entry in `identities[]`: the user id without its
    /// provider.
    pub fn identity_user_id(self, connection: &str, upstream_id: &str) -> String {
        if self.names_connection() {
            format!("{connection}|{upstream_id}")
        } else {
            upstream_id.to_owned()
        }
    }

    /// The `user_id` of a user made at a first login through `connection`, as Auth0 makes it:
    /// `oidc|{connection}|{sub}`, `oauth2|{connection}|{id}`, `google-oauth2|{sub}`,
    /// `github|{id}`.
    pub fn user_id(self, connection: &str, upstream_id: &str) -> String {
        format!(
            "{}|{}",
            self.as_str(),
            self.identity_user_id(connection, upstream_id)
        )
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `user_id` names a user of the database connection (`auth0|…`): the users with a
/// password, among whom usernames and emails are unique (the store's indexes say the same
/// with `LIKE 'auth0|%'`).
pub fn is_database_user(user_id: &str) -> bool {
    user_id.starts_with("auth0|")
}

/// Auth0's rule for a connection's name: at most 128 letters, digits and hyphens, neither
/// starting nor ending with a hyphen. It is part of user ids and URLs.
pub fn valid_connection_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// An OAuth 2.0 connection's `fieldsMap`: for each attribute of Auth0's user profile
/// (`user_id`, `email`, `name`, …), the field of the provider's profile that holds it, a dotted
/// path for nested objects.
pub type FieldsMap = BTreeMap<String, String>;

/// The person an OAuth 2.0 provider's profile describes: their id there, and Auth0's
/// `profileData` (the provider's fields, with the mapped attributes under Auth0's names).
#[derive(Debug, Clone, PartialEq)]
pub struct MappedProfile {
    pub upstream_id: String,
    pub profile: Map<String, Value>,
}

/// The fields a profile's id is looked for in when `fieldsMap` names none: `id` (GitHub and
/// most OAuth 2.0 APIs), then `sub` (OpenID userinfo) and `user_id`.
const ID_FIELDS: [&str; 3] = ["id", "sub", "user_id"];

/// The profile an OAuth 2.0 provider answered at its profile URL, mapped through `fields`.
/// The id must be a non-empty string or a number (GitHub's are numbers); `Err` says why not.
pub fn map_profile(answer: &Value, fields: &FieldsMap) -> Result<MappedProfile, String> {
    let Value::Object(raw) = answer else {
        return Err("the profile is not a JSON object".to_owned());
    };
    let mut profile = raw.clone();
    for (attribute, path) in fields {
        match field_at(answer, path) {
            Some(value) if !value.is_null() => {
                profile.insert(attribute.clone(), value.clone());
            }
            _ => {
                profile.remove(attribute);
            }
        }
    }
    let id = match fields.get("user_id") {
        Some(path) => field_at(answer, path),
        None => ID_FIELDS.iter().find_map(|name| raw.get(*name)),
    };
    let upstream_id = match id {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        Some(Value::Number(id)) => id.to_string(),
        _ => return Err("the profile has no id (a string or a number)".to_owned()),
    };
    profile.remove("user_id");
    Ok(MappedProfile {
        upstream_id,
        profile,
    })
}

/// The address GitHub's `/user/emails` lists as the account's primary one, when GitHub has
/// verified it: `[{"email", "primary", "verified", "visibility"}, …]`.
pub fn primary_verified_email(answer: &Value) -> Option<String> {
    answer.as_array()?.iter().find_map(|entry| {
        let holds = |flag: &str| entry.get(flag).and_then(Value::as_bool) == Some(true);
        if holds("primary") && holds("verified") {
            entry.get("email")?.as_str().map(str::to_owned)
        } else {
            None
        }
    })
}

fn field_at<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(value, |value, key| value.as_object()?.get(key))
}
