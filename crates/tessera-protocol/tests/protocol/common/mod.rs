//! Fixtures shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tessera_protocol::params::Params;
use tessera_protocol::{
    ApiScope, AppType, ClientId, GrantType, RedirectUri, RefreshTokenPolicy, RegisteredClient,
    ResourceServer, Scope, ScopeSet, SecretDigest, TokenAuthMethod,
};

pub const CLIENT_ID: &str = "app1";
pub const CLIENT_SECRET: &str = "s3cret-of-app1";
pub const CALLBACK: &str = "https://app.example.com/callback";
pub const API_ID: &str = "https://api.example.com";
pub const ISSUER: &str = "https://tessera.example.com/";

pub fn params(pairs: &[(&str, &str)]) -> Params {
    Params::new(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

pub fn uri(value: &str) -> RedirectUri {
    RedirectUri::parse(value).unwrap()
}

pub fn scopes(value: &str) -> ScopeSet {
    ScopeSet::parse(value).unwrap()
}

pub fn client_id() -> ClientId {
    ClientId(CLIENT_ID.to_owned())
}

pub fn client_with(callbacks: &[&str], grant_types: &[GrantType]) -> RegisteredClient {
    RegisteredClient {
        client_id: client_id(),
        name: "App One".to_owned(),
        app_type: AppType::RegularWeb,
        callbacks: callbacks.iter().map(|c| uri(c)).collect(),
        allowed_logout_urls: Vec::new(),
        web_origins: Vec::new(),
        allowed_origins: Vec::new(),
        grant_types: grant_types.to_vec(),
        token_endpoint_auth_method: TokenAuthMethod::ClientSecretPost,
        secret_digest: Some(SecretDigest::of(CLIENT_SECRET)),
        refresh_token: RefreshTokenPolicy::default(),
        allow_plain_pkce: false,
        is_first_party: true,
        require_pushed_authorization_requests: false,
        require_proof_of_possession: false,
        logo_uri: None,
    }
}

/// A confidential client allowed the authorization code and refresh token grants.
pub fn client() -> RegisteredClient {
    client_with(
        &[CALLBACK],
        &[GrantType::AuthorizationCode, GrantType::RefreshToken],
    )
}

/// A public client (a single-page app): no secret, authenticates with PKCE alone.
pub fn public_client() -> RegisteredClient {
    RegisteredClient {
        app_type: AppType::Spa,
        token_endpoint_auth_method: TokenAuthMethod::None,
        secret_digest: None,
        ..client()
    }
}

pub fn api_with(allow_offline_access: bool) -> ResourceServer {
    ResourceServer {
        id: "5f1a2b3c4d5e6f708192a3b4".to_owned(),
        identifier: API_ID.to_owned(),
        name: "Items API".to_owned(),
        scopes: vec![
            ApiScope {
                value: Scope::parse("read:items").unwrap(),
                description: "Read items".to_owned(),
            },
            ApiScope {
                value: Scope::parse("write:items").unwrap(),
                description: "Write items".to_owned(),
            },
        ],
        allow_offline_access,
        token_lifetime: 86_400,
        signing_alg: "RS256".to_owned(),
        skip_consent_for_verifiable_first_party_clients: false,
        rbac: Default::default(),
        proof_of_possession: None,
    }
}

pub fn api() -> ResourceServer {
    api_with(false)
}
