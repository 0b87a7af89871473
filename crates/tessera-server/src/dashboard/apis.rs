//! APIs: list, create, settings (offline access, token lifetime, signing algorithm),
//! permissions add/remove, and the Machine to Machine tab (client grants).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{json, Value};

use crate::dashboard::api::{segment, Api};
use crate::dashboard::session::SignedIn;
use crate::dashboard::view::{self, render, Chrome, Fields, FormBody};
use crate::routes::web::found;
use crate::state::AppState;

type Page = Result<Response, Response>;

const ALGORITHMS: [&str; 4] = ["RS256", "PS256", "ES256", "EdDSA"];

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub struct ApiRow {
    pub identifier: String,
    pub name: String,
    pub is_system: bool,
}

#[derive(Template)]
#[template(path = "dashboard/apis.html")]
struct ApisPage<'a> {
    chrome: Chrome,
    apis: Vec<ApiRow>,
    algorithms: &'a [&'a str],
    name: &'a str,
    identifier: &'a str,
    error: Option<String>,
}

async fn list_page(signed_in: &SignedIn, api: &Api, form: &Fields, error: Option<String>) -> Page {
    let listed = api
        .get("/api/v2/resource-servers?per_page=100")
        .await
        .map_err(|f| view::failure(&f))?;
    let apis = listed
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|a| ApiRow {
                    identifier: text(&a["identifier"]),
                    name: text(&a["name"]),
                    is_system: a["is_system"] == true,
                })
                .collect()
        })
        .unwrap_or_default();
    let status = view::form_status(&error);
    let page = ApisPage {
        chrome: Chrome::of(signed_in, "apis"),
        apis,
        algorithms: &ALGORITHMS,
        name: form.get("name"),
        identifier: form.get("identifier"),
        error,
    };
    Ok(render(status, page.render()))
}

/// `GET /dashboard/apis`.
pub async fn list(State(state): State<AppState>, signed_in: SignedIn) -> Page {
    let api = signed_in.api(&state).await?;
    list_page(&signed_in, &api, &Fields(Vec::new()), None).await
}

fn settings_path(identifier: &str) -> String {
    format!("/dashboard/apis/{}", segment(identifier))
}

/// `POST /dashboard/apis`.
pub async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let api = signed_in.api(&state).await?;
    let identifier = form.get("identifier").trim();
    let body = json!({ "name": form.get("name").trim(), "identifier": identifier, "signing_alg": form.get("signing_alg") });
    match api.post("/api/v2/resource-servers", body).await {
        Ok(_) => Ok(found(&settings_path(identifier))),
        Err(f) if f.status == 400 || f.status == 409 => {
            list_page(&signed_in, &api, &form, Some(f.message)).await
        }
        Err(f) => Err(view::failure(&f)),
    }
}

pub struct GrantRow {
    pub id: String,
    pub client_id: String,
    pub scope: String,
}

#[derive(Template)]
#[template(path = "dashboard/api.html")]
struct ApiPage<'a> {
    chrome: Chrome,
    identifier: String,
    name: String,
    is_system: bool,
    allow_offline_access: bool,
    skip_consent: bool,
    token_lifetime: String,
    signing_alg: String,
    algorithms: &'a [&'a str],
    scopes: Vec<(String, String)>,
    grants: Vec<GrantRow>,
    m2m_clients: Vec<(String, String)>,
    error: Option<String>,
}

async fn scopes_of(
    api: &Api,
    identifier: &str,
) -> Result<(Value, Vec<(String, String)>), Response> {
    let found = api
        .get(&format!("/api/v2/resource-servers/{}", segment(identifier)))
        .await
        .map_err(|f| view::failure(&f))?;
    let scopes = found["scopes"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|s| (text(&s["value"]), text(&s["description"])))
                .collect()
        })
        .unwrap_or_default();
    Ok((found, scopes))
}

async fn settings_page(
    signed_in: &SignedIn,
    api: &Api,
    identifier: &str,
    error: Option<String>,
) -> Page {
    let (found, scopes) = scopes_of(api, identifier).await?;
    let grants = api
        .get(&format!(
            "/api/v2/client-grants?audience={}",
            segment(identifier)
        ))
        .await
        .map_err(|f| view::failure(&f))?;
    let clients = api
        .get("/api/v2/clients?per_page=100")
        .await
        .map_err(|f| view::failure(&f))?;
    let grants = grants
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|g| GrantRow {
                    id: text(&g["id"]),
                    client_id: text(&g["client_id"]),
                    scope: g["scope"]
                        .as_array()
                        .map(|s| s.iter().map(text).collect::<Vec<_>>().join(" "))
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    let m2m_clients = clients
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter(|c| c["app_type"] == "non_interactive")
                .map(|c| (text(&c["client_id"]), text(&c["name"])))
                .collect()
        })
        .unwrap_or_default();
    let status = view::form_status(&error);
    let page = ApiPage {
        chrome: Chrome::of(signed_in, "apis"),
        identifier: identifier.to_owned(),
        name: text(&found["name"]),
        is_system: found["is_system"] == true,
        allow_offline_access: found["allow_offline_access"] == true,
        skip_consent: found["skip_consent_for_verifiable_first_party_clients"] == true,
        token_lifetime: text(&found["token_lifetime"]),
        signing_alg: text(&found["signing_alg"]),
        algorithms: &ALGORITHMS,
        scopes,
        grants,
        m2m_clients,
        error,
    };
    Ok(render(status, page.render()))
}

