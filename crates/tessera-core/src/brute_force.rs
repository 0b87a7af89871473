//! Brute-force protection of the hosted login, as Auth0's: after `max_attempts` consecutive
//! failures of one account from one IP, that account is blocked for that IP — even with the
//! right password, which is then not even checked — until an administrator unblocks it
//! (`/api/v2/user-blocks`) or the cool-down passes. A success resets the count. Unknown login names are counted and blocked exactly like accounts, so blocking
//! reveals nothing about which names exist. Across accounts, an IP with too many failures in
//! its window is throttled (Auth0's suspicious IP throttling). The counters live in the store,
//! so every node sees them.

use tessera_protocol::Timestamp;
use tessera_store::{Store, StoreResult, User};

/// Auth0's message for an account blocked by brute-force protection.
pub const ACCOUNT_BLOCKED: &str =
    "Your account has been blocked after multiple consecutive login attempts. Try again later or contact the administrator.";
/// The message for an IP throttled across accounts.
pub const IP_THROTTLED: &str = "Too many failed logins from your network. Try again later.";

/// The brute-force settings.
#[derive(Debug, Clone, Copy)]
pub struct BruteForce {
    pub max_attempts: u32,
    /// Seconds after the last failure before a block lifts and counting starts over.
    pub cooldown: i64,
    pub ip_max_failures: u32,
    pub ip_window: i64,
}

/// Whether a login attempt may be checked at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// The account is blocked for this IP; the block lifts at most `retry_after` seconds on.
    AccountBlocked {
        retry_after: i64,
    },
    /// This IP failed too often across accounts.
    IpThrottled {
        retry_after: i64,
    },
}

impl Verdict {
    /// Why an attempt may not be checked (the words shown), and in how many seconds to retry;
    /// none when it may.
    pub fn refusal(self) -> Option<(&'static str, i64)> {
        match self {
            Verdict::Allowed => None,
            Verdict::IpThrottled { retry_after } => Some((IP_THROTTLED, retry_after)),
            Verdict::AccountBlocked { retry_after } => Some((ACCOUNT_BLOCKED, retry_after)),
        }
    }
}

/// The counter key of a login: the user id when the user exists, else the login name as
/// lookups would normalize it (trimmed, lowercase), marked so it cannot collide with an id.
pub fn account_key(user: Option<&User>, login: &str) -> String {
    match user {
        Some(user) => user.user_id.clone(),
        None => format!("name:{}", login.trim().to_lowercase()),
    }
}

impl BruteForce {
    /// Decides before any password is hashed.
    pub async fn check(
        &self,
        store: &dyn Store,
        account: &str,
        ip: &str,
        now: Timestamp,
    ) -> StoreResult<Verdict> {
        if store.ip_failures(ip, now.plus(-self.ip_window)).await? >= self.ip_max_failures {
            return Ok(Verdict::IpThrottled {
                retry_after: self.ip_window,
            });
        }
        let failures = store
            .login_failures(account, ip, now.plus(-self.cooldown))
            .await?;
        Ok(if failures >= self.max_attempts {
            Verdict::AccountBlocked {
                retry_after: self.cooldown,
            }
        } else {
            Verdict::Allowed
        })
    }

    /// Counts a failed login against the account (for this IP) and the IP.
    pub async fn failed(
        &self,
        store: &dyn Store,
        account: &str,
        ip: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        let failures = store
            .record_login_failure(account, ip, now, now.plus(-self.cooldown))
            .await?;
        if failures == self.max_attempts {
            tracing::warn!(%ip, "an account was blocked after consecutive failed logins");
        }
        store
            .record_ip_failure(ip, now, now.plus(-self.ip_window))
            .await?;
        Ok(())
    }

    /// A successful login resets the account's consecutive failures from this IP.
    pub async fn succeeded(&self, store: &dyn Store, account: &str, ip: &str) -> StoreResult<()> {
        store.clear_login_failures(account, ip).await
    }

    /// The IPs `account` is blocked for now.
    pub async fn blocked_ips(
        &self,
        store: &dyn Store,
        account: &str,
        now: Timestamp,
    ) -> StoreResult<Vec<String>> {
        store
            .blocked_ips(account, self.max_attempts, now.plus(-self.cooldown))
            .await
    }

    /// Rows older than this are of no use to any check, and housekeeping purges them.
    pub fn stale_before(&self, now: Timestamp) -> Timestamp {
        now.plus(-self.cooldown.max(self.ip_window))
    }
}
