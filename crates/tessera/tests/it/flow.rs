//! The seed's flow end to end with the `openidconnect` crate as the client: discovery, the
//! authorization URL, login and consent, the code exchange (id_token signature, nonce, at_hash
//! checked by the library), userinfo, and refresh.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, RedirectUrl, RefreshToken, Scope, TokenResponse,
};

use crate::support::*;

fn oidc_http() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn seed_flow_with_openidconnect_client() {
    let server = TestServer::start().await;
    let http = oidc_http();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(server.issuer.clone()).unwrap(), &http)
            .await
            .unwrap();
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(CLIENT_ID.into()),
        Some(ClientSecret::new(CLIENT_SECRET.into())),
    )
    .set_redirect_uri(RedirectUrl::new(CALLBACK.into()).unwrap());
    let (auth_url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("appointments".into()))
        .add_scope(Scope::new("contacts".into()))
        .add_scope(Scope::new("offline_access".into()))
        .add_extra_param("audience", API)
        .url();

    let callback = Browser::new().sign_in(auth_url.as_str()).await;
    assert_eq!(
        query_param(&callback, "state").as_deref(),
        Some(csrf.secret().as_str())
    );
    assert_eq!(
        query_param(&callback, "iss").as_deref(),
        Some(server.issuer.as_str())
    );
    let code = query_param(&callback, "code").unwrap();

    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    let id_token = tokens.id_token().expect("an id_token");
    let verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, &nonce)
        .expect("a valid id_token");
    assert_eq!(claims.email().map(|e| e.as_str()), Some(EMAIL));
    assert_eq!(claims.email_verified(), Some(true));
    assert!(claims.auth_time().is_some());
    let expected_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected_hash));
    assert_eq!(tokens.token_type().as_ref(), "bearer");
    assert!(
        tokens.refresh_token().is_some(),
        "offline_access on an API that allows it"
    );

    let access = jwt_claims(tokens.access_token().secret());
    assert_eq!(jwt_header(tokens.access_token().secret())["typ"], "at+jwt");
    assert_eq!(
        access["aud"],
        serde_json::json!([API, server.url("userinfo")])
    );
    assert_eq!(
        access["scope"],
        "openid profile email appointments contacts offline_access"
    );
    assert_eq!(access["client_id"], CLIENT_ID);
    assert_eq!(access["sub"].as_str(), Some(claims.subject().as_str()));

    let userinfo: CoreUserInfoClaims = client
        .user_info(tokens.access_token().to_owned(), None)
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(userinfo.subject(), claims.subject());
    assert_eq!(userinfo.email().map(|e| e.as_str()), Some(EMAIL));

    let refreshed = client
        .exchange_refresh_token(&RefreshToken::new(
            tokens.refresh_token().unwrap().secret().clone(),
        ))
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    let refreshed_claims = jwt_claims(refreshed.access_token().secret());
    assert_eq!(
        refreshed_claims["sub"].as_str(),
        Some(claims.subject().as_str())
    );
    assert!(refreshed.id_token().is_some());
}
