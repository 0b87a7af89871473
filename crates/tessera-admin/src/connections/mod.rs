//! `/api/v2/connections`: where users log in from. The database connection (`auth0`), with
//! the `con_…` id that user import jobs name and its options — the password policy, sign-up
//! and username settings — and connections to other identity providers (`oidc`, `oauth2`,
//! `google-oauth2`, `github`), each enabled for the applications named at
//! `/api/v2/connections/{id}/clients`. `PATCH` replaces the
//! options as a whole, as Auth0's does; an upstream client secret is sealed with the master
//! secret and never shown again.

mod database;
mod oidc;
mod upstream;

use serde::{Deserialize, Serialize};
use tessera_core::crypto::random_alphanumeric;
use tessera_protocol::connection::{valid_connection_name, Strategy};
use tessera_protocol::ClientId;
use tessera_store::{Connection, JsonObject};

use crate::error::{AdminError, AdminResult, Missing};
use crate::paging::{every, Paging};
use crate::service::{Admin, Caller};

pub use database::{AuthenticationMethods, DatabaseOptions, MethodSwitch, PasskeyOptions};
pub use upstream::{OAuth2Endpoints, Protocol, UpstreamOptions, UpstreamProvider};

/// Filters of a connection list, as Auth0's.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConnectionQuery {
    /// Only connections of this strategy (`auth0`: the database; `oidc`, `oauth2`,
    /// `google-oauth2`, `github`).
    pub strategy: Option<String>,
    /// Only the connection of this name.
    pub name: Option<String>,
}

/// A connection, as Auth0 shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConnectionView {
    /// `con_` and 16 characters.
    pub id: String,
    pub name: String,
    pub display_name: String,
    /// `auth0`: users and their passwords kept by Tessera; `oidc`: another OpenID provider;
    /// `oauth2`: another OAuth 2.0 provider; `google-oauth2` and `github`: those two's.
    pub strategy: String,
    /// The applications that may log users in with it (every one, for the database).
    pub enabled_clients: Vec<String>,
    pub realms: Vec<String>,
    pub is_domain_connection: bool,
    /// Auth0's options. Of the database connection: `passwordPolicy`,
    /// `password_complexity_options`, `password_history`, `password_no_personal_info`,
    /// `password_dictionary`, `disable_signup`, `requires_username`, `brute_force_protection`.
    /// Of an `oidc` connection: `client_id`, `discovery_url` or `issuer`, `scope`, `type`.
    /// Of an `oauth2` connection: `client_id`, `authorizationURL`, `tokenURL`, `profileURL`
    /// (Tessera's), `scope`, `pkce_enabled`, `fieldsMap`. Of `google-oauth2` and `github`:
    /// `client_id`, `scope` and Auth0's scope flags (`email`, `profile`, `read_user`, …).
    /// Never `client_secret`. Any other option as it was given.
    #[schema(value_type = Object)]
    pub options: JsonObject,
}

/// `POST /api/v2/connections`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConnection {
    /// Letters, digits and inner hyphens, at most 128; part of its users' ids.
    pub name: String,
    /// `oidc`, `oauth2`, `google-oauth2` or `github` (the database connection exists
    /// already).
    pub strategy: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub options: JsonObject,
    /// Deprecated at Auth0 in favour of `PATCH /api/v2/connections/{id}/clients`; accepted.
    #[serde(default)]
    pub enabled_clients: Option<Vec<String>>,
    /// Accepted and ignored: Tessera has no identifier-first login page.
    #[serde(default)]
    pub is_domain_connection: Option<bool>,
    /// Accepted and ignored (Auth0's free-form metadata of a connection).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<JsonObject>,
}

/// What `PATCH /api/v2/connections/{id}` may change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionUpdate {
    /// Replaces every option (Auth0: "the whole options object will be overridden"); an
    /// connection to another provider without `client_secret` in them keeps its secret.
    #[schema(value_type = Object)]
    pub options: Option<JsonObject>,
    pub display_name: Option<String>,
    /// Deprecated at Auth0; replaces the applications a connection is enabled for.
    pub enabled_clients: Option<Vec<String>>,
    /// Accepted and ignored, as at creation.
    pub is_domain_connection: Option<bool>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<JsonObject>,
}

