//! Applications (Auth0's clients), with Auth0's field names. The secret is shown only when it
//! is created or rotated: Tessera keeps only its digest.

use serde::{Deserialize, Serialize};
use tessera_core::crypto::{new_client_secret, random_alphanumeric};
use tessera_protocol::registration::{register_client, ClientSettings, RefreshTokenSettings};
use tessera_protocol::revocation::AccessRevocation;
use tessera_protocol::{ClientId, RefreshTokenPolicy, RegisteredClient, SecretDigest};

use crate::error::{AdminError, AdminResult, Missing};
use crate::paging::{list_shapes, Listed, Paging};
use crate::resource_servers::nullable;
use crate::service::{Admin, Caller};

/// The length of a new client id (Auth0's are 32 letters and digits).
const CLIENT_ID_LENGTH: usize = 32;
/// Random bytes in a new client secret (64 base64url characters).
const SECRET_BYTES: usize = 48;
/// The shortest secret a caller may set: shorter ones are guessable.
pub const MIN_GIVEN_SECRET: usize = 32;
/// The longest client id a caller may set.
const MAX_GIVEN_CLIENT_ID: usize = 128;

/// Auth0's `refresh_token` object of an application. In a request, absent fields take Auth0's
/// defaults; in an answer, an infinite lifetime shows as 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RefreshToken {
    /// `rotating` or `non-rotating`.
    pub rotation_type: String,
    /// Seconds a rotated token stays usable, for racing retries.
    pub leeway: i64,
    /// Absolute lifetime, seconds.
    pub token_lifetime: i64,
    pub infinite_token_lifetime: bool,
    /// Inactivity lifetime, seconds.
    pub idle_token_lifetime: i64,
    pub infinite_idle_token_lifetime: bool,
}

impl Default for RefreshToken {
    fn default() -> Self {
        let s = RefreshTokenSettings::default();
        RefreshToken {
            rotation_type: s.rotation_type,
            leeway: s.leeway,
            token_lifetime: s.token_lifetime,
            infinite_token_lifetime: s.infinite_token_lifetime,
            idle_token_lifetime: s.idle_token_lifetime,
            infinite_idle_token_lifetime: s.infinite_idle_token_lifetime,
        }
    }
}

impl RefreshToken {
    fn of(policy: &RefreshTokenPolicy) -> RefreshToken {
        RefreshToken {
            rotation_type: policy.rotation_type.as_str().to_owned(),
            leeway: policy.leeway,
            token_lifetime: policy.token_lifetime.unwrap_or(0),
            infinite_token_lifetime: policy.token_lifetime.is_none(),
            idle_token_lifetime: policy.idle_token_lifetime.unwrap_or(0),
            infinite_idle_token_lifetime: policy.idle_token_lifetime.is_none(),
        }
    }

    fn settings(self) -> RefreshTokenSettings {
        RefreshTokenSettings {
            rotation_type: self.rotation_type,
            leeway: self.leeway,
            token_lifetime: self.token_lifetime,
            infinite_token_lifetime: self.infinite_token_lifetime,
            idle_token_lifetime: self.idle_token_lifetime,
            infinite_idle_token_lifetime: self.infinite_idle_token_lifetime,
        }
    }
}

/// The writable fields of an application; absent fields keep their value (or default).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientBody {
    /// On create only, an id to keep (an application moved from Auth0 keeps its `client_id`);
    /// a new one is made when absent. A Tessera extension.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// A secret to keep (at least [`MIN_GIVEN_SECRET`] characters), as Auth0 accepts on create
    /// and update; a confidential client gets a new one when absent on create.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `regular_web`, `spa`, `native` or `non_interactive`; a new type brings its own default
    /// authentication method and grant types unless they are given too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callbacks: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_logout_urls: Option<Vec<String>>,
    /// Allowed Web Origins: pages that may get silent authentication's `web_message` answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web_origins: Option<Vec<String>>,
    /// Allowed Origins (CORS): pages that may call the token endpoint from JavaScript.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_origins: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_types: Option<Vec<String>>,
    /// `none`, `client_secret_post` or `client_secret_basic`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<RefreshToken>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_plain_pkce: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_first_party: Option<bool>,
    /// Authorization requests only through `/oauth/par` (RFC 9126).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require_pushed_authorization_requests: Option<bool>,
    /// Tokens only with a DPoP proof (RFC 9449), so only sender-constrained ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require_proof_of_possession: Option<bool>,
    /// The URL of the logo the hosted pages show (Auth0 recommends 150x150 pixels): an
    /// absolute `https` URL (`http` only for localhost); `null` or `""` removes it.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub logo_uri: Option<Option<String>>,
}

