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
}

impl AuthenticatorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthenticatorKind::Totp => "totp",
            AuthenticatorKind::RecoveryCode => "recovery-code",
        }
    }

    pub fn parse(text: &str) -> Option<AuthenticatorKind> {
        [AuthenticatorKind::Totp, AuthenticatorKind::RecoveryCode]
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
    /// A TOTP secret sealed with the master secret, or a recovery code's SHA-256 digest.
    pub secret: Vec<u8>,
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

    /// Removes one authenticator of the user; false when they have no such one.
    async fn delete_authenticator(&self, user_id: &str, id: &str) -> StoreResult<bool>;

    /// Removes every authenticator of the user (Auth0's "reset MFA"); how many there were.
    async fn delete_authenticators(&self, user_id: &str) -> StoreResult<u64>;
}
