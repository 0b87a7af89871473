//! Users: search (a page at a time), create, block/unblock, set password, consents with Revoke
//! (confirmed), their roles and permissions (`user_access`, `user_roles`), and their MFA
//! (`user_mfa`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use tessera_admin::grants::{Grant, GrantQuery};
use tessera_admin::jobs::JobView;
use tessera_admin::paging::{Paging, DEFAULT_PER_PAGE};
use tessera_admin::users::{User, UserBody, UserQuery, CONNECTION};
use tessera_admin::AdminError;

use crate::dashboard::session::SignedIn;
use crate::dashboard::user_access::{self, Access};
use crate::dashboard::user_mfa::{self, MfaMethod};
use crate::dashboard::view::{self, render, user_path, Chrome, Fields, FormBody, Page};
use crate::routes::web::found;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "dashboard/users.html")]
struct UsersPage<'a> {
    chrome: Chrome,
    users: Vec<User>,
    q: &'a str,
    total: u64,
    previous: Option<u32>,
    next: Option<u32>,
    form: &'a Fields,
    error: Option<String>,
    jobs: Vec<JobView>,
}

/// Recent jobs shown under the users list.
const RECENT_JOBS: u32 = 5;

/// The search and page of the users list.
#[derive(Debug, Default, Deserialize)]
pub struct Search {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: u32,
}

async fn list_page(
    state: &AppState,
    signed_in: &SignedIn,
    search: &Search,
    form: &Fields,
    error: Option<String>,
) -> Page {
    let paging = Paging {
        page: Some(search.page),
        per_page: Some(DEFAULT_PER_PAGE),
        include_totals: None,
    };
    let listed = state
        .admin
        .list_users(&signed_in.caller, &paging, &UserQuery::search(&search.q))
        .await?;
    let jobs = state
        .admin
        .recent_jobs(&signed_in.caller, RECENT_JOBS)
        .await?;
    let page = UsersPage {
        jobs,
        chrome: signed_in.chrome("users"),
        previous: search.page.checked_sub(1),
        next: listed.has_more().then_some(search.page + 1),
        total: listed.total,
        users: listed.items,
        q: &search.q,
        form,
        error,
    };
    Ok(render(view::form_status(&page.error), page.render()))
}

/// `GET /dashboard/users?q=…&page=N`.
pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(search): Query<Search>,
) -> Page {
    list_page(&state, &signed_in, &search, &Fields(Vec::new()), None).await
}

/// A form field, or `None` when left empty.
fn optional(form: &Fields, name: &str) -> Option<String> {
    Some(form.get(name).trim())
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
}

/// `POST /dashboard/users`.
pub async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let body = UserBody {
        email: Some(form.get("email").trim().to_owned()),
        password: Some(form.get("password").to_owned()),
        connection: Some(CONNECTION.to_owned()),
        username: optional(&form, "username"),
        name: optional(&form, "name"),
        ..UserBody::default()
    };
    match state.admin.create_user(&signed_in.caller, body).await {
        Ok(user) => Ok(found(&user_path(&user.user_id))),
        Err(refused @ (AdminError::InvalidBody(_) | AdminError::Conflict(_))) => {
            let search = Search::default();
            list_page(
                &state,
                &signed_in,
                &search,
                &form,
                Some(refused.to_string()),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "dashboard/user.html")]
struct UserPage {
    chrome: Chrome,
    user: User,
    consents: Vec<Grant>,
    access: Access,
    mfa: Vec<MfaMethod>,
    errors: Errors,
}

/// Why a change on the user's page was refused, shown next to the form it came from.
#[derive(Debug, Default)]
pub(super) struct Errors {
    password: Option<String>,
    access: Option<String>,
}

impl Errors {
    /// A refused change of the user's roles or permissions.
    pub(super) fn access(message: String) -> Errors {
        Errors {
            access: Some(message),
            ..Errors::default()
        }
    }

    /// A page shown again with an error is a 400.
    fn status(&self) -> StatusCode {
        if self.password.is_some() || self.access.is_some() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        }
    }
}

pub(super) async fn user_page(
    state: &AppState,
    signed_in: &SignedIn,
    user_id: &str,
    errors: Errors,
) -> Page {
    let user = state.admin.user(&signed_in.caller, user_id).await?;
    let query = GrantQuery {
        user_id: Some(user_id.to_owned()),
        ..GrantQuery::default()
    };
    let consents = state.admin.list_grants(&signed_in.caller, &query).await?;
    let page = UserPage {
        chrome: signed_in.chrome("users"),
        access: user_access::access(state, signed_in, user_id).await?,
        mfa: user_mfa::methods(state, signed_in, user_id).await?,
        user,
        consents,
        errors,
    };
    Ok(render(page.errors.status(), page.render()))
}

/// `GET /dashboard/users/{id}`.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Page {
    user_page(&state, &signed_in, &id, Errors::default()).await
}

/// `POST /dashboard/users/{id}/block` (`blocked=true|false`): blocking asks first.
pub async fn block(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let back = user_path(&id);
    let blocked = form.get("blocked") == "true";
    if blocked && form.get("confirmed") != "yes" {
        return Ok(view::confirm(
            signed_in.chrome("users"),
            "Block user",
            "The user will not be able to log in until unblocked.",
            &format!("{back}/block"),
            &form,
            &back,
        ));
    }
    let body = UserBody {
        blocked: Some(blocked),
        ..UserBody::default()
    };
    state
        .admin
        .update_user(&signed_in.caller, &id, body)
        .await?;
    Ok(found(&back))
}

/// `POST /dashboard/users/{id}/password`.
pub async fn set_password(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let body = UserBody {
        password: Some(form.get("password").to_owned()),
        ..UserBody::default()
    };
    match state.admin.update_user(&signed_in.caller, &id, body).await {
        Ok(_) => Ok(found(&user_path(&id))),
        Err(AdminError::InvalidBody(message)) => {
            let errors = Errors {
                password: Some(message),
                ..Errors::default()
            };
            user_page(&state, &signed_in, &id, errors).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /dashboard/users/{id}/consents/revoke`: revokes a consent, once confirmed.
pub async fn revoke_consent(
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
            "Revoke consent",
            "The application will have to ask this user for consent again.",
            &format!("{back}/consents/revoke"),
            &form,
            &back,
        ));
    }
    state
        .admin
        .delete_grant(&signed_in.caller, form.get("grant_id"))
        .await?;
    Ok(found(&back))
}
