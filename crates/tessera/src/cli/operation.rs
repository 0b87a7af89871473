//! What a management command asks for, as a typed admin operation, and the typed answer it
//! gets — the same whether the local store or a running server's Management API answers it.

use serde::Serialize;
use serde_json::Value;
use tessera_admin::actions::{Action, SecretInput};
use tessera_admin::client_grants::{ClientGrant, ClientGrantBody, ClientGrantQuery};
use tessera_admin::clients::{Client, ClientBody};
use tessera_admin::connections::{ClientStatus, ConnectionUpdate, ConnectionView, NewConnection};
use tessera_admin::grants::{Grant, GrantQuery};
use tessera_admin::jobs::JobView;
use tessera_admin::keys::{RotateQuery, RotatedKey, SigningKey};
use tessera_admin::resource_servers::{ResourceServer, ResourceServerBody};
use tessera_admin::roles::{
    PermissionsBody, Role, RoleBody, RolePermission, RoleUser, RolesBody, UserPermission, UsersBody,
};
use tessera_admin::users::{User, UserBody};
use tessera_store::JsonObject;

/// The resource a command manages: names its list command and what an empty list says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Noun {
    Clients,
    Apis,
    Users,
    Grants,
    ClientGrants,
    Keys,
    Roles,
    Actions,
    Connections,
}

impl Noun {
    /// The command that lists this resource.
    pub fn list_command(self) -> &'static str {
        match self {
            Noun::Clients => "tessera clients list",
            Noun::Apis => "tessera apis list",
            Noun::Users => "tessera users list",
            Noun::Grants => "tessera grants list --user USER_ID",
            Noun::ClientGrants => "tessera client-grants list",
            Noun::Keys => "tessera keys list",
            Noun::Roles => "tessera roles list",
            Noun::Actions => "tessera actions list",
            Noun::Connections => "tessera connections list",
        }
    }
}

/// One admin operation a command asks for.
#[derive(Debug, Clone)]
pub enum Operation {
    Clients(ClientOp),
    Apis(ApiOp),
    Users(UserOp),
    Grants(GrantOp),
    ClientGrants(ClientGrantOp),
    Keys(KeyOp),
    Roles(RoleOp),
    Actions(ActionOp),
    Connections(ConnectionOp),
}

impl Operation {
    pub fn noun(&self) -> Noun {
        match self {
            Operation::Clients(_) => Noun::Clients,
            Operation::Apis(_) => Noun::Apis,
            Operation::Users(_) => Noun::Users,
            Operation::Grants(_) => Noun::Grants,
            Operation::ClientGrants(_) => Noun::ClientGrants,
            Operation::Keys(_) => Noun::Keys,
            Operation::Roles(_) => Noun::Roles,
            Operation::Actions(_) => Noun::Actions,
            Operation::Connections(_) => Noun::Connections,
        }
    }
}

#[derive(Debug, Clone)]
pub enum ClientOp {
    List,
    Get(String),
    Create(ClientBody),
    Update(String, ClientBody),
    Delete(String),
    RotateSecret(String),
}

#[derive(Debug, Clone)]
pub enum ApiOp {
    List,
    Get(String),
    Create(ResourceServerBody),
    Update(String, ResourceServerBody),
    Delete(String),
}

#[derive(Debug, Clone)]
pub enum UserOp {
    List {
        search: Option<String>,
    },
    Get(String),
    Create(UserBody),
    Update(String, UserBody),
    Delete(String),
    /// A users import job from a file, followed to its end.
    Import {
        file: std::path::PathBuf,
        upsert: bool,
    },
    Roles(String),
    AssignRoles(String, RolesBody),
    RemoveRoles(String, RolesBody),
    /// What the user holds, directly and through roles.
    Permissions(String),
    AddPermissions(String, PermissionsBody),
    RemovePermissions(String, PermissionsBody),
}

#[derive(Debug, Clone)]
pub enum RoleOp {
    List { name_filter: Option<String> },
    Get(String),
    Create(RoleBody),
    Update(String, RoleBody),
    Delete(String),
    Permissions(String),
    AddPermissions(String, PermissionsBody),
    RemovePermissions(String, PermissionsBody),
    Users(String),
    AddUsers(String, UsersBody),
}

