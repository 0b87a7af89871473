//! The `event` object Auth0 Actions read, built from what a login or a client credentials
//! exchange already holds. Field names are Auth0's (post-login event object, credentials
//! exchange event object); fields Tessera has no source for are left out rather than faked.

use serde_json::{json, Map, Value};
use tessera_admin::users::{Identity, User as UserView};
use tessera_core::audit::RequestContext;
use tessera_protocol::connection::is_database_user;
use tessera_protocol::mfa::Amr;
use tessera_protocol::{RedirectUri, RegisteredClient, ResourceServer, ScopeSet};
use tessera_store::User;

/// How the tokens are being issued: Auth0's `event.transaction.protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// An interactive login answered with a code (`response_type=code`).
    OidcBasicProfile,
    /// An interactive login answered with tokens in the fragment.
    OidcImplicitProfile,
    /// A refresh token exchanged for new tokens.
    RefreshToken,
    /// A username and password exchanged for tokens (the password grant).
    Password,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::OidcBasicProfile => "oidc-basic-profile",
            Protocol::OidcImplicitProfile => "oidc-implicit-profile",
            Protocol::RefreshToken => "oauth2-refresh-token",
            Protocol::Password => "oauth2-password",
        }
    }
}

/// What a post-login event is built from.
#[derive(Debug, Clone, Copy)]
pub struct LoginFacts<'a> {
    pub user: &'a User,
    pub client: &'a RegisteredClient,
    pub api: Option<&'a ResourceServer>,
    pub scope: &'a ScopeSet,
    pub redirect_uri: Option<&'a RedirectUri>,
    pub state: Option<&'a str>,
    pub protocol: Protocol,
    pub request: &'a RequestContext,
    /// The authorization request's parameters (`event.request.query`).
    pub query: &'a [(&'static str, String)],
    /// How the user logged in, for an interactive login; a password otherwise.
    pub amr: Option<&'a Amr>,
}

/// Auth0's post-login `event`, for a user holding the roles named `roles`.
pub fn post_login(facts: &LoginFacts<'_>, roles: &[String], tenant: &str) -> Value {
    let user = facts.user;
    let requested_scopes: Vec<&str> = facts.scope.iter().map(|s| s.as_str()).collect();
    let mut transaction = json!({
        "protocol": facts.protocol.as_str(),
        "requested_scopes": requested_scopes,
        "locale": "en",
    });
    if let Some(redirect_uri) = facts.redirect_uri {
        transaction["redirect_uri"] = json!(redirect_uri.as_str());
    }
    if let Some(state) = facts.state {
        transaction["state"] = json!(state);
    }
    let query: Map<String, Value> = facts
        .query
        .iter()
        .map(|(name, value)| ((*name).to_owned(), json!(value)))
        .collect();
    json!({
        "user": UserView::of(user),
        "client": client(facts.client),
        "connection": connection(&user.user_id),
        "request": request(facts.request, Some(query)),
        "authorization": { "roles": roles },
        "resource_server": facts.api.map(|api| json!({ "identifier": api.identifier })),
        "transaction": transaction,
        "stats": { "logins_count": user.logins_count },
        "tenant": { "id": tenant },
        "authentication": { "methods": methods(&user.user_id, facts.amr) },
    })
}

/// Auth0's `event.authentication.methods`: `pwd` (or `federated` for a user of another
/// identity provider), and `mfa` once a second factor was passed (Auth0 names the factors no
/// further).
fn methods(user_id: &str, amr: Option<&Amr>) -> Value {
    let first = if is_database_user(user_id) {
        json!({ "name": "pwd" })
    } else {
        json!({ "name": "federated" })
    };
    match amr {
        Some(amr) if amr.is_multi_factor() => json!([first, { "name": "mfa" }]),
        _ => json!([first]),
    }
}

/// What a credentials-exchange event is built from.
#[derive(Debug, Clone, Copy)]
pub struct ExchangeFacts<'a> {
    pub client: &'a RegisteredClient,
    pub api: &'a ResourceServer,
    pub scope: &'a ScopeSet,
    pub request: &'a RequestContext,
}

/// Auth0's credentials-exchange `event`.
pub fn credentials_exchange(facts: &ExchangeFacts<'_>, tenant: &str) -> Value {
    let requested_scopes: Vec<&str> = facts.scope.iter().map(|s| s.as_str()).collect();
    json!({
        "client": client(facts.client),
        "resource_server": { "identifier": facts.api.identifier },
        "request": request(facts.request, None),
        "transaction": { "requested_scopes": requested_scopes },
        "accessToken": { "scope": requested_scopes },
        "tenant": { "id": tenant },
    })
}

fn client(client: &RegisteredClient) -> Value {
    json!({
        "client_id": client.client_id.as_str(),
        "name": client.name,
        "metadata": {},
    })
}

/// The connection of the user's own identity (the database's id is Tessera's stand-in).
fn connection(user_id: &str) -> Value {
    let identity = Identity::primary_of(user_id);
    let mut connection = json!({
        "name": identity.connection,
        "strategy": identity.provider,
        "metadata": {},
    });
    if is_database_user(user_id) {
        connection["id"] = json!("con_tessera_database");
    }
    connection
}

fn request(request: &RequestContext, query: Option<Map<String, Value>>) -> Value {
    let user_agent = request
        .user_agent
        .as_ref()
        .and_then(|agent| agent.to_str().ok());
    let mut value = json!({
        "ip": request.ip.map(|ip| ip.to_string()),
        "user_agent": user_agent,
        "geoip": {},
    });
    if let Some(query) = query {
        value["query"] = Value::Object(query);
    }
    value
}