/// One application a connection is enabled for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EnabledClient {
    pub client_id: String,
}

/// `GET /api/v2/connections/{id}/clients`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EnabledClients {
    pub clients: Vec<EnabledClient>,
}

/// One entry of `PATCH /api/v2/connections/{id}/clients`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientStatus {
    pub client_id: String,
    /// `true` enables the connection for the application, `false` disables it.
    pub status: bool,
}

/// A button of the login page: a connection the application may log users in with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginButton {
    pub name: String,
    pub display_name: String,
}

impl Admin {
    pub async fn list_connections(
        &self,
        caller: &Caller,
        query: &ConnectionQuery,
    ) -> AdminResult<Vec<ConnectionView>> {
        caller.require("read:connections")?;
        let mut views = Vec::new();
        for connection in self.store().connections().await? {
            let wanted = query
                .strategy
                .as_ref()
                .is_none_or(|s| *s == connection.strategy)
                && query.name.as_ref().is_none_or(|n| *n == connection.name);
            if wanted {
                views.push(self.view(connection).await?);
            }
        }
        Ok(views)
    }

    pub async fn connection(&self, caller: &Caller, id: &str) -> AdminResult<ConnectionView> {
        caller.require("read:connections")?;
        let connection = self.stored_connection(id).await?;
        self.view(connection).await
    }

    /// Creates a connection to another provider; its client secret is sealed before it is
    /// stored.
    pub async fn create_connection(
        &self,
        caller: &Caller,
        body: NewConnection,
    ) -> AdminResult<ConnectionView> {
        caller.require("create:connections")?;
        if !valid_connection_name(&body.name) {
            return Err(invalid(
                "name: letters, digits and hyphens (not first or last), at most 128",
            ));
        }
        let strategy = match Strategy::parse(&body.strategy) {
            Some(Strategy::Database) => {
                return Err(AdminError::NotSupported(
                    "Tessera has one database connection, Username-Password-Authentication"
                        .to_owned(),
                ))
            }
            Some(strategy) => strategy,
            None => {
                return Err(invalid(
                    "strategy: Tessera runs auth0, oidc, oauth2, google-oauth2 and github \
                     connections",
                ))
            }
        };
        let id = format!("con_{}", random_alphanumeric(16).map_err(internal)?);
        let mut connection = Connection {
            id: id.clone(),
            display_name: body.display_name.unwrap_or_else(|| body.name.clone()),
            name: body.name,
            strategy: body.strategy,
            options: JsonObject::new(),
            sealed_secret: None,
            created_at: self.now(),
        };
        self.apply_upstream_options(&mut connection, strategy, body.options)?;
        self.store()
            .create_connection(&connection)
            .await
            .map_err(|e| match e {
                tessera_store::StoreError::Conflict(_) => AdminError::Conflict(format!(
                    "A connection with the same name already exists: {}",
                    connection.name
                )),
                other => other.into(),
            })?;
        if let Some(clients) = body.enabled_clients {
            self.replace_enabled_clients(&id, clients).await?;
        }
        self.changed();
        self.view(self.stored_connection(&id).await?).await
    }

    /// Replaces the connection's options (all of them, as Auth0 does), its display name, or
    /// the applications it is enabled for.
    pub async fn update_connection(
        &self,
        caller: &Caller,
        id: &str,
        update: ConnectionUpdate,
    ) -> AdminResult<ConnectionView> {
        caller.require("update:connections")?;
        let mut connection = self.stored_connection(id).await?;
        let strategy = stored_strategy(&connection)?;
        let database = strategy == Strategy::Database;
        if let Some(options) = update.options {
            if database {
                let options = DatabaseOptions::parse(options)
                    .map_err(|why| invalid(&format!("options: {why}")))?;
                connection.options = options.to_object();
            } else {
                self.apply_upstream_options(&mut connection, strategy, options)?;
            }
        }
        if let Some(display_name) = update.display_name {
            connection.display_name = display_name;
        }
        if let Some(clients) = update.enabled_clients {
            if database {
                return Err(AdminError::NotSupported(
                    "the database connection serves every application".to_owned(),
                ));
            }
            self.replace_enabled_clients(id, clients).await?;
        }
        if !self.store().update_connection(&connection).await? {
            return Err(not_found(id));
        }
        self.changed();
        self.view(self.stored_connection(id).await?).await
    }

