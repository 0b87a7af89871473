//! Signing keys: list, rotate and revoke (both confirmed).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use tessera_admin::keys::{RotateQuery, SigningKey};

use crate::dashboard::session::SignedIn;
use crate::dashboard::view::{self, render, Chrome, Fields, FormBody, Page};
use crate::routes::web::found;
use crate::state::AppState;

const BACK: &str = "/dashboard/keys";

#[derive(Template)]
#[template(path = "dashboard/keys.html")]
struct KeysPage {
    chrome: Chrome,
    keys: Vec<SigningKey>,
}

/// `GET /dashboard/keys`.
pub async fn list(State(state): State<AppState>, signed_in: SignedIn) -> Page {
    let page = KeysPage {
        chrome: signed_in.chrome("keys"),
        keys: state.admin.list_signing_keys(&signed_in.caller).await?,
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
        return Ok(view::confirm(signed_in.chrome("keys"), "Rotate key", "The next key, published already, will sign new tokens and a new next key is published; the current one stays published so issued tokens still verify.", "/dashboard/keys/rotate", &form, BACK));
    }
    let query = RotateQuery {
        alg: Some(form.get("alg"))
            .filter(|alg| !alg.is_empty())
            .map(str::to_owned),
    };
    state
        .admin
        .rotate_signing_key(&signed_in.caller, &query)
        .await?;
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
            signed_in.chrome("keys"),
            "Revoke key",
            "Tokens signed with this key stop verifying at once.",
            "/dashboard/keys/revoke",
            &form,
            BACK,
        ));
    }
    state
        .admin
        .revoke_signing_key(&signed_in.caller, form.get("kid"), false)
        .await?;
    Ok(found(BACK))
}
