use crate::common::{api, client, client_with, public_client, CALLBACK};
use tessera_protocol::{
    AppType, ClientId, GrantType, Rbac, RefreshTokenPolicy, RegisteredClient, Rotation, Scope,
    ScopeSet, Timestamp, TokenAuthMethod, TokenDialect,
};

#[test]
fn grant_type_spellings_round_trip() {
    assert_eq!(GrantType::AuthorizationCode.as_str(), "authorization_code");
    assert_eq!(GrantType::RefreshToken.as_str(), "refresh_token");
    assert_eq!(GrantType::ClientCredentials.as_str(), "client_credentials");
    assert_eq!(GrantType::Implicit.as_str(), "implicit");
    for grant in GrantType::ALL {
        assert_eq!(GrantType::parse(grant.as_str()), Some(grant));
    }
    assert_eq!(GrantType::parse("password"), Some(GrantType::Password));
    assert_eq!(
        GrantType::parse("http://auth0.com/oauth/grant-type/password-realm"),
        Some(GrantType::PasswordRealm)
    );
    assert_eq!(
        GrantType::parse("urn:ietf:params:oauth:grant-type:device_code"),
        Some(GrantType::DeviceCode)
    );
    assert_eq!(
        GrantType::parse("urn:ietf:params:oauth:grant-type:token-exchange"),
        None
    );
    assert_eq!(GrantType::parse("Refresh_Token"), None);
    assert_eq!(
        serde_json::to_string(&GrantType::RefreshToken).unwrap(),
        "\"refresh_token\""
    );
}

#[test]
fn app_type_spellings_round_trip() {
    let expected = [
        (AppType::RegularWeb, "regular_web"),
        (AppType::Spa, "spa"),
        (AppType::Native, "native"),
        (AppType::NonInteractive, "non_interactive"),
    ];
    for (app_type, wire) in expected {
        assert_eq!(app_type.as_str(), wire);
        assert_eq!(AppType::parse(wire), Some(app_type));
        assert_eq!(
            serde_json::to_string(&app_type).unwrap(),
            format!("\"{wire}\"")
        );
    }
    assert_eq!(AppType::ALL.len(), expected.len());
    for unknown in ["Spa", "regular-web", "m2m", "machine_to_machine", ""] {
        assert_eq!(AppType::parse(unknown), None, "{unknown:?}");
    }
}

/// RFC 6749 §2.1: single-page and native applications cannot keep a secret.
#[test]
fn app_type_is_public_only_for_spa_and_native() {
    assert!(AppType::Spa.is_public());
    assert!(AppType::Native.is_public());
    assert!(!AppType::RegularWeb.is_public());
    assert!(!AppType::NonInteractive.is_public());
}

#[test]
fn token_auth_method_spellings_round_trip() {
    let expected = [
        (TokenAuthMethod::None, "none"),
        (TokenAuthMethod::ClientSecretPost, "client_secret_post"),
        (TokenAuthMethod::ClientSecretBasic, "client_secret_basic"),
    ];
    for (method, wire) in expected {
        assert_eq!(method.as_str(), wire);
        assert_eq!(TokenAuthMethod::parse(wire), Some(method));
        assert_eq!(
            serde_json::to_string(&method).unwrap(),
            format!("\"{wire}\"")
        );
    }
    for unknown in ["None", "private_key_jwt", "client_secret_jwt", ""] {
        assert_eq!(TokenAuthMethod::parse(unknown), None, "{unknown:?}");
    }
}

#[test]
fn rotation_spellings_round_trip() {
    for (rotation, wire) in [
        (Rotation::Rotating, "rotating"),
        (Rotation::NonRotating, "non-rotating"),
    ] {
        assert_eq!(rotation.as_str(), wire);
        assert_eq!(Rotation::parse(wire), Some(rotation));
        assert_eq!(
            serde_json::to_string(&rotation).unwrap(),
            format!("\"{wire}\"")
        );
    }
    for unknown in ["non_rotating", "Rotating", "rotate", ""] {
        assert_eq!(Rotation::parse(unknown), None, "{unknown:?}");
    }
}

/// Auth0's defaults for a new application's `refresh_token` object.
#[test]
fn refresh_token_policy_default_matches_auth0() {
    assert_eq!(
        RefreshTokenPolicy::default(),
        RefreshTokenPolicy {
            rotation_type: Rotation::NonRotating,
            leeway: 0,
            token_lifetime: Some(31_557_600),
            idle_token_lifetime: Some(2_592_000),
        }
    );
}

#[test]
fn client_is_public_when_its_token_endpoint_auth_method_is_none() {
    assert!(public_client().is_public());
    assert!(!client().is_public());
    let basic = RegisteredClient {
        token_endpoint_auth_method: TokenAuthMethod::ClientSecretBasic,
        ..client()
    };
    assert!(!basic.is_public());
}

