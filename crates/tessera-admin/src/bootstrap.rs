//! At every start: the Management API is registered as an API, and a management client may
//! use it. The client is the configured one (`[management]`), or one created at the first start
//! with a secret shown once.

use tessera_core::crypto::{new_client_secret, new_resource_server_id};
use tessera_protocol::{
    ApiScope, AppType, ClientId, GrantType, RefreshTokenPolicy, RegisteredClient, ResourceServer,
    Scope, SecretDigest, Timestamp, TokenAuthMethod,
};
use tessera_store::Store;

use crate::error::{AdminError, AdminResult};
use crate::scopes::{self, management_audience, management_scopes};

/// The id of the management client created at the first start.
pub const BOOTSTRAP_CLIENT_ID: &str = "tessera-management";

/// Credentials created at this start, to be shown once.
#[derive(Clone, PartialEq, Eq)]
pub struct NewCredentials {
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for NewCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCredentials")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

fn management_api(issuer: &str) -> AdminResult<ResourceServer> {
    let scopes = management_scopes()
        .into_iter()
        .map(|value| {
            let (verb, resource) = value.split_once(':').unwrap_or((&value, ""));
            let description = format!("{} {}", capitalized(verb), resource.replace('_', " "));
            Ok(ApiScope {
                value: Scope::parse(&value).map_err(|e| AdminError::Internal(e.to_string()))?,
                description,
            })
        })
        .collect::<AdminResult<_>>()?;
    Ok(ResourceServer {
        // Kept only by the first start: a restart upserts by identifier, keeping the stored id.
        id: new_resource_server_id()?,
        identifier: management_audience(issuer),
        name: "Tessera Management API".into(),
        scopes,
        allow_offline_access: false,
        token_lifetime: 86_400,
        signing_alg: "RS256".into(),
        skip_consent_for_verifiable_first_party_clients: false,
        rbac: Default::default(),
        proof_of_possession: None,
    })
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn management_client(client_id: &str, secret: &str) -> RegisteredClient {
    RegisteredClient {
        client_id: ClientId(client_id.to_owned()),
        name: "Tessera Management".into(),
        app_type: AppType::NonInteractive,
        callbacks: Vec::new(),
        allowed_logout_urls: Vec::new(),
        web_origins: Vec::new(),
        allowed_origins: Vec::new(),
        grant_types: vec![GrantType::ClientCredentials],
        token_endpoint_auth_method: TokenAuthMethod::ClientSecretPost,
        secret_digest: Some(SecretDigest::of(secret)),
        refresh_token: RefreshTokenPolicy::default(),
        allow_plain_pkce: false,
        is_first_party: true,
        require_pushed_authorization_requests: false,
        require_proof_of_possession: false,
        logo_uri: None,
    }
}

/// A management client whose credentials are configured.
#[derive(Clone, Copy)]
pub struct ConfiguredClient<'a> {
    pub client_id: &'a str,
    pub client_secret: &'a str,
}

/// Registers the Management API and its client; returns credentials it had to create.
pub async fn ensure(
    store: &dyn Store,
    issuer: &str,
    configured: Option<ConfiguredClient<'_>>,
    now: Timestamp,
) -> AdminResult<Option<NewCredentials>> {
    let api = management_api(issuer)?;
    store.upsert_api(&api, now).await?;
    let (client_id, created) = match configured {
        Some(config) => {
            store
                .upsert_client(
                    &management_client(config.client_id, config.client_secret),
                    now,
                )
                .await?;
            (config.client_id.to_owned(), None)
        }
        None => {
            let id = ClientId(BOOTSTRAP_CLIENT_ID.into());
            if store.client(&id).await?.is_some() {
                (id.to_string(), None)
            } else {
                let secret = new_client_secret(48)?;
                store
                    .upsert_client(&management_client(BOOTSTRAP_CLIENT_ID, &secret), now)
                    .await?;
                let credentials = NewCredentials {
                    client_id: id.to_string(),
                    client_secret: secret,
                };
                (id.to_string(), Some(credentials))
            }
        }
    };
    store
        .upsert_client_grant(&ClientId(client_id), &api.identifier, &scopes::all(), now)
        .await?;
    Ok(created)
}
