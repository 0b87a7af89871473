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