/// What `tessera connections …` asks of the connections.
#[derive(Debug, Clone)]
pub enum ConnectionOp {
    List {
        strategy: Option<String>,
    },
    Get(String),
    Create(NewConnection),
    /// Changes the connection with this id: its options are read first and the change merged
    /// into them, as Auth0's `PATCH` replaces them as a whole.
    Update(String, ConnectionChange),
    Delete(String),
    /// Enables (`enabled`) or disables the connection for these applications.
    Clients {
        id: String,
        client_ids: Vec<String>,
        enabled: bool,
    },
}

/// The strategies of connections to other providers, which every provider flag but the
/// strategy-specific ones applies to.
const UPSTREAM: &[&str] = &["oidc", "oauth2", "google-oauth2", "github"];

/// The options of a connection to another provider that `tessera connections create` or
/// `update` was given as flags; an absent one is left out (create) or kept as it is (update).
#[derive(Clone, Default)]
pub struct ProviderOptions {
    pub issuer: Option<String>,
    pub discovery_url: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub scope: Option<String>,
    pub authorization_url: Option<String>,
    pub token_url: Option<String>,
    pub profile_url: Option<String>,
    /// `fieldsMap` entries: an attribute of Auth0's profile and the provider's profile field
    /// holding it. An empty field removes the attribute's entry, so that an update can.
    pub fields: Vec<(String, String)>,
    /// `pkce_enabled`.
    pub pkce: Option<bool>,
}

impl std::fmt::Debug for ProviderOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderOptions")
            .field("issuer", &self.issuer)
            .field("discovery_url", &self.discovery_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "…"))
            .field("scope", &self.scope)
            .field("authorization_url", &self.authorization_url)
            .field("token_url", &self.token_url)
            .field("profile_url", &self.profile_url)
            .field("fields", &self.fields)
            .field("pkce", &self.pkce)
            .finish()
    }
}

impl ProviderOptions {
    /// The flags given, each with the strategies whose connections take it.
    fn given(&self) -> Vec<(&'static str, &'static [&'static str])> {
        let oidc: &'static [&'static str] = &["oidc"];
        let oauth2: &'static [&'static str] = &["oauth2"];
        let pkce_flag = if self.pkce == Some(false) {
            "--no-pkce"
        } else {
            "--pkce"
        };
        [
            ("--issuer", self.issuer.is_some(), oidc),
            ("--discovery-url", self.discovery_url.is_some(), oidc),
            ("--provider-client-id", self.client_id.is_some(), UPSTREAM),
            (
                "--provider-client-secret",
                self.client_secret.is_some(),
                UPSTREAM,
            ),
            ("--scope", self.scope.is_some(), UPSTREAM),
            (
                "--authorization-url",
                self.authorization_url.is_some(),
                oauth2,
            ),
            ("--token-url", self.token_url.is_some(), oauth2),
            ("--profile-url", self.profile_url.is_some(), oauth2),
            ("--field", !self.fields.is_empty(), oauth2),
            (pkce_flag, self.pkce.is_some(), oauth2),
        ]
        .into_iter()
        .filter(|(_, given, _)| *given)
        .map(|(flag, _, takes)| (flag, takes))
        .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.given().is_empty()
    }

    /// Refuses the first flag given that connections of `strategy` do not take, naming those
    /// that do.
    pub fn check(&self, strategy: &str) -> Result<(), String> {
        match self
            .given()
            .into_iter()
            .find(|(_, takes)| !takes.contains(&strategy))
        {
            Some((flag, takes)) => Err(format!(
                "{flag} is an option of {} connections",
                listed(takes)
            )),
            None => Ok(()),
        }
    }

    /// Writes the given options into `options` under Auth0's names: an issuer replaces a
    /// discovery URL and the reverse, and `fields` change only the entries of `fieldsMap`
    /// they name.
    pub fn merge_into(self, options: &mut JsonObject) {
        if self.issuer.is_some() {
            options.remove("discovery_url");
        }
        if self.discovery_url.is_some() {
            options.remove("issuer");
        }
        let given = [
            ("issuer", self.issuer),
            ("discovery_url", self.discovery_url),
            ("client_id", self.client_id),
            ("client_secret", self.client_secret),
            ("scope", self.scope),
            ("authorizationURL", self.authorization_url),
            ("tokenURL", self.token_url),
            ("profileURL", self.profile_url),
        ];
        for (name, value) in given {
            if let Some(value) = value {
                options.insert(name.to_owned(), value.into());
            }
        }
        if let Some(pkce) = self.pkce {
            options.insert("pkce_enabled".to_owned(), pkce.into());
        }
        if !self.fields.is_empty() {
            let mut map = match options.remove("fieldsMap") {
                Some(Value::Object(map)) => map,
                _ => JsonObject::new(),
            };
            for (attribute, field) in self.fields {
                if field.is_empty() {
                    map.remove(&attribute);
                } else {
                    map.insert(attribute, field.into());
                }
            }
            options.insert("fieldsMap".to_owned(), Value::Object(map));
        }
    }
}