/// RFC 9700 §2.2.2: a public client's refresh tokens are rotated even when registered as
/// non-rotating (Tessera has no sender constraint); a confidential client's policy is kept.
#[test]
fn public_clients_refresh_tokens_are_always_rotated() {
    let public = public_client();
    assert_eq!(public.refresh_token.rotation_type, Rotation::NonRotating);
    assert_eq!(public.refresh_policy().rotation_type, Rotation::Rotating);
    assert_eq!(public.refresh_policy().leeway, public.refresh_token.leeway);
    let confidential = client();
    assert_eq!(confidential.refresh_policy(), confidential.refresh_token);
    assert_eq!(
        confidential.refresh_policy().rotation_type,
        Rotation::NonRotating
    );
}

/// Allowed Logout URLs are compared exactly, like callbacks (RFC 9700 §4.1.3).
#[test]
fn client_allows_logout_url_by_exact_match() {
    let c = RegisteredClient {
        allowed_logout_urls: vec![
            "https://app.example.com/".to_owned(),
            "https://app.example.com/bye?x=1".to_owned(),
        ],
        ..client()
    };
    assert!(c.allows_logout_url("https://app.example.com/"));
    assert!(c.allows_logout_url("https://app.example.com/bye?x=1"));
    for refused in [
        "https://app.example.com",
        "https://app.example.com/bye",
        "https://app.example.com/bye?x=1&y=2",
        "https://APP.example.com/",
        "https://app.example.com/evil",
        "https://app.example.com.evil.com/",
        "http://app.example.com/",
        "",
    ] {
        assert!(!c.allows_logout_url(refused), "{refused}");
    }
    assert!(!client().allows_logout_url("https://app.example.com/"));
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

#[test]
fn redirect_uri_is_local_for_localhost_and_loopback_only() {
    for local in [
        "http://localhost:3000/cb",
        "http://127.0.0.1:4000/cb",
        "http://[::1]/cb",
        "http://app.localhost/cb",
    ] {
        assert!(
            tessera_protocol::RedirectUri::parse(local)
                .unwrap()
                .is_local(),
            "{local}"
        );
    }
    for remote in [
        "https://app.example.com/cb",
        "http://10.0.0.1/cb",
        "com.example.app:/cb",
    ] {
        assert!(
            !tessera_protocol::RedirectUri::parse(remote)
                .unwrap()
                .is_local(),
            "{remote}"
        );
    }
}

#[test]
fn consent_is_skipped_only_for_first_party_clients_of_apis_that_allow_it_off_localhost() {
    let remote = tessera_protocol::RedirectUri::parse(CALLBACK).unwrap();
    let local = tessera_protocol::RedirectUri::parse("http://127.0.0.1:4000/cb").unwrap();
    let mut api = api();
    let mut first = client();
    assert!(!api.skips_consent_for(&first, &remote), "off by default");
    api.skip_consent_for_verifiable_first_party_clients = true;
    assert!(api.skips_consent_for(&first, &remote));
    assert!(
        !api.skips_consent_for(&first, &local),
        "never for a callback on this machine"
    );
    first.is_first_party = false;
    assert!(
        !api.skips_consent_for(&first, &remote),
        "third-party clients always see consent"
    );
}

#[test]
fn rbac_keeps_only_the_permissions_the_user_holds_and_every_scope_the_api_does_not_define() {
    let requested =
        ScopeSet::parse("openid profile offline_access read:items write:items").unwrap();
    let held = vec!["delete:items".to_owned(), "read:items".to_owned()];
    let mut enforcing = api();
    enforcing.rbac = Rbac {
        enforce_policies: true,
        token_dialect: TokenDialect::AccessTokenAuthz,
    };
    assert_eq!(
        enforcing.permitted(&requested, &held).to_string(),
        "openid profile offline_access read:items"
    );
    assert_eq!(
        enforcing.permitted(&requested, &[]).to_string(),
        "openid profile offline_access"
    );
    assert!(enforcing.rbac.adds_permissions());
    // Without RBAC an application gets any scope the API defines, as asked.
    assert_eq!(api().permitted(&requested, &[]), requested);
    assert!(!api().rbac.adds_permissions());
}

#[test]
fn only_the_authz_dialects_with_rbac_on_add_permissions() {
    for dialect in TokenDialect::ALL {
        assert_eq!(TokenDialect::parse(dialect.as_str()), Some(dialect));
        let with_rbac = Rbac {
            enforce_policies: true,
            token_dialect: dialect,
        };
        assert_eq!(
            with_rbac.adds_permissions(),
            dialect.as_str().ends_with("_authz"),
            "{dialect:?}"
        );
        let without = Rbac {
            enforce_policies: false,
            token_dialect: dialect,
        };
        assert!(!without.adds_permissions());
    }
    assert_eq!(TokenDialect::parse("access_token_jwt"), None);
}
