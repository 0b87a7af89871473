//! Records the store keeps that are not protocol types. Those holding secrets redact `Debug`.

use std::fmt;

use tessera_protocol::authorize::AuthorizationRequest;
use tessera_protocol::mfa::Amr;
use tessera_protocol::{ClientId, ScopeSet, SecretDigest, Timestamp};

/// An end user.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub user_id: String,
    pub username: String,
    pub email: String,
    pub name: String,
    /// An argon2id PHC string.
    pub password_hash: String,
    pub email_verified: bool,
    pub blocked: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub profile: UserProfile,
    /// The last successful login, and from where.
    pub last_login: Option<Timestamp>,
    pub last_ip: Option<String>,
    pub logins_count: u64,
}

impl User {
    /// The user's nickname, or Auth0's default: the part of the email before its `@`.
    pub fn nickname(&self) -> String {
        match &self.profile.nickname {
            Some(nickname) => nickname.clone(),
            None => self
                .email
                .split_once('@')
                .map_or(self.email.as_str(), |(local, _)| local)
                .to_owned(),
        }
    }
}

/// A JSON object, as Auth0's `user_metadata` and `app_metadata` are.
pub type JsonObject = serde_json::Map<String, serde_json::Value>;

/// What Auth0 keeps of a user besides the login: optional names, a picture, and the two
/// metadata objects (`user_metadata` the user may edit, `app_metadata` only the tenant).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserProfile {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub nickname: Option<String>,
    pub picture: Option<String>,
    pub user_metadata: JsonObject,
    pub app_metadata: JsonObject,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("user_id", &self.user_id)
            .field("username", &self.username)
            .field("blocked", &self.blocked)
            .finish_non_exhaustive()
    }
}

/// A user to create or update.
#[derive(Clone, PartialEq, Eq)]
pub struct NewUser {
    /// The id a new user gets; an existing user keeps its own.
    pub user_id: String,
    pub username: String,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub email_verified: bool,
    pub profile: UserProfile,
}

impl From<&User> for NewUser {
    fn from(user: &User) -> NewUser {
        NewUser {
            user_id: user.user_id.clone(),
            username: user.username.clone(),
            email: user.email.clone(),
            name: user.name.clone(),
            password_hash: user.password_hash.clone(),
            email_verified: user.email_verified,
            profile: user.profile.clone(),
        }
    }
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// An SSO session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The public session id (the ID token's `sid`); not the cookie, which is a secret.
    pub sid: String,
    pub user_id: String,
    pub auth_time: Timestamp,
    /// How the user logged in (empty for sessions older than MFA).
    pub amr: Amr,
    pub expires_at: Timestamp,
}

/// A login that happened during a pending authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub user_id: String,
    pub auth_time: Timestamp,
    pub sid: String,
    pub amr: Amr,
}

/// A user who passed the first factor during a pending authorization and owes a second.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstFactor {
    pub user_id: String,
    pub amr: Amr,
}

/// A validated authorization request waiting for login or consent, bound to one browser.
#[derive(Clone, PartialEq, Eq)]
pub struct PendingAuthorization {
    pub id: String,
    pub request: AuthorizationRequest,
    pub browser_digest: SecretDigest,
    /// Set once the user logged in during this authorization.
    pub login: Option<Login>,
    /// Set while the user owes a second factor.
    pub first_factor: Option<FirstFactor>,
    pub expires_at: Timestamp,
}

impl fmt::Debug for PendingAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingAuthorization")
            .field("client_id", &self.request.client_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A stored signing key.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKeyRecord {
    pub kid: String,
    pub alg: String,
    /// The private key as stored: sealed (encrypted) by the server, or PKCS#8 DER in rows
    /// written before keys were encrypted. The store never looks inside.
    pub private_key: Vec<u8>,
    pub created_at: Timestamp,
    /// When it began to sign; `None` for the next key, published before it signs.
    pub activated_at: Option<Timestamp>,
    /// When it was withdrawn from the JWKS; `None` while it is published.
    pub revoked_at: Option<Timestamp>,
}

impl fmt::Debug for SigningKeyRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeyRecord")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("created_at", &self.created_at)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

/// A user's consent to a client for an API (Auth0's "grant").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub id: String,
    pub user_id: String,
    pub client_id: ClientId,
    /// `None` for consent to /userinfo only.
    pub audience: Option<String>,
    pub scope: ScopeSet,
}

/// A machine-to-machine authorization (Auth0's "client grant").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientGrant {
    pub id: String,
    pub client_id: ClientId,
    pub audience: String,
    pub scope: ScopeSet,
}

/// What a Dashboard administrator may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminRole {
    /// Everything the Management API allows.
    Admin,
    /// Only reads.
    ReadOnly,
}

impl AdminRole {
    /// The role as stored (`admin` or `read_only`).
    pub fn as_str(self) -> &'static str {
        match self {
            AdminRole::Admin => "admin",
            AdminRole::ReadOnly => "read_only",
        }
    }

    /// The role stored as `text`.
    pub fn parse(text: &str) -> Option<AdminRole> {
        match text {
            "admin" => Some(AdminRole::Admin),
            "read_only" => Some(AdminRole::ReadOnly),
            _ => None,
        }
    }
}

/// A Dashboard administrator (not an end user).
#[derive(Clone, PartialEq, Eq)]
pub struct Admin {
    pub username: String,
    /// An argon2id PHC string.
    pub password_hash: String,
    pub role: AdminRole,
    pub created_at: Timestamp,
}

impl fmt::Debug for Admin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Admin")
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// A signed-in administrator's Dashboard session, keyed by the digest of its cookie.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminSession {
    pub username: String,
    pub expires_at: Timestamp,
}

impl fmt::Debug for AdminSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminSession")
            .field("username", &self.username)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// One audit log event, in Auth0's log event shape. Never holds a secret: no password, code,
/// token, client secret or cookie goes into any field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    /// Unique, and ordered as the events were recorded on one node.
    pub log_id: String,
    pub date: Timestamp,
    /// Auth0's event type code (`s`, `fp`, `seacft`, …).
    pub event_type: String,
    pub description: String,
    pub client_id: Option<String>,
    pub client_name: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    /// Event-specific facts, a JSON object.
    pub details: serde_json::Value,
}

/// Which log events a listing returns: each `Some` field must match exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFilter {
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub event_type: Option<String>,
    /// Newest first (Auth0's default `date:-1`) when true, else oldest first.
    pub newest_first: bool,
}