/// `a`, `a and b`, `a, b and c`.
pub fn listed(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// What `tessera connections update` was given: its display name and options, each left as
/// it is when absent.
#[derive(Debug, Clone, Default)]
pub struct ConnectionChange {
    pub display_name: Option<String>,
    pub options: ProviderOptions,
}

impl ConnectionChange {
    /// Whether an option (not only the display name) changes.
    pub fn changes_options(&self) -> bool {
        !self.options.is_empty()
    }

    /// The `PATCH` body for `current`: its options with the given ones in their place
    /// (without a new client secret the stored one stays), or no options when none were
    /// given. Options its strategy does not take are refused.
    pub fn update(self, current: Option<&ConnectionView>) -> Result<ConnectionUpdate, String> {
        let options = match current {
            Some(current) if self.changes_options() => {
                self.options.check(&current.strategy).map_err(|why| {
                    format!(
                        "the connection `{}` has the strategy {}: {why}",
                        current.id, current.strategy
                    )
                })?;
                let mut options = current.options.clone();
                options.remove("client_secret");
                self.options.merge_into(&mut options);
                Some(options)
            }
            _ => None,
        };
        Ok(ConnectionUpdate {
            options,
            display_name: self.display_name,
            ..ConnectionUpdate::default()
        })
    }
}

/// The `PATCH /api/v2/connections/{id}/clients` body that enables (`enabled`) or disables a
/// connection for each of `client_ids`.
pub fn statuses(client_ids: Vec<String>, enabled: bool) -> Vec<ClientStatus> {
    client_ids
        .into_iter()
        .map(|client_id| ClientStatus {
            client_id,
            status: enabled,
        })
        .collect()
}

#[derive(Debug, Clone)]
pub enum ActionOp {
    List,
    /// Creates the action named so (or changes its code and secrets), deploys it, and binds
    /// it last to its trigger unless it is bound already.
    Deploy(DeployAction),
}

/// An action's source to deploy.
#[derive(Debug, Clone)]
pub struct DeployAction {
    pub name: String,
    /// `post-login` or `credentials-exchange`.
    pub trigger: String,
    pub code: String,
    pub secrets: Vec<SecretInput>,
}

impl DeployAction {
    /// The trigger as an action declares it (Auth0's current version of each).
    pub fn supported_trigger(&self) -> tessera_admin::actions::ActionTrigger {
        let version = match self.trigger.as_str() {
            "credentials-exchange" => "v2",
            _ => "v3",
        };
        tessera_admin::actions::ActionTrigger {
            id: self.trigger.clone(),
            version: Some(version.to_owned()),
        }
    }

    /// The body that creates the action, or (without the name and trigger) changes it.
    pub fn body(&self, creating: bool) -> tessera_admin::actions::ActionBody {
        tessera_admin::actions::ActionBody {
            name: creating.then(|| self.name.clone()),
            supported_triggers: creating.then(|| vec![self.supported_trigger()]),
            code: Some(self.code.clone()),
            secrets: Some(self.secrets.clone()),
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone)]
pub enum GrantOp {
    List(GrantQuery),
    Delete(String),
}

#[derive(Debug, Clone)]
pub enum ClientGrantOp {
    List(ClientGrantQuery),
    Create(ClientGrantBody),
    /// Changes the scopes of the client grant with this id.
    Update(String, ClientGrantBody),
    Delete(String),
}

#[derive(Debug, Clone)]
pub enum KeyOp {
    List,
    Rotate(RotateQuery),
    /// `force` revokes the current signer too (the local store only).
    Revoke {
        kid: String,
        force: bool,
    },
}

/// What an operation answered.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Answer {
    Clients(Vec<Client>),
    Client(Client),
    Apis(Vec<ResourceServer>),
    Api(ResourceServer),
    Users(Vec<User>),
    User(User),
    Grants(Vec<Grant>),
    ClientGrants(Vec<ClientGrant>),
    ClientGrant(ClientGrant),
    Keys(Vec<SigningKey>),
    RotatedKey(RotatedKey),
    /// A key revocation: the key as it is now, and whether it was revoked before.
    RevokedKey {
        #[serde(flatten)]
        key: SigningKey,
        #[serde(skip)]
        already_revoked: bool,
    },
    /// A job, as it ended.
    Job(JobView),
    Roles(Vec<Role>),
    Role(Role),
    RolePermissions(Vec<RolePermission>),
    RoleUsers(Vec<RoleUser>),
    UserPermissions(Vec<UserPermission>),
    Actions(Vec<Action>),
    Connections(Vec<ConnectionView>),
    Connection(ConnectionView),
    /// A deletion or a change with nothing to show but what happened.
    #[serde(skip)]
    Done(String),
}

/// Why an operation was refused or failed, in terms the CLI gives advice on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    NotFound,
    Conflict,
    /// The management client lacks this scope.
    InsufficientScope(String),
    /// The server refused the management client's credentials.
    Unauthorized,
    Other,
}

