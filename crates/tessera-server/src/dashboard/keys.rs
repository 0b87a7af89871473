//! Signing keys: list, rotate and revoke (both confirmed).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use crate::dashboard::api::segment;
use crate::dashboard::session::SignedIn;
use crate::dashboard::view::{self, render, Chrome, Fields, FormBody};
use crate::routes::web::found;
use crate::state::AppState;

type Page = Result<Response, Response>;

const BACK: &str = "/dashboard/keys";

pub struct KeyRow {
    pub kid: String,
    pub alg: String,
    pub status: &'static str,
    pub created_at: String,
    pub revoked: bool,
    pub current: bool,
}

fn key_row(key: &Value) -> KeyRow {
    let status = if key["revoked"] == true {
        "revoked"
    } else if key["current"] == true {
        "current"
    } else {
        "previous"
    };
    KeyRow {
        kid: key["kid"].as_str().unwrap_or_default().to_owned(),
        alg: key["alg"].as_str().unwrap_or_default().to_owned(),
        status,
        created_at: key["created_at"].as_str().unwrap_or_default().to_owned(),
        revoked: status == "revoked",
        current: status == "current",
    }
}

#[derive(Template)]
#[template(path = "dashboard/keys.html")]
struct KeysPage {
    chrome: Chrome,
    keys: Vec<KeyRow>,
}

/// `GET /dashboard/keys`.
pub async fn list(State(state): State<AppState>, signed_in: SignedIn) -> Page {
    let api = signed_in.api(&state).await?;
    let listed = api
        .get("/api/v2/keys/signing")
        .await
        .map_err(|f| view::failure(&f))?;
    let keys = listed
        .as_array()
        .map(|items| items.iter().map(key_row).collect())
        .unwrap_or_default();
    let page = KeysPage {
        chrome: Chrome::of(&signed_in, "keys"),
        keys,
    };
    Ok(render(StatusCode::OK, page.render()))
}

/// `POST /dashboard/keys/rotate`, once confirmed.
pub async fn rotate(
    State(state): State<AppState>,
    signed_in: SignedIn,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    if form.get("confirmed") != "yes" {
        return Ok(view::confirm(Chrome::of(&signed_in, "keys"), "Rotate key", "A new key will sign new tokens; the current one stays published so issued tokens still verify.", "/dashboard/keys/rotate", &form, BACK));
    }
    let api = signed_in.api(&state).await?;
    let alg = match form.get("alg") {
        "" => "RS256",
        alg => alg,
    };
    api.post(
        &format!("/api/v2/keys/signing/rotate?alg={}", segment(alg)),
        Value::Object(Default::default()),
    )
    .await
    .map_err(|f| view::failure(&f))?;
    Ok(found(BACK))
}

/// `POST /dashboard/keys/revoke`, once confirmed.
pub async fn revoke(
    State(state): State<AppState>,
    signed_in: SignedIn,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    if form.get("confirmed") != "yes" {
        return Ok(view::confirm(
            Chrome::of(&signed_in, "keys"),
            "Revoke key",
            "Tokens signed with this key stop verifying at once.",
            "/dashboard/keys/revoke",
            &form,
            BACK,
        ));
    }
    let api = signed_in.api(&state).await?;
    api.put(&format!(
        "/api/v2/keys/signing/{}/revoke",
        segment(form.get("kid"))
    ))
    .await
    .map_err(|f| view::failure(&f))?;
    Ok(found(BACK))
}