    /// Deletes a connection with its users (Auth0 deletes them too); the database connection
    /// stays.
    pub async fn delete_connection(&self, caller: &Caller, id: &str) -> AdminResult<()> {
        caller.require("delete:connections")?;
        let connection = self.stored_connection(id).await?;
        if connection.strategy == Strategy::Database.as_str() {
            return Err(AdminError::NotSupported(
                "the database connection cannot be deleted".to_owned(),
            ));
        }
        self.store().delete_connection(id).await?;
        self.changed();
        Ok(())
    }

    /// The applications the connection is enabled for.
    pub async fn connection_clients(
        &self,
        caller: &Caller,
        id: &str,
    ) -> AdminResult<EnabledClients> {
        caller.require("read:connections")?;
        let connection = self.stored_connection(id).await?;
        let clients = self.enabled_clients(&connection).await?;
        Ok(EnabledClients {
            clients: clients
                .into_iter()
                .map(|client_id| EnabledClient { client_id })
                .collect(),
        })
    }

    /// Enables or disables the connection for each application named.
    pub async fn update_connection_clients(
        &self,
        caller: &Caller,
        id: &str,
        changes: Vec<ClientStatus>,
    ) -> AdminResult<()> {
        caller.require("update:connections")?;
        let connection = self.stored_connection(id).await?;
        if connection.strategy == Strategy::Database.as_str() {
            return Err(AdminError::NotSupported(
                "the database connection serves every application".to_owned(),
            ));
        }
        let mut changed = Vec::with_capacity(changes.len());
        for change in changes {
            self.known_client(&change.client_id).await?;
            changed.push((change.client_id, change.status));
        }
        self.store().set_enabled_clients(id, &changed).await?;
        self.changed();
        Ok(())
    }

    /// The connections `client_id` offers on the login page besides the password, by name.
    pub async fn login_buttons(&self, client_id: &ClientId) -> AdminResult<Vec<LoginButton>> {
        let connections = self
            .store()
            .connections_of_client(client_id.as_str())
            .await?;
        Ok(connections
            .into_iter()
            .map(|c| LoginButton {
                display_name: if c.display_name.is_empty() {
                    c.name.clone()
                } else {
                    c.display_name
                },
                name: c.name,
            })
            .collect())
    }

    /// The provider of the connection `name` to another identity provider, when it is
    /// enabled for `client_id`.
    pub async fn upstream_provider(
        &self,
        name: &str,
        client_id: &ClientId,
    ) -> AdminResult<Option<UpstreamProvider>> {
        let Some(connection) = self.store().connection_named(name).await? else {
            return Ok(None);
        };
        let strategy = stored_strategy(&connection)?;
        if strategy == Strategy::Database {
            return Ok(None);
        }
        let enabled = self.store().enabled_clients(&connection.id).await?;
        if !enabled.iter().any(|c| c == client_id.as_str()) {
            return Ok(None);
        }
        let options = UpstreamOptions::parse(
            strategy,
            connection.options,
            connection.sealed_secret.is_some(),
        )
        .map_err(|e| AdminError::Internal(format!("stored connection options: {e}")))?;
        let client_secret = match &connection.sealed_secret {
            Some(sealed) => self.open_connection_secret(&connection.id, sealed)?,
            None => String::new(),
        };
        Ok(Some(UpstreamProvider {
            connection_id: connection.id,
            connection: connection.name,
            strategy,
            client_id: options.client_id,
            client_secret,
            scope: options.scope,
            protocol: options.protocol,
        }))
    }

    async fn stored_connection(&self, id: &str) -> AdminResult<Connection> {
        self.store()
            .connection(id)
            .await?
            .ok_or_else(|| not_found(id))
    }

