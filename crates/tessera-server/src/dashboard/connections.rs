//! Connections: the list (the database connection and those to other identity providers),
//! adding an OpenID provider (`oidc`), an OAuth 2.0 provider (`oauth2`), GitHub or Google,
//! the settings of the connection's strategy (a new client secret replaces the sealed one;
//! none keeps it), the applications it is enabled for, and delete (confirmed: its users go
//! with it).

use askama::Template;
use axum::extract::{Path, State};
use serde_json::Value;
use tessera_admin::clients::Client;
use tessera_admin::connections::{
    ClientStatus, ConnectionQuery, ConnectionUpdate, ConnectionView, NewConnection,
};
use tessera_admin::{AdminError, AdminResult};
use tessera_protocol::connection::Strategy;
use tessera_store::JsonObject;

use crate::dashboard::apps::all_clients;
use crate::dashboard::roles::shown_on_page;
use crate::dashboard::session::SignedIn;
use crate::dashboard::view::{self, render, Chrome, Fields, FormBody, Page};
use crate::flows::upstream::CALLBACK_PATH;
use crate::routes::web::found;
use crate::state::AppState;

const CONNECTIONS: &str = "/dashboard/connections";

/// The providers added by their client alone: the strategy (also the name offered) and what
/// the button says.
const PRESETS: [(&str, &str); 2] = [("github", "GitHub"), ("google-oauth2", "Google")];

#[derive(Template)]
#[template(path = "dashboard/connections.html")]
struct ConnectionsPage<'a> {
    chrome: Chrome,
    connections: Vec<ConnectionView>,
    /// The redirect URI to register at a provider.
    callback: String,
    presets: [(&'static str, &'static str); 2],
    /// The strategy of the form `form` was posted from, shown again with its values and the
    /// error.
    posted: &'a str,
    form: &'a Fields,
    error: Option<String>,
}

impl<'a> ConnectionsPage<'a> {
    /// What the field `name` of the `strategy` form shows: what was typed when that form was
    /// posted, else `default`.
    fn value<'s>(&'s self, strategy: &str, name: &str, default: &'s str) -> &'s str {
        let typed = if self.posted == strategy {
            self.form.get(name)
        } else {
            ""
        };
        if typed.is_empty() {
            default
        } else {
            typed
        }
    }

    /// The error of the `strategy` form, if it was posted.
    fn error_of(&self, strategy: &str) -> Option<&str> {
        self.error.as_deref().filter(|_| self.posted == strategy)
    }

    /// The OAuth 2.0 form's PKCE box is ticked unless it was posted unticked.
    fn pkce(&self) -> bool {
        self.posted != "oauth2" || self.form.checked("pkce_enabled")
    }
}

