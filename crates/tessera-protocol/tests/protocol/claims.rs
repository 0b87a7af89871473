use crate::common::{client_id, scopes, API_ID, ISSUER};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tessera_protocol::claims::{
    access_token_claims, at_hash, id_token_claims, userinfo_audience, Audience, IdTokenClaims,
    IdTokenFacts, Profile, StandardClaims, TokenContext, UserinfoClaims,
};
use tessera_protocol::{ClientId, ScopeSet, Timestamp};

const NOW: Timestamp = Timestamp(1_700_000_000);
const USERINFO: &str = "https://tessera.example.com/userinfo";

fn ctx<'a>(client: &'a ClientId, scope: &'a ScopeSet) -> TokenContext<'a> {
    TokenContext {
        issuer: ISSUER,
        client_id: client,
        user_id: "auth0|user1",
        scope,
        now: NOW,
    }
}

fn profile() -> Profile {
    Profile {
        sub: "auth0|user1".to_owned(),
        name: "Ada Lovelace".to_owned(),
        given_name: Some("Ada".to_owned()),
        family_name: None,
        nickname: "ada".to_owned(),
        picture: None,
        email: "ada@example.com".to_owned(),
        email_verified: true,
        updated_at: Timestamp(1_600_000_000),
    }
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

fn independent_at_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

#[test]
fn userinfo_audience_is_issuer_followed_by_userinfo() {
    assert_eq!(userinfo_audience(ISSUER), USERINFO);
}

#[test]
fn access_token_aud_is_the_api_alone_without_openid() {
    let (id, scope) = (client_id(), scopes("read:items"));
    let claims = access_token_claims(ctx(&id, &scope), Some(API_ID), 3600, "jti-1".to_owned());
    assert_eq!(claims.aud, Audience::One(API_ID.to_owned()));
    assert_eq!(serde_json::to_value(&claims).unwrap()["aud"], json!(API_ID));
}

#[test]
fn access_token_aud_is_the_api_and_userinfo_with_openid() {
    let (id, scope) = (client_id(), scopes("openid read:items"));
    let claims = access_token_claims(ctx(&id, &scope), Some(API_ID), 3600, "jti-1".to_owned());
    assert_eq!(
        claims.aud,
        Audience::Many(vec![API_ID.to_owned(), USERINFO.to_owned()])
    );
    assert_eq!(
        serde_json::to_value(&claims).unwrap()["aud"],
        json!([API_ID, USERINFO])
    );
}

#[test]
fn access_token_aud_is_userinfo_alone_without_api() {
    for scope in ["openid profile", ""] {
        let (id, scope) = (client_id(), scopes(scope));
        let claims = access_token_claims(ctx(&id, &scope), None, 3600, "jti-1".to_owned());
        assert_eq!(claims.aud, Audience::One(USERINFO.to_owned()));
    }
}

#[test]
fn access_token_exp_is_iat_plus_lifetime() {
    let (id, scope) = (client_id(), scopes("openid"));
    let claims = access_token_claims(ctx(&id, &scope), Some(API_ID), 86_400, "jti-1".to_owned());
    assert_eq!(claims.iat, NOW);
    assert_eq!(claims.exp, Timestamp(NOW.0 + 86_400));
}

#[test]
fn access_token_client_id_and_azp_are_the_client() {
    let (id, scope) = (client_id(), scopes("openid read:items"));
    let claims = access_token_claims(ctx(&id, &scope), Some(API_ID), 60, "jti-9".to_owned());
    assert_eq!(claims.client_id, id);
    assert_eq!(claims.azp, id);
    assert_eq!(claims.iss, ISSUER);
    assert_eq!(claims.sub, "auth0|user1");
    assert_eq!(claims.scope, scope);
    assert_eq!(claims.jti, "jti-9");
}

#[test]
fn access_token_claims_json_shape() {
    let (id, scope) = (client_id(), scopes("openid read:items"));
    let claims = access_token_claims(ctx(&id, &scope), Some(API_ID), 60, "jti-9".to_owned());
    let value = serde_json::to_value(&claims).unwrap();
    assert_eq!(
        value,
        json!({
            "iss": ISSUER,
            "sub": "auth0|user1",
            "aud": [API_ID, USERINFO],
            "client_id": "app1",
            "azp": "app1",
            "scope": "openid read:items",
            "iat": 1_700_000_000,
            "exp": 1_700_000_060,
            "jti": "jti-9",
        })
    );
    let back: tessera_protocol::claims::AccessTokenClaims = serde_json::from_value(value).unwrap();
    assert_eq!(back, claims);
}

#[test]
fn audience_contains_checks_every_member() {
    assert!(Audience::One("a".to_owned()).contains("a"));
    assert!(!Audience::One("a".to_owned()).contains("b"));
    let many = Audience::Many(vec!["a".to_owned(), "b".to_owned()]);
    assert!(many.contains("b"));
    assert!(!many.contains("c"));
    assert_eq!(
        serde_json::from_str::<Audience>("\"a\"").unwrap(),
        Audience::One("a".to_owned())
    );
    assert_eq!(
        serde_json::from_str::<Audience>("[\"a\",\"b\"]").unwrap(),
        many
    );
}

#[test]
fn at_hash_matches_the_oidc_core_example() {
    // OpenID Connect Core 1.0, Appendix A.3.
    let token = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
    assert_eq!(at_hash(token), "77QmUPtjPfzWtF2AnpK9RQ");
    assert_eq!(at_hash(token), independent_at_hash(token));
}

#[test]
fn at_hash_is_base64url_of_the_left_half_of_sha256() {
    for token in [
        "",
        "a",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
        "tok-\u{e9}",
    ] {
        let hash = at_hash(token);
        assert_eq!(hash, independent_at_hash(token), "{token:?}");
        assert_eq!(hash.len(), 22);
        assert!(!hash.contains('=') && !hash.contains('+') && !hash.contains('/'));
    }
}

#[test]
fn standard_claims_for_profile_scope_are_the_names_picture_and_updated_at_the_user_has() {
    let claims = StandardClaims::for_scope(&profile(), &scopes("openid profile"));
    assert_eq!(
        claims,
        StandardClaims {
            name: Some("Ada Lovelace".to_owned()),
            given_name: Some("Ada".to_owned()),
            family_name: None,
            nickname: Some("ada".to_owned()),
            picture: None,
            updated_at: Some(Timestamp(1_600_000_000)),
            email: None,
            email_verified: None,
        }
    );
}

#[test]
fn standard_claims_for_email_scope_are_email_and_email_verified() {
    let claims = StandardClaims::for_scope(&profile(), &scopes("openid email"));
    assert_eq!(
        claims,
        StandardClaims {
            name: None,
            given_name: None,
            family_name: None,
            nickname: None,
            picture: None,
            updated_at: None,
            email: Some("ada@example.com".to_owned()),
            email_verified: Some(true),
        }
    );
}

#[test]
fn standard_claims_for_openid_alone_are_empty() {
    assert_eq!(
        StandardClaims::for_scope(&profile(), &scopes("openid read:items")),
        StandardClaims::default()
    );
}

#[test]
fn standard_claims_serialization_skips_absent_claims() {
    let profile_only =
        serde_json::to_value(StandardClaims::for_scope(&profile(), &scopes("profile"))).unwrap();
    assert_eq!(
        profile_only,
        json!({"name": "Ada Lovelace", "given_name": "Ada", "nickname": "ada", "updated_at": 1_600_000_000}),
        "family_name and picture, which Ada has not, are left out"
    );
    let email_only =
        serde_json::to_value(StandardClaims::for_scope(&profile(), &scopes("email"))).unwrap();
    assert_eq!(
        email_only,
        json!({"email": "ada@example.com", "email_verified": true})
    );
    assert_eq!(
        serde_json::to_string(&StandardClaims::default()).unwrap(),
        "{}"
    );
}

#[test]
fn standard_claims_email_verified_false_is_still_released() {
    let mut p = profile();
    p.email_verified = false;
    let value = serde_json::to_value(StandardClaims::for_scope(&p, &scopes("email"))).unwrap();
    assert_eq!(value["email_verified"], json!(false));
}

#[test]
fn userinfo_claims_flatten_standard_claims() {
    let claims = UserinfoClaims {
        sub: "auth0|user1".to_owned(),
        standard: StandardClaims::for_scope(&profile(), &scopes("openid email")),
    };
    let value = serde_json::to_value(&claims).unwrap();
    assert_eq!(
        value,
        json!({"sub": "auth0|user1", "email": "ada@example.com", "email_verified": true})
    );
    assert_eq!(
        serde_json::from_value::<UserinfoClaims>(value).unwrap(),
        claims
    );
}

fn facts<'a>(
    profile: &'a Profile,
    nonce: Option<&'a str>,
    access_token: Option<&'a str>,
    sid: Option<&'a str>,
) -> IdTokenFacts<'a> {
    IdTokenFacts {
        amr: None,
        profile,
        auth_time: NOW,
        nonce,
        access_token,
        sid,
        lifetime: 60,
    }
}

