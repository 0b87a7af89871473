//! Sign-up: the hosted page (`GET`/`POST /u/signup`) and Auth0's Authentication API endpoint
//! `POST /dbconnections/signup` (JSON or form body), which answers as Auth0 does.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use tessera_admin::signup::{SignUp, SignUpRefusal};
use tessera_admin::CONNECTION;
use tessera_protocol::params::Params;
use tessera_protocol::ClientId;
use tessera_store::{JsonObject, User};

use crate::client_ip::Origin;
use crate::flows::interaction::{self, SignUpForm};
use crate::flows::signup::{describe, sign_up, Attempt, Through, SIGNUP_THROTTLED};
use crate::i18n::Messages;
use crate::routes::web;
use crate::state::AppState;

pub async fn show(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let id = match web::pending_id(query.as_deref()) {
        Ok(id) => id,
        Err(description) => return web::bad_request(&description),
    };
    match interaction::signup_page(&state, &id, &web::browser_cookies(&headers)).await {
        Ok(step) => web::interaction(&state.settings, step),
        Err(error) => error.into_response(),
    }
}

fn parse(params: &Params) -> Result<SignUpForm, String> {
    Ok(SignUpForm {
        state: web::field(params, "state")?,
        csrf_token: web::field(params, "csrf_token")?,
        email: web::field(params, "email")?,
        username: params
            .get("username")
            .map_err(|e| e.to_string())?
            .map(str::to_owned),
        password: web::field(params, "password")?,
    })
}

pub async fn submit(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let params = match web::posted_params(&headers, body) {
        Ok(params) => params,
        Err(page) => return *page,
    };
    let form = match parse(&params) {
        Ok(form) => form,
        Err(description) => return web::bad_request(&description),
    };
    let cookies = web::browser_cookies(&headers);
    match interaction::submit_signup(&state, form, &cookies, &origin).await {
        Ok(step) => web::interaction(&state.settings, step),
        Err(error) => error.into_response(),
    }
}

/// The body of `POST /dbconnections/signup`, as Auth0 documents it.
#[derive(Debug, Default, Deserialize)]
struct SignUpBody {
    client_id: Option<String>,
    email: Option<String>,
    password: Option<String>,
    connection: Option<String>,
    username: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    name: Option<String>,
    nickname: Option<String>,
    picture: Option<String>,
    #[serde(default)]
    user_metadata: JsonObject,
}

/// Auth0's error body of the Authentication API's database endpoints.
pub(super) fn bad_request(code: &str, description: &str) -> Response {
    let body = json!({
        "name": "BadRequestError",
        "code": code,
        "description": description,
        "statusCode": 400,
    });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

pub(super) fn missing(field: &str) -> Response {
    bad_request(
        "invalid_body",
        &format!("Missing required parameter: {field}"),
    )
}

pub async fn dbconnections(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return bad_request("invalid_body", &rejection.body_text()),
    };
    let body: SignUpBody = match web::json_or_form(&headers, &body) {
        Ok(body) => body,
        Err(description) => return bad_request("invalid_body", &description),
    };
    let (Some(client_id), Some(email), Some(password), Some(connection)) =
        (body.client_id, body.email, body.password, body.connection)
    else {
        return missing("client_id, email, password and connection");
    };
    let client = match state.catalog.client(&ClientId(client_id.clone())).await {
        Ok(Some(client)) => client,
        Ok(None) => return bad_request("invalid_client", "Unknown client"),
        Err(error) => return crate::error::InternalError::from(error).into_response(),
    };
    if connection != CONNECTION {
        return bad_request(
            "connection_not_found",
            &format!("The connection {connection} does not exist"),
        );
    }
    let request = SignUp {
        email,
        password,
        application: None,
        username: body.username,
        name: body.name,
        given_name: body.given_name,
        family_name: body.family_name,
        nickname: body.nickname,
        picture: body.picture,
        user_metadata: body.user_metadata,
    };
    let through = Through {
        client_id: &client_id,
        client_name: &client.name,
    };
    let options = match state.admin.database_options().await {
        Ok(options) => options,
        Err(error) => return crate::error::InternalError::from(error).into_response(),
    };
    match sign_up(&state, &options, request, through, &origin.context).await {
        Ok(Attempt::Created(user)) => (StatusCode::OK, Json(signed_up(&user))).into_response(),
        Ok(Attempt::Refused(refusal)) => refused(&refusal),
        Ok(Attempt::Throttled { retry_after }) => {
            let body =
                json!({ "error": "too_many_attempts", "error_description": SIGNUP_THROTTLED });
            let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after));
            response
        }
        Err(error) => error.into_response(),
    }
}

/// Auth0's answer: the new user's id without its `auth0|` prefix, as `_id`, and what was given.
fn signed_up(user: &User) -> Value {
    let mut body = json!({
        "_id": user.user_id.strip_prefix("auth0|").unwrap_or(&user.user_id),
        "email_verified": user.email_verified,
        "email": user.email,
    });
    let profile = &user.profile;
    for (key, value) in [
        (
            "username",
            (user.username != user.email).then_some(&user.username),
        ),
        ("given_name", profile.given_name.as_ref()),
        ("family_name", profile.family_name.as_ref()),
        ("nickname", profile.nickname.as_ref()),
        ("picture", profile.picture.as_ref()),
        ("name", (user.name != user.email).then_some(&user.name)),
    ] {
        if let Some(value) = value {
            body[key] = json!(value);
        }
    }
    if !profile.user_metadata.is_empty() {
        body["user_metadata"] = Value::Object(profile.user_metadata.clone());
    }
    body
}

fn refused(refusal: &SignUpRefusal) -> Response {
    match refusal {
        // Auth0's own words for a connection that takes no sign-ups.
        SignUpRefusal::Disabled => (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "public signup is disabled" })),
        )
            .into_response(),
        SignUpRefusal::Password(rejection) => {
            (StatusCode::BAD_REQUEST, Json(json!(rejection))).into_response()
        }
        // Auth0 answers a taken email or username this vaguely, not to confirm accounts.
        SignUpRefusal::Taken => bad_request("invalid_signup", "Invalid sign up"),
        SignUpRefusal::InvalidEmail
        | SignUpRefusal::UsernameRequired
        | SignUpRefusal::InvalidUsername(_)
        | SignUpRefusal::InvalidMetadata(_) => {
            bad_request("invalid_signup", &describe(refusal, Messages::english()))
        }
    }
}
