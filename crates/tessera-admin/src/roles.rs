//! Roles and permissions (Auth0's RBAC), with Auth0's paths, fields and scopes: roles, the
//! permissions a role grants, who holds a role, and the permissions a user holds directly or
//! through roles (each with its sources). A permission is a scope its API defines; every change
//! is checked whole before anything is written, and written in one transaction.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;
use tessera_core::audit::{Event, EventType};
use tessera_core::crypto::random_alphanumeric;
use tessera_store::{
    HeldPermission, Holder, Permission as StoredPermission, PermissionSource, Role as StoredRole,
    RoleMember,
};

use crate::error::{AdminError, AdminResult, Missing};
use crate::paging::{list_shapes, Listed, Paging};
use crate::service::{Admin, Caller};

/// Characters after `rol_` in a new role's id (Auth0's are 16).
const ROLE_ID_LENGTH: usize = 16;

/// A role to create, or the fields of one to change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A role as the Management API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Role {
    /// `rol_` and 16 letters and digits.
    pub id: String,
    pub name: String,
    pub description: String,
}

impl Role {
    fn of(role: &StoredRole) -> Role {
        Role {
            id: role.id.clone(),
            name: role.name.clone(),
            description: role.description.clone(),
        }
    }
}

/// Which roles a list returns.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoleQuery {
    /// Only roles whose name contains this (case-insensitive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_filter: Option<String>,
}

/// One permission in a request: a scope of an API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PermissionRef {
    /// The API's identifier (its audience).
    pub resource_server_identifier: String,
    /// One of the API's scopes.
    pub permission_name: String,
}

/// `{ "permissions": [...] }`: permissions to add or remove.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PermissionsBody {
    pub permissions: Vec<PermissionRef>,
}

/// `{ "users": [...] }`: the ids of users to give a role.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsersBody {
    pub users: Vec<String>,
}

/// `{ "roles": [...] }`: the ids of roles to give a user or take from them.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolesBody {
    pub roles: Vec<String>,
}

/// A permission a role grants, with its API's name and its description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RolePermission {
    pub resource_server_identifier: String,
    pub permission_name: String,
    pub resource_server_name: String,
    pub description: String,
}

/// Why a user holds a permission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PermissionSourceView {
    /// The role's id (empty for a direct permission).
    pub source_id: String,
    /// The role's name (empty for a direct permission).
    pub source_name: String,
    /// `DIRECT` or `ROLE`.
    pub source_type: String,
}

/// A permission a user holds, with every reason they hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserPermission {
    pub resource_server_identifier: String,
    pub permission_name: String,
    pub resource_server_name: String,
    pub description: String,
    pub sources: Vec<PermissionSourceView>,
}

/// A user who holds a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RoleUser {
    pub user_id: String,
    pub email: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
}

impl RoleUser {
    fn of(member: &RoleMember) -> RoleUser {
        RoleUser {
            user_id: member.user_id.clone(),
            email: member.email.clone(),
            name: member.name.clone(),
            picture: member.picture.clone(),
        }
    }
}

list_shapes! {
    RoleList, RolePage, Role, roles, "roles";
    RolePermissionList, RolePermissionPage, RolePermission, permissions, "a role's permissions";
    RoleUserList, RoleUserPage, RoleUser, users, "a role's users";
    UserPermissionList, UserPermissionPage, UserPermission, permissions, "a user's permissions";
}

fn not_found(id: &str) -> AdminError {
    AdminError::NotFound(Missing::Role, format!("The role `{id}`"))
}

/// Auth0's wording for an empty list where at least one item is required.
fn at_least_one<T>(items: &[T], property: &str) -> AdminResult<()> {
    if items.is_empty() {
        return Err(AdminError::InvalidBody(format!(
            "Payload validation error: 'Array is too short (0), minimum 1' on property {property}"
        )));
    }
    Ok(())
}

/// The name and description of each API a list of permissions names, to show them by.
struct Described {
    apis: BTreeMap<String, (String, BTreeMap<String, String>)>,
}

impl Described {
    fn names(&self, permission: &StoredPermission) -> (String, String) {
        self.apis
            .get(&permission.resource_server_identifier)
            .map(|(name, scopes)| {
                let description = scopes
                    .get(&permission.permission_name)
                    .cloned()
                    .unwrap_or_default();
                (name.clone(), description)
            })
            .unwrap_or_default()
    }
}

