//! Upserts the APIs, clients and users declared in the configuration into the store, through
//! the same registration rules as the Management API.

use tessera_core::crypto::{new_resource_server_id, random_hex, Passwords};
use tessera_protocol::registration::{
    configured_secret, register_api, register_client, ApiSettings, ClientSettings,
    ProofOfPossessionSettings, RefreshTokenSettings, RegistrationError,
};
use tessera_protocol::{ClientId, RegisteredClient, ResourceServer, ScopeSet, Timestamp};
use tessera_store::{NewUser, Store, UserProfile};

use crate::config::{ApiConfig, ClientConfig, ClientGrantConfig, Config, ConfigError, UserConfig};
use crate::ServeError;

/// Makes the store hold what the configuration declares.
pub async fn apply(
    config: &Config,
    store: &dyn Store,
    passwords: &Passwords,
    now: Timestamp,
) -> Result<(), ServeError> {
    for api in &config.apis {
        store.upsert_api(&resource_server(api)?, now).await?;
    }
    for client in &config.clients {
        store
            .upsert_client(&registered_client(client)?, now)
            .await?;
    }
    for user in &config.users {
        upsert_user(user, store, passwords, now).await?;
    }
    for grant in &config.client_grants {
        let scope = client_grant(grant)?;
        store
            .upsert_client_grant(
                &ClientId(grant.client_id.clone()),
                &grant.audience,
                &scope,
                now,
            )
            .await?;
    }
    Ok(())
}

/// The configuration error for `[[kind]]` entry `id`.
fn invalid(kind: &str, id: &str, error: RegistrationError) -> ServeError {
    ServeError::Config(ConfigError::Invalid(format!("{kind} `{id}`: {error}")))
}

/// The API an `[[apis]]` entry declares.
pub fn resource_server(api: &ApiConfig) -> Result<ResourceServer, ServeError> {
    let settings = ApiSettings {
        // Kept only by the first start: a restart upserts by identifier, keeping the stored id.
        id: new_resource_server_id()?,
        identifier: api.identifier.clone(),
        name: api.name.clone(),
        scopes: api
            .scopes
            .iter()
            .map(|s| (s.value.clone(), s.description.clone()))
            .collect(),
        allow_offline_access: api.allow_offline_access,
        token_lifetime: api.token_lifetime,
        signing_alg: api.signing_alg.clone(),
        skip_consent_for_verifiable_first_party_clients: api
            .skip_consent_for_verifiable_first_party_clients,
        enforce_policies: api.enforce_policies,
        token_dialect: api.token_dialect.clone(),
        proof_of_possession: api.proof_of_possession.as_ref().map(|pop| {
            ProofOfPossessionSettings {
                mechanism: pop.mechanism.clone(),
                required: pop.required,
            }
        }),
    };
    register_api(&settings).map_err(|e| invalid("apis", &api.identifier, e))
}

/// The application a `[[clients]]` entry declares, with its configured secret.
pub fn registered_client(client: &ClientConfig) -> Result<RegisteredClient, ServeError> {
    let refresh = &client.refresh_token;
    let settings = ClientSettings {
        name: client.name.clone(),
        app_type: client.app_type.clone(),
        callbacks: client.callbacks.clone(),
        allowed_logout_urls: client.allowed_logout_urls.clone(),
        web_origins: client.web_origins.clone(),
        allowed_origins: client.allowed_origins.clone(),
        grant_types: client.grant_types.clone(),
        token_endpoint_auth_method: client.token_endpoint_auth_method.clone(),
        refresh_token: RefreshTokenSettings {
            rotation_type: refresh.rotation_type.clone(),
            leeway: refresh.leeway,
            token_lifetime: refresh.token_lifetime,
            infinite_token_lifetime: refresh.infinite_token_lifetime,
            idle_token_lifetime: refresh.idle_token_lifetime,
            infinite_idle_token_lifetime: refresh.infinite_idle_token_lifetime,
        },
        allow_plain_pkce: client.allow_plain_pkce,
        is_first_party: client.is_first_party,
        require_pushed_authorization_requests: client.require_pushed_authorization_requests,
        require_proof_of_possession: client.require_proof_of_possession,
        logo_uri: client.logo_uri.clone(),
    };
    let id = &client.client_id;
    let mut registered =
        register_client(ClientId(id.clone()), &settings).map_err(|e| invalid("clients", id, e))?;
    registered.secret_digest = configured_secret(&registered, client.client_secret.as_deref())
        .map_err(|e| invalid("clients", id, e))?;
    Ok(registered)
}

fn client_grant(grant: &ClientGrantConfig) -> Result<ScopeSet, ServeError> {
    ScopeSet::parse(&grant.scope.join(" ")).map_err(|e| {
        ServeError::Config(ConfigError::Invalid(format!(
            "client_grants `{}` → `{}`: {e}",
            grant.client_id, grant.audience
        )))
    })
}

async fn upsert_user(
    user: &UserConfig,
    store: &dyn Store,
    passwords: &Passwords,
    now: Timestamp,
) -> Result<(), ServeError> {
    let existing = store.user_by_login(&user.username).await?;
    // Keep the stored hash when the password is unchanged, so restarts don't rewrite it.
    let password_hash = match existing {
        Some(found)
            if passwords
                .verify(Some(found.password_hash.clone()), user.password.clone())
                .await? =>
        {
            found.password_hash
        }
        _ => passwords.hash(user.password.clone()).await?,
    };
    let user_id = format!("auth0|{}", random_hex(12)?);
    store
        .upsert_user(
            &NewUser {
                user_id,
                username: user.username.clone(),
                email: user.email.clone(),
                name: if user.name.is_empty() {
                    user.username.clone()
                } else {
                    user.name.clone()
                },
                password_hash,
                email_verified: user.email_verified,
                // A seeded user's profile and metadata are the Management API's to change.
                profile: UserProfile::default(),
            },
            now,
        )
        .await?;
    Ok(())
}
