//! Auth0's "skip consent for verifiable first-party clients": an API may exempt the tenant's own
//! applications from the consent page — never third-party ones, never for callbacks on the
//! local machine (where any program could pose as the client).

use url::Url;

use crate::support::*;

const REMOTE_CALLBACK: &str = "https://app.example.com/callback";

async fn server(first_party: bool, skip: bool) -> TestServer {
    TestServer::start_with(|config| {
        config.apis[0].skip_consent_for_verifiable_first_party_clients = skip;
        config.clients[0].is_first_party = first_party;
        config.clients[0].callbacks = vec![REMOTE_CALLBACK.into(), CALLBACK.into()];
    })
    .await
}

/// Where the browser goes right after logging in.
async fn after_login(server: &TestServer, callback: &str) -> String {
    let browser = Browser::new();
    let response = browser
        .get(&server.authorize_url(&[("redirect_uri", callback)]))
        .await;
    let login = Url::parse(&server.issuer)
        .unwrap()
        .join(&location(&response))
        .unwrap();
    let html = browser.get(login.as_str()).await.text().await.unwrap();
    location(
        &browser
            .submit_login(&login, &html, USERNAME, PASSWORD)
            .await,
    )
}

#[tokio::test]
async fn a_first_party_client_of_an_api_that_skips_consent_gets_a_code_without_the_consent_page() {
    let server = server(true, true).await;
    let next = after_login(&server, REMOTE_CALLBACK).await;
    assert!(next.starts_with(REMOTE_CALLBACK), "{next}");
    assert!(next.contains("code="), "{next}");
}

#[tokio::test]
async fn a_third_party_client_still_sees_the_consent_page() {
    let server = server(false, true).await;
    assert!(after_login(&server, REMOTE_CALLBACK)
        .await
        .starts_with("/u/consent"));
}

#[tokio::test]
async fn consent_is_not_skipped_for_a_localhost_callback() {
    let server = server(true, true).await;
    assert!(after_login(&server, CALLBACK)
        .await
        .starts_with("/u/consent"));
}

#[tokio::test]
async fn consent_is_asked_when_the_api_does_not_skip_it() {
    let server = server(true, false).await;
    assert!(after_login(&server, REMOTE_CALLBACK)
        .await
        .starts_with("/u/consent"));
}
