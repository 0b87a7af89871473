//! Roles (Auth0's RBAC): the list with a name filter, create, a role's settings and delete
//! (confirmed), the permissions it grants (scopes of an API) and the users who hold it. Also
//! what the user's page shares with it: the permission picker and which refusals are shown on
//! the page.

use askama::Template;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use tessera_admin::paging::{every, Paging, DEFAULT_PER_PAGE};
use tessera_admin::resource_servers::ResourceServer;
use tessera_admin::roles::{
    PermissionRef, PermissionsBody, Role, RoleBody, RolePermission, RoleQuery, RoleUser, RolesBody,
    UsersBody,
};
use tessera_admin::{AdminError, AdminResult};

use crate::dashboard::session::SignedIn;
use crate::dashboard::view::{self, render, Chrome, Fields, FormBody, Page};
use crate::routes::web::found;
use crate::state::AppState;

/// The roles list's path.
const ROLES: &str = "/dashboard/roles";

#[derive(Template)]
#[template(path = "dashboard/roles.html")]
struct RolesPage<'a> {
    chrome: Chrome,
    roles: Vec<Role>,
    name_filter: &'a str,
    total: u64,
    previous: Option<u32>,
    next: Option<u32>,
    form: &'a Fields,
    error: Option<String>,
}

/// The name filter and page of the roles list.
#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    #[serde(default)]
    name_filter: String,
    #[serde(default)]
    page: u32,
}

async fn list_page(
    state: &AppState,
    signed_in: &SignedIn,
    filter: &Filter,
    form: &Fields,
    error: Option<String>,
) -> Page {
    let paging = Paging {
        page: Some(filter.page),
        per_page: Some(DEFAULT_PER_PAGE),
        include_totals: None,
    };
    let query = RoleQuery {
        name_filter: Some(filter.name_filter.trim().to_owned()),
    };
    let listed = state
        .admin
        .list_roles(&signed_in.caller, &query, &paging)
        .await?;
    let page = RolesPage {
        chrome: signed_in.chrome("roles"),
        previous: filter.page.checked_sub(1),
        next: listed.has_more().then_some(filter.page + 1),
        total: listed.total,
        roles: listed.items,
        name_filter: &filter.name_filter,
        form,
        error,
    };
    Ok(render(view::form_status(&page.error), page.render()))
}

/// `GET /dashboard/roles?name_filter=…&page=N`.
pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(filter): Query<Filter>,
) -> Page {
    list_page(&state, &signed_in, &filter, &Fields(Vec::new()), None).await
}

fn role_path(id: &str) -> String {
    format!("{ROLES}/{}", view::segment(id))
}

/// `POST /dashboard/roles`.
pub async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let body = RoleBody {
        name: Some(form.get("name").trim().to_owned()),
        description: Some(form.get("description").trim().to_owned()),
    };
    match state.admin.create_role(&signed_in.caller, body).await {
        Ok(role) => Ok(found(&role_path(&role.id))),
        Err(refused) if shown_on_page(&refused) => {
            let filter = Filter::default();
            let message = Some(refused.to_string());
            list_page(&state, &signed_in, &filter, &form, message).await
        }
        Err(other) => Err(other.into()),
    }
}

/// Whether a refused change is shown on the page it was made from, for the administrator to
/// correct: bad input, a duplicate, or a user, API or role it names that does not exist. (A
/// page whose own subject is gone answers 404 when it is shown again.)
pub(super) fn shown_on_page(error: &AdminError) -> bool {
    matches!(
        error,
        AdminError::InvalidBody(_) | AdminError::Conflict(_) | AdminError::NotFound(..)
    )
}

/// The APIs with at least one scope: what a permission can be picked from.
pub(super) async fn permission_apis(
    state: &AppState,
    signed_in: &SignedIn,
) -> AdminResult<Vec<ResourceServer>> {
    let caller = &signed_in.caller;
    let apis =
        every(|paging| async move { state.admin.list_resource_servers(caller, &paging).await })
            .await?;
    Ok(apis.into_iter().filter(|a| !a.scopes.is_empty()).collect())
}

/// The permission a form names in its `permission` field: `{API identifier} {scope}` (RFC 6749
/// §3.3: a scope token has no space, so the last space separates the two).
pub(super) fn picked(form: &Fields) -> Option<PermissionRef> {
    let (api, scope) = form.get("permission").rsplit_once(' ')?;
    if api.is_empty() || scope.is_empty() {
        return None;
    }
    Some(PermissionRef {
        resource_server_identifier: api.to_owned(),
        permission_name: scope.to_owned(),
    })
}

/// A request for the one permission `permission`.
pub(super) fn only(permission: PermissionRef) -> PermissionsBody {
    PermissionsBody {
        permissions: vec![permission],
    }
}

/// What the administrator is told when a permission form names none.
pub(super) const PICK_A_PERMISSION: &str = "Choose a permission of an API.";

#[derive(Template)]
#[template(path = "dashboard/role.html")]
struct RolePage {
    chrome: Chrome,
    role: Role,
    permissions: Vec<RolePermission>,
    /// The first page of its users, and how many there are.
    users: Vec<RoleUser>,
    users_total: u64,
    apis: Vec<ResourceServer>,
    error: Option<String>,
}

