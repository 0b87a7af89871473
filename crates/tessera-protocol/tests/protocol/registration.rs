use tessera_protocol::registration::{
    configured_secret, default_auth_method, default_grant_types, register_api, register_client,
    ApiSettings, ClientSettings, ProofOfPossessionSettings, RefreshTokenSettings,
    SIGNING_ALGORITHMS,
};
use tessera_protocol::{
    AppType, ClientId, GrantType, PopMechanism, ProofOfPossession, RefreshTokenPolicy, Rotation,
    SecretDigest, TokenAuthMethod,
};

fn settings(app_type: &str) -> ClientSettings {
    ClientSettings {
        name: "App".into(),
        app_type: app_type.into(),
        callbacks: vec!["https://app.example.com/callback".into()],
        ..ClientSettings::default()
    }
}

fn registered(settings: &ClientSettings) -> Result<tessera_protocol::RegisteredClient, String> {
    register_client(ClientId("c1".into()), settings).map_err(|e| e.to_string())
}

#[test]
fn each_app_type_gets_auth0s_default_grants_and_method() {
    let regular = registered(&settings("regular_web")).unwrap();
    assert_eq!(
        regular.grant_types,
        [GrantType::AuthorizationCode, GrantType::RefreshToken]
    );
    assert_eq!(
        regular.token_endpoint_auth_method,
        TokenAuthMethod::ClientSecretPost
    );
    for public in ["spa", "native"] {
        let client = registered(&settings(public)).unwrap();
        assert!(client.is_public(), "{public}");
        assert_eq!(
            client.grant_types,
            [GrantType::AuthorizationCode, GrantType::RefreshToken]
        );
    }
    let m2m = registered(&settings("non_interactive")).unwrap();
    assert_eq!(m2m.grant_types, [GrantType::ClientCredentials]);
    assert!(!m2m.is_public());
    assert_eq!(
        default_grant_types(AppType::NonInteractive),
        [GrantType::ClientCredentials]
    );
    assert_eq!(default_auth_method(AppType::Spa), TokenAuthMethod::None);
}

#[test]
fn registration_leaves_the_secret_to_the_caller() {
    assert_eq!(
        registered(&settings("regular_web")).unwrap().secret_digest,
        None
    );
}

#[test]
fn unknown_app_types_methods_and_grants_are_refused_by_name() {
    let mut bad = settings("desktop");
    assert!(registered(&bad).unwrap_err().contains("app_type `desktop`"));
    bad = settings("regular_web");
    bad.token_endpoint_auth_method = Some("private_key_jwt".into());
    assert!(registered(&bad)
        .unwrap_err()
        .contains("token_endpoint_auth_method `private_key_jwt`"));
    bad = settings("regular_web");
    bad.grant_types = Some(vec!["urn:ietf:params:oauth:grant-type:jwt-bearer".into()]);
    assert!(registered(&bad)
        .unwrap_err()
        .contains("grant type `urn:ietf:params:oauth:grant-type:jwt-bearer`"));
}

#[test]
fn a_public_client_cannot_use_client_credentials() {
    let mut spa = settings("spa");
    spa.grant_types = Some(vec!["client_credentials".into()]);
    assert!(registered(&spa).unwrap_err().contains("client_credentials"));
}

#[test]
fn callbacks_and_logout_urls_must_be_absolute_without_fragment() {
    let mut bad = settings("regular_web");
    bad.callbacks = vec!["/relative".into()];
    assert!(registered(&bad)
        .unwrap_err()
        .contains("callback `/relative`"));
    bad = settings("regular_web");
    bad.callbacks = vec!["https://app.example.com/cb#frag".into()];
    assert!(registered(&bad).unwrap_err().contains("callback"));
    bad = settings("regular_web");
    bad.allowed_logout_urls = vec!["not a url".into()];
    assert!(registered(&bad)
        .unwrap_err()
        .contains("allowed logout URL `not a url`"));
}

