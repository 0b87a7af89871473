//! Logout rules: Auth0's `/v2/logout` and RP-Initiated Logout 1.0.

use crate::common::client;
use tessera_protocol::logout::{
    auth0_return_to, check_return_to, must_confirm, oidc_return_to, with_state, ReturnTo,
};

const HOME: &str = "https://app.example.com/";

#[test]
fn auth0_return_to_needs_the_client_it_belongs_to() {
    assert_eq!(auth0_return_to(None, Some("app")).unwrap(), None);
    assert_eq!(
        auth0_return_to(Some(HOME), Some("app")).unwrap(),
        Some(ReturnTo {
            uri: HOME,
            owner: "app"
        })
    );
    assert!(auth0_return_to(Some(HOME), None)
        .unwrap_err()
        .0
        .contains("client_id"));
}

#[test]
fn oidc_client_id_must_be_the_hints_audience_and_a_redirect_needs_an_owner() {
    assert!(oidc_return_to(Some("a"), Some("b"), None)
        .unwrap_err()
        .0
        .contains("does not match"));
    assert_eq!(
        oidc_return_to(Some("a"), None, Some(HOME)).unwrap(),
        Some(ReturnTo {
            uri: HOME,
            owner: "a"
        })
    );
    assert_eq!(
        oidc_return_to(None, Some("b"), Some(HOME))
            .unwrap()
            .unwrap()
            .owner,
        "b"
    );
    assert!(oidc_return_to(None, None, Some(HOME))
        .unwrap_err()
        .0
        .contains("needs an id_token_hint or a client_id"));
    assert_eq!(oidc_return_to(None, None, None).unwrap(), None);
}

#[test]
fn a_return_url_must_be_an_allowed_logout_url_exactly() {
    let mut app = client();
    app.allowed_logout_urls = vec![HOME.into()];
    let to = |uri| ReturnTo { uri, owner: "app" };
    assert!(check_return_to(to(HOME), Some(&app), "returnTo").is_ok());
    let refused = check_return_to(to("https://app.example.com/x"), Some(&app), "returnTo");
    assert!(refused
        .unwrap_err()
        .0
        .starts_with("returnTo `https://app.example.com/x`"));
    assert!(check_return_to(to(HOME), None, "post_logout_redirect_uri").is_err());
}

#[test]
fn only_a_hint_for_this_browsers_session_skips_the_confirmation() {
    assert!(must_confirm(false, None, None), "no hint: always ask");
    assert!(must_confirm(false, None, Some("s1")));
    assert!(
        !must_confirm(true, Some("s1"), Some("s1")),
        "the hint names this session"
    );
    assert!(
        must_confirm(true, Some("s2"), Some("s1")),
        "someone else's session"
    );
    assert!(
        must_confirm(true, None, Some("s1")),
        "a hint without sid proves nothing"
    );
    assert!(!must_confirm(true, None, None), "no session to end");
}

#[test]
fn state_goes_back_with_the_redirect() {
    assert_eq!(
        with_state(HOME, Some("xyz")),
        "https://app.example.com/?state=xyz"
    );
    assert_eq!(with_state(HOME, None), HOME);
}
