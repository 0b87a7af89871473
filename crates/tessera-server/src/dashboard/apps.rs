//! Applications: list, create, settings, Rotate Secret (confirmed), the authorization URL.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{json, Value};

use crate::dashboard::api::{segment, Api};
use crate::dashboard::session::SignedIn;
use crate::dashboard::view::{self, render, Chrome, Fields, FormBody};
use crate::state::AppState;

type Page = Result<Response, Response>;

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

pub struct AppRow {
    pub client_id: String,
    pub name: String,
    pub app_type: String,
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| items.iter().map(text).collect())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "dashboard/apps.html")]
struct AppsPage<'a> {
    chrome: Chrome,
    apps: Vec<AppRow>,
    app_types: &'a [(&'a str, &'a str)],
    name: &'a str,
    app_type: &'a str,
    error: Option<String>,
}

async fn list_page(signed_in: &SignedIn, api: &Api, form: &Fields, error: Option<String>) -> Page {
    let clients = api
        .get("/api/v2/clients?per_page=100")
        .await
        .map_err(|f| view::failure(&f))?;
    let apps = clients
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|c| AppRow {
                    client_id: text(&c["client_id"]),
                    name: text(&c["name"]),
                    app_type: text(&c["app_type"]),
                })
                .collect()
        })
        .unwrap_or_default();
    let status = view::form_status(&error);
    let page = AppsPage {
        chrome: Chrome::of(signed_in, "applications"),
        apps,
        app_types: &APP_TYPES,
        name: form.get("name"),
        app_type: form.get("app_type"),
        error,
    };
    Ok(render(status, page.render()))
}

/// `GET /dashboard/applications`.
pub async fn list(State(state): State<AppState>, signed_in: SignedIn) -> Page {
    let api = signed_in.api(&state).await?;
    list_page(&signed_in, &api, &Fields(Vec::new()), None).await
}

/// `POST /dashboard/applications`: creates one and shows its settings with the secret.
pub async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let api = signed_in.api(&state).await?;
    let body = json!({ "name": form.get("name").trim(), "app_type": form.get("app_type") });
    match api.post("/api/v2/clients", body).await {
        Ok(created) => {
            settings_page(
                &state,
                &signed_in,
                &api,
                &text(&created["client_id"]),
                secret_of(&created),
                None,
            )
            .await
        }
        Err(f) if f.status == 400 || f.status == 409 => {
            list_page(&signed_in, &api, &form, Some(f.message)).await
        }
        Err(f) => Err(view::failure(&f)),
    }
}

fn secret_of(client: &Value) -> Option<String> {
    client["client_secret"].as_str().map(str::to_owned)
}

#[derive(Template)]
#[template(path = "dashboard/app.html")]
struct AppPage {
    chrome: Chrome,
    client_id: String,
    name: String,
    app_type: String,
    callbacks: String,
    logout_urls: String,
    grants: Vec<(&'static str, bool)>,
    rotating: bool,
    token_lifetime: String,
    idle_token_lifetime: String,
    public: bool,
    secret: Option<String>,
    authorize_url: String,
    error: Option<String>,
}

async fn settings_page(
    state: &AppState,
    signed_in: &SignedIn,
    api: &Api,
    client_id: &str,
    secret: Option<String>,
    error: Option<String>,
) -> Page {
    let client = api
        .get(&format!("/api/v2/clients/{}", segment(client_id)))
        .await
        .map_err(|f| view::failure(&f))?;
    let granted = strings(&client["grant_types"]);
    let callbacks = strings(&client["callbacks"]);
    let policy = &client["refresh_token"];
    let mut url = url::Url::parse(&state.settings.endpoint("authorize")).map_err(|e| {
        view::failure(&crate::dashboard::api::Failure {
            status: 500,
            message: e.to_string(),
        })
    })?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", callbacks.first().map_or("", String::as_str))
        .append_pair("scope", "openid profile email")
        .append_pair("state", "STATE");
    let status = view::form_status(&error);
    let page = AppPage {
        chrome: Chrome::of(signed_in, "applications"),
        client_id: client_id.to_owned(),
        name: text(&client["name"]),
        app_type: text(&client["app_type"]),
        callbacks: callbacks.join("\n"),
        logout_urls: strings(&client["allowed_logout_urls"]).join("\n"),
        grants: GRANT_TYPES
            .iter()
            .map(|g| (*g, granted.iter().any(|x| x == g)))
            .collect(),
        rotating: policy["rotation_type"] == "rotating",
        token_lifetime: text(&policy["token_lifetime"]),
        idle_token_lifetime: text(&policy["idle_token_lifetime"]),
        public: client["token_endpoint_auth_method"] == "none",
        secret,
        authorize_url: url.to_string(),
        error,
    };
    Ok(render(status, page.render()))
}

/// `GET /dashboard/applications/{id}`.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Page {
    let api = signed_in.api(&state).await?;
    settings_page(&state, &signed_in, &api, &id, None, None).await
}

fn lifetime(form: &Fields, name: &str) -> Result<i64, String> {
    form.get(name)
        .trim()
        .parse::<i64>()
        .map_err(|_| format!("{name}: enter a number of seconds"))
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
    let api = signed_in.api(&state).await?;
    let lifetimes = lifetime(&form, "token_lifetime")
        .and_then(|a| Ok((a, lifetime(&form, "idle_token_lifetime")?)));
    let (absolute, idle) = match lifetimes {
        Ok(pair) => pair,
        Err(message) => {
            return settings_page(&state, &signed_in, &api, &id, None, Some(message)).await
        }
    };
    let body = json!({
        "name": form.get("name").trim(),
        "callbacks": form.lines("callbacks"),
        "allowed_logout_urls": form.lines("allowed_logout_urls"),
        "grant_types": form.all("grant_types"),
        "refresh_token": {
            "rotation_type": if form.get("rotation_type") == "rotating" { "rotating" } else { "non-rotating" },
            "token_lifetime": absolute,
            "idle_token_lifetime": idle,
        },
    });
    match api
        .patch(&format!("/api/v2/clients/{}", segment(&id)), body)
        .await
    {
        Ok(_) => Ok(crate::routes::web::found(&format!(
            "/dashboard/applications/{}",
            segment(&id)
        ))),
        Err(f) if f.status == 400 => {
            settings_page(&state, &signed_in, &api, &id, None, Some(f.message)).await
        }
        Err(f) => Err(view::failure(&f)),
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
    let back = format!("/dashboard/applications/{}", segment(&id));
    if form.get("confirmed") != "yes" {
        let message = "The current secret stops working at once: every application using it must be given the new one.";
        return Ok(view::confirm(
            Chrome::of(&signed_in, "applications"),
            "Rotate secret",
            message,
            &format!("{back}/rotate-secret"),
            &form,
            &back,
        ));
    }
    let api = signed_in.api(&state).await?;
    let rotated = api
        .post(
            &format!("/api/v2/clients/{}/rotate-secret", segment(&id)),
            json!({}),
        )
        .await
        .map_err(|f| view::failure(&f))?;
    settings_page(&state, &signed_in, &api, &id, secret_of(&rotated), None).await
}
