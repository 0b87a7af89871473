//! Connections: the list (the database connection and OpenID connections), creating an OpenID
//! connection, its settings (a new client secret replaces the sealed one; none keeps it), the
//! applications it is enabled for, and delete (confirmed: its users go with it).

use askama::Template;
use axum::extract::{Path, State};
use serde_json::Value;
use tessera_admin::clients::Client;
use tessera_admin::connections::{
    ClientStatus, ConnectionQuery, ConnectionUpdate, ConnectionView, NewConnection,
};
use tessera_admin::AdminResult;
use tessera_store::JsonObject;

use crate::dashboard::apps::all_clients;
use crate::dashboard::roles::shown_on_page;
use crate::dashboard::session::SignedIn;
use crate::dashboard::view::{self, render, Chrome, Fields, FormBody, Page};
use crate::flows::upstream::CALLBACK_PATH;
use crate::routes::web::found;
use crate::state::AppState;

const CONNECTIONS: &str = "/dashboard/connections";

#[derive(Template)]
#[template(path = "dashboard/connections.html")]
struct ConnectionsPage<'a> {
    chrome: Chrome,
    connections: Vec<ConnectionView>,
    /// The redirect URI to register at a provider.
    callback: String,
    form: &'a Fields,
    error: Option<String>,
}

async fn list_page(
    state: &AppState,
    signed_in: &SignedIn,
    form: &Fields,
    error: Option<String>,
) -> Page {
    let connections = state
        .admin
        .list_connections(&signed_in.caller, &ConnectionQuery::default())
        .await?;
    let page = ConnectionsPage {
        chrome: signed_in.chrome("connections"),
        connections,
        callback: state.settings.endpoint(CALLBACK_PATH),
        form,
        error,
    };
    Ok(render(view::form_status(&page.error), page.render()))
}

/// `GET /dashboard/connections`.
pub async fn list(State(state): State<AppState>, signed_in: SignedIn) -> Page {
    list_page(&state, &signed_in, &Fields(Vec::new()), None).await
}

fn connection_path(id: &str) -> String {
    format!("{CONNECTIONS}/{}", view::segment(id))
}

/// The `oidc` options the forms edit: the provider's issuer or discovery URL, the client id,
/// the scopes and, when typed, a new client secret.
fn oidc_options(form: &Fields) -> JsonObject {
    let mut options = JsonObject::new();
    let provider = form.get("discovery_url").trim();
    let key = if provider.contains("/.well-known/") {
        "discovery_url"
    } else {
        "issuer"
    };
    options.insert(key.into(), Value::from(provider));
    options.insert(
        "client_id".into(),
        Value::from(form.get("client_id").trim()),
    );
    let scope = form.get("scope").trim();
    if !scope.is_empty() {
        options.insert("scope".into(), Value::from(scope));
    }
    let secret = form.get("client_secret");
    if !secret.is_empty() {
        options.insert("client_secret".into(), Value::from(secret));
    }
    options
}

/// `POST /dashboard/connections`: a new OpenID connection.
pub async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let display_name = form.get("display_name").trim();
    let body = NewConnection {
        name: form.get("name").trim().to_owned(),
        strategy: "oidc".to_owned(),
        display_name: (!display_name.is_empty()).then(|| display_name.to_owned()),
        options: oidc_options(&form),
        enabled_clients: None,
        is_domain_connection: None,
        metadata: None,
    };
    match state.admin.create_connection(&signed_in.caller, body).await {
        Ok(connection) => Ok(found(&connection_path(&connection.id))),
        Err(refused) if shown_on_page(&refused) => {
            list_page(&state, &signed_in, &form, Some(refused.to_string())).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "dashboard/connection.html")]
struct ConnectionPage {
    chrome: Chrome,
    connection: ConnectionView,
    /// Where its provider is: the discovery URL or the issuer, as given.
    provider: String,
    client_id: String,
    scope: String,
    /// Every application, and whether the connection is enabled for it.
    applications: Vec<(Client, bool)>,
    error: Option<String>,
}

fn option_text(options: &JsonObject, name: &str) -> String {
    options
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

async fn connection_page(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
    error: Option<String>,
) -> Page {
    let caller = &signed_in.caller;
    let connection = state.admin.connection(caller, id).await?;
    let clients = all_clients(state, signed_in).await?;
    let applications = clients
        .into_iter()
        .map(|client| {
            let enabled = connection.enabled_clients.contains(&client.client_id);
            (client, enabled)
        })
        .collect();
    let options = &connection.options;
    let mut provider = option_text(options, "discovery_url");
    if provider.is_empty() {
        provider = option_text(options, "issuer");
    }
    let page = ConnectionPage {
        chrome: signed_in.chrome("connections"),
        provider,
        client_id: option_text(options, "client_id"),
        scope: option_text(options, "scope"),
        applications,
        connection,
        error,
    };
    Ok(render(view::form_status(&page.error), page.render()))
}

/// `GET /dashboard/connections/{id}`.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Page {
    connection_page(&state, &signed_in, &id, None).await
}

async fn changed(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
    result: AdminResult<()>,
) -> Page {
    match result {
        Ok(()) => Ok(found(&connection_path(id))),
        Err(refused) if shown_on_page(&refused) => {
            connection_page(state, signed_in, id, Some(refused.to_string())).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /dashboard/connections/{id}`: the display name and the provider's settings.
pub async fn update(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let update = ConnectionUpdate {
        display_name: Some(form.get("display_name").trim().to_owned()),
        options: Some(oidc_options(&form)),
        ..ConnectionUpdate::default()
    };
    let result = state
        .admin
        .update_connection(&signed_in.caller, &id, update)
        .await;
    changed(&state, &signed_in, &id, result.map(|_| ())).await
}

/// `POST /dashboard/connections/{id}/clients`: the applications it is enabled for, as ticked.
pub async fn update_clients(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let ticked = form.all("enabled");
    let clients = all_clients(&state, &signed_in).await?;
    let changes = clients
        .into_iter()
        .map(|client| ClientStatus {
            status: ticked.contains(&client.client_id),
            client_id: client.client_id,
        })
        .collect();
    let result = state
        .admin
        .update_connection_clients(&signed_in.caller, &id, changes)
        .await;
    changed(&state, &signed_in, &id, result).await
}

/// `POST /dashboard/connections/{id}/delete`: deletes it with its users, once confirmed.
pub async fn delete(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let back = connection_path(&id);
    if form.get("confirmed") != "yes" {
        return Ok(view::confirm(
            signed_in.chrome("connections"),
            "Delete connection",
            "Its users are deleted with it, and nobody can log in through it any more.",
            &format!("{back}/delete"),
            &form,
            &back,
        ));
    }
    state
        .admin
        .delete_connection(&signed_in.caller, &id)
        .await?;
    Ok(found(CONNECTIONS))
}
