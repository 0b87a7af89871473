//! `/api/v2/users`: end users of the database connection (Auth0's
//! `Username-Password-Authentication`). Passwords are hashed with argon2id; never returned.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_store::{NewUser, User};

use crate::management::auth::ManagementToken;
use crate::management::error::{ApiError, ApiResult};
use crate::management::listing::{list_response, Paging};
use crate::management::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, Unauthorized, UserList, UserSchema,
};
use crate::management::payload::{ApiQuery, Payload};
use crate::state::AppState;
use tessera_core::crypto::random_hex;

/// Auth0's name for the username/password store, the only connection Tessera has.
pub const CONNECTION: &str = "Username-Password-Authentication";
/// Auth0's "Fair" password policy: at least 8 characters.
const MIN_PASSWORD_LENGTH: usize = 8;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    pub email: Option<String>,
    pub username: Option<String>,
    pub name: Option<String>,
    pub password: Option<String>,
    pub email_verified: Option<bool>,
    pub blocked: Option<bool>,
    /// Accepted for compatibility; must be the database connection.
    pub connection: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Finds users whose username, email or name contains it.
    pub q: Option<String>,
}

pub fn user_json(user: &User) -> Value {
    let local_id = user
        .user_id
        .split_once('|')
        .map_or(user.user_id.as_str(), |(_, id)| id);
    json!({
        "user_id": user.user_id,
        "email": user.email,
        "email_verified": user.email_verified,
        "username": user.username,
        "name": user.name,
        "nickname": user.username,
        "blocked": user.blocked,
        "created_at": user.created_at.rfc3339(),
        "updated_at": user.updated_at.rfc3339(),
        "identities": [{ "connection": CONNECTION, "provider": "auth0", "user_id": local_id, "isSocial": false }],
    })
}

fn check_connection(connection: Option<&str>) -> ApiResult<()> {
    match connection {
        Some(name) if name != CONNECTION => Err(ApiError::invalid_body(format!(
            "Payload validation error: connection `{name}` does not exist; use `{CONNECTION}`"
        ))),
        _ => Ok(()),
    }
}

fn check_email(email: &str) -> ApiResult<()> {
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && domain.contains('.')
                && !email.contains(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err(ApiError::invalid_body(format!(
            "Payload validation error: email `{email}` is not an email address"
        ))),
    }
}

async fn hash(state: &AppState, password: String) -> ApiResult<String> {
    if password.chars().count() < MIN_PASSWORD_LENGTH {
        return Err(ApiError::invalid_body(format!(
            "PasswordStrengthError: password must have at least {MIN_PASSWORD_LENGTH} characters"
        )));
    }
    Ok(state.passwords.hash(password).await?)
}

#[utoipa::path(
    get,
    path = "/api/v2/users",
    operation_id = "get_users",
    summary = "List or search users",
    tag = "users",
    params(Paging, UserQuery),
    responses((status = 200, description = "The users", body = UserList), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["read:users"])),
)]
pub async fn list(
    State(state): State<AppState>,
    token: ManagementToken,
    ApiQuery(paging): ApiQuery<Paging>,
    ApiQuery(query): ApiQuery<UserQuery>,
) -> ApiResult<Response> {
    token.require("read:users")?;
    let page = paging.page()?;
    let search = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let listing = state.store.list_users(page, search).await?;
    Ok(list_response(&paging, page, listing, "users", user_json))
}

async fn load(state: &AppState, id: &str) -> ApiResult<User> {
    state
        .store
        .user(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("The user `{id}`")))
}

#[utoipa::path(
    get,
    path = "/api/v2/users/{id}",
    operation_id = "get_users_by_id",
    summary = "Get a user",
    tag = "users",
    params(("id" = String, Path, description = "The user id (`auth0|…`), URL-encoded")),
    responses((status = 200, description = "The user", body = UserSchema), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:users"])),
)]
pub async fn get(
    State(state): State<AppState>,
    token: ManagementToken,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    token.require("read:users")?;
    Ok(Json(user_json(&load(&state, &id).await?)))
}

