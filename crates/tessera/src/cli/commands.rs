//! The resource commands' arguments, each turned into one Management API call. Fields not
//! given are left out of the body, so an update changes only what was given.

use std::path::PathBuf;

use axum::http::Method;
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use crate::cli::call::{many, object, path, Call, Noun};

/// Where the local store is (without --server).
#[derive(Debug, Clone, Default, Args)]
pub struct StoreArgs {
    /// Configuration file (TOML), for the local store. Every setting can also be set as
    /// TESSERA_<NAME> (e.g. TESSERA_DATABASE_URL).
    #[arg(long, short, env = "TESSERA_CONFIG", global = true)]
    pub config: Option<PathBuf>,
}

/// A resource command: where the store is, and the action.
#[derive(Debug, Args)]
pub struct On<A: Subcommand> {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(subcommand)]
    pub action: A,
}

const CLIENTS: &str = "/api/v2/clients";
const APIS: &str = "/api/v2/resource-servers";
const USERS: &str = "/api/v2/users";
const GRANTS: &str = "/api/v2/grants";
const CLIENT_GRANTS: &str = "/api/v2/client-grants";

/// `tessera clients …`.
#[derive(Debug, Subcommand)]
pub enum ClientsAction {
    /// List every application: client id, name, type and grant types.
    List,
    /// Show one application.
    Get { id: String },
    /// Register an application; a confidential one's secret is printed, only this once.
    Create {
        /// What users see on the consent page.
        #[arg(long)]
        name: String,
        /// regular_web, spa, native or non_interactive (machine to machine).
        #[arg(long)]
        app_type: String,
        #[command(flatten)]
        fields: ClientFields,
    },
    /// Change an application: only what is given changes (a list given replaces the list).
    Update {
        id: String,
        #[arg(long)]
        name: Option<String>,
        /// regular_web, spa, native or non_interactive (machine to machine).
        #[arg(long)]
        app_type: Option<String>,
        #[command(flatten)]
        fields: ClientFields,
    },
    /// Delete an application.
    Delete { id: String },
    /// Give a confidential application a new secret (printed once); the old one stops working.
    Rotate { id: String },
}

/// The optional fields of an application.
#[derive(Debug, Args)]
pub struct ClientFields {
    /// An allowed callback URL; repeat it for several.
    #[arg(long = "callback", value_name = "URL")]
    callbacks: Vec<String>,
    /// An allowed logout URL; repeat it for several.
    #[arg(long = "logout-url", value_name = "URL")]
    logout_urls: Vec<String>,
    /// authorization_code, implicit, refresh_token or client_credentials; repeat it for several
    /// (default: the app type's).
    #[arg(long = "grant-type", value_name = "GRANT")]
    grant_types: Vec<String>,
    /// client_secret_post, client_secret_basic, or none for a public client (default: the app
    /// type's).
    #[arg(long, value_name = "METHOD")]
    token_endpoint_auth_method: Option<String>,
}

fn client_body(name: Option<String>, app_type: Option<String>, fields: ClientFields) -> Value {
    object([
        ("name", name.map(Value::from)),
        ("app_type", app_type.map(Value::from)),
        ("callbacks", many(fields.callbacks)),
        ("allowed_logout_urls", many(fields.logout_urls)),
        ("grant_types", many(fields.grant_types)),
        (
            "token_endpoint_auth_method",
            fields.token_endpoint_auth_method.map(Value::from),
        ),
    ])
}

impl ClientsAction {
    pub fn call(self) -> Call {
        let noun = Noun::Clients;
        match self {
            ClientsAction::List => Call::list(noun, CLIENTS, Vec::new()),
            ClientsAction::Get { id } => Call::one(noun, Method::GET, path(CLIENTS, &id), None),
            ClientsAction::Create {
                name,
                app_type,
                fields,
            } => {
                let body = client_body(Some(name), Some(app_type), fields);
                Call::one(noun, Method::POST, CLIENTS.into(), Some(body))
            }
            ClientsAction::Update {
                id,
                name,
                app_type,
                fields,
            } => {
                let body = client_body(name, app_type, fields);
                Call::one(noun, Method::PATCH, path(CLIENTS, &id), Some(body))
            }
            ClientsAction::Delete { id } => Call::delete(
                noun,
                path(CLIENTS, &id),
                format!("Deleted the application `{id}`."),
            ),
            ClientsAction::Rotate { id } => Call::one(
                noun,
                Method::POST,
                format!("{}/rotate-secret", path(CLIENTS, &id)),
                None,
            ),
        }
    }
}

