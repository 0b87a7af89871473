//! The resource commands' arguments, each turned into one typed admin operation. Fields not
//! given are left out of the body, so an update changes only what was given.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use tessera_admin::client_grants::{ClientGrantBody, ClientGrantQuery};
use tessera_admin::clients::ClientBody;
use tessera_admin::grants::GrantQuery;
use tessera_admin::resource_servers::{Permission, ResourceServerBody};
use tessera_admin::roles::{PermissionRef, PermissionsBody, RoleBody, RolesBody, UsersBody};
use tessera_admin::users::UserBody;

use crate::cli::operation::{
    ActionOp, ApiOp, ClientGrantOp, ClientOp, ConnectionChange, ConnectionOp, DeployAction,
    GrantOp, Operation, RoleOp, UserOp,
};
use tessera_admin::actions::SecretInput;
use tessera_admin::connections::NewConnection;

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

/// `tessera clients …`.
#[derive(Debug, Subcommand)]
pub enum ClientsAction {
    /// List every application: client id, name, type and grant types.
    List,
    /// Show one application.
    Get {
        /// Its id (taken as given even when it starts with `-`).
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
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
        /// Its id (taken as given even when it starts with `-`).
        #[arg(allow_hyphen_values = true)]
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
    Delete {
        /// Its id (taken as given even when it starts with `-`).
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Give a confidential application a new secret (printed once); the old one stops working.
    Rotate {
        /// Its id (taken as given even when it starts with `-`).
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
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

/// A list option: absent when not given.
fn many(values: Vec<String>) -> Option<Vec<String>> {
    (!values.is_empty()).then_some(values)
}

fn client_body(name: Option<String>, app_type: Option<String>, fields: ClientFields) -> ClientBody {
    ClientBody {
        name,
        app_type,
        callbacks: many(fields.callbacks),
        allowed_logout_urls: many(fields.logout_urls),
        grant_types: many(fields.grant_types),
        token_endpoint_auth_method: fields.token_endpoint_auth_method,
        ..ClientBody::default()
    }
}

impl ClientsAction {
    pub fn operation(self) -> Operation {
        Operation::Clients(match self {
            ClientsAction::List => ClientOp::List,
            ClientsAction::Get { id } => ClientOp::Get(id),
            ClientsAction::Create {
                name,
                app_type,
                fields,
            } => ClientOp::Create(client_body(Some(name), Some(app_type), fields)),
            ClientsAction::Update {
                id,
                name,
                app_type,
                fields,
            } => ClientOp::Update(id, client_body(name, app_type, fields)),
            ClientsAction::Delete { id } => ClientOp::Delete(id),
            ClientsAction::Rotate { id } => ClientOp::RotateSecret(id),
        })
    }
}

/// `tessera apis …`.
#[derive(Debug, Subcommand)]
pub enum ApisAction {
    /// List every API: identifier (its audience), name, scopes, offline access, algorithm.
    List,
    /// Show one API, by its identifier.
    Get {
        /// Its id (taken as given even when it starts with `-`).
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
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
        /// Its id (taken as given even when it starts with `-`).
        #[arg(allow_hyphen_values = true)]
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        fields: ApiFields,
    },
    /// Delete an API.
    Delete {
        /// Its id (taken as given even when it starts with `-`).
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
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

fn api_body(
    identifier: Option<String>,
    name: Option<String>,
    fields: ApiFields,
) -> ResourceServerBody {
    let scopes: Vec<Permission> = fields
        .scopes
        .into_iter()
        .map(|(value, description)| Permission { value, description })
        .collect();
    ResourceServerBody {
        identifier,
        name,
        scopes: (!scopes.is_empty()).then_some(scopes),
        allow_offline_access: fields.offline_access,
        token_lifetime: fields.token_lifetime,
        signing_alg: fields.signing_alg,
        ..ResourceServerBody::default()
    }
}

impl ApisAction {
    pub fn operation(self) -> Operation {
        Operation::Apis(match self {
            ApisAction::List => ApiOp::List,
            ApisAction::Get { id } => ApiOp::Get(id),
            ApisAction::Create {
                identifier,
                name,
                fields,
            } => ApiOp::Create(api_body(Some(identifier), Some(name), fields)),
            ApisAction::Update { id, name, fields } => {
                ApiOp::Update(id, api_body(None, name, fields))
            }
            ApisAction::Delete { id } => ApiOp::Delete(id),
        })
    }
}

/// `tessera users …`.
#[derive(Debug, Subcommand)]
pub enum UsersAction {
    /// List users: id, email, name, whether blocked.
    List {
        /// Only users matching this query, in Auth0's user search syntax: a word is looked
        /// for in names and email; `email:"jane@example.com"`, `name:jo*`,
        /// `app_metadata.plan:gold`, `logins_count:[2 TO *]`, with AND, OR, NOT.
        #[arg(long)]
        search: Option<String>,
    },
    /// Show one user.
    Get {
        /// Its id (taken as given even when it starts with `-`).
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
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
        /// Its id (taken as given even when it starts with `-`).
        #[arg(allow_hyphen_values = true)]
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
    Delete {
        /// Its id (taken as given even when it starts with `-`).
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Import users from a file in Auth0's import format (a JSON array of users, with
    /// `password_hash` or `custom_password_hash`), as a job; shows its progress and summary.
    Import {
        file: std::path::PathBuf,
        /// Update users whose email, id or username exists instead of refusing them.
        #[arg(long)]
        upsert: bool,
    },
    /// A user's roles: list, add, remove.
    Roles {
        #[command(subcommand)]
        action: UserRolesAction,
    },
    /// A user's permissions: list (each with why they hold it), add or remove direct ones.
    Permissions {
        #[command(subcommand)]
        action: UserPermissionsAction,
    },
}

/// `tessera users roles …`.
#[derive(Debug, Subcommand)]
pub enum UserRolesAction {
    List {
        /// The user's id (taken as given even when it starts with `-`).
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Give the user roles.
    Add {
        #[arg(allow_hyphen_values = true)]
        id: String,
        /// Role ids (several after one --role, or --role repeated).
        #[arg(long = "role", required = true, num_args = 1..)]
        roles: Vec<String>,
    },
    /// Take roles from the user.
    Remove {
        #[arg(allow_hyphen_values = true)]
        id: String,
        #[arg(long = "role", required = true, num_args = 1..)]
        roles: Vec<String>,
    },
}

/// `tessera users permissions …`.
#[derive(Debug, Subcommand)]
pub enum UserPermissionsAction {
    List {
        /// The user's id (taken as given even when it starts with `-`).
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Give the user permissions directly.
    Add {
        #[arg(allow_hyphen_values = true)]
        id: String,
        #[command(flatten)]
        permissions: PermissionArgs,
    },
    /// Take direct permissions from the user (those of their roles stay).
    Remove {
        #[arg(allow_hyphen_values = true)]
        id: String,
        #[command(flatten)]
        permissions: PermissionArgs,
    },
}

/// Permissions of one API.
#[derive(Debug, Args)]
pub struct PermissionArgs {
    /// The API's identifier.
    #[arg(long)]
    api: String,
    /// Scopes the API defines (several after one --permission, or --permission repeated).
    #[arg(long = "permission", required = true, num_args = 1..)]
    names: Vec<String>,
}

impl PermissionArgs {
    fn body(self) -> PermissionsBody {
        let api = self.api;
        PermissionsBody {
            permissions: self
                .names
                .into_iter()
                .map(|permission_name| PermissionRef {
                    resource_server_identifier: api.clone(),
                    permission_name,
                })
                .collect(),
        }
    }
}

/// `tessera actions …`.
#[derive(Debug, Subcommand)]
pub enum ActionsAction {
    /// List the actions, with their trigger and deployed version.
    List,
    /// Create or update the action named after FILE (or --name) from its JavaScript, deploy
    /// it, and bind it to its trigger (last) unless it is bound already.
    Deploy {
        /// The Action's source: `exports.onExecutePostLogin = async (event, api) => {…}`.
        file: std::path::PathBuf,
        /// `post-login` or `credentials-exchange`.
        #[arg(long, value_parser = ["post-login", "credentials-exchange"])]
        trigger: String,
        /// The action's name (default: the file name without its extension).
        #[arg(long)]
        name: Option<String>,
        /// A secret as NAME=VALUE (repeat for several): `event.secrets.NAME`. The action's
        /// secrets become exactly these.
        #[arg(long = "secret", value_name = "NAME=VALUE")]
        secrets: Vec<String>,
    },
}

impl ActionsAction {
    pub fn operation(self) -> Result<Operation, String> {
        Ok(Operation::Actions(match self {
            ActionsAction::List => ActionOp::List,
            ActionsAction::Deploy {
                file,
                trigger,
                name,
                secrets,
            } => {
                let code = std::fs::read_to_string(&file)
                    .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
                let name = match name {
                    Some(name) => name,
                    None => file
                        .file_stem()
                        .map(|stem| stem.to_string_lossy().into_owned())
                        .ok_or_else(|| format!("{} names no file", file.display()))?,
                };
                let secrets = secrets
                    .iter()
                    .map(|pair| match pair.split_once('=') {
                        Some((name, value)) if !name.is_empty() => Ok(SecretInput {
                            name: name.to_owned(),
                            value: Some(value.to_owned()),
                        }),
                        _ => Err(format!("--secret {pair:?}: expected NAME=VALUE")),
                    })
                    .collect::<Result<_, _>>()?;
                ActionOp::Deploy(DeployAction {
                    name,
                    trigger,
                    code,
                    secrets,
                })
            }
        }))
    }
}

/// `tessera roles …`.
#[derive(Debug, Subcommand)]
pub enum RolesAction {
    /// List roles; with --name-filter, those whose name contains it (ignoring case).
    List {
        #[arg(long)]
        name_filter: Option<String>,
    },
    /// Show one role.
    Get {
        /// Its id (`rol_…`).
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// Change a role's name or description.
    Update {
        #[arg(allow_hyphen_values = true)]
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Delete a role: its users lose its permissions at their next token.
    Delete {
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// The permissions a role grants.
    Permissions {
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Add permissions (scopes of one API) to a role.
    AddPermissions {
        #[arg(allow_hyphen_values = true)]
        id: String,
        #[command(flatten)]
        permissions: PermissionArgs,
    },
    /// Remove permissions from a role.
    RemovePermissions {
        #[arg(allow_hyphen_values = true)]
        id: String,
        #[command(flatten)]
        permissions: PermissionArgs,
    },
    /// Who holds a role.
    Users {
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Give a role to users.
    AddUsers {
        #[arg(allow_hyphen_values = true)]
        id: String,
        /// User ids (several after one --user, or --user repeated).
        #[arg(long = "user", required = true, num_args = 1..)]
        users: Vec<String>,
    },
}

impl RolesAction {
    pub fn operation(self) -> Operation {
        Operation::Roles(match self {
            RolesAction::List { name_filter } => RoleOp::List { name_filter },
            RolesAction::Get { id } => RoleOp::Get(id),
            RolesAction::Create { name, description } => RoleOp::Create(RoleBody {
                name: Some(name),
                description,
            }),
            RolesAction::Update {
                id,
                name,
                description,
            } => RoleOp::Update(id, RoleBody { name, description }),
            RolesAction::Delete { id } => RoleOp::Delete(id),
            RolesAction::Permissions { id } => RoleOp::Permissions(id),
            RolesAction::AddPermissions { id, permissions } => {
                RoleOp::AddPermissions(id, permissions.body())
            }
            RolesAction::RemovePermissions { id, permissions } => {
                RoleOp::RemovePermissions(id, permissions.body())
            }
            RolesAction::Users { id } => RoleOp::Users(id),
            RolesAction::AddUsers { id, users } => RoleOp::AddUsers(id, UsersBody { users }),
        })
    }
}

impl UsersAction {
    pub fn operation(self) -> Operation {
        Operation::Users(match self {
            UsersAction::List { search } => UserOp::List { search },
            UsersAction::Get { id } => UserOp::Get(id),
            UsersAction::Create {
                email,
                password,
                username,
                name,
            } => UserOp::Create(UserBody {
                email: Some(email),
                password: Some(password),
                username,
                name,
                ..UserBody::default()
            }),
            UsersAction::Update {
                id,
                password,
                blocked,
                name,
                email,
            } => UserOp::Update(
                id,
                UserBody {
                    password,
                    blocked,
                    name,
                    email,
                    ..UserBody::default()
                },
            ),
            UsersAction::Delete { id } => UserOp::Delete(id),
            UsersAction::Import { file, upsert } => UserOp::Import { file, upsert },
            UsersAction::Roles { action } => match action {
                UserRolesAction::List { id } => UserOp::Roles(id),
                UserRolesAction::Add { id, roles } => UserOp::AssignRoles(id, RolesBody { roles }),
                UserRolesAction::Remove { id, roles } => {
                    UserOp::RemoveRoles(id, RolesBody { roles })
                }
            },
            UsersAction::Permissions { action } => match action {
                UserPermissionsAction::List { id } => UserOp::Permissions(id),
                UserPermissionsAction::Add { id, permissions } => {
                    UserOp::AddPermissions(id, permissions.body())
                }
                UserPermissionsAction::Remove { id, permissions } => {
                    UserOp::RemovePermissions(id, permissions.body())
                }
            },
        })
    }
}

/// `tessera connections …`.
#[derive(Debug, Subcommand)]
pub enum ConnectionsAction {
    /// List connections: id, name, strategy, display name, and how many applications each is
    /// enabled for (`all` for the database connection).
    List {
        /// Only connections of this strategy: `auth0` (the database) or `oidc`.
        #[arg(long)]
        strategy: Option<String>,
    },
    /// Show one connection (never its client secret).
    Get {
        /// Its id (`con_…`).
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Connect another OpenID provider (strategy oidc): users log in there from a button on
    /// the login page of the applications it is enabled for.
    Create {
        /// Letters, digits and inner hyphens; part of its users' ids (`oidc|NAME|…`).
        #[arg(long)]
        name: String,
        /// What the login page's button says (default: the name).
        #[arg(long)]
        display_name: Option<String>,
        #[command(flatten)]
        provider: ProviderArgs,
        /// The scopes asked of the provider, `openid` among them (default: openid profile
        /// email).
        #[arg(long)]
        scope: Option<String>,
        /// An application (client id) to enable it for (several after one --enable, or
        /// --enable repeated).
        #[arg(long = "enable", value_name = "CLIENT_ID", num_args = 1..)]
        enable: Vec<String>,
    },
    /// Change a connection: only what is given changes; its other options are kept (and its
    /// client secret, without --provider-client-secret).
    Update {
        /// Its id (`con_…`).
        #[arg(allow_hyphen_values = true)]
        id: String,
        #[arg(long)]
        display_name: Option<String>,
        /// The provider's issuer URL (replaces a discovery URL).
        #[arg(long, value_name = "URL", conflicts_with = "discovery_url")]
        issuer: Option<String>,
        /// The provider's discovery document, ending with /.well-known/openid-configuration
        /// (replaces an issuer).
        #[arg(long, value_name = "URL")]
        discovery_url: Option<String>,
        /// The client id Tessera has at the provider.
        #[arg(long, value_name = "CLIENT_ID")]
        provider_client_id: Option<String>,
        /// A new client secret at the provider, sealed and never shown (without it, the
        /// stored one stays).
        #[arg(long, value_name = "SECRET", allow_hyphen_values = true)]
        provider_client_secret: Option<String>,
        /// The scopes asked of the provider, `openid` among them.
        #[arg(long)]
        scope: Option<String>,
    },
    /// Delete an oidc connection and the users who logged in with it.
    Delete {
        /// Its id (`con_…`).
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Enable a connection for applications: their login page offers it.
    Enable {
        /// Its id (`con_…`).
        #[arg(allow_hyphen_values = true)]
        id: String,
        /// The applications' client ids.
        #[arg(required = true, value_name = "CLIENT_ID")]
        client_ids: Vec<String>,
    },
    /// Disable a connection for applications.
    Disable {
        /// Its id (`con_…`).
        #[arg(allow_hyphen_values = true)]
        id: String,
        /// The applications' client ids.
        #[arg(required = true, value_name = "CLIENT_ID")]
        client_ids: Vec<String>,
    },
}

/// The OpenID provider a new connection logs users in at, and Tessera's client there.
#[derive(Debug, Args)]
pub struct ProviderArgs {
    /// The provider's issuer URL, e.g. https://idp.example (its discovery document is at
    /// ISSUER/.well-known/openid-configuration).
    #[arg(long, value_name = "URL", required_unless_present = "discovery_url")]
    issuer: Option<String>,
    /// The provider's discovery document instead of its issuer.
    #[arg(long, value_name = "URL", conflicts_with = "issuer")]
    discovery_url: Option<String>,
    /// The client id Tessera has at the provider.
    #[arg(long, value_name = "CLIENT_ID")]
    provider_client_id: String,
    /// Its client secret at the provider, sealed and never shown.
    #[arg(long, value_name = "SECRET", allow_hyphen_values = true)]
    provider_client_secret: String,
}

impl ConnectionsAction {
    pub fn operation(self) -> Operation {
        Operation::Connections(match self {
            ConnectionsAction::List { strategy } => ConnectionOp::List { strategy },
            ConnectionsAction::Get { id } => ConnectionOp::Get(id),
            ConnectionsAction::Create {
                name,
                display_name,
                provider,
                scope,
                enable,
            } => {
                let mut options = tessera_store::JsonObject::new();
                let given = [
                    ("issuer", provider.issuer),
                    ("discovery_url", provider.discovery_url),
                    ("client_id", Some(provider.provider_client_id)),
                    ("client_secret", Some(provider.provider_client_secret)),
                    ("scope", scope),
                ];
                for (option, value) in given {
                    if let Some(value) = value {
                        options.insert(option.to_owned(), value.into());
                    }
                }
                ConnectionOp::Create(NewConnection {
                    name,
                    strategy: "oidc".to_owned(),
                    display_name,
                    options,
                    enabled_clients: many(enable),
                    is_domain_connection: None,
                    metadata: None,
                })
            }
            ConnectionsAction::Update {
                id,
                display_name,
                issuer,
                discovery_url,
                provider_client_id,
                provider_client_secret,
                scope,
            } => ConnectionOp::Update(
                id,
                ConnectionChange {
                    display_name,
                    issuer,
                    discovery_url,
                    client_id: provider_client_id,
                    client_secret: provider_client_secret,
                    scope,
                },
            ),
            ConnectionsAction::Delete { id } => ConnectionOp::Delete(id),
            ConnectionsAction::Enable { id, client_ids } => ConnectionOp::Clients {
                id,
                client_ids,
                enabled: true,
            },
            ConnectionsAction::Disable { id, client_ids } => ConnectionOp::Clients {
                id,
                client_ids,
                enabled: false,
            },
        })
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
    Delete {
        /// Its id (taken as given even when it starts with `-`).
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
}

impl GrantsAction {
    pub fn operation(self) -> Operation {
        Operation::Grants(match self {
            GrantsAction::List { user } => GrantOp::List(GrantQuery {
                user_id: Some(user),
                ..GrantQuery::default()
            }),
            GrantsAction::Delete { id } => GrantOp::Delete(id),
        })
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
    Delete {
        /// Its id (taken as given even when it starts with `-`).
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
}

impl ClientGrantsAction {
    pub fn operation(self) -> Operation {
        Operation::ClientGrants(match self {
            ClientGrantsAction::List { client, audience } => {
                ClientGrantOp::List(ClientGrantQuery {
                    client_id: client,
                    audience,
                })
            }
            ClientGrantsAction::Create {
                client,
                audience,
                scopes,
            } => ClientGrantOp::Create(ClientGrantBody {
                client_id: Some(client),
                audience: Some(audience),
                scope: Some(
                    scopes
                        .iter()
                        .flat_map(|s| s.split_whitespace())
                        .map(str::to_owned)
                        .collect(),
                ),
            }),
            ClientGrantsAction::Delete { id } => ClientGrantOp::Delete(id),
        })
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
        let operation = UsersAction::Update {
            id: "auth0|1".into(),
            password: None,
            blocked: Some(true),
            name: None,
            email: None,
        }
        .operation();
        let Operation::Users(UserOp::Update(id, body)) = operation else {
            unreachable!("an update: {operation:?}")
        };
        assert_eq!(id, "auth0|1");
        assert_eq!(
            serde_json::to_value(body).ok(),
            Some(serde_json::json!({ "blocked": true }))
        );
    }
}
