//! Remembered browsers (Auth0's "Remember this device for 30 days"): after a second factor the
//! tenant's policy asked for, the person may have this browser remembered; until then, a login
//! with the password alone in it satisfies the policy. The cookie is the user and its dates
//! sealed with the master secret: it lapses after 7 days unused and 30 days in all (Auth0's
//! `auth0-mf` cookie has the same bounds), names one user, and counts only while that user
//! still has a second factor (an administrator's MFA reset ends it). A request that asks for
//! a second factor itself (`acr_values`) gets one whatever the cookie says.

use serde::{Deserialize, Serialize};
use tessera_protocol::Timestamp;
use tessera_store::PendingAuthorization;

use crate::error::InternalError;
use crate::state::AppState;

/// The sealing context: nothing sealed for another purpose opens as a remembered browser.
const PURPOSE: &str = "remembered-browser";
/// Unused for longer, a remembered browser is forgotten.
pub const IDLE_SECONDS: i64 = 7 * 86_400;
/// Remembered for at most this long after the second factor.
pub const LIFETIME_SECONDS: i64 = 30 * 86_400;

#[derive(Debug, Serialize, Deserialize)]
struct Remembered {
    user_id: String,
    /// When the second factor was passed.
    since: i64,
    /// When it was last used to skip one.
    used: i64,
}

/// The cookie value remembering this browser for `user_id`, passed a second factor `since`.
fn seal(
    state: &AppState,
    user_id: &str,
    since: i64,
    now: Timestamp,
) -> Result<String, InternalError> {
    let remembered = Remembered {
        user_id: user_id.to_owned(),
        since,
        used: now.0,
    };
    Ok(state.keys.sealer().seal_json(PURPOSE, &remembered)?)
}

/// A new cookie value for a browser whose user just passed a second factor.
pub fn remember(state: &AppState, user_id: &str) -> Result<String, InternalError> {
    let now = state.clock.now();
    seal(state, user_id, now.0, now)
}

/// Whether the policy's second factor may be remembered in this authorization: the policy
/// asks for it, the request itself does not (`acr_values`).
pub async fn may_remember(
    state: &AppState,
    pending: &PendingAuthorization,
) -> Result<bool, InternalError> {
    let settings = state.admin.mfa_settings().await?;
    Ok(settings.required() && !pending.request.asks_for_multi_factor())
}

/// When `cookie` remembers this browser for `user_id` (and its user still has a second
/// factor), the renewed cookie value; none otherwise.
pub async fn renewed(
    state: &AppState,
    cookie: Option<&str>,
    user_id: &str,
) -> Result<Option<String>, InternalError> {
    let Some(cookie) = cookie else {
        return Ok(None);
    };
    let Some(remembered) = state.keys.sealer().open_json::<Remembered>(PURPOSE, cookie) else {
        return Ok(None);
    };
    let now = state.clock.now();
    let current = remembered.user_id == user_id
        && now.0 - remembered.used <= IDLE_SECONDS
        && now.0 - remembered.since <= LIFETIME_SECONDS
        && remembered.used <= now.0;
    if !current {
        return Ok(None);
    }
    let enrolled = state.admin.enrolled_factors(user_id).await?;
    if !enrolled.totp && !enrolled.passkey {
        return Ok(None);
    }
    seal(state, user_id, remembered.since, now).map(Some)
}
