//! Dashboard administrators (separate from end users): the first one, created at the first
//! start with a password shown once, and more created with `tessera admins create`.

use tessera_core::crypto::{random_token, Passwords};
use tessera_protocol::Timestamp;
use tessera_store::{Admin, AdminRole, Store, StoreError};

use crate::error::{AdminError, AdminResult};

/// The first administrator's username.
pub const FIRST_ADMIN: &str = "admin";

/// An administrator just created, with the password to show once.
pub struct NewAdmin {
    pub username: String,
    pub password: String,
    pub role: AdminRole,
}

impl std::fmt::Debug for NewAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAdmin")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Creates an administrator with a generated password.
pub async fn create(
    store: &dyn Store,
    passwords: &Passwords,
    username: &str,
    role: AdminRole,
    now: Timestamp,
) -> AdminResult<NewAdmin> {
    let username = username.trim();
    if username.is_empty() || username.chars().any(char::is_whitespace) {
        return Err(AdminError::InvalidBody(
            "the username must be non-empty and without spaces".into(),
        ));
    }
    let password = random_token(18)?;
    let password_hash = passwords.hash(password.clone()).await?;
    let admin = Admin {
        username: username.to_owned(),
        password_hash,
        role,
        created_at: now,
    };
    store.create_admin(&admin).await.map_err(|e| match e {
        StoreError::Conflict(_) => AdminError::Conflict(format!(
            "an administrator named `{username}` exists already"
        )),
        other => other.into(),
    })?;
    Ok(NewAdmin {
        username: username.to_owned(),
        password,
        role,
    })
}

/// At the first start (no administrator yet), creates `admin` with full access.
pub async fn ensure_first(
    store: &dyn Store,
    passwords: &Passwords,
    now: Timestamp,
) -> AdminResult<Option<NewAdmin>> {
    if !store.list_admins().await?.is_empty() {
        return Ok(None);
    }
    create(store, passwords, FIRST_ADMIN, AdminRole::Admin, now)
        .await
        .map(Some)
}