#[test]
fn refresh_token_settings_are_checked_and_infinite_means_none() {
    let mut bad = settings("regular_web");
    bad.refresh_token.rotation_type = "sometimes".into();
    assert!(registered(&bad)
        .unwrap_err()
        .contains("rotation_type `sometimes`"));
    bad = settings("regular_web");
    bad.refresh_token.leeway = -1;
    assert!(registered(&bad).unwrap_err().contains("leeway"));
    bad = settings("regular_web");
    bad.refresh_token.idle_token_lifetime = 0;
    assert!(registered(&bad).unwrap_err().contains("lifetimes"));

    let mut infinite = settings("regular_web");
    infinite.refresh_token = RefreshTokenSettings {
        rotation_type: "rotating".into(),
        infinite_token_lifetime: true,
        ..RefreshTokenSettings::default()
    };
    let policy = registered(&infinite).unwrap().refresh_token;
    assert_eq!(policy.rotation_type, Rotation::Rotating);
    assert_eq!(policy.token_lifetime, None);
    assert_eq!(
        policy.idle_token_lifetime,
        RefreshTokenPolicy::default().idle_token_lifetime
    );
}

#[test]
fn settings_of_a_registered_client_register_the_same_client() {
    let mut original = settings("native");
    original.refresh_token.rotation_type = "rotating".into();
    original.refresh_token.infinite_idle_token_lifetime = true;
    original.allowed_logout_urls = vec!["https://app.example.com/".into()];
    let client = registered(&original).unwrap();
    let again = registered(&ClientSettings::of(&client)).unwrap();
    assert_eq!(again, client);
    assert_eq!(
        RefreshTokenSettings::of(&RefreshTokenPolicy::default()),
        RefreshTokenSettings::default()
    );
}

#[test]
fn a_new_app_type_brings_its_own_defaults() {
    let client = registered(&settings("regular_web")).unwrap();
    let mut changed = ClientSettings::of(&client);
    changed.change_app_type("spa".into());
    let spa = registered(&changed).unwrap();
    assert!(spa.is_public());
    assert_eq!(
        spa.grant_types,
        [GrantType::AuthorizationCode, GrantType::RefreshToken]
    );
}

#[test]
fn a_configured_secret_is_required_exactly_for_confidential_clients() {
    let confidential = registered(&settings("regular_web")).unwrap();
    assert_eq!(
        configured_secret(&confidential, Some("s3cret")).unwrap(),
        Some(SecretDigest::of("s3cret"))
    );
    assert!(configured_secret(&confidential, None)
        .unwrap_err()
        .to_string()
        .contains("client_secret must be set"));
    assert!(configured_secret(&confidential, Some("")).is_err());
    let public = registered(&settings("spa")).unwrap();
    assert_eq!(configured_secret(&public, None).unwrap(), None);
    assert!(configured_secret(&public, Some("s3cret"))
        .unwrap_err()
        .to_string()
        .contains("public client"));
}

fn api(identifier: &str) -> ApiSettings {
    ApiSettings {
        scopes: vec![("read:orders".into(), "Read your orders".into())],
        ..ApiSettings::new("5f1a2b3c4d5e6f708192a3b4".into(), identifier.into())
    }
}

#[test]
fn a_new_api_gets_auth0s_defaults() {
    let registered = register_api(&ApiSettings::new(
        "5f1a2b3c4d5e6f708192a3b4".into(),
        "https://api.example.com/".into(),
    ))
    .unwrap();
    assert_eq!(registered.id, "5f1a2b3c4d5e6f708192a3b4");
    assert_eq!(registered.name, "https://api.example.com/");
    assert_eq!(registered.token_lifetime, 86_400);
    assert_eq!(registered.signing_alg, "RS256");
    assert!(!registered.allow_offline_access);
    assert!(!registered.skip_consent_for_verifiable_first_party_clients);
}

#[test]
fn api_settings_are_checked_by_field() {
    let mut bad = api("orders");
    bad.signing_alg = "HS256".into();
    assert!(register_api(&bad)
        .unwrap_err()
        .to_string()
        .contains("signing_alg `HS256`"));
    bad = api("orders");
    bad.token_lifetime = 0;
    assert!(register_api(&bad)
        .unwrap_err()
        .to_string()
        .contains("token_lifetime"));
    bad = api("orders");
    bad.scopes = vec![("two words".into(), String::new())];
    assert!(register_api(&bad)
        .unwrap_err()
        .to_string()
        .contains("scopes"));
    assert!(register_api(&api(""))
        .unwrap_err()
        .to_string()
        .contains("identifier"));
    for alg in SIGNING_ALGORITHMS {
        let mut ok = api("orders");
        ok.signing_alg = alg.into();
        assert!(register_api(&ok).is_ok(), "{alg}");
    }
}

