//! Applications: list, create, settings, Rotate Secret (confirmed), the authorization URL.

use askama::Template;
use axum::extract::{Path, State};
use tessera_admin::clients::{Client, ClientBody, RefreshToken};
use tessera_admin::paging::every;
use tessera_admin::{AdminError, AdminResult};

use crate::dashboard::session::SignedIn;
use crate::dashboard::view::{self, render, Chrome, Fields, FormBody, Page};
use crate::routes::web::found;
use crate::state::AppState;

/// The application types a new application can have, with their labels.
const APP_TYPES: [(&str, &str); 4] = [
    ("regular_web", "Regular Web Application"),
    ("spa", "Single Page Application"),
    ("native", "Native"),
    ("non_interactive", "Machine to Machine"),
];
const GRANT_TYPES: [&str; 4] = [
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "implicit",
];

#[derive(Template)]
#[template(path = "dashboard/apps.html")]
struct AppsPage<'a> {
    chrome: Chrome,
    apps: Vec<Client>,
    app_types: &'a [(&'a str, &'a str)],
    name: &'a str,
    app_type: &'a str,
    error: Option<String>,
}

/// Every application, fetched a page at a time.
pub async fn all_clients(state: &AppState, signed_in: &SignedIn) -> AdminResult<Vec<Client>> {
    every(|paging| async move { state.admin.list_clients(&signed_in.caller, &paging).await }).await
}

async fn list_page(
    state: &AppState,
    signed_in: &SignedIn,
    form: &Fields,
    error: Option<String>,
) -> Page {
    let page = AppsPage {
        chrome: signed_in.chrome("applications"),
        apps: all_clients(state, signed_in).await?,
        app_types: &APP_TYPES,
        name: form.get("name"),
        app_type: form.get("app_type"),
        error,
    };
    Ok(render(view::form_status(&page.error), page.render()))
}

/// `GET /dashboard/applications`.
pub async fn list(State(state): State<AppState>, signed_in: SignedIn) -> Page {
    list_page(&state, &signed_in, &Fields(Vec::new()), None).await
}

/// `POST /dashboard/applications`: creates one and shows its settings with the secret.
pub async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let body = ClientBody {
        name: Some(form.get("name").trim().to_owned()),
        app_type: Some(form.get("app_type").to_owned()),
        ..ClientBody::default()
    };
    match state.admin.create_client(&signed_in.caller, body).await {
        Ok(created) => settings_page(&state, &signed_in, created, None),
        Err(refused @ (AdminError::InvalidBody(_) | AdminError::Conflict(_))) => {
            list_page(&state, &signed_in, &form, Some(refused.to_string())).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "dashboard/app.html")]
struct AppPage {
    chrome: Chrome,
    client: Client,
    callbacks: String,
    logout_urls: String,
    grants: Vec<(&'static str, bool)>,
    authorize_url: String,
    error: Option<String>,
}

/// The authorization URL of `client`'s first callback, with the scopes every app may ask.
fn authorize_url(state: &AppState, client: &Client) -> String {
    let callback = client.callbacks.first().map_or("", String::as_str);
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &client.client_id)
        .append_pair("redirect_uri", callback)
        .append_pair("scope", "openid profile email")
        .append_pair("state", "STATE")
        .finish();
    format!("{}?{query}", state.settings.endpoint("authorize"))
}

/// The settings page of `client` (with its secret when it was just made).
fn settings_page(
    state: &AppState,
    signed_in: &SignedIn,
    client: Client,
    error: Option<String>,
) -> Page {
    let page = AppPage {
        chrome: signed_in.chrome("applications"),
        callbacks: client.callbacks.join("\n"),
        logout_urls: client.allowed_logout_urls.join("\n"),
        grants: GRANT_TYPES
            .iter()
            .map(|g| (*g, client.grant_types.iter().any(|x| x == g)))
            .collect(),
        authorize_url: authorize_url(state, &client),
        client,
        error,
    };
    Ok(render(view::form_status(&page.error), page.render()))
}

/// The settings page of the stored client `id`, with `error` shown at the form.
async fn stored_settings_page(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
    error: Option<String>,
) -> Page {
    let client = state.admin.client(&signed_in.caller, id).await?;
    settings_page(state, signed_in, client, error)
}

/// `GET /dashboard/applications/{id}`.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Page {
    stored_settings_page(&state, &signed_in, &id, None).await
}

fn lifetime(form: &Fields, name: &str) -> Result<i64, String> {
    form.get(name)
        .trim()
        .parse::<i64>()
        .map_err(|_| format!("{name}: enter a number of seconds"))
}

/// The settings form as a change to the application.
fn settings_body(form: &Fields) -> Result<ClientBody, String> {
    let rotation_type = if form.get("rotation_type") == "rotating" {
        "rotating"
    } else {
        "non-rotating"
    };
    Ok(ClientBody {
        name: Some(form.get("name").trim().to_owned()),
        // Empty removes the logo.
        logo_uri: Some(Some(form.get("logo_uri").trim().to_owned())),
        callbacks: Some(form.lines("callbacks")),
        allowed_logout_urls: Some(form.lines("allowed_logout_urls")),
        grant_types: Some(form.all("grant_types")),
        refresh_token: Some(RefreshToken {
            rotation_type: rotation_type.to_owned(),
            token_lifetime: lifetime(form, "token_lifetime")?,
            idle_token_lifetime: lifetime(form, "idle_token_lifetime")?,
            ..RefreshToken::default()
        }),
        ..ClientBody::default()
    })
}

/// `POST /dashboard/applications/{id}`: saves the settings.
pub async fn update(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let body = match settings_body(&form) {
        Ok(body) => body,
        Err(message) => return stored_settings_page(&state, &signed_in, &id, Some(message)).await,
    };
    match state
        .admin
        .update_client(&signed_in.caller, &id, body)
        .await
    {
        Ok(_) => Ok(found(&format!(
            "/dashboard/applications/{}",
            view::segment(&id)
        ))),
        Err(AdminError::InvalidBody(message)) => {
            stored_settings_page(&state, &signed_in, &id, Some(message)).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /dashboard/applications/{id}/rotate-secret`: after confirmation, shows the new secret.
pub async fn rotate_secret(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let back = format!("/dashboard/applications/{}", view::segment(&id));
    if form.get("confirmed") != "yes" {
        let message = "The current secret stops working at once: every application using it must be given the new one.";
        return Ok(view::confirm(
            signed_in.chrome("applications"),
            "Rotate secret",
            message,
            &format!("{back}/rotate-secret"),
            &form,
            &back,
        ));
    }
    let rotated = state
        .admin
        .rotate_client_secret(&signed_in.caller, &id)
        .await?;
    settings_page(&state, &signed_in, rotated, None)
}
