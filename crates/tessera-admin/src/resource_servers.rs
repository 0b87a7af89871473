//! APIs (Auth0's resource servers), addressed as Auth0 addresses them: by their opaque id or by
//! their (URL-encoded) identifier. The Management API is one of them, registered at every
//! start, and cannot be changed through itself.

use serde::{Deserialize, Deserializer, Serialize};
use tessera_core::crypto::new_resource_server_id;
use tessera_protocol::registration::{register_api, ApiSettings, ProofOfPossessionSettings};
use tessera_protocol::ResourceServer as RegisteredApi;

use crate::error::{AdminError, AdminResult, Missing};
use crate::paging::{list_shapes, Listed, Paging};
use crate::scopes::management_audience;
use crate::service::{Admin, Caller};

/// One `{ value, description }` permission of an API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Permission {
    pub value: String,
    #[serde(default)]
    pub description: String,
}

/// Auth0's `proof_of_possession` of an API: its access tokens are bound to a key the client
/// proves it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProofOfPossession {
    /// `dpop` (RFC 9449). Auth0's `mtls` (RFC 8705) is refused: Tessera implements only DPoP.
    pub mechanism: String,
    /// Only clients that send a DPoP proof get tokens for the API; otherwise a proof is
    /// honoured and a Bearer token is issued without one. False when omitted.
    #[serde(default)]
    pub required: bool,
}

impl ProofOfPossession {
    fn of(settings: ProofOfPossessionSettings) -> ProofOfPossession {
        ProofOfPossession {
            mechanism: settings.mechanism,
            required: settings.required,
        }
    }

    fn settings(self) -> ProofOfPossessionSettings {
        ProofOfPossessionSettings {
            mechanism: self.mechanism,
            required: self.required,
        }
    }
}

/// A member that may be absent (`None`: unchanged), `null` (`Some(None)`: cleared) or set.
pub(crate) fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// The writable fields of an API; absent fields keep their value (or default).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceServerBody {
    /// The audience of its tokens; set at creation, never changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<Permission>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_offline_access: Option<bool>,
    /// Access token lifetime, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_lifetime: Option<i64>,
    /// `RS256`, `PS256`, `ES256` or `EdDSA`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_alg: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_consent_for_verifiable_first_party_clients: Option<bool>,
    /// RBAC: a user's access token gets only the requested scopes the user holds as
    /// permissions (through roles or directly).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enforce_policies: Option<bool>,
    /// `access_token`, `access_token_authz`, `rfc9068_profile` or `rfc9068_profile_authz`;
    /// the `_authz` dialects add the `permissions` claim (with RBAC on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_dialect: Option<String>,
    /// Sender-constrained access tokens (DPoP); `null` turns them off (Auth0's "none").
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<ProofOfPossession>)]
    pub proof_of_possession: Option<Option<ProofOfPossession>>,
}

impl ResourceServerBody {
    fn apply_to(self, settings: &mut ApiSettings) {
        if let Some(name) = self.name {
            settings.name = name;
        }
        if let Some(scopes) = self.scopes {
            settings.scopes = scopes
                .into_iter()
                .map(|p| (p.value, p.description))
                .collect();
        }
        if let Some(offline) = self.allow_offline_access {
            settings.allow_offline_access = offline;
        }
        if let Some(lifetime) = self.token_lifetime {
            settings.token_lifetime = lifetime;
        }
        if let Some(skip) = self.skip_consent_for_verifiable_first_party_clients {
            settings.skip_consent_for_verifiable_first_party_clients = skip;
        }
        if let Some(alg) = self.signing_alg {
            settings.signing_alg = alg;
        }
        if let Some(enforce) = self.enforce_policies {
            settings.enforce_policies = enforce;
        }
        if let Some(dialect) = self.token_dialect {
            settings.token_dialect = dialect;
        }
        if let Some(pop) = self.proof_of_possession {
            settings.proof_of_possession = pop.map(ProofOfPossession::settings);
        }
    }
}

/// An API as the Management API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResourceServer {
    /// The opaque id (24 hex digits); paths take it or the URL-encoded identifier.
    pub id: String,
    /// The audience of its access tokens.
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<Permission>,
    pub allow_offline_access: bool,
    /// Access token lifetime, seconds.
    pub token_lifetime: i64,
    /// `RS256`, `PS256`, `ES256` or `EdDSA`.
    pub signing_alg: String,
    /// First-party applications get no consent page (not for localhost callbacks).
    pub skip_consent_for_verifiable_first_party_clients: bool,
    /// Whether this is the Management API itself (which cannot be changed).
    pub is_system: bool,
    /// RBAC: users get only the scopes they hold as permissions.
    pub enforce_policies: bool,
    /// `access_token`, `access_token_authz`, `rfc9068_profile` or `rfc9068_profile_authz`.
    pub token_dialect: String,
    /// Sender-constrained access tokens (DPoP); `null` is Auth0's "none": Bearer tokens.
    pub proof_of_possession: Option<ProofOfPossession>,
}