    /// Validates the options of a connection to another provider and seals a client secret
    /// they bring; without one, the stored secret stays.
    fn apply_upstream_options(
        &self,
        connection: &mut Connection,
        strategy: Strategy,
        options: JsonObject,
    ) -> AdminResult<()> {
        let kept = connection.sealed_secret.is_some();
        let parsed = UpstreamOptions::parse(strategy, options, kept)
            .map_err(|why| invalid(&format!("options: {why}")))?;
        if let Some(secret) = &parsed.client_secret {
            let sealed = self
                .parts()
                .sealer
                .seal(&secret_context(&connection.id), secret.as_bytes())
                .map_err(internal)?;
            connection.sealed_secret = Some(String::from_utf8_lossy(&sealed).into_owned());
        }
        connection.options = parsed.shown;
        Ok(())
    }

    fn open_connection_secret(&self, id: &str, sealed: &str) -> AdminResult<String> {
        match self
            .parts()
            .sealer
            .open(&secret_context(id), sealed.as_bytes())
        {
            Ok(tessera_core::secrets::Opened::Sealed(secret)) => String::from_utf8(secret)
                .map_err(|_| AdminError::Internal(format!("the secret of connection {id}"))),
            _ => Err(AdminError::Internal(format!(
                "the secret of connection {id} does not open with this master secret"
            ))),
        }
    }

    async fn replace_enabled_clients(&self, id: &str, clients: Vec<String>) -> AdminResult<()> {
        let mut changes = Vec::new();
        for client_id in &clients {
            self.known_client(client_id).await?;
            changes.push((client_id.clone(), true));
        }
        for current in self.store().enabled_clients(id).await? {
            if !clients.contains(&current) {
                changes.push((current, false));
            }
        }
        self.store().set_enabled_clients(id, &changes).await?;
        Ok(())
    }

    async fn known_client(&self, client_id: &str) -> AdminResult<()> {
        let id = ClientId(client_id.to_owned());
        match self.store().client(&id).await? {
            Some(_) => Ok(()),
            None => Err(AdminError::NotFound(
                Missing::Client,
                format!("The client `{client_id}`"),
            )),
        }
    }

    async fn enabled_clients(&self, connection: &Connection) -> AdminResult<Vec<String>> {
        if connection.strategy != Strategy::Database.as_str() {
            return Ok(self.store().enabled_clients(&connection.id).await?);
        }
        every(|paging: Paging| async move {
            let page = paging.page()?;
            let listing = self.store().list_clients(page).await?;
            Ok(crate::paging::Listed::of(page, listing, |c| {
                c.client_id.to_string()
            }))
        })
        .await
    }

    async fn view(&self, connection: Connection) -> AdminResult<ConnectionView> {
        let enabled_clients = self.enabled_clients(&connection).await?;
        let options = if connection.strategy == Strategy::Database.as_str() {
            DatabaseOptions::parse(connection.options)
                .map_err(|e| AdminError::Internal(format!("stored connection options: {e}")))?
                .to_object()
        } else {
            connection.options
        };
        Ok(ConnectionView {
            id: connection.id,
            display_name: if connection.display_name.is_empty() {
                connection.name.clone()
            } else {
                connection.display_name
            },
            realms: vec![connection.name.clone()],
            name: connection.name,
            strategy: connection.strategy,
            enabled_clients,
            is_domain_connection: false,
            options,
        })
    }
}

/// The strategy of a stored connection (only those Tessera runs are ever stored).
fn stored_strategy(connection: &Connection) -> AdminResult<Strategy> {
    Strategy::parse(&connection.strategy).ok_or_else(|| {
        AdminError::Internal(format!(
            "connection {} has the strategy {}",
            connection.id, connection.strategy
        ))
    })
}

/// The associated data a connection's client secret is sealed under: it opens only as the
/// secret of that connection.
fn secret_context(connection_id: &str) -> String {
    format!("connection-secret:{connection_id}")
}

fn invalid(why: &str) -> AdminError {
    AdminError::InvalidBody(format!("Payload validation error: {why}"))
}

fn internal(error: impl std::fmt::Display) -> AdminError {
    AdminError::Internal(error.to_string())
}

fn not_found(id: &str) -> AdminError {
    AdminError::NotFound(Missing::Other, format!("The connection `{id}`"))
}