#[test]
fn id_token_claims_are_for_the_client() {
    let (id, scope, p) = (client_id(), scopes("openid profile email"), profile());
    let claims = id_token_claims(
        ctx(&id, &scope),
        IdTokenFacts {
            amr: None,
            profile: &p,
            auth_time: Timestamp(NOW.0 - 30),
            nonce: Some("n-1"),
            access_token: Some("access.token"),
            sid: Some("sid-1"),
            lifetime: 36_000,
        },
    );
    assert_eq!(claims.iss, ISSUER);
    assert_eq!(claims.sub, "auth0|user1");
    assert_eq!(claims.aud, id);
    assert_eq!(claims.iat, NOW);
    assert_eq!(claims.exp, Timestamp(NOW.0 + 36_000));
    assert_eq!(claims.auth_time, Timestamp(NOW.0 - 30));
    assert_eq!(claims.nonce.as_deref(), Some("n-1"));
    assert_eq!(
        claims.at_hash.as_deref(),
        Some(independent_at_hash("access.token").as_str())
    );
    assert_eq!(claims.sid.as_deref(), Some("sid-1"));
    assert_eq!(claims.standard, StandardClaims::for_scope(&p, &scope));
}

#[test]
fn id_token_json_has_nonce_only_when_given() {
    let (id, scope, p) = (client_id(), scopes("openid"), profile());
    let with = id_token_claims(ctx(&id, &scope), facts(&p, Some("n-1"), Some("at"), None));
    let with_json = serde_json::to_value(&with).unwrap();
    assert_eq!(with_json["nonce"], json!("n-1"));
    assert_eq!(
        keys(&with_json),
        [
            "at_hash",
            "aud",
            "auth_time",
            "exp",
            "iat",
            "iss",
            "nonce",
            "sub"
        ]
    );

    let without = id_token_claims(ctx(&id, &scope), facts(&p, None, Some("at"), None));
    let without_json = serde_json::to_value(&without).unwrap();
    assert_eq!(without.nonce, None);
    assert!(without_json.get("nonce").is_none());
    assert_eq!(
        keys(&without_json),
        ["at_hash", "aud", "auth_time", "exp", "iat", "iss", "sub"]
    );
}