/// A refused or failed operation: its kind, the message, and the HTTP status if a server
/// answered.
#[derive(Debug, Clone)]
pub struct Failure {
    pub refused: Refused,
    pub message: String,
    pub status: Option<u16>,
}

/// What a change with nothing to show says, the same from the local store and a server.
pub fn done_message(change: Change<'_>) -> String {
    match change {
        Change::RoleDeleted(id) => {
            format!("Deleted the role `{id}`; its users lose its permissions at their next token.")
        }
        Change::RolePermissions { role, added: true } => {
            format!("Added the permissions to the role `{role}`.")
        }
        Change::RolePermissions { role, added: false } => {
            format!("Removed the permissions from the role `{role}`.")
        }
        Change::RoleUsers(role) => format!("Gave the role `{role}` to the users."),
        Change::UserRoles { user, added: true } => format!("Gave `{user}` the roles."),
        Change::UserRoles { user, added: false } => format!("Took the roles from `{user}`."),
        Change::UserPermissions { user, added: true } => {
            format!("Gave `{user}` the permissions.")
        }
        Change::UserPermissions { user, added: false } => {
            format!("Took the permissions from `{user}`.")
        }
        Change::ConnectionDeleted(id) => {
            format!("Deleted the connection `{id}` and the users who logged in with it.")
        }
        Change::ConnectionClients {
            connection,
            enabled: true,
        } => format!("Enabled the connection `{connection}` for the applications."),
        Change::ConnectionClients {
            connection,
            enabled: false,
        } => format!("Disabled the connection `{connection}` for the applications."),
        Change::ActionDeployed {
            name,
            trigger,
            version,
            newly_bound,
        } => {
            let bound = if newly_bound {
                format!("bound it to {trigger}, after the Actions already there")
            } else {
                format!("it was bound to {trigger} already")
            };
            format!(
                "Deployed `{name}` as version {version}; {bound}. It runs from the next token on."
            )
        }
    }
}

