//! A username and password checked the one way both the hosted login page and the password
//! grant check them: brute-force protection first, then argon2id off the executor (an unknown
//! user costs the same as a known one); every refusal counted and recorded in the audit log.

use tessera_core::audit::{Event, EventType};
use tessera_core::brute_force::{account_key, Verdict};
use tessera_core::crypto::is_imported;
use tessera_protocol::ClientId;
use tessera_store::{StoreResult, User};

use crate::client_ip::Origin;
use crate::error::InternalError;
use crate::metrics::LoginFailure;
use crate::state::AppState;

/// The client a login is for, as its events name it.
#[derive(Debug, Clone, Copy)]
pub struct ForClient<'a> {
    pub client_id: &'a ClientId,
    pub name: &'a str,
}

/// What checking a username and password found.
#[derive(Debug)]
pub enum Checked {
    /// The password is right and the user not blocked: the failure counters are cleared, an
    /// imported hash is replaced by argon2id, and the login is counted on the user.
    Valid(Box<User>),
    /// Refused by brute-force protection before the password was looked at.
    Throttled(Verdict),
    /// An unknown user or a wrong password: the same answer for both.
    Wrong,
    /// The password is right but the user is blocked.
    Blocked,
}

/// Checks `password` for the user `username` names (username or email).
pub async fn check(
    state: &AppState,
    username: &str,
    password: String,
    client: ForClient<'_>,
    origin: &Origin,
) -> Result<Checked, InternalError> {
    let guard = state.settings.brute_force;
    let ip = origin.ip().key();
    let user = state.store.user_by_login(username.trim()).await?;
    let account = account_key(user.as_ref(), username);
    let verdict = guard
        .check(state.store.as_ref(), &account, &ip, state.clock.now())
        .await?;
    if verdict != Verdict::Allowed {
        let event = match verdict {
            Verdict::IpThrottled { .. } => Event::new(EventType::BlockedIp),
            _ => about(EventType::BlockedAccount, user.as_ref(), username),
        };
        refuse(state, LoginFailure::Throttled, event, client, origin);
        return Ok(Checked::Throttled(verdict));
    }
    let matched = state
        .passwords
        .verify(
            user.as_ref().map(|u| u.password_hash.clone()),
            password.clone(),
        )
        .await?;
    if !matched {
        guard
            .failed(state.store.as_ref(), &account, &ip, state.clock.now())
            .await?;
    }
    let user = match user {
        Some(user) if matched && !user.blocked => user,
        Some(user) if matched => {
            let event = about(EventType::FailedLogin, Some(&user), username)
                .description("Login of a blocked user");
            refuse(state, LoginFailure::Blocked, event, client, origin);
            return Ok(Checked::Blocked);
        }
        found => {
            let (why, event) = match &found {
                None => (
                    LoginFailure::UnknownUser,
                    about(EventType::UnknownUser, None, username),
                ),
                Some(user) => (
                    LoginFailure::WrongPassword,
                    about(EventType::WrongPassword, Some(user), username),
                ),
            };
            refuse(state, why, event, client, origin);
            return Ok(Checked::Wrong);
        }
    };
    guard.succeeded(state.store.as_ref(), &account, &ip).await?;
    if is_imported(&user.password_hash) {
        // The hash an import brought served once; from now on the password is argon2id's.
        let rehashed = state.passwords.hash(password).await?;
        state
            .store
            .replace_password_hash(&user.user_id, &user.password_hash, &rehashed)
            .await?;
    }
    record_login(state, &user.user_id, origin).await?;
    Ok(Checked::Valid(Box::new(user)))
}

/// A successful login of `user_id` from `origin`: its date, address and count on the user.
pub async fn record_login(
    state: &AppState,
    user_id: &str,
    origin: &Origin,
) -> Result<(), InternalError> {
    let last_ip = origin.context.ip.map(|ip| ip.to_string());
    state
        .store
        .record_user_login(user_id, last_ip.as_deref(), state.clock.now())
        .await?;
    Ok(())
}

/// An event about `user` or, when there is none, about the identifier typed (as Auth0's
/// `user_name`; never the password).
fn about(event_type: EventType, user: Option<&User>, typed: &str) -> Event {
    match user {
        Some(user) => Event::new(event_type).user(&user.user_id, &user.email),
        None => Event::new(event_type).user_name(typed.trim()),
    }
}

/// Counts a refused login and records its event (`fu`, `fp`, `f`, `limit_wc`, `limit_mu`).
fn refuse(
    state: &AppState,
    why: LoginFailure,
    event: Event,
    client: ForClient<'_>,
    origin: &Origin,
) {
    state.metrics.login_failed(why);
    let event = event.client(client.client_id.as_str(), Some(client.name));
    state.record(event, &origin.context);
}

/// The brute-force counter of a user's second factor (at the hosted pages and through the MFA
/// API): apart from their password's, so that a stolen password's owner is not locked out of
/// logging in by someone guessing codes, and with the same limits.
fn mfa_account(user_id: &str) -> String {
    format!("mfa:{user_id}")
}

/// Brute-force protection before a user's second factor is checked from `ip`: why it may not
/// be, and in how many seconds to retry; none when it may.
pub(crate) async fn second_factor_refusal(
    state: &AppState,
    user_id: &str,
    ip: &str,
) -> StoreResult<Option<(&'static str, i64)>> {
    let now = state.clock.now();
    let store = state.store.as_ref();
    let verdict = state
        .settings
        .brute_force
        .check(store, &mfa_account(user_id), ip, now)
        .await?;
    Ok(verdict.refusal())
}

/// Counts a checked second factor on the user's second-factor counter and `ip`'s.
pub(crate) async fn count_second_factor(
    state: &AppState,
    user_id: &str,
    ip: &str,
    right: bool,
) -> StoreResult<()> {
    let (guard, store) = (state.settings.brute_force, state.store.as_ref());
    let account = mfa_account(user_id);
    if right {
        guard.succeeded(store, &account, ip).await
    } else {
        guard.failed(store, &account, ip, state.clock.now()).await
    }
}
