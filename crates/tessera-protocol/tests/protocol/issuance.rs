//! Issuance rules of the token endpoint: when a refresh token is issued, and which API and
//! scopes a client_credentials token is for.

use crate::common::{api_with, client, client_with, scopes, CALLBACK};
use tessera_protocol::token::{
    client_credentials_audience, client_credentials_scope, issues_refresh_token,
};
use tessera_protocol::{GrantType, TokenErrorCode};

#[test]
fn a_refresh_token_needs_offline_access_an_api_that_allows_it_and_the_grant() {
    let offline = scopes("openid read:items offline_access");
    assert!(issues_refresh_token(
        &offline,
        Some(&api_with(true)),
        &client()
    ));
    assert!(
        !issues_refresh_token(
            &scopes("openid read:items"),
            Some(&api_with(true)),
            &client()
        ),
        "offline_access not asked"
    );
    assert!(
        !issues_refresh_token(&offline, Some(&api_with(false)), &client()),
        "the API does not allow offline access"
    );
    assert!(
        !issues_refresh_token(&offline, None, &client()),
        "no API: an ID token for /userinfo only"
    );
    let code_only = client_with(&[CALLBACK], &[GrantType::AuthorizationCode]);
    assert!(
        !issues_refresh_token(&offline, Some(&api_with(true)), &code_only),
        "the application may not use refresh tokens"
    );
}

#[test]
fn client_credentials_take_the_audience_asked_or_the_default() {
    assert_eq!(
        client_credentials_audience(Some("orders".into()), Some("default")).unwrap(),
        "orders"
    );
    assert_eq!(
        client_credentials_audience(None, Some("default")).unwrap(),
        "default"
    );
    let missing = client_credentials_audience(None, None).unwrap_err();
    assert_eq!(missing.code, TokenErrorCode::InvalidRequest);
    assert!(missing.description.contains("audience"), "{missing}");
}

#[test]
fn client_credentials_get_the_granted_scopes_or_a_subset_never_more() {
    let granted = scopes("read:items write:items");
    assert_eq!(client_credentials_scope(None, &granted).unwrap(), granted);
    assert_eq!(
        client_credentials_scope(Some(&scopes("read:items")), &granted).unwrap(),
        scopes("read:items")
    );
    let wider = client_credentials_scope(Some(&scopes("read:items admin")), &granted).unwrap_err();
    assert_eq!(wider.code, TokenErrorCode::InvalidScope);
    assert_eq!(wider.code.as_str(), "invalid_scope");
}
