//! A user's roles and permissions on their page: the roles they hold (assign one of the
//! tenant's roles, remove one, confirmed) and every permission they hold with where it comes
//! from (directly, or which roles), a direct permission added or removed (confirmed).

use axum::extract::{Path, State};
use tessera_admin::roles::RolesBody;
use tessera_admin::AdminResult;

use crate::dashboard::roles::{only, picked, shown_on_page, PICK_A_PERMISSION};
use crate::dashboard::session::SignedIn;
use crate::dashboard::users::{user_page, Errors};
use crate::dashboard::view::{self, user_path, Fields, FormBody, Page};
use crate::routes::web::found;
use crate::state::AppState;

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
