//! A user's multi-factor authentication on their page: the methods they enrolled (or began
//! to), each removable (confirmed), and "Reset MFA" (confirmed), which removes them all so the
//! user enrolls again at their next login when MFA is required. The admin service records both.

use axum::extract::{Path, State};
use tessera_admin::mfa::methods::{AuthenticationMethod, MethodType};
use tessera_admin::paging::every;
use tessera_admin::AdminResult;

use crate::dashboard::session::SignedIn;
use crate::dashboard::view::{self, user_path, Fields, FormBody, Page};
use crate::routes::web::found;
use crate::state::AppState;

/// An authentication method as the user's page lists it.
pub struct MfaMethod {
    pub id: String,
    /// "Authenticator app" or "Recovery code".
    pub kind: &'static str,
    /// False while the enrollment is unfinished.
    pub confirmed: bool,
    /// RFC 3339.
    pub enrolled: String,
    /// RFC 3339; `None` until first used.
    pub last_used: Option<String>,
}

impl MfaMethod {
    fn of(method: AuthenticationMethod) -> MfaMethod {
        MfaMethod {
            kind: match method.kind {
                MethodType::Totp => "Authenticator app",
                MethodType::RecoveryCode => "Recovery code",
                MethodType::Passkey => "Passkey",
            },
            id: method.id,
            confirmed: method.confirmed,
            enrolled: method.created_at,
            last_used: method.last_auth_at,
        }
    }
}

/// Every authentication method of `user_id`, oldest first.
pub async fn methods(
    state: &AppState,
    signed_in: &SignedIn,
    user_id: &str,
) -> AdminResult<Vec<MfaMethod>> {
    let (admin, caller) = (&state.admin, &signed_in.caller);
    let methods =
        every(|paging| async move { admin.authentication_methods(caller, user_id, &paging).await })
            .await?;
    Ok(methods.into_iter().map(MfaMethod::of).collect())
}

/// `POST /dashboard/users/{id}/mfa/reset`: Auth0's "reset MFA", once confirmed.
pub async fn reset(
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
            "Reset multi-factor authentication",
            "Every authentication method of this user is removed. When MFA is required, they enroll again at their next login.",
            &format!("{back}/mfa/reset"),
            &form,
            &back,
        ));
    }
    state
        .admin
        .reset_authenticators(&signed_in.caller, &id)
        .await?;
    Ok(found(&back))
}

/// `POST /dashboard/users/{id}/mfa/remove` (`method_id`): removes one method, once confirmed.
pub async fn remove(
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
            "Remove authentication method",
            "The user can no longer use this method. When MFA is required and they have none left, they enroll again at their next login.",
            &format!("{back}/mfa/remove"),
            &form,
            &back,
        ));
    }
    state
        .admin
        .delete_authentication_method(&signed_in.caller, &id, form.get("method_id"))
        .await?;
    Ok(found(&back))
}