impl ClientBody {
    fn apply_to(self, settings: &mut ClientSettings) {
        if let Some(name) = self.name {
            settings.name = name;
        }
        if let Some(app_type) = self.app_type {
            settings.change_app_type(app_type);
        }
        if let Some(callbacks) = self.callbacks {
            settings.callbacks = callbacks;
        }
        if let Some(urls) = self.allowed_logout_urls {
            settings.allowed_logout_urls = urls;
        }
        if let Some(origins) = self.web_origins {
            settings.web_origins = origins;
        }
        if let Some(origins) = self.allowed_origins {
            settings.allowed_origins = origins;
        }
        if let Some(grants) = self.grant_types {
            settings.grant_types = Some(grants);
        }
        if let Some(method) = self.token_endpoint_auth_method {
            settings.token_endpoint_auth_method = Some(method);
        }
        if let Some(refresh) = self.refresh_token {
            settings.refresh_token = refresh.settings();
        }
        if let Some(first_party) = self.is_first_party {
            settings.is_first_party = first_party;
        }
        if let Some(plain) = self.allow_plain_pkce {
            settings.allow_plain_pkce = plain;
        }
        if let Some(required) = self.require_pushed_authorization_requests {
            settings.require_pushed_authorization_requests = required;
        }
        if let Some(required) = self.require_proof_of_possession {
            settings.require_proof_of_possession = required;
        }
        if let Some(logo) = self.logo_uri {
            settings.logo_uri = logo.filter(|logo| !logo.is_empty());
        }
    }
}

/// An application as the Management API shows it (never its secret, but right after the
/// secret was made).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Client {
    pub client_id: String,
    pub name: String,
    /// `regular_web`, `spa`, `native` or `non_interactive`.
    pub app_type: String,
    pub callbacks: Vec<String>,
    pub allowed_logout_urls: Vec<String>,
    pub web_origins: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub grant_types: Vec<String>,
    /// `none`, `client_secret_post` or `client_secret_basic`.
    pub token_endpoint_auth_method: String,
    pub refresh_token: RefreshToken,
    pub allow_plain_pkce: bool,
    pub is_first_party: bool,
    pub require_pushed_authorization_requests: bool,
    /// Tokens only with a DPoP proof (RFC 9449).
    pub require_proof_of_possession: bool,
    /// The URL of the logo the hosted pages show; absent when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    pub oidc_conformant: bool,
    /// Only in the answers to create, rotate-secret, and an update that made the client
    /// confidential: it is never shown again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

impl Client {
    pub fn of(client: &RegisteredClient) -> Client {
        // The registered settings, as strings: one conversion for the Management API and for
        // re-registration.
        let settings = ClientSettings::of(client);
        Client {
            client_id: client.client_id.to_string(),
            name: settings.name,
            app_type: settings.app_type,
            callbacks: settings.callbacks,
            allowed_logout_urls: settings.allowed_logout_urls,
            web_origins: settings.web_origins,
            allowed_origins: settings.allowed_origins,
            grant_types: settings.grant_types.unwrap_or_default(),
            token_endpoint_auth_method: client.token_endpoint_auth_method.as_str().to_owned(),
            refresh_token: RefreshToken::of(&client.refresh_token),
            allow_plain_pkce: client.allow_plain_pkce,
            is_first_party: client.is_first_party,
            require_pushed_authorization_requests: client.require_pushed_authorization_requests,
            require_proof_of_possession: client.require_proof_of_possession,
            logo_uri: settings.logo_uri,
            oidc_conformant: true,
            client_secret: None,
        }
    }

    fn with_secret(client: &RegisteredClient, secret: Option<String>) -> Client {
        Client {
            client_secret: secret,
            ..Client::of(client)
        }
    }

    /// Whether it has no secret and must use PKCE.
    pub fn is_public(&self) -> bool {
        self.token_endpoint_auth_method == "none"
    }
}

list_shapes! {
    ClientList, ClientPage, Client, clients, "applications";
}

/// A refused body, worded as Auth0's (the message names the field).
fn invalid(error: impl ToString) -> AdminError {
    AdminError::InvalidBody(format!("Payload validation error: {}", error.to_string()))
}

/// A client id the caller chose: 1 to 128 of the characters URLs carry unescaped.
fn given_client_id(id: String) -> AdminResult<ClientId> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~".contains(c);
    if id.is_empty() || id.len() > MAX_GIVEN_CLIENT_ID || !id.chars().all(allowed) {
        return Err(invalid(format!(
            "client_id must be 1 to {MAX_GIVEN_CLIENT_ID} letters, digits or -._~"
        )));
    }
    Ok(ClientId(id))
}

/// A secret the caller chose, refused when it is short enough to guess.
fn given_secret(secret: Option<String>) -> AdminResult<Option<String>> {
    match secret {
        Some(secret) if secret.chars().count() < MIN_GIVEN_SECRET => Err(invalid(format!(
            "client_secret must be at least {MIN_GIVEN_SECRET} characters"
        ))),
        secret => Ok(secret),
    }
}

fn public_has_no_secret() -> AdminError {
    invalid("a public client (token_endpoint_auth_method none) has no client_secret")
}

