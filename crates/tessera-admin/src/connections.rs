//! `/api/v2/connections`: the database connection, with the `con_…` id that user import jobs
//! name (Auth0's SDKs look it up here), and its options — the password policy, sign-up and
//! username settings — which `PATCH` replaces as a whole, as Auth0's does.

use serde::{Deserialize, Serialize};
use tessera_protocol::password_policy::PasswordRules;
use tessera_store::{Connection, JsonObject};

use crate::error::{AdminError, AdminResult, Missing};
use crate::paging::{every, Paging};
use crate::service::{Admin, Caller};

/// Filters of a connection list, as Auth0's.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConnectionQuery {
    /// Only connections of this strategy (`auth0`: the database).
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
    /// `auth0`: users and their passwords kept by Tessera.
    pub strategy: String,
    /// Every application may log users in with it.
    pub enabled_clients: Vec<String>,
    pub realms: Vec<String>,
    pub is_domain_connection: bool,
    /// Auth0's options of a database connection: `passwordPolicy`,
    /// `password_complexity_options`, `password_history`, `password_no_personal_info`,
    /// `password_dictionary`, `disable_signup`, `requires_username`, `brute_force_protection`,
    /// and any other option as it was given.
    #[schema(value_type = Object)]
    pub options: JsonObject,
}

/// What `PATCH /api/v2/connections/{id}` may change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionUpdate {
    /// Replaces every option (Auth0: "the whole options object will be overridden").
    #[schema(value_type = Object)]
    pub options: Option<JsonObject>,
}

/// The options of the database connection that Tessera acts on; the others are kept as given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatabaseOptions {
    #[serde(flatten)]
    pub passwords: PasswordRules,
    /// No sign-up, on the hosted page or at `/dbconnections/signup`; administrators still
    /// create users.
    #[serde(default)]
    pub disable_signup: bool,
    /// Sign-up asks for a username besides the email.
    #[serde(default)]
    pub requires_username: bool,
    /// Auth0's other ways in besides the password: `{"passkey": {"enabled": true}}` offers
    /// passkeys on the login page (autofill, and a button).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_methods: Option<AuthenticationMethods>,
    /// Auth0's `passkey_options`; Tessera acts on `progressive_enrollment_enabled`: after a
    /// password login, a person without a passkey is offered to create one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkey_options: Option<PasskeyOptions>,
    /// Always on in Tessera: login failures are counted per account and per address.
    #[serde(default = "always")]
    pub brute_force_protection: bool,
    #[serde(flatten)]
    pub other: JsonObject,
}

fn always() -> bool {
    true
}

/// Auth0's `authentication_methods` of a database connection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuthenticationMethods {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkey: Option<MethodSwitch>,
    #[serde(flatten)]
    pub other: JsonObject,
}

/// `{"enabled": …}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodSwitch {
    pub enabled: bool,
}

/// Auth0's `passkey_options` of a database connection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PasskeyOptions {
    #[serde(default)]
    pub progressive_enrollment_enabled: bool,
    #[serde(flatten)]
    pub other: JsonObject,
}

impl DatabaseOptions {
    /// Reads Auth0's options object; a wrong type or range is refused, naming the option.
    pub fn parse(options: JsonObject) -> Result<DatabaseOptions, String> {
        let parsed: DatabaseOptions = serde_json::from_value(serde_json::Value::Object(options))
            .map_err(|e| e.to_string())?;
        if !parsed.brute_force_protection {
            return Err("brute_force_protection cannot be turned off in Tessera".to_owned());
        }
        Ok(parsed)
    }

    /// Passkeys are offered on the login page.
    pub fn passkeys(&self) -> bool {
        self.authentication_methods
            .as_ref()
            .and_then(|methods| methods.passkey)
            .is_some_and(|passkey| passkey.enabled)
    }

    /// A person who logged in with a password and has no passkey is offered to create one.
    pub fn offers_passkey_enrollment(&self) -> bool {
        self.passkeys()
            && self
                .passkey_options
                .as_ref()
                .is_some_and(|options| options.progressive_enrollment_enabled)
    }

    /// The options object, every option Tessera acts on written out.
    pub fn to_object(&self) -> JsonObject {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(object)) => object,
            _ => JsonObject::new(),
        }
    }
}

impl Admin {
    pub async fn list_connections(
        &self,
        caller: &Caller,
        query: &ConnectionQuery,
    ) -> AdminResult<Vec<ConnectionView>> {
        caller.require("read:connections")?;
        let connection = self.store().database_connection().await?;
        let wanted = query
            .strategy
            .as_ref()
            .is_none_or(|s| *s == connection.strategy)
            && query.name.as_ref().is_none_or(|n| *n == connection.name);
        if !wanted {
            return Ok(Vec::new());
        }
        Ok(vec![self.view(connection).await?])
    }

    /// Replaces the connection's options (all of them, as Auth0 does).
    pub async fn update_connection(
        &self,
        caller: &Caller,
        id: &str,
        update: ConnectionUpdate,
    ) -> AdminResult<ConnectionView> {
        caller.require("update:connections")?;
        let connection = self.store().database_connection().await?;
        if connection.id != id {
            return Err(not_found(id));
        }
        if let Some(options) = update.options {
            let options = DatabaseOptions::parse(options).map_err(|why| {
                AdminError::InvalidBody(format!("Payload validation error: options: {why}"))
            })?;
            self.store()
                .set_connection_options(id, &options.to_object())
                .await?;
            self.changed();
        }
        self.view(self.store().database_connection().await?).await
    }

    pub async fn connection(&self, caller: &Caller, id: &str) -> AdminResult<ConnectionView> {
        caller.require("read:connections")?;
        let connection = self.store().database_connection().await?;
        if connection.id != id {
            return Err(not_found(id));
        }
        self.view(connection).await
    }

    async fn view(&self, connection: Connection) -> AdminResult<ConnectionView> {
        let clients = every(|paging: Paging| async move {
            let page = paging.page()?;
            let listing = self.store().list_clients(page).await?;
            Ok(crate::paging::Listed::of(page, listing, |c| {
                c.client_id.to_string()
            }))
        })
        .await?;
        Ok(ConnectionView {
            id: connection.id,
            display_name: connection.name.clone(),
            realms: vec![connection.name.clone()],
            name: connection.name,
            strategy: connection.strategy,
            enabled_clients: clients,
            is_domain_connection: false,
            options: DatabaseOptions::parse(connection.options)
                .map_err(|e| AdminError::Internal(format!("stored connection options: {e}")))?
                .to_object(),
        })
    }
}

fn not_found(id: &str) -> AdminError {
    AdminError::NotFound(Missing::Other, format!("The connection `{id}`"))
}
