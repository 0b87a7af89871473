//! A search of users as Auth0's user search (v3) expresses one, already parsed: the admin
//! service parses the query string, each store turns this into its SQL.

/// Terms and how they combine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserSearch {
    /// Every one of these.
    All(Vec<UserSearch>),
    /// At least one of these.
    Any(Vec<UserSearch>),
    Not(Box<UserSearch>),
    /// A term without a field: contained in the email, username, name, nickname, given or
    /// family name, case aside. It never matches metadata, as Auth0's.
    Anywhere(String),
    Text(TextField, TextMatch),
    Flag(FlagField, bool),
    /// Inclusive bounds; a missing bound is open.
    Range(RangeField, Option<i64>, Option<i64>),
    /// Users with an identity whose connection name (or provider) is exactly this: the
    /// database connection's users by their `auth0|` ids, the others by their identities.
    Identity(IdentityField, String),
    /// A value within `app_metadata` or `user_metadata`: the value at `path` is one of `json`
    /// (JSON texts: a term can read as a string, a number or a boolean), or an array holding one.
    Metadata {
        of: MetadataField,
        path: Vec<MetadataKey>,
        json: Vec<String>,
    },
}

/// What an identity term compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityField {
    /// `identities.connection`: the connection's name.
    Connection,
    /// `identities.provider`: its strategy.
    Provider,
}

/// A text field of the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextField {
    Email,
    Name,
    GivenName,
    FamilyName,
    Nickname,
    Username,
    UserId,
    /// The part of the email after its `@`.
    EmailDomain,
    LastIp,
}

impl TextField {
    /// Auth0's normalized fields are matched without regard to case; the others exactly.
    pub fn ignores_case(self) -> bool {
        matches!(
            self,
            TextField::Email
                | TextField::Name
                | TextField::GivenName
                | TextField::FamilyName
                | TextField::Nickname
                | TextField::Username
                | TextField::EmailDomain
        )
    }
}

/// How a text field's value is matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextMatch {
    Is(String),
    StartsWith(String),
    EndsWith(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagField {
    Blocked,
    EmailVerified,
}

/// A field compared by number: a count, or a time in seconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeField {
    LoginsCount,
    CreatedAt,
    UpdatedAt,
    LastLogin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataField {
    App,
    User,
}

/// One key of a metadata path: letters, digits, `_` and `-` only, so that it goes into either
/// database's path syntax as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataKey(String);

impl MetadataKey {
    pub fn parse(key: &str) -> Option<MetadataKey> {
        let valid = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        valid.then(|| MetadataKey(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The order of a user list (Auth0's `sort=field:1` or `field:-1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserSort {
    pub by: SortField,
    pub descending: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    Email,
    Name,
    Username,
    Nickname,
    UserId,
    CreatedAt,
    UpdatedAt,
    LastLogin,
    LoginsCount,
}