/// `tessera apis …`.
#[derive(Debug, Subcommand)]
pub enum ApisAction {
    /// List every API: identifier (its audience), name, scopes, offline access, algorithm.
    List,
    /// Show one API, by its identifier.
    Get { id: String },
    /// Register an API.
    Create {
        /// The audience clients ask tokens for, e.g. https://api.example.com/ or orders:api.
        #[arg(long)]
        identifier: String,
        /// What users see on the consent page.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        fields: ApiFields,
    },
    /// Change an API: only what is given changes (scopes given replace its scopes).
    Update {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        fields: ApiFields,
    },
    /// Delete an API.
    Delete { id: String },
}

/// The optional fields of an API.
#[derive(Debug, Args)]
pub struct ApiFields {
    /// A scope it defines, as VALUE:DESCRIPTION, split at the last colon (so
    /// `read:orders:Read your orders` works; write VALUE=DESCRIPTION when the description has a
    /// colon). Repeat it for several.
    #[arg(long = "scope", value_name = "VALUE:DESCRIPTION", value_parser = parse_scope)]
    scopes: Vec<(String, String)>,
    /// Whether clients may get refresh tokens for it.
    #[arg(long, value_name = "true|false")]
    offline_access: Option<bool>,
    /// Access token lifetime, seconds.
    #[arg(long, value_name = "SECONDS")]
    token_lifetime: Option<i64>,
    /// RS256, PS256, ES256 or EdDSA.
    #[arg(long, value_name = "ALG")]
    signing_alg: Option<String>,
}

fn parse_scope(text: &str) -> Result<(String, String), String> {
    let (value, description) = text
        .split_once('=')
        .or_else(|| text.rsplit_once(':'))
        .unwrap_or((text, ""));
    if value.is_empty() {
        return Err("write VALUE:DESCRIPTION, e.g. read:orders:Read your orders".into());
    }
    Ok((value.to_owned(), description.trim().to_owned()))
}

fn api_body(identifier: Option<String>, name: Option<String>, fields: ApiFields) -> Value {
    let scopes: Vec<Value> = fields
        .scopes
        .into_iter()
        .map(|(value, description)| json!({ "value": value, "description": description }))
        .collect();
    object([
        ("identifier", identifier.map(Value::from)),
        ("name", name.map(Value::from)),
        ("scopes", (!scopes.is_empty()).then(|| Value::from(scopes))),
        (
            "allow_offline_access",
            fields.offline_access.map(Value::from),
        ),
        ("token_lifetime", fields.token_lifetime.map(Value::from)),
        ("signing_alg", fields.signing_alg.map(Value::from)),
    ])
}

impl ApisAction {
    pub fn call(self) -> Call {
        let noun = Noun::Apis;
        match self {
            ApisAction::List => Call::list(noun, APIS, Vec::new()),
            ApisAction::Get { id } => Call::one(noun, Method::GET, path(APIS, &id), None),
            ApisAction::Create {
                identifier,
                name,
                fields,
            } => {
                let body = api_body(Some(identifier), Some(name), fields);
                Call::one(noun, Method::POST, APIS.into(), Some(body))
            }
            ApisAction::Update { id, name, fields } => {
                let body = api_body(None, name, fields);
                Call::one(noun, Method::PATCH, path(APIS, &id), Some(body))
            }
            ApisAction::Delete { id } => {
                Call::delete(noun, path(APIS, &id), format!("Deleted the API `{id}`."))
            }
        }
    }
}