/// `GET /dashboard/apis/{id}`.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Page {
    let api = signed_in.api(&state).await?;
    settings_page(&signed_in, &api, &id, None).await
}

/// PATCHes the API; a 400 shows the settings page with the message.
async fn patch(signed_in: &SignedIn, api: &Api, id: &str, body: Value) -> Page {
    match api
        .patch(&format!("/api/v2/resource-servers/{}", segment(id)), body)
        .await
    {
        Ok(_) => Ok(found(&settings_path(id))),
        Err(f) if f.status == 400 => settings_page(signed_in, api, id, Some(f.message)).await,
        Err(f) => Err(view::failure(&f)),
    }
}

/// `POST /dashboard/apis/{id}`: saves the settings.
pub async fn update(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let api = signed_in.api(&state).await?;
    let Ok(lifetime) = form.get("token_lifetime").trim().parse::<i64>() else {
        return settings_page(
            &signed_in,
            &api,
            &id,
            Some("Token lifetime: enter a number of seconds".into()),
        )
        .await;
    };
    let body = json!({
        "name": form.get("name").trim(),
        "allow_offline_access": form.checked("allow_offline_access"),
        "skip_consent_for_verifiable_first_party_clients": form.checked("skip_consent"),
        "token_lifetime": lifetime,
        "signing_alg": form.get("signing_alg"),
    });
    patch(&signed_in, &api, &id, body).await
}

fn scope_json(scopes: &[(String, String)]) -> Value {
    Value::Array(
        scopes
            .iter()
            .map(|(value, description)| json!({ "value": value, "description": description }))
            .collect(),
    )
}

/// `POST /dashboard/apis/{id}/permissions`: adds a permission.
pub async fn add_permission(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let api = signed_in.api(&state).await?;
    let (_, mut scopes) = scopes_of(&api, &id).await?;
    scopes.push((
        form.get("value").trim().to_owned(),
        form.get("description").trim().to_owned(),
    ));
    patch(
        &signed_in,
        &api,
        &id,
        json!({ "scopes": scope_json(&scopes) }),
    )
    .await
}

/// `POST /dashboard/apis/{id}/permissions/remove`: removes a permission, once confirmed.
pub async fn remove_permission(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let back = settings_path(&id);
    if form.get("confirmed") != "yes" {
        let message = format!(
            "Applications will no longer be able to request `{}`.",
            form.get("value")
        );
        return Ok(view::confirm(
            Chrome::of(&signed_in, "apis"),
            "Remove permission",
            &message,
            &format!("{back}/permissions/remove"),
            &form,
            &back,
        ));
    }
    let api = signed_in.api(&state).await?;
    let (_, mut scopes) = scopes_of(&api, &id).await?;
    scopes.retain(|(value, _)| value != form.get("value"));
    patch(
        &signed_in,
        &api,
        &id,
        json!({ "scopes": scope_json(&scopes) }),
    )
    .await
}

/// `POST /dashboard/apis/{id}/client-grants`: authorizes a machine-to-machine application.
pub async fn add_grant(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let api = signed_in.api(&state).await?;
    let body =
        json!({ "client_id": form.get("client_id"), "audience": id, "scope": form.all("scope") });
    match api.post("/api/v2/client-grants", body).await {
        Ok(_) => Ok(found(&settings_path(&id))),
        Err(f) if f.status == 400 || f.status == 409 || f.status == 404 => {
            settings_page(&signed_in, &api, &id, Some(f.message)).await
        }
        Err(f) => Err(view::failure(&f)),
    }
}

/// `POST /dashboard/apis/{id}/client-grants/remove`: revokes a client grant, once confirmed.
pub async fn remove_grant(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let back = settings_path(&id);
    if form.get("confirmed") != "yes" {
        return Ok(view::confirm(
            Chrome::of(&signed_in, "apis"),
            "Revoke access",
            "The application will no longer get tokens for this API.",
            &format!("{back}/client-grants/remove"),
            &form,
            &back,
        ));
    }
    let api = signed_in.api(&state).await?;
    api.delete(&format!(
        "/api/v2/client-grants/{}",
        segment(form.get("grant_id"))
    ))
    .await
    .map_err(|f| view::failure(&f))?;
    Ok(found(&back))
}