async fn role_page(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
    error: Option<String>,
) -> Page {
    let caller = &signed_in.caller;
    let role = state.admin.role(caller, id).await?;
    let permissions =
        every(|paging| async move { state.admin.role_permissions(caller, id, &paging).await })
            .await?;
    let users = state.admin.role_users(caller, id, &Paging::nth(0)).await?;
    let page = RolePage {
        chrome: signed_in.chrome("roles"),
        role,
        permissions,
        users_total: users.total,
        users: users.items,
        apis: permission_apis(state, signed_in).await?,
        error,
    };
    Ok(render(view::form_status(&page.error), page.render()))
}

/// `GET /dashboard/roles/{id}`.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Page {
    role_page(&state, &signed_in, &id, None).await
}

/// The role's page after a change: back to it, or shown again with why it was refused.
async fn changed(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
    result: AdminResult<()>,
) -> Page {
    match result {
        Ok(()) => Ok(found(&role_path(id))),
        Err(refused) if shown_on_page(&refused) => {
            role_page(state, signed_in, id, Some(refused.to_string())).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /dashboard/roles/{id}`: saves the name and description.
pub async fn update(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let body = RoleBody {
        name: Some(form.get("name").trim().to_owned()),
        description: Some(form.get("description").trim().to_owned()),
    };
    let result = state.admin.update_role(&signed_in.caller, &id, body).await;
    changed(&state, &signed_in, &id, result.map(|_| ())).await
}

/// `POST /dashboard/roles/{id}/delete`: deletes the role, once confirmed.
pub async fn delete(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let back = role_path(&id);
    if form.get("confirmed") != "yes" {
        return Ok(view::confirm(
            signed_in.chrome("roles"),
            "Delete role",
            "Its users lose the role, and the permissions it gives them, from their next token.",
            &format!("{back}/delete"),
            &form,
            &back,
        ));
    }
    state.admin.delete_role(&signed_in.caller, &id).await?;
    Ok(found(ROLES))
}

/// `POST /dashboard/roles/{id}/permissions`: adds the picked permission.
pub async fn add_permission(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let Some(permission) = picked(&form) else {
        let message = Some(PICK_A_PERMISSION.to_owned());
        return role_page(&state, &signed_in, &id, message).await;
    };
    let result = state
        .admin
        .add_role_permissions(&signed_in.caller, &id, only(permission))
        .await;
    changed(&state, &signed_in, &id, result).await
}

/// `POST /dashboard/roles/{id}/permissions/remove`: removes a permission, once confirmed.
pub async fn remove_permission(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let back = role_path(&id);
    let Some(permission) = picked(&form) else {
        let message = Some(PICK_A_PERMISSION.to_owned());
        return role_page(&state, &signed_in, &id, message).await;
    };
    if form.get("confirmed") != "yes" {
        let message = format!(
            "The role's users will no longer get `{}` from it, from their next token.",
            permission.permission_name
        );
        return Ok(view::confirm(
            signed_in.chrome("roles"),
            "Remove permission",
            &message,
            &format!("{back}/permissions/remove"),
            &form,
            &back,
        ));
    }
    let result = state
        .admin
        .remove_role_permissions(&signed_in.caller, &id, only(permission))
        .await;
    changed(&state, &signed_in, &id, result).await
}

/// The user an administrator typed: their email (when exactly one user has it) or their id.
async fn user_named(state: &AppState, signed_in: &SignedIn, typed: &str) -> AdminResult<String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Err(AdminError::InvalidBody(
            "Enter a user's id or email.".into(),
        ));
    }
    if typed.contains('@') {
        let email = typed.to_lowercase();
        let users = state
            .admin
            .users_by_email(&signed_in.caller, &email)
            .await?;
        match users.as_slice() {
            [user] => return Ok(user.user_id.clone()),
            // No such email: it may still be an id.
            [] => {}
            _ => {
                return Err(AdminError::InvalidBody(format!(
                    "Several users have the email `{typed}`: add one by their user id."
                )))
            }
        }
    }
    Ok(typed.to_owned())
}

/// `POST /dashboard/roles/{id}/users`: gives the role to a user named by id or email.
pub async fn add_user(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let result = match user_named(&state, &signed_in, form.get("user")).await {
        Ok(user_id) => {
            let body = UsersBody {
                users: vec![user_id],
            };
            state
                .admin
                .add_role_users(&signed_in.caller, &id, body)
                .await
        }
        Err(refused) => Err(refused),
    };
    changed(&state, &signed_in, &id, result).await
}

/// `POST /dashboard/roles/{id}/users/remove`: takes the role from a user, once confirmed.
pub async fn remove_user(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let back = role_path(&id);
    if form.get("confirmed") != "yes" {
        return Ok(view::confirm(
            signed_in.chrome("roles"),
            "Remove user",
            "The user loses the role, and the permissions it gives, from their next token.",
            &format!("{back}/users/remove"),
            &form,
            &back,
        ));
    }
    let body = RolesBody {
        roles: vec![id.clone()],
    };
    let result = state
        .admin
        .remove_user_roles(&signed_in.caller, form.get("user_id"), body)
        .await;
    changed(&state, &signed_in, &id, result).await
}
