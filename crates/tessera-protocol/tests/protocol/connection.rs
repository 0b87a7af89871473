use tessera_protocol::connection::{valid_connection_name, Strategy};

#[test]
fn oidc_user_ids_name_the_connection_as_auth0s_do() {
    assert_eq!(
        Strategy::Oidc.user_id("corp", "248289761001"),
        "oidc|corp|248289761001"
    );
    assert_eq!(Strategy::Oidc.identity_user_id("corp", "a|b"), "corp|a|b");
    assert!(!Strategy::Oidc.is_social());
}

#[test]
fn strategies_parse_only_their_own_names() {
    assert_eq!(Strategy::parse("oidc"), Some(Strategy::Oidc));
    assert_eq!(Strategy::parse("auth0"), Some(Strategy::Database));
    assert_eq!(Strategy::parse("OIDC"), None);
    assert_eq!(Strategy::parse("samlp"), None);
}

#[test]
fn connection_names_are_letters_digits_and_inner_hyphens() {
    assert!(valid_connection_name("corp-idp"));
    assert!(valid_connection_name("Username-Password-Authentication"));
    for bad in [
        "",
        "-corp",
        "corp-",
        "corp idp",
        "corp|idp",
        "côrp",
        &"a".repeat(129),
    ] {
        assert!(!valid_connection_name(bad), "{bad:?}");
    }
}

#[test]
fn a_login_at_another_provider_then_a_code_is_two_factors() {
    use tessera_protocol::mfa::{Amr, AuthMethod};
    assert!(!Amr::federated().is_multi_factor());
    let both = Amr::federated().and(AuthMethod::Otp);
    assert!(both.is_multi_factor());
    assert_eq!(both.to_string(), "otp mfa fed");
    assert_eq!(Amr::parse("fed"), Amr::federated());
    assert_ne!(Amr::federated(), Amr::password());
}

#[test]
fn social_user_ids_follow_auth0s_shapes() {
    assert_eq!(
        Strategy::OAuth2.user_id("acme", "42"),
        "oauth2|acme|42",
        "a custom social connection names itself"
    );
    assert_eq!(
        Strategy::Google.user_id("google-oauth2", "1077"),
        "google-oauth2|1077"
    );
    assert_eq!(
        Strategy::GitHub.user_id("github", "583231"),
        "github|583231"
    );
    assert_eq!(
        Strategy::GitHub.identity_user_id("github", "583231"),
        "583231"
    );
    for social in [Strategy::OAuth2, Strategy::Google, Strategy::GitHub] {
        assert!(social.is_social(), "{social}");
        assert_eq!(Strategy::parse(social.as_str()), Some(social));
    }
    assert!(Strategy::Google.is_openid() && Strategy::Oidc.is_openid());
    assert!(!Strategy::GitHub.is_openid() && !Strategy::OAuth2.is_openid());
}

mod profiles {
    use serde_json::json;
    use tessera_protocol::connection::{map_profile, FieldsMap};

    fn fields(pairs: &[(&str, &str)]) -> FieldsMap {
        pairs
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn a_numeric_id_and_mapped_fields_make_auth0s_profile() {
        let github = json!({
            "id": 583231, "login": "octocat", "name": "The Octocat",
            "avatar_url": "https://avatars.example/u/583231", "email": null,
        });
        let mapped = map_profile(
            &github,
            &fields(&[
                ("nickname", "login"),
                ("picture", "avatar_url"),
                ("email", "email"),
            ]),
        )
        .unwrap();
        assert_eq!(mapped.upstream_id, "583231");
        assert_eq!(mapped.profile["nickname"], "octocat");
        assert_eq!(
            mapped.profile["picture"],
            "https://avatars.example/u/583231"
        );
        assert_eq!(
            mapped.profile["login"], "octocat",
            "the provider's fields stay"
        );
        assert!(
            !mapped.profile.contains_key("email"),
            "a null field maps to nothing"
        );
    }

    #[test]
    fn the_id_comes_from_the_mapping_or_the_usual_fields() {
        let nested = json!({ "data": { "account": { "uuid": "u-1" }, "mail": "a@b.example" } });
        let mapped = map_profile(
            &nested,
            &fields(&[("user_id", "data.account.uuid"), ("email", "data.mail")]),
        )
        .unwrap();
        assert_eq!(mapped.upstream_id, "u-1");
        assert_eq!(mapped.profile["email"], "a@b.example");
        assert!(!mapped.profile.contains_key("user_id"));
        let userinfo = json!({ "sub": "auth0|abc", "email": "j@example.com" });
        assert_eq!(
            map_profile(&userinfo, &FieldsMap::new())
                .unwrap()
                .upstream_id,
            "auth0|abc"
        );
    }

    #[test]
    fn githubs_primary_address_counts_only_once_verified() {
        use tessera_protocol::connection::primary_verified_email;
        let emails = json!([
            { "email": "old@example.com", "primary": false, "verified": true },
            { "email": "octo@example.com", "primary": true, "verified": true, "visibility": null },
        ]);
        assert_eq!(
            primary_verified_email(&emails).as_deref(),
            Some("octo@example.com")
        );
        let unverified =
            json!([{ "email": "octo@example.com", "primary": true, "verified": false }]);
        assert_eq!(primary_verified_email(&unverified), None);
        assert_eq!(
            primary_verified_email(&json!({ "message": "Not Found" })),
            None
        );
    }

    #[test]
    fn a_profile_without_an_id_is_refused() {
        for bad in [
            json!({ "name": "no id" }),
            json!({ "id": "" }),
            json!({ "id": true }),
            json!({ "id": { "nested": 1 } }),
            json!(["id", 1]),
            json!("id"),
        ] {
            assert!(map_profile(&bad, &FieldsMap::new()).is_err(), "{bad}");
        }
        let missing_path = json!({ "id": 1 });
        assert!(map_profile(&missing_path, &fields(&[("user_id", "account.id")])).is_err());
    }
}
