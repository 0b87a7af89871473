#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{api, client_with, CALLBACK};
use tessera_protocol::{AppType, ClientId, GrantType, Scope, Timestamp};

#[test]
fn grant_type_spellings_round_trip() {
    assert_eq!(GrantType::AuthorizationCode.as_str(), "authorization_code");
    assert_eq!(GrantType::RefreshToken.as_str(), "refresh_token");
    for grant in GrantType::ALL {
        assert_eq!(GrantType::parse(grant.as_str()), Some(grant));
    }
    assert_eq!(GrantType::parse("client_credentials"), None);
    assert_eq!(GrantType::parse("Refresh_Token"), None);
    assert_eq!(
        serde_json::to_string(&GrantType::RefreshToken).unwrap(),
        "\"refresh_token\""
    );
}

#[test]
fn app_type_spelling_round_trips() {
    assert_eq!(AppType::RegularWeb.as_str(), "regular_web");
    assert_eq!(AppType::parse("regular_web"), Some(AppType::RegularWeb));
    assert_eq!(AppType::parse("spa"), None);
    assert_eq!(
        serde_json::to_string(&AppType::RegularWeb).unwrap(),
        "\"regular_web\""
    );
}

#[test]
fn client_allows_only_its_grant_types() {
    let c = client_with(&[CALLBACK], &[GrantType::AuthorizationCode]);
    assert!(c.allows_grant(GrantType::AuthorizationCode));
    assert!(!c.allows_grant(GrantType::RefreshToken));
}

#[test]
fn client_id_is_transparent() {
    let id = ClientId("app1".to_owned());
    assert_eq!(id.as_str(), "app1");
    assert_eq!(id.to_string(), "app1");
    assert_eq!(serde_json::to_string(&id).unwrap(), "\"app1\"");
    assert_eq!(serde_json::from_str::<ClientId>("\"app1\"").unwrap(), id);
}

#[test]
fn resource_server_defines_only_its_scopes() {
    let api = api();
    let read = Scope::parse("read:items").unwrap();
    assert!(api.defines(&read));
    assert_eq!(api.description_of(&read), Some("Read items"));
    let other = Scope::parse("delete:items").unwrap();
    assert!(!api.defines(&other));
    assert_eq!(api.description_of(&other), None);
    assert!(!api.defines(&Scope::parse("openid").unwrap()));
}

#[test]
fn timestamp_arithmetic_saturates() {
    assert_eq!(Timestamp(100).plus(20), Timestamp(120));
    assert_eq!(Timestamp(100).plus(-20), Timestamp(80));
    assert_eq!(Timestamp(i64::MAX - 1).plus(10), Timestamp(i64::MAX));
    assert_eq!(Timestamp(120).seconds_since(Timestamp(100)), 20);
    assert_eq!(Timestamp(100).seconds_since(Timestamp(120)), -20);
    assert_eq!(Timestamp(i64::MIN).seconds_since(Timestamp(1)), i64::MIN);
    assert!(Timestamp(1) < Timestamp(2));
}

#[test]
fn timestamp_serializes_as_unix_seconds() {
    assert_eq!(
        serde_json::to_string(&Timestamp(1_700_000_000)).unwrap(),
        "1700000000"
    );
    assert_eq!(
        serde_json::from_str::<Timestamp>("42").unwrap(),
        Timestamp(42)
    );
}
