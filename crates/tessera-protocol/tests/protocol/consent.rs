use crate::common::scopes;
use tessera_protocol::consent::{consent_needed, consentable, grant_after_allow};
use tessera_protocol::ScopeSet;

#[test]
fn consentable_drops_openid_only() {
    assert_eq!(
        consentable(&scopes("openid profile read:items offline_access")),
        scopes("profile read:items offline_access")
    );
    assert_eq!(consentable(&scopes("openid")), ScopeSet::default());
    assert_eq!(consentable(&scopes("read:items")), scopes("read:items"));
}

#[test]
fn consent_needed_without_stored_grant() {
    assert!(consent_needed(None, &scopes("openid read:items")));
    assert!(consent_needed(None, &scopes("read:items")));
}

#[test]
fn consent_needed_is_false_when_grant_covers_consentable_scopes() {
    let granted = scopes("read:items profile");
    assert!(!consent_needed(
        Some(&granted),
        &scopes("openid read:items")
    ));
    assert!(!consent_needed(
        Some(&granted),
        &scopes("profile read:items")
    ));
    assert!(!consent_needed(
        Some(&ScopeSet::default()),
        &scopes("openid")
    ));
    assert!(!consent_needed(Some(&granted), &ScopeSet::default()));
}

#[test]
fn consent_needed_when_a_new_scope_is_requested() {
    let granted = scopes("read:items");
    assert!(consent_needed(
        Some(&granted),
        &scopes("openid read:items write:items")
    ));
    assert!(consent_needed(Some(&granted), &scopes("email")));
}

#[test]
fn grant_after_allow_unions_earlier_grant_with_request() {
    let granted = scopes("read:items profile");
    assert_eq!(
        grant_after_allow(
            Some(&granted),
            &scopes("openid write:items read:items email")
        ),
        scopes("read:items profile write:items email")
    );
}

#[test]
fn grant_after_allow_without_earlier_grant_is_consentable_request() {
    assert_eq!(
        grant_after_allow(None, &scopes("openid read:items profile")),
        scopes("read:items profile")
    );
    assert_eq!(
        grant_after_allow(None, &scopes("openid")),
        ScopeSet::default()
    );
}

#[test]
fn grant_after_allow_never_narrows_the_earlier_grant() {
    let granted = scopes("read:items write:items");
    assert_eq!(
        grant_after_allow(Some(&granted), &scopes("openid read:items")),
        granted
    );
}

#[test]
fn consent_not_needed_for_sign_in_alone() {
    assert!(!consent_needed(None, &scopes("openid")));
}