fn not_found(id: &str) -> AdminError {
    AdminError::NotFound(Missing::Client, format!("The client `{id}`"))
}

impl Admin {
    pub async fn list_clients(
        &self,
        caller: &Caller,
        paging: &Paging,
    ) -> AdminResult<Listed<Client>> {
        caller.require("read:clients")?;
        let page = paging.page()?;
        let listing = self.store().list_clients(page).await?;
        Ok(Listed::of(page, listing, Client::of))
    }

    pub async fn client(&self, caller: &Caller, id: &str) -> AdminResult<Client> {
        caller.require("read:clients")?;
        Ok(Client::of(&self.registered_client(id).await?))
    }

    pub(crate) async fn registered_client(&self, id: &str) -> AdminResult<RegisteredClient> {
        self.store()
            .client(&ClientId(id.to_owned()))
            .await?
            .ok_or_else(|| not_found(id))
    }

    /// Registers an application; a confidential one's secret is in the answer, only this once
    /// (unless the caller gave it).
    pub async fn create_client(
        &self,
        caller: &Caller,
        mut body: ClientBody,
    ) -> AdminResult<Client> {
        caller.require("create:clients")?;
        if body.name.as_deref().is_none_or(str::is_empty) {
            return Err(AdminError::missing("name"));
        }
        let id = match body.client_id.take() {
            Some(id) => given_client_id(id)?,
            None => ClientId(random_alphanumeric(CLIENT_ID_LENGTH)?),
        };
        let given_secret = given_secret(body.client_secret.take())?;
        let mut settings = ClientSettings::default();
        body.apply_to(&mut settings);
        let mut client = register_client(id, &settings).map_err(invalid)?;
        let secret = match (client.is_public(), given_secret) {
            (true, Some(_)) => return Err(public_has_no_secret()),
            (true, None) => None,
            (false, Some(given)) => {
                client.secret_digest = Some(SecretDigest::of(&given));
                None
            }
            (false, None) => {
                let secret = new_client_secret(SECRET_BYTES)?;
                client.secret_digest = Some(SecretDigest::of(&secret));
                Some(secret)
            }
        };
        self.store().create_client(&client, self.now()).await?;
        self.changed();
        Ok(Client::with_secret(&client, secret))
    }

    /// Changes what `body` gives. A client that becomes confidential gets a secret (the one
    /// given, or a new one shown in this answer only); one that becomes public loses its secret.
    pub async fn update_client(
        &self,
        caller: &Caller,
        id: &str,
        mut body: ClientBody,
    ) -> AdminResult<Client> {
        caller.require("update:clients")?;
        let existing = self.registered_client(id).await?;
        if body
            .client_id
            .take()
            .is_some_and(|given| given != existing.client_id.as_str())
        {
            return Err(invalid("client_id cannot be changed"));
        }
        let given_secret = given_secret(body.client_secret.take())?;
        let mut settings = ClientSettings::of(&existing);
        body.apply_to(&mut settings);
        let mut client = register_client(existing.client_id.clone(), &settings).map_err(invalid)?;
        let mut new_secret = None;
        client.secret_digest = match (client.is_public(), given_secret, existing.secret_digest) {
            (true, Some(_), _) => return Err(public_has_no_secret()),
            (true, None, _) => None,
            (false, Some(given), _) => Some(SecretDigest::of(&given)),
            (false, None, Some(digest)) => Some(digest),
            (false, None, None) => {
                let secret = new_client_secret(SECRET_BYTES)?;
                let digest = SecretDigest::of(&secret);
                new_secret = Some(secret);
                Some(digest)
            }
        };
        self.store().upsert_client(&client, self.now()).await?;
        self.changed();
        Ok(Client::with_secret(&client, new_secret))
    }

    /// Deletes an application (and its client grants): it can no longer get tokens, and the
    /// access tokens it got are refused from now on.
    pub async fn delete_client(&self, caller: &Caller, id: &str) -> AdminResult<()> {
        caller.require("delete:clients")?;
        let client_id = ClientId(id.to_owned());
        if !self.store().delete_client(&client_id).await? {
            return Err(not_found(id));
        }
        self.revoke_access(AccessRevocation::client(&client_id, self.now()))
            .await?;
        self.changed();
        Ok(())
    }

    /// A new secret, in this answer only; the old one stops working at once.
    pub async fn rotate_client_secret(&self, caller: &Caller, id: &str) -> AdminResult<Client> {
        caller.require("update:clients")?;
        let mut client = self.registered_client(id).await?;
        if client.is_public() {
            return Err(invalid(
                "a public client (token_endpoint_auth_method none) has no secret to rotate",
            ));
        }
        let secret = new_client_secret(SECRET_BYTES)?;
        client.secret_digest = Some(SecretDigest::of(&secret));
        self.store().upsert_client(&client, self.now()).await?;
        self.changed();
        Ok(Client::with_secret(&client, Some(secret)))
    }
}