#[utoipa::path(
    post,
    path = "/api/v2/users",
    operation_id = "post_users",
    summary = "Create a user",
    tag = "users",
    request_body = UserBody,
    responses((status = 201, description = "The user", body = UserSchema), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 409, response = Conflict)),
    security(("bearer" = ["create:users"])),
)]
pub async fn create(
    State(state): State<AppState>,
    token: ManagementToken,
    Payload(body): Payload<UserBody>,
) -> ApiResult<Response> {
    token.require("create:users")?;
    check_connection(body.connection.as_deref())?;
    let email = body.email.ok_or_else(|| {
        ApiError::invalid_body("Payload validation error: Missing required property: email")
    })?;
    check_email(&email)?;
    let password = body.password.ok_or_else(|| {
        ApiError::invalid_body("Payload validation error: Missing required property: password")
    })?;
    let username = body.username.unwrap_or_else(|| email.clone());
    let new = NewUser {
        user_id: format!("auth0|{}", random_hex(12)?),
        name: body.name.unwrap_or_else(|| username.clone()),
        username,
        email,
        password_hash: hash(&state, password).await?,
        email_verified: body.email_verified.unwrap_or(false),
    };
    let now = state.clock.now();
    let mut user = state.store.create_user(&new, now).await?;
    if body.blocked == Some(true) {
        user.blocked = true;
        state.store.update_user(&user, now).await?;
    }
    Ok((StatusCode::CREATED, Json(user_json(&user))).into_response())
}

#[utoipa::path(
    patch,
    path = "/api/v2/users/{id}",
    operation_id = "patch_users_by_id",
    summary = "Update a user",
    tag = "users",
    params(("id" = String, Path, description = "The user id (`auth0|…`), URL-encoded")),
    request_body = UserBody,
    responses((status = 200, description = "The updated user", body = UserSchema), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound), (status = 409, response = Conflict)),
    security(("bearer" = ["update:users"])),
)]
pub async fn update(
    State(state): State<AppState>,
    token: ManagementToken,
    Path(id): Path<String>,
    Payload(body): Payload<UserBody>,
) -> ApiResult<Json<Value>> {
    token.require("update:users")?;
    check_connection(body.connection.as_deref())?;
    let mut user = load(&state, &id).await?;
    if let Some(email) = body.email {
        check_email(&email)?;
        user.email = email;
    }
    if let Some(username) = body.username {
        user.username = username;
    }
    if let Some(name) = body.name {
        user.name = name;
    }
    if let Some(verified) = body.email_verified {
        user.email_verified = verified;
    }
    if let Some(blocked) = body.blocked {
        user.blocked = blocked;
    }
    if let Some(password) = body.password {
        user.password_hash = hash(&state, password).await?;
    }
    let now = state.clock.now();
    state.store.update_user(&user, now).await?;
    if user.blocked {
        // A blocked user keeps no way back in: their refresh tokens stop working.
        state
            .store
            .revoke_refresh_tokens_of(&user.user_id, None, now)
            .await?;
    }
    Ok(Json(user_json(&load(&state, &id).await?)))
}

#[utoipa::path(
    delete,
    path = "/api/v2/users/{id}",
    operation_id = "delete_users_by_id",
    summary = "Delete a user",
    tag = "users",
    params(("id" = String, Path, description = "The user id (`auth0|…`), URL-encoded")),
    responses((status = 204, description = "Deleted, with their refresh tokens"), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["delete:users"])),
)]
pub async fn delete(
    State(state): State<AppState>,
    token: ManagementToken,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    token.require("delete:users")?;
    state
        .store
        .revoke_refresh_tokens_of(&id, None, state.clock.now())
        .await?;
    if state.store.delete_user(&id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("The user `{id}`")))
    }
}