/// A change [`done_message`] describes.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    RoleDeleted(&'a str),
    RolePermissions {
        role: &'a str,
        added: bool,
    },
    RoleUsers(&'a str),
    UserRoles {
        user: &'a str,
        added: bool,
    },
    UserPermissions {
        user: &'a str,
        added: bool,
    },
    ConnectionDeleted(&'a str),
    ConnectionClients {
        connection: &'a str,
        enabled: bool,
    },
    ActionDeployed {
        name: &'a str,
        trigger: &'a str,
        version: u32,
        newly_bound: bool,
    },
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn connection(strategy: &str, options: serde_json::Value) -> ConnectionView {
        ConnectionView {
            id: "con_0123456789abcdef".into(),
            name: "corp-idp".into(),
            display_name: "Corp SSO".into(),
            strategy: strategy.into(),
            enabled_clients: Vec::new(),
            realms: vec!["corp-idp".into()],
            is_domain_connection: false,
            options: match options {
                serde_json::Value::Object(options) => options,
                _ => JsonObject::new(),
            },
        }
    }

    #[test]
    fn an_update_merges_the_given_options_into_the_current_ones() {
        let current = connection(
            "oidc",
            json!({
                "client_id": "tessera-at-corp",
                "discovery_url": "https://idp.example/.well-known/openid-configuration",
                "scope": "openid profile email",
                "type": "back_channel",
            }),
        );
        let change = ConnectionChange {
            display_name: None,
            options: ProviderOptions {
                issuer: Some("https://login.idp.example".into()),
                client_secret: Some("new-secret".into()),
                ..ProviderOptions::default()
            },
        };
        let update = change.update(Some(&current));
        let options = update.map(|u| u.options.map(serde_json::Value::Object));
        assert_eq!(
            options,
            Ok(Some(json!({
                "client_id": "tessera-at-corp",
                "client_secret": "new-secret",
                "issuer": "https://login.idp.example",
                "scope": "openid profile email",
                "type": "back_channel",
            })))
        );
    }

    #[test]
    fn an_update_of_the_display_name_alone_leaves_the_options_out() {
        let change = ConnectionChange {
            display_name: Some("Corp".into()),
            ..ConnectionChange::default()
        };
        assert!(!change.changes_options());
        let update = change.update(None);
        assert_eq!(
            update.map(|u| (u.display_name, u.options.is_none())),
            Ok((Some("Corp".into()), true))
        );
    }

    #[test]
    fn an_oauth2_update_changes_only_the_fields_it_names() {
        let current = connection(
            "oauth2",
            json!({
                "client_id": "tessera",
                "authorizationURL": "https://idp.example/authorize",
                "tokenURL": "https://idp.example/token",
                "profileURL": "https://idp.example/me",
                "fieldsMap": { "user_id": "id", "email": "mail", "name": "display" },
            }),
        );
        let change = ConnectionChange {
            display_name: None,
            options: ProviderOptions {
                profile_url: Some("https://idp.example/v2/me".into()),
                fields: vec![
                    ("email".into(), "emails.0".into()),
                    ("name".into(), String::new()),
                    ("picture".into(), "avatar".into()),
                ],
                pkce: Some(false),
                ..ProviderOptions::default()
            },
        };
        let update = change.update(Some(&current));
        let options = update.map(|u| u.options.map(serde_json::Value::Object));
        assert_eq!(
            options,
            Ok(Some(json!({
                "client_id": "tessera",
                "authorizationURL": "https://idp.example/authorize",
                "tokenURL": "https://idp.example/token",
                "profileURL": "https://idp.example/v2/me",
                "pkce_enabled": false,
                "fieldsMap": { "user_id": "id", "email": "emails.0", "picture": "avatar" },
            })))
        );
    }

    #[test]
    fn options_of_another_strategy_are_refused_naming_the_strategies_that_take_them() {
        let scope = ConnectionChange {
            display_name: None,
            options: ProviderOptions {
                scope: Some("openid".into()),
                ..ProviderOptions::default()
            },
        };
        assert_eq!(
            scope.update(Some(&connection("auth0", json!({})))).err(),
            Some(
                "the connection `con_0123456789abcdef` has the strategy auth0: --scope is an \
                 option of oidc, oauth2, google-oauth2 and github connections"
                    .to_owned()
            )
        );
        let issuer = ProviderOptions {
            client_id: Some("tessera".into()),
            issuer: Some("https://idp.example".into()),
            ..ProviderOptions::default()
        };
        assert_eq!(
            issuer.check("github"),
            Err("--issuer is an option of oidc connections".to_owned())
        );
        assert_eq!(issuer.check("oidc"), Ok(()));
        let no_pkce = ProviderOptions {
            pkce: Some(false),
            ..ProviderOptions::default()
        };
        assert_eq!(
            no_pkce.check("google-oauth2"),
            Err("--no-pkce is an option of oauth2 connections".to_owned())
        );
    }
}