/// OIDC Core §3.1.3.6 / §3.2.2.10: `at_hash` binds the ID token to the access token issued
/// with it; an ID token issued alone (`response_type=id_token`) has none.
#[test]
fn id_token_has_at_hash_only_when_an_access_token_is_given() {
    let (id, scope, p) = (client_id(), scopes("openid"), profile());
    let with = id_token_claims(
        ctx(&id, &scope),
        facts(&p, None, Some("access.token"), None),
    );
    assert_eq!(
        with.at_hash.as_deref(),
        Some(independent_at_hash("access.token").as_str())
    );
    assert_eq!(
        serde_json::to_value(&with).unwrap()["at_hash"],
        json!(independent_at_hash("access.token"))
    );

    let without = id_token_claims(ctx(&id, &scope), facts(&p, None, None, None));
    assert_eq!(without.at_hash, None);
    let without_json = serde_json::to_value(&without).unwrap();
    assert!(without_json.get("at_hash").is_none());
    assert_eq!(
        keys(&without_json),
        ["aud", "auth_time", "exp", "iat", "iss", "sub"]
    );
}

#[test]
fn id_token_has_sid_only_when_given() {
    let (id, scope, p) = (client_id(), scopes("openid"), profile());
    let with = id_token_claims(ctx(&id, &scope), facts(&p, None, None, Some("sid-42")));
    assert_eq!(with.sid.as_deref(), Some("sid-42"));
    let with_json = serde_json::to_value(&with).unwrap();
    assert_eq!(with_json["sid"], json!("sid-42"));
    assert_eq!(
        serde_json::from_value::<IdTokenClaims>(with_json).unwrap(),
        with
    );

    let without = id_token_claims(ctx(&id, &scope), facts(&p, None, None, None));
    assert_eq!(without.sid, None);
    assert!(serde_json::to_value(&without).unwrap().get("sid").is_none());
}

#[test]
fn id_token_json_flattens_standard_claims() {
    let (id, scope, p) = (client_id(), scopes("openid profile"), profile());
    let claims = id_token_claims(ctx(&id, &scope), facts(&p, None, Some("at"), None));
    let value = serde_json::to_value(&claims).unwrap();
    assert_eq!(value["aud"], json!("app1"));
    assert_eq!(value["name"], json!("Ada Lovelace"));
    assert_eq!(value["updated_at"], json!(1_600_000_000));
    assert!(value.get("email").is_none());
    assert!(value.get("standard").is_none());
    assert_eq!(
        serde_json::from_value::<IdTokenClaims>(value).unwrap(),
        claims
    );
}
