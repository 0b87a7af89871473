//! Users: search, create, block/unblock, set password, consents with Revoke (confirmed).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::dashboard::api::{segment, Api};
use crate::dashboard::session::SignedIn;
use crate::dashboard::view::{self, render, Chrome, Fields, FormBody};
use crate::routes::web::found;
use crate::state::AppState;

type Page = Result<Response, Response>;

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub struct UserRow {
    pub user_id: String,
    pub email: String,
    pub username: String,
    pub name: String,
    pub blocked: bool,
}

fn user_row(user: &Value) -> UserRow {
    UserRow {
        user_id: text(&user["user_id"]),
        email: text(&user["email"]),
        username: text(&user["username"]),
        name: text(&user["name"]),
        blocked: user["blocked"] == true,
    }
}

#[derive(Template)]
#[template(path = "dashboard/users.html")]
struct UsersPage<'a> {
    chrome: Chrome,
    users: Vec<UserRow>,
    q: &'a str,
    form: &'a Fields,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Search {
    #[serde(default)]
    q: String,
}

async fn list_page(
    signed_in: &SignedIn,
    api: &Api,
    q: &str,
    form: &Fields,
    error: Option<String>,
) -> Page {
    let mut path = "/api/v2/users?per_page=50".to_owned();
    if !q.trim().is_empty() {
        path.push_str(&format!("&q={}", segment(q.trim())));
    }
    let listed = api.get(&path).await.map_err(|f| view::failure(&f))?;
    let users = listed
        .as_array()
        .map(|items| items.iter().map(user_row).collect())
        .unwrap_or_default();
    let status = view::form_status(&error);
    let page = UsersPage {
        chrome: Chrome::of(signed_in, "users"),
        users,
        q,
        form,
        error,
    };
    Ok(render(status, page.render()))
}

/// `GET /dashboard/users?q=…`.
pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(search): Query<Search>,
) -> Page {
    let api = signed_in.api(&state).await?;
    list_page(&signed_in, &api, &search.q, &Fields(Vec::new()), None).await
}

fn user_path(user_id: &str) -> String {
    format!("/dashboard/users/{}", segment(user_id))
}

/// `POST /dashboard/users`.
pub async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let api = signed_in.api(&state).await?;
    let mut body = json!({ "email": form.get("email").trim(), "password": form.get("password"), "connection": "Username-Password-Authentication" });
    for optional in ["username", "name"] {
        if !form.get(optional).trim().is_empty() {
            body[optional] = json!(form.get(optional).trim());
        }
    }
    match api.post("/api/v2/users", body).await {
        Ok(user) => Ok(found(&user_path(&text(&user["user_id"])))),
        Err(f) if f.status == 400 || f.status == 409 => {
            list_page(&signed_in, &api, "", &form, Some(f.message)).await
        }
        Err(f) => Err(view::failure(&f)),
    }
}

pub struct ConsentRow {
    pub id: String,
    pub client_id: String,
    pub audience: String,
    pub scope: String,
}

#[derive(Template)]
#[template(path = "dashboard/user.html")]
struct UserPage {
    chrome: Chrome,
    user: UserRow,
    consents: Vec<ConsentRow>,
    error: Option<String>,
}

async fn user_page(signed_in: &SignedIn, api: &Api, user_id: &str, error: Option<String>) -> Page {
    let user = api
        .get(&format!("/api/v2/users/{}", segment(user_id)))
        .await
        .map_err(|f| view::failure(&f))?;
    let grants = api
        .get(&format!("/api/v2/grants?user_id={}", segment(user_id)))
        .await
        .map_err(|f| view::failure(&f))?;
    let consents = grants
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|g| ConsentRow {
                    id: text(&g["id"]),
                    client_id: text(&g["clientID"]),
                    audience: text(&g["audience"]),
                    scope: g["scope"]
                        .as_array()
                        .map(|s| s.iter().map(text).collect::<Vec<_>>().join(" "))
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    let status = view::form_status(&error);
    let page = UserPage {
        chrome: Chrome::of(signed_in, "users"),
        user: user_row(&user),
        consents,
        error,
    };
    Ok(render(status, page.render()))
}

/// `GET /dashboard/users/{id}`.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Page {
    let api = signed_in.api(&state).await?;
    user_page(&signed_in, &api, &id, None).await
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
            Chrome::of(&signed_in, "users"),
            "Block user",
            "The user will not be able to log in until unblocked.",
            &format!("{back}/block"),
            &form,
            &back,
        ));
    }
    let api = signed_in.api(&state).await?;
    api.patch(
        &format!("/api/v2/users/{}", segment(&id)),
        json!({ "blocked": blocked }),
    )
    .await
    .map_err(|f| view::failure(&f))?;
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
    let api = signed_in.api(&state).await?;
    match api
        .patch(
            &format!("/api/v2/users/{}", segment(&id)),
            json!({ "password": form.get("password") }),
        )
        .await
    {
        Ok(_) => Ok(found(&user_path(&id))),
        Err(f) if f.status == 400 => user_page(&signed_in, &api, &id, Some(f.message)).await,
        Err(f) => Err(view::failure(&f)),
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
            Chrome::of(&signed_in, "users"),
            "Revoke consent",
            "The application will have to ask this user for consent again.",
            &format!("{back}/consents/revoke"),
            &form,
            &back,
        ));
    }
    let api = signed_in.api(&state).await?;
    api.delete(&format!("/api/v2/grants/{}", segment(form.get("grant_id"))))
        .await
        .map_err(|f| view::failure(&f))?;
    Ok(found(&back))
}