impl ResourceServer {
    fn of(api: &RegisteredApi, issuer: &str) -> ResourceServer {
        ResourceServer {
            id: api.id.clone(),
            identifier: api.identifier.clone(),
            name: api.name.clone(),
            scopes: api
                .scopes
                .iter()
                .map(|s| Permission {
                    value: s.value.to_string(),
                    description: s.description.clone(),
                })
                .collect(),
            allow_offline_access: api.allow_offline_access,
            token_lifetime: api.token_lifetime,
            signing_alg: api.signing_alg.clone(),
            skip_consent_for_verifiable_first_party_clients: api
                .skip_consent_for_verifiable_first_party_clients,
            is_system: api.identifier == management_audience(issuer),
            enforce_policies: api.rbac.enforce_policies,
            token_dialect: api.rbac.token_dialect.as_str().to_owned(),
            proof_of_possession: api
                .proof_of_possession
                .as_ref()
                .map(|pop| ProofOfPossession::of(ProofOfPossessionSettings::of(pop))),
        }
    }
}

list_shapes! {
    ResourceServerList, ResourceServerPage, ResourceServer, resource_servers, "APIs";
}

fn not_found(id: &str) -> AdminError {
    AdminError::NotFound(
        Missing::ResourceServer,
        format!("The resource server `{id}`"),
    )
}

impl Admin {
    pub async fn list_resource_servers(
        &self,
        caller: &Caller,
        paging: &Paging,
    ) -> AdminResult<Listed<ResourceServer>> {
        caller.require("read:resource_servers")?;
        let page = paging.page()?;
        let listing = self.store().list_apis(page).await?;
        Ok(Listed::of(page, listing, |api| {
            ResourceServer::of(api, self.issuer())
        }))
    }

    pub async fn resource_server(&self, caller: &Caller, id: &str) -> AdminResult<ResourceServer> {
        caller.require("read:resource_servers")?;
        Ok(ResourceServer::of(
            &self.registered_api(id).await?,
            self.issuer(),
        ))
    }

    /// The API whose id or identifier is `id`.
    async fn registered_api(&self, id: &str) -> AdminResult<RegisteredApi> {
        self.store()
            .api_by_id(id)
            .await?
            .ok_or_else(|| not_found(id))
    }

    pub async fn create_resource_server(
        &self,
        caller: &Caller,
        body: ResourceServerBody,
    ) -> AdminResult<ResourceServer> {
        caller.require("create:resource_servers")?;
        let identifier = body
            .identifier
            .clone()
            .filter(|i| !i.is_empty())
            .ok_or_else(|| AdminError::missing("identifier"))?;
        let mut settings = ApiSettings::new(new_resource_server_id()?, identifier);
        body.apply_to(&mut settings);
        let api = register_api(&settings).map_err(|e| AdminError::InvalidBody(e.to_string()))?;
        self.store().create_api(&api, self.now()).await?;
        self.changed();
        self.reload_keys().await?;
        Ok(ResourceServer::of(&api, self.issuer()))
    }

    pub async fn update_resource_server(
        &self,
        caller: &Caller,
        id: &str,
        body: ResourceServerBody,
    ) -> AdminResult<ResourceServer> {
        caller.require("update:resource_servers")?;
        let existing = self.registered_api(id).await?;
        self.refuse_system(&existing.identifier)?;
        if body
            .identifier
            .as_deref()
            .is_some_and(|i| i != existing.identifier)
        {
            return Err(AdminError::InvalidBody(
                "Payload validation error: identifier cannot be changed".into(),
            ));
        }
        let mut settings = ApiSettings::of(&existing);
        body.apply_to(&mut settings);
        let api = register_api(&settings).map_err(|e| AdminError::InvalidBody(e.to_string()))?;
        self.store().upsert_api(&api, self.now()).await?;
        // A scope the API no longer defines is no role's or user's permission any more.
        let kept: Vec<String> = api.scopes.iter().map(|s| s.value.to_string()).collect();
        self.store()
            .prune_permissions(&api.identifier, &kept)
            .await?;
        self.changed();
        self.reload_keys().await?;
        Ok(ResourceServer::of(&api, self.issuer()))
    }

    /// Deletes an API and the client grants for it.
    pub async fn delete_resource_server(&self, caller: &Caller, id: &str) -> AdminResult<()> {
        caller.require("delete:resource_servers")?;
        let existing = self.registered_api(id).await?;
        self.refuse_system(&existing.identifier)?;
        if !self.store().delete_api(&existing.identifier).await? {
            return Err(not_found(id));
        }
        self.changed();
        self.reload_keys().await?;
        Ok(())
    }

    /// The Management API itself cannot be changed or deleted through itself.
    fn refuse_system(&self, identifier: &str) -> AdminResult<()> {
        if identifier == management_audience(self.issuer()) {
            return Err(AdminError::NotSupported(
                "The Management API is a system resource server and cannot be changed".into(),
            ));
        }
        Ok(())
    }
}
