//! What a browser brings to the authorization flows: its cookies, and the user its SSO session
//! authenticates.

use tessera_protocol::authorize::Authentication;
use tessera_protocol::mfa::Amr;
use tessera_protocol::{SecretDigest, Timestamp};
use tessera_store::Session;

use crate::error::InternalError;
use crate::state::AppState;

/// The cookies a browser brought, as plain values.
#[derive(Debug, Default, Clone)]
pub struct BrowserCookies {
    pub session: Option<String>,
    pub browser: Option<String>,
    /// This browser remembered after a second factor ([`crate::flows::interaction`]).
    pub remembered: Option<String>,
}

/// A user authenticated in this browser, and the SSO session that proves it.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub user_id: String,
    pub sid: String,
    pub auth: Authentication,
    /// How they authenticated (RFC 8176).
    pub amr: Amr,
}

impl Authenticated {
    pub fn from_session(session: Session) -> Authenticated {
        Authenticated {
            user_id: session.user_id,
            sid: session.sid,
            auth: Authentication {
                auth_time: session.auth_time,
                during_this_request: false,
                multi_factor: session.amr.is_multi_factor(),
            },
            amr: session.amr,
        }
    }
}

/// The live SSO session named by the session cookie, if any — unless the tenant asks every
/// login for a second factor and this session's login had none (it began before the policy
/// did): then the user logs in again, with both.
pub async fn current_session(
    state: &AppState,
    cookie: Option<&str>,
    now: Timestamp,
) -> Result<Option<Session>, InternalError> {
    let Some(value) = cookie else {
        return Ok(None);
    };
    let Some(session) = state.store.session(&SecretDigest::of(value), now).await? else {
        return Ok(None);
    };
    if !session.amr.is_multi_factor() && state.admin.mfa_settings().await?.required() {
        return Ok(None);
    }
    Ok(Some(session))
}
