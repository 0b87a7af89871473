//! A user's roles and permissions on their page: the roles they hold (assign one of the
//! tenant's roles, remove one, confirmed) and every permission they hold with where it comes
//! from (directly, or which roles), a direct permission added or removed (confirmed).

use axum::extract::{Path, State};
use tessera_admin::paging::every;
use tessera_admin::resource_servers::ResourceServer;
use tessera_admin::roles::{Role, RoleQuery, RolesBody, UserPermission};
use tessera_admin::AdminResult;

use crate::dashboard::roles::{only, permission_apis, picked, shown_on_page, PICK_A_PERMISSION};
use crate::dashboard::session::SignedIn;
use crate::dashboard::users::{user_page, user_path, Errors};
use crate::dashboard::view::{self, Fields, FormBody, Page};
use crate::routes::web::found;
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

/// The user's page after a change: back to it, or shown again with why it was refused.
async fn changed(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
    result: AdminResult<()>,
) -> Page {
    match result {
        Ok(()) => Ok(found(&user_path(id))),
        Err(refused) if shown_on_page(&refused) => {
            let errors = Errors::access(refused.to_string());
            user_page(state, signed_in, id, errors).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /dashboard/users/{id}/roles`: assigns the chosen role.
pub async fn assign_role(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let role = form.get("role_id");
    if role.is_empty() {
        let errors = Errors::access("Choose a role.".to_owned());
        return user_page(&state, &signed_in, &id, errors).await;
    }
    let body = RolesBody {
        roles: vec![role.to_owned()],
    };
    let result = state
        .admin
        .assign_user_roles(&signed_in.caller, &id, body)
        .await;
    changed(&state, &signed_in, &id, result).await
}

/// `POST /dashboard/users/{id}/roles/remove`: removes a role, once confirmed.
pub async fn remove_role(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let back = user_path(&id);
    if form.get("confirmed") != "yes" {
        return Ok(view::confirm(
            signed_in.chrome("users"),
            "Remove role",
            "The user loses the role, and the permissions it gives, from their next token.",
            &format!("{back}/roles/remove"),
            &form,
            &back,
        ));
    }
    let body = RolesBody {
        roles: vec![form.get("role_id").to_owned()],
    };
    let result = state
        .admin
        .remove_user_roles(&signed_in.caller, &id, body)
        .await;
    changed(&state, &signed_in, &id, result).await
}

/// `POST /dashboard/users/{id}/permissions`: gives the picked permission directly.
pub async fn add_permission(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let Some(permission) = picked(&form) else {
        let errors = Errors::access(PICK_A_PERMISSION.to_owned());
        return user_page(&state, &signed_in, &id, errors).await;
    };
    let result = state
        .admin
        .add_user_permissions(&signed_in.caller, &id, only(permission))
        .await;
    changed(&state, &signed_in, &id, result).await
}

/// `POST /dashboard/users/{id}/permissions/remove`: removes a direct permission, once
/// confirmed (a role that gives it still does).
pub async fn remove_permission(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let back = user_path(&id);
    let Some(permission) = picked(&form) else {
        let errors = Errors::access(PICK_A_PERMISSION.to_owned());
        return user_page(&state, &signed_in, &id, errors).await;
    };
    if form.get("confirmed") != "yes" {
        let message = format!(
            "The user will no longer hold `{}` directly, from their next token (a role that gives it still does).",
            permission.permission_name
        );
        return Ok(view::confirm(
            signed_in.chrome("users"),
            "Remove permission",
            &message,
            &format!("{back}/permissions/remove"),
            &form,
            &back,
        ));
    }
    let result = state
        .admin
        .remove_user_permissions(&signed_in.caller, &id, only(permission))
        .await;
    changed(&state, &signed_in, &id, result).await
}