/// The strategy of the add form posted; the OpenID provider's form was the only one and
/// posts none.
fn posted_strategy(form: &Fields) -> &str {
    match form.get("strategy") {
        "" => Strategy::Oidc.as_str(),
        strategy => strategy,
    }
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
        presets: PRESETS,
        posted: posted_strategy(form),
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

/// A `fieldsMap` typed one `attribute=field` a line.
fn fields_map(typed: &str) -> AdminResult<JsonObject> {
    let mut map = JsonObject::new();
    for line in typed.lines().map(str::trim).filter(|line| !line.is_empty()) {
        match line.split_once('=') {
            Some((attribute, field))
                if !attribute.trim().is_empty() && !field.trim().is_empty() =>
            {
                map.insert(attribute.trim().to_owned(), Value::from(field.trim()));
            }
            _ => {
                return Err(AdminError::InvalidBody(format!(
                    "Field mapping `{line}`: write one attribute=field a line, e.g. email=mail."
                )))
            }
        }
    }
    Ok(map)
}

/// The options a form of a `strategy` connection edits, written over `options` (the current
/// ones, so that those no form shows, like Auth0's scope flags, are kept): the client id, a
/// new client secret when typed, the scopes (none typed: the strategy's default), and an
/// OpenID provider's issuer or discovery URL or an OAuth 2.0 provider's endpoints, PKCE and
/// field mapping. `None` for the database connection, whose options the Universal Login page
/// edits.
fn provider_options(
    strategy: Strategy,
    form: &Fields,
    mut options: JsonObject,
) -> AdminResult<Option<JsonObject>> {
    let typed = |name: &str| Value::from(form.get(name).trim());
    match strategy {
        Strategy::Database => return Ok(None),
        Strategy::Oidc => {
            let provider = form.get("discovery_url").trim();
            let key = if provider.contains("/.well-known/") {
                "discovery_url"
            } else {
                "issuer"
            };
            options.remove("issuer");
            options.remove("discovery_url");
            options.insert(key.into(), Value::from(provider));
        }
        Strategy::OAuth2 => {
            let endpoints = [
                ("authorizationURL", "authorization_url"),
                ("tokenURL", "token_url"),
                ("profileURL", "profile_url"),
            ];
            for (option, field) in endpoints {
                options.insert(option.into(), typed(field));
            }
            options.insert(
                "pkce_enabled".into(),
                Value::from(form.checked("pkce_enabled")),
            );
            let fields = fields_map(form.get("fields_map"))?;
            if fields.is_empty() {
                options.remove("fieldsMap");
            } else {
                options.insert("fieldsMap".into(), Value::Object(fields));
            }
        }
        Strategy::Google | Strategy::GitHub => {}
    }
    options.insert("client_id".into(), typed("client_id"));
    let scope = form.get("scope").trim();
    if scope.is_empty() {
        options.remove("scope");
    } else {
        options.insert("scope".into(), Value::from(scope));
    }
    let secret = form.get("client_secret");
    if !secret.is_empty() {
        options.insert("client_secret".into(), Value::from(secret));
    }
    Ok(Some(options))
}

/// The connection an add form asks for.
fn new_connection(form: &Fields) -> AdminResult<NewConnection> {
    let posted = posted_strategy(form);
    let strategy = Strategy::parse(posted)
        .ok_or_else(|| AdminError::InvalidBody(format!("Unknown strategy `{posted}`.")))?;
    let display_name = form.get("display_name").trim();
    Ok(NewConnection {
        name: form.get("name").trim().to_owned(),
        strategy: posted.to_owned(),
        display_name: (!display_name.is_empty()).then(|| display_name.to_owned()),
        options: provider_options(strategy, form, JsonObject::new())?.unwrap_or_default(),
        enabled_clients: None,
        is_domain_connection: None,
        metadata: None,
    })
}

/// `POST /dashboard/connections`: a new connection of the strategy the form posts.
pub async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let created = match new_connection(&form) {
        Ok(body) => state.admin.create_connection(&signed_in.caller, body).await,
        Err(refused) => Err(refused),
    };
    match created {
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
    /// The redirect URI to register at its provider.
    callback: String,
    /// oidc: where its provider is, the discovery URL or the issuer, as given.
    provider: String,
    client_id: String,
    scope: String,
    /// oauth2: the provider's endpoints, the field mapping one `attribute=field` a line, and
    /// whether PKCE is on.
    authorization_url: String,
    token_url: String,
    profile_url: String,
    fields_map: String,
    pkce: bool,
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

/// The scopes as one line: Auth0 also takes a social connection's as a list.
fn scope_text(options: &JsonObject) -> String {
    match options.get("scope") {
        Some(Value::Array(scopes)) => scopes
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" "),
        _ => option_text(options, "scope"),
    }
}

fn fields_map_text(options: &JsonObject) -> String {
    let Some(Value::Object(map)) = options.get("fieldsMap") else {
        return String::new();
    };
    map.iter()
        .map(|(attribute, field)| match field {
            Value::String(field) => format!("{attribute}={field}"),
            other => format!("{attribute}={other}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
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
        callback: state.settings.endpoint(CALLBACK_PATH),
        provider,
        client_id: option_text(options, "client_id"),
        scope: scope_text(options),
        authorization_url: option_text(options, "authorizationURL"),
        token_url: option_text(options, "tokenURL"),
        profile_url: option_text(options, "profileURL"),
        fields_map: fields_map_text(options),
        pkce: options
            .get("pkce_enabled")
            .and_then(Value::as_bool)
            .unwrap_or(true),
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

/// `POST /dashboard/connections/{id}`: the display name and the settings of its strategy.
pub async fn update(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let connection = state.admin.connection(&signed_in.caller, &id).await?;
    let options = match Strategy::parse(&connection.strategy) {
        Some(strategy) => provider_options(strategy, &form, connection.options),
        None => Ok(None),
    };
    let result = match options {
        Ok(options) => {
            let update = ConnectionUpdate {
                display_name: Some(form.get("display_name").trim().to_owned()),
                options,
                ..ConnectionUpdate::default()
            };
            state
                .admin
                .update_connection(&signed_in.caller, &id, update)
                .await
                .map(|_| ())
        }
        Err(refused) => Err(refused),
    };
    changed(&state, &signed_in, &id, result).await
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
