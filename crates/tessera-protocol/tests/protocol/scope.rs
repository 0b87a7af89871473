use crate::common::scopes;
use tessera_protocol::scope::{InvalidScope, OFFLINE_ACCESS, OIDC_SCOPES, OPENID};
use tessera_protocol::{Scope, ScopeSet};

fn names(set: &ScopeSet) -> Vec<&str> {
    set.iter().map(Scope::as_str).collect()
}

#[test]
fn scope_accepts_every_nqchar() {
    let all: String = (0x21u8..=0x7E)
        .filter(|b| *b != b'"' && *b != b'\\')
        .map(char::from)
        .collect();
    assert_eq!(all.len(), 92);
    assert_eq!(Scope::parse(&all).unwrap().as_str(), all);
    for b in (0x21u8..=0x7E).filter(|b| *b != b'"' && *b != b'\\') {
        let token = char::from(b).to_string();
        assert!(Scope::parse(&token).is_ok(), "{token:?} is NQCHAR");
    }
}

#[test]
fn scope_rejects_double_quote() {
    assert_eq!(
        Scope::parse("read\"items"),
        Err(InvalidScope("read\"items".to_owned()))
    );
}

#[test]
fn scope_rejects_backslash() {
    assert_eq!(
        Scope::parse("read\\items"),
        Err(InvalidScope("read\\items".to_owned()))
    );
}

#[test]
fn scope_rejects_space() {
    assert_eq!(
        Scope::parse("read items"),
        Err(InvalidScope("read items".to_owned()))
    );
}

#[test]
fn scope_rejects_non_ascii() {
    assert_eq!(
        Scope::parse("lire:élément"),
        Err(InvalidScope("lire:élément".to_owned()))
    );
    assert!(Scope::parse("\u{80}").is_err());
}

#[test]
fn scope_rejects_control_characters_and_del() {
    for token in ["a\tb", "a\nb", "a\u{0}b", "a\u{7f}b"] {
        assert_eq!(Scope::parse(token), Err(InvalidScope(token.to_owned())));
    }
}

#[test]
fn scope_rejects_empty_token() {
    assert_eq!(Scope::parse(""), Err(InvalidScope(String::new())));
}

#[test]
fn scope_invalid_error_message_names_the_token() {
    assert_eq!(
        Scope::parse("a\"b").unwrap_err().to_string(),
        "`a\"b` is not a valid scope token"
    );
}

#[test]
fn scope_is_oidc_only_for_the_standard_scopes() {
    assert_eq!(
        OIDC_SCOPES,
        ["openid", "profile", "email", "offline_access"]
    );
    for s in OIDC_SCOPES {
        assert!(Scope::parse(s).unwrap().is_oidc(), "{s}");
    }
    for s in ["read:items", "OpenID", "address", "phone", "openid2"] {
        assert!(!Scope::parse(s).unwrap().is_oidc(), "{s}");
    }
    assert_eq!(OPENID, "openid");
    assert_eq!(OFFLINE_ACCESS, "offline_access");
}

#[test]
fn scope_display_is_the_token() {
    assert_eq!(
        Scope::parse("read:items").unwrap().to_string(),
        "read:items"
    );
}

#[test]
fn scope_serde_round_trip() {
    let scope = Scope::parse("read:items").unwrap();
    let json = serde_json::to_string(&scope).unwrap();
    assert_eq!(json, "\"read:items\"");
    assert_eq!(serde_json::from_str::<Scope>(&json).unwrap(), scope);
    assert!(serde_json::from_str::<Scope>("\"a b\"").is_err());
    assert!(serde_json::from_str::<Scope>("\"\"").is_err());
}

#[test]
fn scope_set_parse_dedups_preserving_first_occurrence_order() {
    let set = scopes("profile openid profile email openid");
    assert_eq!(names(&set), ["profile", "openid", "email"]);
}

#[test]
fn scope_set_parse_ignores_extra_spaces() {
    assert_eq!(names(&scopes("  openid   profile ")), ["openid", "profile"]);
}

#[test]
fn scope_set_parse_empty_is_empty_set() {
    assert!(scopes("").is_empty());
    assert!(scopes("   ").is_empty());
    assert_eq!(scopes(""), ScopeSet::default());
}