#[test]
fn settings_of_a_registered_api_register_the_same_api() {
    let mut original = api("orders");
    original.allow_offline_access = true;
    original.signing_alg = "ES256".into();
    original.proof_of_possession = Some(ProofOfPossessionSettings {
        mechanism: "dpop".into(),
        required: true,
    });
    let registered = register_api(&original).unwrap();
    assert_eq!(ApiSettings::of(&registered), original);
}

#[test]
fn an_api_takes_dpop_as_its_proof_of_possession_and_no_other_mechanism() {
    let registered = register_api(&api("orders")).unwrap();
    assert_eq!(
        registered.proof_of_possession, None,
        "Auth0's default: none"
    );
    let mut dpop = api("orders");
    dpop.proof_of_possession = Some(ProofOfPossessionSettings {
        mechanism: "dpop".into(),
        required: false,
    });
    assert_eq!(
        register_api(&dpop).unwrap().proof_of_possession,
        Some(ProofOfPossession {
            mechanism: PopMechanism::Dpop,
            required: false,
        })
    );
    for mechanism in ["mtls", "DPoP", ""] {
        let mut other = api("orders");
        other.proof_of_possession = Some(ProofOfPossessionSettings {
            mechanism: mechanism.into(),
            required: true,
        });
        let error = register_api(&other).unwrap_err().to_string();
        assert!(
            error.contains(&format!("proof_of_possession.mechanism `{mechanism}`"))
                && error.contains("only dpop"),
            "{error}"
        );
    }
}

#[test]
fn a_client_keeps_its_proof_of_possession_requirement() {
    let mut required = settings("spa");
    required.require_proof_of_possession = true;
    let client = registered(&required).unwrap();
    assert!(client.require_proof_of_possession);
    assert!(ClientSettings::of(&client).require_proof_of_possession);
    assert!(
        !registered(&settings("spa"))
            .unwrap()
            .require_proof_of_possession
    );
}

#[test]
fn a_client_keeps_a_valid_logo_uri() {
    let long = format!("https://cdn.example.com/{}", "a".repeat(2048 - 24));
    assert_eq!(long.len(), 2048);
    for logo in [
        "https://cdn.example.com/logo.png",
        "https://cdn.example.com/logos/app.svg?v=2&size=150",
        "http://localhost:3000/logo.png",
        "http://127.0.0.1/logo.png",
        long.as_str(),
    ] {
        let mut with_logo = settings("spa");
        with_logo.logo_uri = Some(logo.into());
        let client = registered(&with_logo).unwrap();
        assert_eq!(client.logo_uri.as_deref(), Some(logo));
        assert_eq!(ClientSettings::of(&client).logo_uri.as_deref(), Some(logo));
    }
    assert_eq!(registered(&settings("spa")).unwrap().logo_uri, None);
    let mut empty = settings("spa");
    empty.logo_uri = Some(String::new());
    assert_eq!(registered(&empty).unwrap().logo_uri, None, "empty is none");
}

#[test]
fn a_logo_uri_must_be_a_safe_absolute_https_url() {
    let too_long = format!("https://cdn.example.com/{}", "a".repeat(2048));
    for logo in [
        "logo.png",
        "/logo.png",
        "//cdn.example.com/logo.png",
        "http://cdn.example.com/logo.png",
        "http://localhost.evil.example/logo.png",
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "ftp://cdn.example.com/logo.png",
        "https://cdn.example.com/a logo.png",
        "https://cdn.example.com/logo.png\n",
        "https://cdn.example.com/\"onerror=\"alert(1)",
        "https://cdn.example.com/'x",
        "https://cdn.example.com/<script>",
        "https://cdn.example.com\\logo.png",
        "https://user:pass@cdn.example.com/logo.png",
        too_long.as_str(),
    ] {
        let mut bad = settings("spa");
        bad.logo_uri = Some(logo.into());
        let error = registered(&bad).unwrap_err();
        assert!(error.starts_with("logo_uri must be"), "{logo}: {error}");
    }
}