impl Admin {
    pub async fn list_roles(
        &self,
        caller: &Caller,
        query: &RoleQuery,
        paging: &Paging,
    ) -> AdminResult<Listed<Role>> {
        caller.require("read:roles")?;
        let page = paging.page()?;
        let filter = query.name_filter.as_deref().filter(|f| !f.is_empty());
        let listing = self.store().list_roles(page, filter).await?;
        Ok(Listed::of(page, listing, Role::of))
    }

    pub async fn role(&self, caller: &Caller, id: &str) -> AdminResult<Role> {
        caller.require("read:roles")?;
        Ok(Role::of(&self.stored_role(id).await?))
    }

    async fn stored_role(&self, id: &str) -> AdminResult<StoredRole> {
        self.store().role(id).await?.ok_or_else(|| not_found(id))
    }

    pub async fn create_role(&self, caller: &Caller, body: RoleBody) -> AdminResult<Role> {
        caller.require("create:roles")?;
        let name = body
            .name
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| AdminError::missing("name"))?;
        let now = self.now();
        let role = StoredRole {
            id: format!("rol_{}", random_alphanumeric(ROLE_ID_LENGTH)?),
            name,
            description: body.description.unwrap_or_default(),
            created_at: now,
            updated_at: now,
        };
        self.store().create_role(&role).await?;
        self.role_changed(
            caller,
            "Create a role",
            &role.id,
            json!({ "name": role.name }),
        );
        Ok(Role::of(&role))
    }

    pub async fn update_role(
        &self,
        caller: &Caller,
        id: &str,
        body: RoleBody,
    ) -> AdminResult<Role> {
        caller.require("update:roles")?;
        let mut role = self.stored_role(id).await?;
        if let Some(name) = body.name {
            if name.trim().is_empty() {
                return Err(AdminError::InvalidBody(
                    "Payload validation error: name must not be empty".into(),
                ));
            }
            role.name = name;
        }
        if let Some(description) = body.description {
            role.description = description;
        }
        role.updated_at = self.now();
        if !self.store().update_role(&role).await? {
            return Err(not_found(id));
        }
        self.role_changed(caller, "Update a role", id, json!({ "name": role.name }));
        Ok(Role::of(&role))
    }

    /// Deletes a role: its users lose it (and its permissions) at their next token.
    pub async fn delete_role(&self, caller: &Caller, id: &str) -> AdminResult<()> {
        caller.require("delete:roles")?;
        if !self.store().delete_role(id).await? {
            return Err(not_found(id));
        }
        self.role_changed(caller, "Delete a role", id, json!({}));
        Ok(())
    }

    pub async fn role_permissions(
        &self,
        caller: &Caller,
        id: &str,
        paging: &Paging,
    ) -> AdminResult<Listed<RolePermission>> {
        caller.require("read:roles")?;
        let page = paging.page()?;
        self.stored_role(id).await?;
        let listing = self.store().role_permissions(id, page).await?;
        let described = self.described(listing.items.iter()).await?;
        Ok(Listed::of(page, listing, |p| {
            let (resource_server_name, description) = described.names(p);
            RolePermission {
                resource_server_identifier: p.resource_server_identifier.clone(),
                permission_name: p.permission_name.clone(),
                resource_server_name,
                description,
            }
        }))
    }

    pub async fn add_role_permissions(
        &self,
        caller: &Caller,
        id: &str,
        body: PermissionsBody,
    ) -> AdminResult<()> {
        self.change_permissions(caller, Holder::Role(id), body, true)
            .await
    }

    pub async fn remove_role_permissions(
        &self,
        caller: &Caller,
        id: &str,
        body: PermissionsBody,
    ) -> AdminResult<()> {
        self.change_permissions(caller, Holder::Role(id), body, false)
            .await
    }

    pub async fn role_users(
        &self,
        caller: &Caller,
        id: &str,
        paging: &Paging,
    ) -> AdminResult<Listed<RoleUser>> {
        caller.require_any(&["read:role_members", "read:roles", "read:users"])?;
        let page = paging.page()?;
        self.stored_role(id).await?;
        let listing = self.store().role_members(id, page).await?;
        Ok(Listed::of(page, listing, RoleUser::of))
    }

    pub async fn add_role_users(
        &self,
        caller: &Caller,
        id: &str,
        body: UsersBody,
    ) -> AdminResult<()> {
        caller.require_any(&["create:role_members", "update:roles"])?;
        at_least_one(&body.users, "users")?;
        self.stored_role(id).await?;
        for user_id in &body.users {
            self.stored_user(user_id).await?;
        }
        let pairs: Vec<(String, String)> = body
            .users
            .iter()
            .map(|user| (user.clone(), id.to_owned()))
            .collect();
        self.store().add_user_roles(&pairs).await?;
        let details = json!({ "users": body.users });
        self.role_changed(caller, "Assign users to a role", id, details);
        Ok(())
    }

    pub async fn user_roles(
        &self,
        caller: &Caller,
        user_id: &str,
        paging: &Paging,
    ) -> AdminResult<Listed<Role>> {
        caller.require_any(&["read:role_members", "read:roles", "read:users"])?;
        let page = paging.page()?;
        self.stored_user(user_id).await?;
        let listing = self.store().user_roles(user_id, page).await?;
        Ok(Listed::of(page, listing, Role::of))
    }

    pub async fn assign_user_roles(
        &self,
        caller: &Caller,
        user_id: &str,
        body: RolesBody,
    ) -> AdminResult<()> {
        caller.require_any(&["create:role_members", "update:users"])?;
        let pairs = self.memberships(user_id, &body).await?;
        self.store().add_user_roles(&pairs).await?;
        self.user_changed(
            caller,
            "Assign roles to a user",
            user_id,
            json!({ "roles": body.roles }),
        );
        Ok(())
    }

    pub async fn remove_user_roles(
        &self,
        caller: &Caller,
        user_id: &str,
        body: RolesBody,
    ) -> AdminResult<()> {
        caller.require_any(&["delete:role_members", "update:users"])?;
        let pairs = self.memberships(user_id, &body).await?;
        self.store().remove_user_roles(&pairs).await?;
        self.user_changed(
            caller,
            "Remove roles from a user",
            user_id,
            json!({ "roles": body.roles }),
        );
        Ok(())
    }

    /// `(user, role)` for each role of `body`, once the user and every role are found.
    async fn memberships(
        &self,
        user_id: &str,
        body: &RolesBody,
    ) -> AdminResult<Vec<(String, String)>> {
        at_least_one(&body.roles, "roles")?;
        self.stored_user(user_id).await?;
        for role in &body.roles {
            self.stored_role(role).await?;
        }
        Ok(body
            .roles
            .iter()
            .map(|role| (user_id.to_owned(), role.clone()))
            .collect())
    }

    pub async fn user_permissions(
        &self,
        caller: &Caller,
        user_id: &str,
        paging: &Paging,
    ) -> AdminResult<Listed<UserPermission>> {
        caller.require("read:users")?;
        let page = paging.page()?;
        self.stored_user(user_id).await?;
        let listing = self.store().user_permissions(user_id, page).await?;
        let described = self
            .described(listing.items.iter().map(|h| &h.permission))
            .await?;
        Ok(Listed::of(page, listing, |held: &HeldPermission| {
            let (resource_server_name, description) = described.names(&held.permission);
            UserPermission {
                resource_server_identifier: held.permission.resource_server_identifier.clone(),
                permission_name: held.permission.permission_name.clone(),
                resource_server_name,
                description,
                sources: held.sources.iter().map(source_view).collect(),
            }
        }))
    }

    pub async fn add_user_permissions(
        &self,
        caller: &Caller,
        user_id: &str,
        body: PermissionsBody,
    ) -> AdminResult<()> {
        self.change_permissions(caller, Holder::User(user_id), body, true)
            .await
    }

    pub async fn remove_user_permissions(
        &self,
        caller: &Caller,
        user_id: &str,
        body: PermissionsBody,
    ) -> AdminResult<()> {
        self.change_permissions(caller, Holder::User(user_id), body, false)
            .await
    }

    /// Gives (`grant`) or takes the permissions of `body` to or from `holder`, once the holder
    /// is found and every permission is one its API defines.
    async fn change_permissions(
        &self,
        caller: &Caller,
        holder: Holder<'_>,
        body: PermissionsBody,
        grant: bool,
    ) -> AdminResult<()> {
        let details = json!({ "permissions": body.permissions.len() });
        match holder {
            Holder::Role(id) => {
                caller.require("update:roles")?;
                self.stored_role(id).await?;
            }
            Holder::User(id) => {
                caller.require("update:users")?;
                self.stored_user(id).await?;
            }
        }
        let permissions = self.defined(&body.permissions).await?;
        if grant {
            self.store().grant_permissions(holder, &permissions).await?;
        } else {
            self.store()
                .revoke_permissions(holder, &permissions)
                .await?;
        }
        match (holder, grant) {
            (Holder::Role(id), true) => {
                self.role_changed(caller, "Add permissions to a role", id, details)
            }
            (Holder::Role(id), false) => {
                self.role_changed(caller, "Remove permissions from a role", id, details)
            }
            (Holder::User(id), true) => {
                self.user_changed(caller, "Assign permissions to a user", id, details)
            }
            (Holder::User(id), false) => {
                self.user_changed(caller, "Remove permissions from a user", id, details)
            }
        }
        Ok(())
    }

    /// The permissions asked for, once every one is a scope its API defines.
    async fn defined(&self, asked: &[PermissionRef]) -> AdminResult<Vec<StoredPermission>> {
        at_least_one(asked, "permissions")?;
        let mut apis = BTreeMap::new();
        for permission in asked {
            let identifier = &permission.resource_server_identifier;
            if !apis.contains_key(identifier) {
                let api = self.store().api(identifier).await?.ok_or_else(|| {
                    AdminError::NotFound(
                        Missing::ResourceServer,
                        format!("The resource server `{identifier}`"),
                    )
                })?;
                apis.insert(identifier.clone(), api);
            }
            let defines = apis.get(identifier).is_some_and(|api| {
                api.scopes
                    .iter()
                    .any(|s| s.value.as_str() == permission.permission_name)
            });
            if !defines {
                return Err(AdminError::InvalidBody(format!(
                    "The permission `{}` is not defined by the resource server `{identifier}`",
                    permission.permission_name
                )));
            }
        }
        Ok(asked
            .iter()
            .map(|p| StoredPermission {
                resource_server_identifier: p.resource_server_identifier.clone(),
                permission_name: p.permission_name.clone(),
            })
            .collect())
    }

    /// The names and scope descriptions of the APIs `permissions` belong to.
    async fn described<'a>(
        &self,
        permissions: impl Iterator<Item = &'a StoredPermission>,
    ) -> AdminResult<Described> {
        let mut apis = BTreeMap::new();
        for permission in permissions {
            let identifier = &permission.resource_server_identifier;
            if apis.contains_key(identifier) {
                continue;
            }
            if let Some(api) = self.store().api(identifier).await? {
                let scopes = api
                    .scopes
                    .iter()
                    .map(|s| (s.value.to_string(), s.description.clone()))
                    .collect();
                apis.insert(identifier.clone(), (api.name.clone(), scopes));
            }
        }
        Ok(Described { apis })
    }

    fn role_changed(
        &self,
        caller: &Caller,
        description: &str,
        role_id: &str,
        details: serde_json::Value,
    ) {
        let mut details = details;
        details["role_id"] = json!(role_id);
        self.changed();
        let event = Event::new(EventType::ApiOperation)
            .description(description)
            .details(details);
        self.record(caller, caller.event(event));
    }

    fn user_changed(
        &self,
        caller: &Caller,
        description: &str,
        user_id: &str,
        details: serde_json::Value,
    ) {
        self.changed();
        let mut event = Event::new(EventType::ApiOperation)
            .description(description)
            .details(details);
        event.user_id = Some(user_id.to_owned());
        self.record(caller, caller.event(event));
    }
}

fn source_view(source: &PermissionSource) -> PermissionSourceView {
    match source {
        PermissionSource::Direct => PermissionSourceView {
            source_id: String::new(),
            source_name: String::new(),
            source_type: "DIRECT".into(),
        },
        PermissionSource::Role { id, name } => PermissionSourceView {
            source_id: id.clone(),
            source_name: name.clone(),
            source_type: "ROLE".into(),
        },
    }
}
