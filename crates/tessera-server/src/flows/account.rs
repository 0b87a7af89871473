//! The account page (`/u/account`): a person signed in to Tessera (an SSO session from logging
//! in to any application) sees their second factors and passkeys, and may remove the
//! authenticator app or a passkey, or make a new recovery code. Changes need a session that passed a second factor, so a stolen
//! password alone cannot take MFA off an account; every form is bound to the session.

use tessera_core::audit::{Event, EventType, RequestContext};
use tessera_core::crypto::bound_csrf_token;
use tessera_protocol::secret::constant_time_eq;
use tessera_store::{AuthenticatorKind, Session};

use crate::error::InternalError;
use crate::flows::browser::current_session;
use crate::i18n::text;
use crate::state::AppState;

/// One enrolled factor, as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactorLine {
    /// What it is, in English (the page translates it).
    pub kind: &'static str,
    /// A passkey's authenticator id: the page offers to remove it.
    pub passkey_id: Option<String>,
    /// `YYYY-MM-DD`.
    pub added: String,
    pub last_used: Option<String>,
}

/// What the account page shows.
#[derive(Debug, Clone)]
pub struct AccountView {
    pub email: String,
    pub csrf_token: String,
    pub factors: Vec<FactorLine>,
    pub has_authenticator_app: bool,
    /// A recovery code can be made: there is a factor (app or passkey) for it to stand in for.
    pub can_have_recovery_code: bool,
    /// The session passed a second factor: the page offers changes.
    pub can_change: bool,
    /// A recovery code just made, shown once.
    pub new_recovery_code: Option<String>,
    /// What just happened, in English.
    pub notice: Option<&'static str>,
}

/// What a request to the account page comes to.
#[derive(Debug)]
pub enum Account {
    Page(AccountView),
    /// No SSO session in this browser.
    SignedOut,
    /// A form without this session's CSRF token, or a change from a session of one factor.
    Forbidden,
}

/// A change the page's forms ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Removes the authenticator app (and the recovery code, when no passkey is left): MFA is
    /// set up anew at the next login that asks for it.
    RemoveAuthenticatorApp,
    /// Removes one of the person's passkeys, by its authenticator id.
    RemovePasskey(String),
    NewRecoveryCode,
}

fn csrf_of(session: &Session) -> String {
    bound_csrf_token("account", &session.sid)
}

fn day(at: tessera_protocol::Timestamp) -> String {
    at.rfc3339().chars().take(10).collect()
}

async fn view(
    state: &AppState,
    session: &Session,
    new_recovery_code: Option<String>,
    notice: Option<&'static str>,
) -> Result<Option<AccountView>, InternalError> {
    let Some(user) = state.store.user(&session.user_id).await? else {
        return Ok(None);
    };
    let authenticators = state.store.authenticators(&user.user_id).await?;
    let factors = authenticators
        .iter()
        .filter(|a| a.confirmed)
        .map(|a| FactorLine {
            kind: match a.kind {
                AuthenticatorKind::Totp => text("Authenticator app"),
                AuthenticatorKind::RecoveryCode => text("Recovery code"),
                AuthenticatorKind::Passkey => text("Passkey"),
            },
            passkey_id: (a.kind == AuthenticatorKind::Passkey).then(|| a.id.clone()),
            added: day(a.created_at),
            last_used: a.last_auth_at.map(day),
        })
        .collect();
    Ok(Some(AccountView {
        email: user.email.clone(),
        csrf_token: csrf_of(session),
        factors,
        has_authenticator_app: authenticators
            .iter()
            .any(|a| a.kind == AuthenticatorKind::Totp && a.confirmed),
        can_have_recovery_code: authenticators.iter().any(|a| {
            a.confirmed && matches!(a.kind, AuthenticatorKind::Totp | AuthenticatorKind::Passkey)
        }),
        can_change: session.amr.is_multi_factor(),
        new_recovery_code,
        notice,
    }))
}

/// `GET /u/account`.
pub async fn page(state: &AppState, cookie: Option<&str>) -> Result<Account, InternalError> {
    let Some(session) = current_session(state, cookie, state.clock.now()).await? else {
        return Ok(Account::SignedOut);
    };
    Ok(match view(state, &session, None, None).await? {
        Some(view) => Account::Page(view),
        None => Account::SignedOut,
    })
}

/// `POST /u/account/…`: `change`, if the form is this session's and the session passed a
/// second factor.
pub async fn submit(
    state: &AppState,
    cookie: Option<&str>,
    csrf_token: &str,
    change: Change,
    origin: &RequestContext,
) -> Result<Account, InternalError> {
    let Some(session) = current_session(state, cookie, state.clock.now()).await? else {
        return Ok(Account::SignedOut);
    };
    if !constant_time_eq(&csrf_of(&session), csrf_token) || !session.amr.is_multi_factor() {
        return Ok(Account::Forbidden);
    }
    let Some(user) = state.store.user(&session.user_id).await? else {
        return Ok(Account::SignedOut);
    };
    let enrolled = state.admin.enrolled_factors(&user.user_id).await?;
    let (code, notice) = match change {
        Change::RemoveAuthenticatorApp => {
            // The recovery code stands in for the other factors: it goes with the app, unless a
            // passkey stays.
            let kinds: &[AuthenticatorKind] = if enrolled.passkey {
                &[AuthenticatorKind::Totp]
            } else {
                &[AuthenticatorKind::Totp, AuthenticatorKind::RecoveryCode]
            };
            if remove_all(state, &user.user_id, kinds).await? {
                let event = Event::new(EventType::MfaUnenrolled)
                    .user(&user.user_id, &user.email)
                    .description("The user removed their authenticator app on the account page");
                state.record(event, origin);
            }
            (None, text("Your authenticator app was removed."))
        }
        Change::RemovePasskey(id) => {
            let passkey = state
                .store
                .authenticators(&user.user_id)
                .await?
                .into_iter()
                .find(|a| a.id == id && a.kind == AuthenticatorKind::Passkey);
            if passkey.is_none() {
                return Ok(Account::Forbidden);
            }
            if state.store.delete_authenticator(&user.user_id, &id).await? {
                let event = Event::new(EventType::MfaUnenrolled)
                    .user(&user.user_id, &user.email)
                    .description("The user removed a passkey on the account page");
                state.record(event, origin);
            }
            (None, text("Your passkey was removed."))
        }
        // A recovery code stands in for the other factors: without one, nothing to recover.
        Change::NewRecoveryCode if !enrolled.totp && !enrolled.passkey => {
            return Ok(Account::Forbidden);
        }
        Change::NewRecoveryCode => {
            let code = state.admin.new_recovery_code(&session.user_id).await?;
            (
                Some(code.0),
                text("Your old recovery code no longer works."),
            )
        }
    };
    Ok(match view(state, &session, code, Some(notice)).await? {
        Some(view) => Account::Page(view),
        None => Account::SignedOut,
    })
}

/// Removes every authenticator of `kinds` the user has; whether there was one.
async fn remove_all(
    state: &AppState,
    user_id: &str,
    kinds: &[AuthenticatorKind],
) -> Result<bool, InternalError> {
    let mut removed = false;
    for authenticator in state.store.authenticators(user_id).await? {
        if kinds.contains(&authenticator.kind) {
            removed |= state
                .store
                .delete_authenticator(user_id, &authenticator.id)
                .await?;
        }
    }
    Ok(removed)
}
