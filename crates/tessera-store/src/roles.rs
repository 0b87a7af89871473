//! Auth0's roles and permissions: a permission is one scope an API defines; roles hold
//! permissions, users hold roles and permissions of their own. What a user holds on an API is
//! read at every token of an API with RBAC, so that read is one statement on the read pool.

use async_trait::async_trait;
use tessera_protocol::Timestamp;

use crate::{Listing, Page, StoreResult};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// `rol_` and 16 letters and digits, as Auth0's.
    pub id: String,
    pub name: String,
    pub description: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One scope of one API, as a permission.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Permission {
    pub resource_server_identifier: String,
    pub permission_name: String,
}

/// Why a user holds a permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionSource {
    /// Given to the user directly.
    Direct,
    /// Through this role.
    Role { id: String, name: String },
}

/// A permission a user holds, with every reason they hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldPermission {
    pub permission: Permission,
    pub sources: Vec<PermissionSource>,
}

/// Who holds permissions directly: a role, or a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder<'a> {
    Role(&'a str),
    User(&'a str),
}

/// A user who holds a role, as Auth0's role members list shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleMember {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub picture: Option<String>,
}

/// Roles, their permissions and members, and users' own permissions. Every write of several
/// rows is one transaction: all of them or none; adding what is there already changes nothing.
#[async_trait]
pub trait RoleStore {
    /// Creates a role; [`crate::StoreError::Conflict`] when its name is taken.
    async fn create_role(&self, role: &Role) -> StoreResult<()>;
    async fn role(&self, id: &str) -> StoreResult<Option<Role>>;
    /// Writes the name and description; false if there is no such role, a conflict when the
    /// name is another role's.
    async fn update_role(&self, role: &Role) -> StoreResult<bool>;
    /// Deletes a role, taking it from its users; true if it existed.
    async fn delete_role(&self, id: &str) -> StoreResult<bool>;
    /// Roles by name; `name_filter` keeps those whose name contains it, ignoring case.
    async fn list_roles(&self, page: Page, name_filter: Option<&str>)
        -> StoreResult<Listing<Role>>;

    /// Gives `holder` the permissions.
    async fn grant_permissions(
        &self,
        holder: Holder<'_>,
        permissions: &[Permission],
    ) -> StoreResult<()>;
    /// Takes the permissions from `holder` (a user keeps those of their roles).
    async fn revoke_permissions(
        &self,
        holder: Holder<'_>,
        permissions: &[Permission],
    ) -> StoreResult<()>;
    async fn role_permissions(&self, role_id: &str, page: Page)
        -> StoreResult<Listing<Permission>>;

    /// Gives each `(user_id, role_id)` pair's role to its user.
    async fn add_user_roles(&self, pairs: &[(String, String)]) -> StoreResult<()>;
    /// Takes each `(user_id, role_id)` pair's role from its user.
    async fn remove_user_roles(&self, pairs: &[(String, String)]) -> StoreResult<()>;
    async fn role_members(&self, role_id: &str, page: Page) -> StoreResult<Listing<RoleMember>>;
    async fn user_roles(&self, user_id: &str, page: Page) -> StoreResult<Listing<Role>>;

    /// What the user holds, directly and through roles, each permission once with its sources,
    /// ordered by API and name.
    async fn user_permissions(
        &self,
        user_id: &str,
        page: Page,
    ) -> StoreResult<Listing<HeldPermission>>;

    /// The names of the permissions `user_id` holds on the API `audience`, directly or through
    /// roles, sorted.
    async fn effective_permissions(
        &self,
        user_id: &str,
        audience: &str,
    ) -> StoreResult<Vec<String>>;
    /// Forgets the permissions of the API `audience` that are not in `kept` (its scopes after
    /// a change): a scope removed from an API is held by nobody.
    async fn prune_permissions(&self, audience: &str, kept: &[String]) -> StoreResult<()>;
}