/// `tessera users …`.
#[derive(Debug, Subcommand)]
pub enum UsersAction {
    /// List users: id, email, name, whether blocked.
    List {
        /// Only users whose username, email or name contains this.
        #[arg(long)]
        search: Option<String>,
    },
    /// Show one user.
    Get { id: String },
    /// Create a user (the username defaults to the email, the name to the username).
    Create {
        #[arg(long)]
        email: String,
        /// At least 8 characters.
        #[arg(long)]
        password: String,
        #[arg(long)]
        username: Option<String>,
        #[arg(long)]
        name: Option<String>,
    },
    /// Change a user: only what is given changes. Blocking revokes their refresh tokens.
    Update {
        id: String,
        #[arg(long)]
        password: Option<String>,
        #[arg(long, value_name = "true|false")]
        blocked: Option<bool>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
    /// Delete a user and revoke their refresh tokens.
    Delete { id: String },
}

impl UsersAction {
    pub fn call(self) -> Call {
        let noun = Noun::Users;
        match self {
            UsersAction::List { search } => {
                let query = search.map(|q| ("q", q)).into_iter().collect();
                Call::list(noun, USERS, query)
            }
            UsersAction::Get { id } => Call::one(noun, Method::GET, path(USERS, &id), None),
            UsersAction::Create {
                email,
                password,
                username,
                name,
            } => {
                let body = object([
                    ("email", Some(email.into())),
                    ("password", Some(password.into())),
                    ("username", username.map(Value::from)),
                    ("name", name.map(Value::from)),
                ]);
                Call::one(noun, Method::POST, USERS.into(), Some(body))
            }
            UsersAction::Update {
                id,
                password,
                blocked,
                name,
                email,
            } => {
                let body = object([
                    ("password", password.map(Value::from)),
                    ("blocked", blocked.map(Value::from)),
                    ("name", name.map(Value::from)),
                    ("email", email.map(Value::from)),
                ]);
                Call::one(noun, Method::PATCH, path(USERS, &id), Some(body))
            }
            UsersAction::Delete { id } => Call::delete(
                noun,
                path(USERS, &id),
                format!("Deleted the user `{id}`; their refresh tokens no longer work."),
            ),
        }
    }
}

/// `tessera grants …`.
#[derive(Debug, Subcommand)]
pub enum GrantsAction {
    /// List the consents a user gave applications.
    List {
        #[arg(long, value_name = "USER_ID")]
        user: String,
    },
    /// Revoke a consent: its refresh tokens stop working and the next login asks again.
    Delete { id: String },
}

impl GrantsAction {
    pub fn call(self) -> Call {
        let noun = Noun::Grants;
        match self {
            GrantsAction::List { user } => Call::list(noun, GRANTS, vec![("user_id", user)]),
            GrantsAction::Delete { id } => Call::delete(
                noun,
                path(GRANTS, &id),
                format!("Revoked the grant `{id}` and the refresh tokens issued under it."),
            ),
        }
    }
}

/// `tessera client-grants …`.
#[derive(Debug, Subcommand)]
pub enum ClientGrantsAction {
    /// List client grants, optionally of one application or for one API.
    List {
        #[arg(long, value_name = "CLIENT_ID")]
        client: Option<String>,
        #[arg(long)]
        audience: Option<String>,
    },
    /// Let an application get client_credentials tokens for an API, with these scopes.
    Create {
        #[arg(long, value_name = "CLIENT_ID")]
        client: String,
        /// The API's identifier.
        #[arg(long)]
        audience: String,
        /// Scopes the API defines (several after one --scope, or --scope repeated).
        #[arg(long = "scope", required = true, num_args = 1..)]
        scopes: Vec<String>,
    },
    /// Delete a client grant.
    Delete { id: String },
}

impl ClientGrantsAction {
    pub fn call(self) -> Call {
        let noun = Noun::ClientGrants;
        match self {
            ClientGrantsAction::List { client, audience } => {
                let query = [("client_id", client), ("audience", audience)]
                    .into_iter()
                    .filter_map(|(name, value)| value.map(|v| (name, v)))
                    .collect();
                Call::list(noun, CLIENT_GRANTS, query)
            }
            ClientGrantsAction::Create {
                client,
                audience,
                scopes,
            } => {
                let scope: Vec<&str> = scopes.iter().flat_map(|s| s.split_whitespace()).collect();
                let body = json!({ "client_id": client, "audience": audience, "scope": scope });
                Call::one(noun, Method::POST, CLIENT_GRANTS.into(), Some(body))
            }
            ClientGrantsAction::Delete { id } => Call::delete(
                noun,
                path(CLIENT_GRANTS, &id),
                format!("Deleted the client grant `{id}`."),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_splits_at_the_last_colon_or_the_first_equals_sign() {
        let scope = |value: &str, description: &str| Ok((value.into(), description.into()));
        assert_eq!(
            parse_scope("read:orders:Read your orders"),
            scope("read:orders", "Read your orders")
        );
        assert_eq!(
            parse_scope("orders=Orders: all of them"),
            scope("orders", "Orders: all of them")
        );
        assert_eq!(parse_scope("orders"), scope("orders", ""));
        assert!(parse_scope(":x").is_err());
    }

    #[test]
    fn update_sends_only_what_is_given() {
        let call = UsersAction::Update {
            id: "auth0|1".into(),
            password: None,
            blocked: Some(true),
            name: None,
            email: None,
        }
        .call();
        assert_eq!(call.method, Method::PATCH);
        assert_eq!(call.path, "/api/v2/users/auth0%7C1");
        assert_eq!(call.body, Some(json!({ "blocked": true })));
    }
}
