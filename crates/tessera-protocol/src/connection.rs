//! Connections as Auth0 names them: the strategies, what makes a valid connection name, and
//! the ids of users who log in through another identity provider.

use std::fmt;

/// How a connection logs people in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// `auth0`: users and passwords kept by Tessera.
    Database,
    /// `oidc`: any OpenID provider, through its discovery document (an enterprise connection
    /// at Auth0).
    Oidc,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Database => "auth0",
            Strategy::Oidc => "oidc",
        }
    }

    pub fn parse(text: &str) -> Option<Strategy> {
        [Strategy::Database, Strategy::Oidc]
            .into_iter()
            .find(|strategy| strategy.as_str() == text)
    }

    /// Auth0's `isSocial` of its identities.
    pub fn is_social(self) -> bool {
        false
    }

    /// Enterprise connections put their name in their users' ids, since one strategy serves
    /// many providers.
    fn names_connection(self) -> bool {
        matches!(self, Strategy::Oidc)
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
    /// `oidc|{connection}|{sub}`.
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
