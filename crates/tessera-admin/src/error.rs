//! What can go wrong in an admin operation, in the terms Auth0's Management API answers with.
//! Each variant's message is the one the caller sees; front ends map the variant to their own
//! shape (an HTTP status and `errorCode`, a Dashboard page, a CLI message).

use tessera_store::StoreError;

/// A refused or failed admin operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    /// The request's fields do not validate; the message names the field.
    #[error("{0}")]
    InvalidBody(String),
    /// The query (filters, paging) does not validate; the message names the parameter.
    #[error("{0}")]
    InvalidQuery(String),
    /// The caller lacks the scope the operation needs.
    #[error("Insufficient scope, expected any of: {0}")]
    InsufficientScope(String),
    /// The operation is not allowed on this resource (the Management API itself).
    #[error("{0}")]
    NotSupported(String),
    /// No such resource; the message names it.
    #[error("{1} does not exist")]
    NotFound(Missing, String),
    /// The resource exists already.
    #[error("{0}")]
    Conflict(String),
    /// The store cannot be reached now; the operation may succeed later.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// Tessera itself failed; the detail is for the logs.
    #[error("{0}")]
    Internal(String),
}

pub type AdminResult<T> = Result<T, AdminError>;

impl AdminError {
    /// `Payload validation error: Missing required property: {name}`, as Auth0 words it.
    pub fn missing(name: &str) -> AdminError {
        AdminError::InvalidBody(format!(
            "Payload validation error: Missing required property: {name}"
        ))
    }
}

impl From<StoreError> for AdminError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(what) => AdminError::Conflict(format!("{what} already exists")),
            StoreError::Unavailable(detail) | StoreError::Full(detail) => {
                AdminError::Unavailable(detail)
            }
            other => AdminError::Internal(other.to_string()),
        }
    }
}

/// What kind of resource a [`AdminError::NotFound`] did not find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Client,
    User,
    ResourceServer,
    Role,
    EmailProvider,
    /// Any other: client grants, grants, signing keys, log events.
    Other,
}

impl Missing {
    /// Auth0's `errorCode` for it, as Auth0's own SDKs' integration tests show it
    /// (`inexistent_client`, `inexistent_user`, `inexistent_resource_server`).
    pub fn error_code(self) -> &'static str {
        match self {
            Missing::Client => "inexistent_client",
            Missing::User => "inexistent_user",
            Missing::ResourceServer => "inexistent_resource_server",
            Missing::Role => "inexistent_role",
            Missing::EmailProvider => "inexistent_email_provider",
            Missing::Other => "inexistent_resource",
        }
    }
}

impl From<tessera_core::crypto::CryptoError> for AdminError {
    fn from(error: tessera_core::crypto::CryptoError) -> Self {
        AdminError::Internal(error.to_string())
    }
}

impl From<tessera_core::keys::KeyError> for AdminError {
    fn from(error: tessera_core::keys::KeyError) -> Self {
        match error {
            tessera_core::keys::KeyError::Store(store) => store.into(),
            other => AdminError::Internal(other.to_string()),
        }
    }
}
