//! Upserts the APIs, clients and users declared in the configuration into the store.

use tessera_protocol::{
    ApiScope, AppType, ClientId, GrantType, RedirectUri, RegisteredClient, ResourceServer, Scope,
    SecretDigest, Timestamp,
};
use tessera_store::{NewUser, Store};

use crate::config::{ApiConfig, ClientConfig, Config, UserConfig};
use crate::crypto::{random_hex, Passwords};
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
    Ok(())
}

fn invalid(message: String) -> ServeError {
    ServeError::Config(crate::config::ConfigError::Invalid(message))
}

fn resource_server(api: &ApiConfig) -> Result<ResourceServer, ServeError> {
    if api.signing_alg != "RS256" {
        return Err(invalid(format!(
            "apis `{}`: signing_alg `{}` is not supported (use RS256)",
            api.identifier, api.signing_alg
        )));
    }
    if api.token_lifetime <= 0 {
        return Err(invalid(format!(
            "apis `{}`: token_lifetime must be positive",
            api.identifier
        )));
    }
    let scopes = api
        .scopes
        .iter()
        .map(|s| {
            Ok(ApiScope {
                value: Scope::parse(&s.value)
                    .map_err(|e| invalid(format!("apis `{}`: {e}", api.identifier)))?,
                description: s.description.clone(),
            })
        })
        .collect::<Result<_, ServeError>>()?;
    Ok(ResourceServer {
        identifier: api.identifier.clone(),
        name: api.name.clone(),
        scopes,
        allow_offline_access: api.allow_offline_access,
        token_lifetime: api.token_lifetime,
        signing_alg: api.signing_alg.clone(),
    })
}

fn registered_client(client: &ClientConfig) -> Result<RegisteredClient, ServeError> {
    let id = &client.client_id;
    if client.client_secret.is_empty() {
        return Err(invalid(format!(
            "clients `{id}`: client_secret must not be empty"
        )));
    }
    let app_type = AppType::parse(&client.app_type).ok_or_else(|| {
        invalid(format!(
            "clients `{id}`: app_type `{}` is not supported (use regular_web)",
            client.app_type
        ))
    })?;
    let callbacks = client
        .callbacks
        .iter()
        .map(|uri| {
            RedirectUri::parse(uri)
                .map_err(|e| invalid(format!("clients `{id}`: callback `{uri}`: {e}")))
        })
        .collect::<Result<_, _>>()?;
    let grant_types = client
        .grant_types
        .iter()
        .map(|g| {
            GrantType::parse(g).ok_or_else(|| {
                invalid(format!("clients `{id}`: grant type `{g}` is not supported"))
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(RegisteredClient {
        client_id: ClientId(id.clone()),
        name: client.name.clone(),
        app_type,
        callbacks,
        grant_types,
        secret_digest: SecretDigest::of(&client.client_secret),
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
            },
            now,
        )
        .await?;
    Ok(())
}
