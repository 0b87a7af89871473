//! Upserts the APIs, clients and users declared in the configuration into the store.

use tessera_protocol::{
    ApiScope, AppType, ClientId, GrantType, RedirectUri, RefreshTokenPolicy, RegisteredClient,
    ResourceServer, Rotation, Scope, ScopeSet, SecretDigest, Timestamp, TokenAuthMethod,
};
use tessera_store::{NewUser, Store};

use crate::config::{ApiConfig, ClientConfig, ClientGrantConfig, Config, UserConfig};
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

fn invalid(message: String) -> ServeError {
    ServeError::Config(crate::config::ConfigError::Invalid(message))
}

pub(crate) fn resource_server(api: &ApiConfig) -> Result<ResourceServer, ServeError> {
    if tessera_jwt::Algorithm::parse(&api.signing_alg).is_err() {
        return Err(invalid(format!(
            "apis `{}`: signing_alg `{}` is not supported (use RS256, PS256, ES256 or EdDSA)",
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
        skip_consent_for_verifiable_first_party_clients: api
            .skip_consent_for_verifiable_first_party_clients,
    })
}

pub(crate) fn registered_client(client: &ClientConfig) -> Result<RegisteredClient, ServeError> {
    let id = &client.client_id;
    let app_type = AppType::parse(&client.app_type).ok_or_else(|| {
        invalid(format!(
            "clients `{id}`: app_type `{}` is not supported (use regular_web, spa, native or non_interactive)",
            client.app_type
        ))
    })?;
    let method = match &client.token_endpoint_auth_method {
        Some(method) => TokenAuthMethod::parse(method).ok_or_else(|| {
            invalid(format!(
                "clients `{id}`: token_endpoint_auth_method `{method}` is not supported"
            ))
        })?,
        None if app_type.is_public() => TokenAuthMethod::None,
        None => TokenAuthMethod::ClientSecretPost,
    };
    let secret_digest = match (method, client.client_secret.as_deref()) {
        (TokenAuthMethod::None, None) => None,
        (TokenAuthMethod::None, Some(_)) => {
            return Err(invalid(format!("clients `{id}`: a public client (token_endpoint_auth_method none) has no client_secret")))
        }
        (_, Some(secret)) if !secret.is_empty() => Some(SecretDigest::of(secret)),
        (_, _) => return Err(invalid(format!("clients `{id}`: client_secret must be set for a confidential client"))),
    };
    let callbacks = client
        .callbacks
        .iter()
        .map(|uri| {
            RedirectUri::parse(uri)
                .map_err(|e| invalid(format!("clients `{id}`: callback `{uri}`: {e}")))
        })
        .collect::<Result<_, _>>()?;
    for url in &client.allowed_logout_urls {
        RedirectUri::parse(url)
            .map_err(|e| invalid(format!("clients `{id}`: allowed logout URL `{url}`: {e}")))?;
    }
    let default_grants: &[&str] = if app_type == AppType::NonInteractive {
        &["client_credentials"]
    } else {
        &["authorization_code", "refresh_token"]
    };
    let grant_names: Vec<String> = match &client.grant_types {
        Some(names) => names.clone(),
        None => default_grants.iter().map(|g| (*g).to_owned()).collect(),
    };
    let grant_types: Vec<GrantType> = grant_names
        .iter()
        .map(|g| {
            GrantType::parse(g).ok_or_else(|| {
                invalid(format!("clients `{id}`: grant type `{g}` is not supported"))
            })
        })
        .collect::<Result<_, _>>()?;
    if method == TokenAuthMethod::None && grant_types.contains(&GrantType::ClientCredentials) {
        return Err(invalid(format!(
            "clients `{id}`: a public client cannot use client_credentials"
        )));
    }
    Ok(RegisteredClient {
        client_id: ClientId(id.clone()),
        name: client.name.clone(),
        app_type,
        callbacks,
        allowed_logout_urls: client.allowed_logout_urls.clone(),
        grant_types,
        token_endpoint_auth_method: method,
        secret_digest,
        refresh_token: refresh_policy(client)?,
        allow_plain_pkce: client.allow_plain_pkce,
        is_first_party: client.is_first_party,
    })
}

fn refresh_policy(client: &ClientConfig) -> Result<RefreshTokenPolicy, ServeError> {
    let config = &client.refresh_token;
    let rotation_type = Rotation::parse(&config.rotation_type).ok_or_else(|| {
        invalid(format!(
            "clients `{}`: refresh_token.rotation_type `{}` must be rotating or non-rotating",
            client.client_id, config.rotation_type
        ))
    })?;
    if config.leeway < 0 || config.token_lifetime <= 0 || config.idle_token_lifetime <= 0 {
        return Err(invalid(format!(
            "clients `{}`: refresh_token lifetimes must be positive and leeway not negative",
            client.client_id
        )));
    }
    Ok(RefreshTokenPolicy {
        rotation_type,
        leeway: config.leeway,
        token_lifetime: (!config.infinite_token_lifetime).then_some(config.token_lifetime),
        idle_token_lifetime: (!config.infinite_idle_token_lifetime)
            .then_some(config.idle_token_lifetime),
    })
}

fn client_grant(grant: &ClientGrantConfig) -> Result<ScopeSet, ServeError> {
    ScopeSet::parse(&grant.scope.join(" ")).map_err(|e| {
        invalid(format!(
            "client_grants `{}` → `{}`: {e}",
            grant.client_id, grant.audience
        ))
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
