//! The resource commands' arguments, each turned into one typed admin operation. Fields not
//! given are left out of the body, so an update changes only what was given.

use std::path::PathBuf;

use clap::{Args, FromArgMatches, Subcommand};
use tessera_admin::client_grants::{ClientGrantBody, ClientGrantQuery};
use tessera_admin::clients::ClientBody;
use tessera_admin::grants::GrantQuery;
use tessera_admin::resource_servers::{Permission, ResourceServerBody};
use tessera_admin::roles::{PermissionRef, PermissionsBody, RoleBody, RolesBody, UsersBody};
use tessera_admin::users::UserBody;

use crate::cli::operation::{
    listed, ActionOp, ApiOp, ClientGrantOp, ClientOp, ConnectionChange, ConnectionOp, DeployAction,
    GrantOp, Operation, ProviderOptions, RoleOp, UserOp,
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
        /// Only connections of this strategy: `auth0` (the database), `oidc`, `oauth2`,
        /// `google-oauth2` or `github`.
        #[arg(long)]
        strategy: Option<String>,
    },
    /// Show one connection (never its client secret).
    Get {
        /// Its id (`con_…`).
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Connect another identity provider: users log in there from a button on the login page
    /// of the applications it is enabled for.
    Create {
        /// Letters, digits and inner hyphens; part of its users' ids (`oidc|NAME|…`,
        /// `oauth2|NAME|…`; `google-oauth2|…` and `github|…` without it).
        #[arg(long)]
        name: String,
        /// What the login page's button says (default: the name).
        #[arg(long)]
        display_name: Option<String>,
        // Boxed, as `oauth2` below: inline, they would make every parsed command this large.
        #[command(flatten)]
        provider: Box<ProviderArgs>,
        /// An application (client id) to enable it for (several after one --enable, or
        /// --enable repeated).
        #[arg(long = "enable", value_name = "CLIENT_ID", num_args = 1..)]
        enable: Vec<String>,
    },
    /// Change a connection: only what is given changes; its other options are kept (and its
    /// client secret, without --provider-client-secret). Options of another strategy than
    /// the connection's are refused.
    Update {
        /// Its id (`con_…`).
        #[arg(allow_hyphen_values = true)]
        id: String,
        #[arg(long)]
        display_name: Option<String>,
        /// oidc: the provider's issuer URL (replaces a discovery URL).
        #[arg(long, value_name = "URL", conflicts_with = "discovery_url")]
        issuer: Option<String>,
        /// oidc: the provider's discovery document, ending with
        /// /.well-known/openid-configuration (replaces an issuer).
        #[arg(long, value_name = "URL")]
        discovery_url: Option<String>,
        /// The client id Tessera has at the provider.
        #[arg(long, value_name = "CLIENT_ID")]
        provider_client_id: Option<String>,
        /// A new client secret at the provider, sealed and never shown (without it, the
        /// stored one stays).
        #[arg(long, value_name = "SECRET", allow_hyphen_values = true)]
        provider_client_secret: Option<String>,
        /// The scopes asked of the provider, space-separated (`openid` among them for oidc).
        #[arg(long)]
        scope: Option<String>,
        #[command(flatten)]
        oauth2: Box<OAuth2Args>,
        /// oauth2: PKCE towards the provider again.
        #[arg(long, conflicts_with = "no_pkce")]
        pkce: bool,
    },
    /// Delete a connection to another provider and the users who logged in with it.
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

/// The strategies `tessera connections create` makes connections of.
const PROVIDER_STRATEGIES: [&str; 4] = ["oidc", "oauth2", "google-oauth2", "github"];

/// The provider a new connection logs users in at, and Tessera's client there, as typed.
#[derive(Debug, Args)]
struct ProviderFlags {
    /// oidc: an OpenID provider, found through its discovery document; oauth2: an OAuth 2.0
    /// provider, by its endpoints and profile URL; google-oauth2 and github: Google and
    /// GitHub, by the client id and secret alone.
    #[arg(long, default_value = "oidc", value_parser = PROVIDER_STRATEGIES)]
    strategy: String,
    /// oidc: the provider's issuer URL, e.g. https://idp.example (its discovery document is
    /// at ISSUER/.well-known/openid-configuration).
    #[arg(long, value_name = "URL")]
    issuer: Option<String>,
    /// oidc: the provider's discovery document instead of its issuer.
    #[arg(long, value_name = "URL", conflicts_with = "issuer")]
    discovery_url: Option<String>,
    /// The client id Tessera has at the provider.
    #[arg(long, value_name = "CLIENT_ID")]
    provider_client_id: String,
    /// Its client secret at the provider, sealed and never shown.
    #[arg(long, value_name = "SECRET", allow_hyphen_values = true)]
    provider_client_secret: String,
    /// The scopes asked of the provider, space-separated (oidc's default: openid profile
    /// email, `openid` among them; google-oauth2's: openid email profile; github's: none,
    /// its public profile).
    #[arg(long)]
    scope: Option<String>,
    #[command(flatten)]
    oauth2: OAuth2Args,
}

/// What only an `oauth2` connection has: the provider's endpoints, where its profile is read
/// and how that maps to Auth0's.
#[derive(Debug, Args)]
pub struct OAuth2Args {
    /// oauth2: where users are sent to log in (Auth0's authorizationURL).
    #[arg(long, value_name = "URL")]
    authorization_url: Option<String>,
    /// oauth2: where a code is exchanged for an access token (tokenURL).
    #[arg(long, value_name = "URL")]
    token_url: Option<String>,
    /// oauth2: where the access token reads the person's profile, a JSON object (profileURL).
    #[arg(long, value_name = "URL")]
    profile_url: Option<String>,
    /// oauth2: which profile field (a dotted path) holds an attribute of Auth0's profile,
    /// e.g. user_id=id or email=contact.mail (repeat for several: fieldsMap). An empty FIELD
    /// removes the attribute's entry at an update.
    #[arg(long = "field", value_name = "ATTRIBUTE=FIELD", value_parser = parse_field)]
    fields: Vec<(String, String)>,
    /// oauth2: no PKCE towards the provider, for one that refuses its parameters.
    #[arg(long)]
    no_pkce: bool,
}

impl OAuth2Args {
    fn into_options(self, options: ProviderOptions, pkce: bool) -> ProviderOptions {
        let pkce = match (pkce, self.no_pkce) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        };
        ProviderOptions {
            authorization_url: self.authorization_url,
            token_url: self.token_url,
            profile_url: self.profile_url,
            fields: self.fields,
            pkce,
            ..options
        }
    }
}

