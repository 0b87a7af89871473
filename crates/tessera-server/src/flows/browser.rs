//! What a browser brings to the authorization flows: its cookies, and the user its SSO session
//! authenticates.

use tessera_protocol::authorize::Authentication;
use tessera_protocol::{SecretDigest, Timestamp};
use tessera_store::Session;

use crate::error::InternalError;
use crate::state::AppState;

/// The cookies a browser brought, as plain values.
#[derive(Debug, Default, Clone)]
pub struct BrowserCookies {
    pub session: Option<String>,
    pub browser: Option<String>,
}

/// A user authenticated in this browser, and the SSO session that proves it.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub user_id: String,
    pub sid: String,
    pub auth: Authentication,
}

impl Authenticated {
    pub fn from_session(session: Session) -> Authenticated {
        Authenticated {
            user_id: session.user_id,
            sid: session.sid,
            auth: Authentication {
                auth_time: session.auth_time,
                during_this_request: false,
            },
        }
    }
}

/// The live SSO session named by the session cookie, if any.
pub async fn current_session(
    state: &AppState,
    cookie: Option<&str>,
    now: Timestamp,
) -> Result<Option<Session>, InternalError> {
    match cookie {
        Some(value) => Ok(state.store.session(&SecretDigest::of(value), now).await?),
        None => Ok(None),
    }
}
