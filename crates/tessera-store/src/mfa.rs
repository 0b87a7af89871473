//! The factors users enrolled for multi-factor authentication.

use async_trait::async_trait;
use tessera_protocol::Timestamp;

use crate::StoreResult;

/// What kind of factor an authenticator is, as Auth0's authentication methods name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthenticatorKind {
    /// An authenticator app's RFC 6238 codes.
    Totp,
    /// A one-time code that stands in for the other factors.
    RecoveryCode,
    /// A WebAuthn credential: a second factor, or a login of its own.
    Passkey,
}

impl AuthenticatorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthenticatorKind::Totp => "totp",
            AuthenticatorKind::RecoveryCode => "recovery-code",
            AuthenticatorKind::Passkey => "passkey",
        }
    }

    pub fn parse(text: &str) -> Option<AuthenticatorKind> {
        [
            AuthenticatorKind::Totp,
            AuthenticatorKind::RecoveryCode,
            AuthenticatorKind::Passkey,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

/// A factor a user enrolled (or began to: `confirmed` is false until they proved it works).
#[derive(Clone, PartialEq, Eq)]
pub struct Authenticator {
    /// `<kind>|dev_` and 16 characters, as Auth0 names them.
    pub id: String,
    pub user_id: String,
    pub kind: AuthenticatorKind,
    /// A TOTP secret sealed with the master secret, a recovery code's SHA-256 digest, or a
    /// passkey's credential (public key, counter, user handle) as JSON.
    pub secret: Vec<u8>,
    /// A passkey's credential id (base64url), unique across every user.
    pub credential_id: Option<String>,
    pub name: Option<String>,
    pub confirmed: bool,
    pub created_at: Timestamp,
    pub last_auth_at: Option<Timestamp>,
    /// The step of the TOTP code last accepted.
    pub last_step: Option<i64>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("kind", &self.kind)
            .field("confirmed", &self.confirmed)
            .finish_non_exhaustive()
    }
}

#[async_trait]
pub trait MfaStore {
    /// The user's authenticators, oldest first.
    async fn authenticators(&self, user_id: &str) -> StoreResult<Vec<Authenticator>>;

    /// Adds an unconfirmed authenticator, dropping the user's earlier unconfirmed ones of its
    /// kind (an enrollment begun again replaces the one left unfinished).
    async fn begin_enrollment(&self, authenticator: &Authenticator) -> StoreResult<()>;

    /// Confirms the user's unconfirmed authenticator `id` with its first accepted TOTP step;
    /// false when there is none (finished meanwhile, or removed).
    async fn confirm_enrollment(
        &self,
        user_id: &str,
        id: &str,
        step: i64,
        now: Timestamp,
    ) -> StoreResult<bool>;

    /// Records that the TOTP step `step` was used with `id`, unless that step or a later one
    /// was already used: true only for the first use of a code, on any node.
    async fn accept_totp_step(&self, id: &str, step: i64, now: Timestamp) -> StoreResult<bool>;

    /// Replaces the user's recovery code (there is one at a time, as at Auth0).
    async fn save_recovery_code(&self, code: &Authenticator) -> StoreResult<()>;

    /// Removes the user's recovery code whose digest is `digest`: true when it was theirs
    /// and unused.
    async fn redeem_recovery_code(&self, user_id: &str, digest: &[u8]) -> StoreResult<bool>;

    /// Adds a confirmed passkey; false when its credential id is registered already (to this
    /// user or another: a credential belongs to one account).
    async fn add_passkey(&self, passkey: &Authenticator) -> StoreResult<bool>;

    /// The passkey registered with `credential_id`, whoever's it is.
    async fn passkey(&self, credential_id: &str) -> StoreResult<Option<Authenticator>>;

    /// Records a use of passkey `id`: its credential becomes `updated` (the new signature
    /// counter) provided it is still `previous`, so of two racing uses of one counter value only
    /// one succeeds. False when it changed meanwhile or is gone.
    async fn record_passkey_use(
        &self,
        id: &str,
        previous: &[u8],
        updated: &[u8],
        now: Timestamp,
    ) -> StoreResult<bool>;

    /// Removes one authenticator of the user; false when they have no such one.
    async fn delete_authenticator(&self, user_id: &str, id: &str) -> StoreResult<bool>;

    /// Removes every authenticator of the user (Auth0's "reset MFA"); how many there were.
    async fn delete_authenticators(&self, user_id: &str) -> StoreResult<u64>;
}
