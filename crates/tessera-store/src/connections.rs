//! Connections — the database one and those to other identity providers — the applications
//! each serves, and the identities users have at them.

use async_trait::async_trait;
use tessera_protocol::Timestamp;

use crate::{JsonObject, NewUser, StoreResult, User};

/// The name of the database connection, made with the schema.
pub const DATABASE_CONNECTION: &str = "Username-Password-Authentication";

/// A connection, as Auth0's connection objects identify it.
#[derive(Clone, PartialEq, Eq)]
pub struct Connection {
    /// `con_` and 16 characters.
    pub id: String,
    pub name: String,
    /// Shown on the login page's button; empty for the name.
    pub display_name: String,
    /// `auth0` (the database), `oidc`, `oauth2`, or a preset of those two.
    pub strategy: String,
    /// Auth0's `options` object, without the client secret.
    pub options: JsonObject,
    /// The upstream client secret, sealed with the master secret.
    pub sealed_secret: Option<String>,
    pub created_at: Timestamp,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("strategy", &self.strategy)
            .finish_non_exhaustive()
    }
}

/// Who a user is at a connection other than the database one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub connection_id: String,
    pub connection_name: String,
    pub strategy: String,
    /// The provider's id of the person (`sub`, or the profile's id).
    pub upstream_id: String,
    pub user_id: String,
    /// What the provider last said about them (Auth0's `profileData`).
    pub profile: JsonObject,
    pub created_at: Timestamp,
}

/// An identity to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIdentity {
    pub connection_id: String,
    pub upstream_id: String,
    pub profile: JsonObject,
}

#[async_trait]
pub trait ConnectionStore {
    /// Every connection, the database one first, then by name.
    async fn connections(&self) -> StoreResult<Vec<Connection>>;
    async fn connection(&self, id: &str) -> StoreResult<Option<Connection>>;
    async fn connection_named(&self, name: &str) -> StoreResult<Option<Connection>>;
    /// [`crate::StoreError::Conflict`] when the name is taken.
    async fn create_connection(&self, connection: &Connection) -> StoreResult<()>;
    /// Writes its display name, options and sealed secret; false when it is gone.
    async fn update_connection(&self, connection: &Connection) -> StoreResult<bool>;
    /// Deletes the connection, the users whose identity it holds, and its identities linked
    /// to other users; false when it was not there. The database connection is never deleted.
    async fn delete_connection(&self, id: &str) -> StoreResult<bool>;
    /// The applications the connection is enabled for, sorted.
    async fn enabled_clients(&self, connection_id: &str) -> StoreResult<Vec<String>>;
    /// Enables (`true`) or disables each application for the connection.
    async fn set_enabled_clients(
        &self,
        connection_id: &str,
        changes: &[(String, bool)],
    ) -> StoreResult<()>;
    /// The connections other than the database one that `client_id` may log users in with,
    /// by name.
    async fn connections_of_client(&self, client_id: &str) -> StoreResult<Vec<Connection>>;
}

#[async_trait]
pub trait IdentityStore {
    /// The identity `upstream_id` at the connection, if a user has it.
    async fn identity(
        &self,
        connection_id: &str,
        upstream_id: &str,
    ) -> StoreResult<Option<Identity>>;
    /// The identities a user has at connections other than the database, oldest first.
    async fn identities_of(&self, user_id: &str) -> StoreResult<Vec<Identity>>;
    /// Creates the user and their identity in one transaction; [`crate::StoreError::Conflict`]
    /// when either exists.
    async fn create_federated_user(
        &self,
        user: &NewUser,
        identity: &NewIdentity,
        now: Timestamp,
    ) -> StoreResult<User>;
    /// Links `secondary`'s identities to `primary` and deletes `secondary` (its sessions,
    /// grants and roles with it), in one transaction; false when either user is gone.
    async fn link_user(&self, primary: &str, secondary: &str) -> StoreResult<bool>;
    /// Gives the identity held by `from` back to a user of its own, `restored`, made in the
    /// same transaction; false when `from` does not hold it.
    async fn unlink_identity(
        &self,
        from: &str,
        connection_id: &str,
        upstream_id: &str,
        restored: &NewUser,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// What the provider said about the identity at this login.
    async fn update_identity_profile(
        &self,
        connection_id: &str,
        upstream_id: &str,
        profile: &JsonObject,
    ) -> StoreResult<bool>;
}