/// `ATTRIBUTE=FIELD` of `--field`.
fn parse_field(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((attribute, field)) if !attribute.trim().is_empty() => {
            Ok((attribute.trim().to_owned(), field.trim().to_owned()))
        }
        _ => Err("expected ATTRIBUTE=FIELD, e.g. email=mail".to_owned()),
    }
}

/// A new connection's strategy and options, checked against each other: clap alone cannot
/// refuse a flag for the value of another.
#[derive(Debug)]
pub struct ProviderArgs {
    strategy: String,
    options: ProviderOptions,
}

impl ProviderFlags {
    fn checked(self) -> Result<ProviderArgs, String> {
        let options = ProviderOptions {
            issuer: self.issuer,
            discovery_url: self.discovery_url,
            client_id: Some(self.provider_client_id),
            client_secret: Some(self.provider_client_secret),
            scope: self.scope,
            ..ProviderOptions::default()
        };
        let options = self.oauth2.into_options(options, false);
        let strategy = self.strategy;
        options
            .check(&strategy)
            .map_err(|why| format!("--strategy {strategy}: {why}"))?;
        let missing: Vec<&str> = match strategy.as_str() {
            "oidc" if options.issuer.is_none() && options.discovery_url.is_none() => {
                vec!["--issuer URL (or --discovery-url URL)"]
            }
            "oauth2" => [
                ("--authorization-url URL", &options.authorization_url),
                ("--token-url URL", &options.token_url),
                ("--profile-url URL", &options.profile_url),
            ]
            .into_iter()
            .filter(|(_, given)| given.is_none())
            .map(|(flag, _)| flag)
            .collect(),
            _ => Vec::new(),
        };
        if !missing.is_empty() {
            return Err(format!("--strategy {strategy} needs {}", listed(&missing)));
        }
        Ok(ProviderArgs { strategy, options })
    }
}

impl FromArgMatches for ProviderArgs {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        ProviderFlags::from_arg_matches(matches)?
            .checked()
            .map_err(|why| clap::Error::raw(clap::error::ErrorKind::ArgumentConflict, why))
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = ProviderArgs::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for ProviderArgs {
    fn group_id() -> Option<clap::Id> {
        ProviderFlags::group_id()
    }

    fn augment_args(cmd: clap::Command) -> clap::Command {
        ProviderFlags::augment_args(cmd)
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        ProviderFlags::augment_args_for_update(cmd)
    }
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
                enable,
            } => {
                let mut options = tessera_store::JsonObject::new();
                provider.options.merge_into(&mut options);
                ConnectionOp::Create(NewConnection {
                    name,
                    strategy: provider.strategy,
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
                oauth2,
                pkce,
            } => {
                let options = ProviderOptions {
                    issuer,
                    discovery_url,
                    client_id: provider_client_id,
                    client_secret: provider_client_secret,
                    scope,
                    ..ProviderOptions::default()
                };
                ConnectionOp::Update(
                    id,
                    ConnectionChange {
                        display_name,
                        options: oauth2.into_options(options, pkce),
                    },
                )
            }
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