#[test]
fn scope_set_parse_rejects_an_invalid_token() {
    assert_eq!(
        ScopeSet::parse("openid re\"ad"),
        Err(InvalidScope("re\"ad".to_owned()))
    );
    assert_eq!(
        ScopeSet::parse("openid caf\u{e9}"),
        Err(InvalidScope("caf\u{e9}".to_owned()))
    );
}

#[test]
fn scope_set_delimiter_is_space_only() {
    assert_eq!(
        ScopeSet::parse("openid\tprofile"),
        Err(InvalidScope("openid\tprofile".to_owned()))
    );
    // A comma is a valid NQCHAR, so "a,b" is a single scope.
    assert_eq!(names(&scopes("a,b")), ["a,b"]);
}

#[test]
fn scope_set_contains_is_exact() {
    let set = scopes("openid read:items");
    assert!(set.contains("openid"));
    assert!(set.contains("read:items"));
    assert!(!set.contains("read"));
    assert!(!set.contains("OPENID"));
    assert!(!set.contains(""));
}

#[test]
fn scope_set_insert_ignores_duplicates() {
    let mut set = scopes("openid");
    set.insert(Scope::parse("profile").unwrap());
    set.insert(Scope::parse("openid").unwrap());
    set.insert(Scope::parse("profile").unwrap());
    assert_eq!(names(&set), ["openid", "profile"]);
}

#[test]
fn scope_set_subset_ignores_order() {
    assert!(scopes("b a").is_subset_of(&scopes("a b c")));
    assert!(scopes("a b c").is_subset_of(&scopes("c b a")));
    assert!(scopes("").is_subset_of(&scopes("a")));
    assert!(scopes("").is_subset_of(&scopes("")));
    assert!(!scopes("a d").is_subset_of(&scopes("a b c")));
    assert!(!scopes("a").is_subset_of(&scopes("")));
}

#[test]
fn scope_set_union_keeps_self_then_appends_missing() {
    let merged = scopes("a b").union(&scopes("c b d a"));
    assert_eq!(names(&merged), ["a", "b", "c", "d"]);
    assert_eq!(scopes("").union(&scopes("x y")), scopes("x y"));
    assert_eq!(scopes("x y").union(&scopes("")), scopes("x y"));
}

#[test]
fn scope_set_filter_keeps_order_of_retained_scopes() {
    let set = scopes("openid read:items profile write:items");
    let api_only = set.filter(|s| !s.is_oidc());
    assert_eq!(names(&api_only), ["read:items", "write:items"]);
    assert!(set.filter(|_| false).is_empty());
    assert_eq!(set.filter(|_| true), set);
}

#[test]
fn scope_set_display_is_space_delimited_in_order() {
    assert_eq!(
        scopes("openid profile read:items").to_string(),
        "openid profile read:items"
    );
    assert_eq!(scopes("b a b").to_string(), "b a");
    assert_eq!(ScopeSet::default().to_string(), "");
}

#[test]
fn scope_set_equality_is_order_sensitive() {
    // Documents current behaviour: ScopeSet keeps order, so equal sets in different orders differ.
    assert_ne!(scopes("a b"), scopes("b a"));
    assert!(
        scopes("a b").is_subset_of(&scopes("b a")) && scopes("b a").is_subset_of(&scopes("a b"))
    );
}

#[test]
fn scope_set_serde_round_trip() {
    let set = scopes("openid profile read:items");
    let json = serde_json::to_string(&set).unwrap();
    assert_eq!(json, "\"openid profile read:items\"");
    assert_eq!(serde_json::from_str::<ScopeSet>(&json).unwrap(), set);
    assert_eq!(serde_json::to_string(&ScopeSet::default()).unwrap(), "\"\"");
    assert_eq!(
        serde_json::from_str::<ScopeSet>("\"\"").unwrap(),
        ScopeSet::default()
    );
    assert_eq!(
        serde_json::from_str::<ScopeSet>("\"a a b\"").unwrap(),
        scopes("a b")
    );
}

#[test]
fn scope_set_deserialize_rejects_invalid_token() {
    let err = serde_json::from_str::<ScopeSet>("\"openid bad\\\\scope\"").unwrap_err();
    assert!(
        err.to_string().contains("is not a valid scope token"),
        "{err}"
    );
    assert!(serde_json::from_str::<ScopeSet>("[\"openid\"]").is_err());
}
