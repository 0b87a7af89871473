//! The authorization request parser: a query string, as `/authorize` receives it, through the
//! redirect-URI check and the full validation against a registered client and API.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_protocol::authorize::{requested_audience, trusted_redirect, validate};
use tessera_protocol::params::Params;
use tessera_protocol::{
    ApiScope, AppType, ClientId, GrantType, RedirectUri, RefreshTokenPolicy, RegisteredClient,
    ResourceServer, Scope, TokenAuthMethod,
};

const API: &str = "https://api.example.com";

fn client() -> Option<RegisteredClient> {
    Some(RegisteredClient {
        client_id: ClientId("app1".to_owned()),
        name: "App".to_owned(),
        app_type: AppType::RegularWeb,
        callbacks: vec![RedirectUri::parse("https://app.example.com/callback").ok()?],
        allowed_logout_urls: Vec::new(),
        grant_types: vec![GrantType::AuthorizationCode, GrantType::Implicit],
        token_endpoint_auth_method: TokenAuthMethod::ClientSecretPost,
        secret_digest: None,
        refresh_token: RefreshTokenPolicy::default(),
        allow_plain_pkce: false,
        is_first_party: true,
    })
}

fn api() -> Option<ResourceServer> {
    Some(ResourceServer {
        identifier: API.to_owned(),
        name: "API".to_owned(),
        scopes: vec![ApiScope {
            value: Scope::parse("read:items").ok()?,
            description: "Read items".to_owned(),
        }],
        allow_offline_access: true,
        token_lifetime: 3600,
        signing_alg: "RS256".to_owned(),
        skip_consent_for_verifiable_first_party_clients: true,
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let (Ok(params), Some(client), Some(api)) = (Params::from_query(Some(query)), client(), api())
    else {
        return;
    };
    let Ok(redirect) = trusted_redirect(&params, Some(&client)) else {
        return;
    };
    if let Ok(audience) = requested_audience(&params, None) {
        let known = audience.as_deref().filter(|a| *a == API).map(|_| &api);
        let _ = validate(&params, &client, redirect, audience.as_deref(), known);
    }
});
