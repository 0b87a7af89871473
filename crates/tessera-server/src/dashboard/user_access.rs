//! What a user's page shows of their roles and permissions: the roles they hold and can be
//! given, and every permission they hold with where it comes from. Loaded here, apart from the
//! handlers that change them (`user_roles`), which show the user's page again.

use tessera_admin::paging::every;
use tessera_admin::resource_servers::ResourceServer;
use tessera_admin::roles::{Role, RoleQuery, UserPermission};
use tessera_admin::AdminResult;

use crate::dashboard::roles::permission_apis;
use crate::dashboard::session::SignedIn;
use crate::state::AppState;

/// A permission a user holds, as their page lists it.
pub struct Held {
    pub permission: UserPermission,
    /// "Direct", or the name of a role that gives it, for each reason they hold it.
    pub sources: Vec<String>,
    /// Whether it is held directly (and so can be removed from the user).
    pub direct: bool,
}

impl Held {
    fn of(permission: UserPermission) -> Held {
        let mut direct = false;
        let sources = permission
            .sources
            .iter()
            .map(|source| {
                if source.source_type == "DIRECT" {
                    direct = true;
                    "Direct".to_owned()
                } else {
                    source.source_name.clone()
                }
            })
            .collect();
        Held {
            permission,
            sources,
            direct,
        }
    }

    /// The picker's value for this permission (see [`picked`]).
    pub fn value(&self) -> String {
        format!(
            "{} {}",
            self.permission.resource_server_identifier, self.permission.permission_name
        )
    }
}

/// The user page's "Roles and permissions" section.
pub struct Access {
    pub roles: Vec<Role>,
    /// The roles they do not hold yet.
    pub assignable: Vec<Role>,
    pub permissions: Vec<Held>,
    /// The APIs a direct permission can be picked from.
    pub apis: Vec<ResourceServer>,
}

/// The roles and permissions of `user_id`, and what can be given to them.
pub async fn access(state: &AppState, signed_in: &SignedIn, user_id: &str) -> AdminResult<Access> {
    let caller = &signed_in.caller;
    let admin = &state.admin;
    let roles =
        every(|paging| async move { admin.user_roles(caller, user_id, &paging).await }).await?;
    let query = &RoleQuery::default();
    let all_roles =
        every(|paging| async move { admin.list_roles(caller, query, &paging).await }).await?;
    let assignable = all_roles
        .into_iter()
        .filter(|role| !roles.iter().any(|held| held.id == role.id))
        .collect();
    let permissions =
        every(|paging| async move { admin.user_permissions(caller, user_id, &paging).await })
            .await?;
    Ok(Access {
        roles,
        assignable,
        permissions: permissions.into_iter().map(Held::of).collect(),
        apis: permission_apis(state, signed_in).await?,
    })
}
