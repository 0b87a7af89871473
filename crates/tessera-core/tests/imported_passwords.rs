//! Password hashes made by other ecosystems' libraries (the fixtures' generate.py and
//! generate.mjs: Python's bcrypt, passlib, argon2-cffi, hashlib, hmac; Node's bcryptjs and
//! node:crypto), as Auth0's user import carries them, verify with their passwords and only
//! with them — directly and through the stored form login uses.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use tessera_core::crypto::{imported_hash_text, is_imported, Passwords};
use tessera_core::imported_password::CustomPasswordHash;

fn fixture_users() -> Vec<Value> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/auth0-import");
    ["python-users.json", "node-users.json"]
        .iter()
        .flat_map(|file| {
            let text = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
            serde_json::from_str::<Vec<Value>>(&text).unwrap()
        })
        .collect()
}

/// The user's hash as an import reads it: `password_hash` (bcrypt) or `custom_password_hash`.
fn hash_of(user: &Value) -> CustomPasswordHash {
    match (&user["password_hash"], &user["custom_password_hash"]) {
        (Value::String(bcrypt), Value::Null) => CustomPasswordHash::bcrypt(bcrypt),
        (Value::Null, custom) => serde_json::from_value(custom.clone()).unwrap(),
        _ => panic!("{user}"),
    }
}

#[test]
fn every_fixture_hash_verifies_its_password_and_no_other() {
    let users = fixture_users();
    assert_eq!(users.len(), 23);
    for user in &users {
        let password = user["user_metadata"]["password"].as_str().unwrap();
        let verifier = hash_of(user)
            .verifier()
            .unwrap_or_else(|e| panic!("{}: {e}", user["email"]));
        assert!(verifier.verify(password), "{}", user["email"]);
        assert!(
            !verifier.verify(&format!("{password}!")),
            "{}",
            user["email"]
        );
        assert!(!verifier.verify(""), "{}", user["email"]);
    }
}

#[tokio::test]
async fn the_stored_form_verifies_at_login() {
    let passwords = Passwords::new(2).unwrap();
    for user in fixture_users().iter().take(4) {
        let stored = imported_hash_text(&hash_of(user));
        assert!(is_imported(&stored), "{stored}");
        let password = user["user_metadata"]["password"].as_str().unwrap();
        assert!(passwords
            .verify(Some(stored.clone()), password.to_owned())
            .await
            .unwrap());
        assert!(!passwords
            .verify(Some(stored), "wrong".to_owned())
            .await
            .unwrap());
    }
    let argon2id = passwords.hash("own".to_owned()).await.unwrap();
    assert!(!is_imported(&argon2id));
}

#[test]
fn malformed_hashes_are_refused_with_a_reason() {
    let cases = [
        (
            r#"{"algorithm":"sha3","hash":{"value":"00"}}"#,
            "not one of",
        ),
        (
            r#"{"algorithm":"bcrypt","hash":{"value":"$2x$10$abc"}}"#,
            "bcrypt",
        ),
        (
            r#"{"algorithm":"bcrypt","hash":{"value":"$1$abc$def"}}"#,
            "bcrypt",
        ),
        (
            r#"{"algorithm":"bcrypt","hash":{"value":"$2b$10$NdoDggqYGj/whLNmohjDRucX0Kg75h/DHxKjCxMlQmZH1m3pNEFQG"},"salt":{"value":"x"}}"#,
            "salt",
        ),
        (
            r#"{"algorithm":"hmac","hash":{"value":"00","encoding":"hex","digest":"sha256"}}"#,
            "hash.key",
        ),
        (
            r#"{"algorithm":"hmac","hash":{"value":"00","encoding":"hex","key":{"value":"k"}}}"#,
            "hash.digest",
        ),
        (
            r#"{"algorithm":"scrypt","hash":{"value":"AAAA","encoding":"base64"}}"#,
            "salt is required",
        ),
        (
            r#"{"algorithm":"scrypt","hash":{"value":"AAAA","encoding":"base64"},"salt":{"value":"s"},"cost":1000}"#,
            "power of two",
        ),
        (
            r#"{"algorithm":"md5","hash":{"value":"zz","encoding":"hex"}}"#,
            "not hex",
        ),
        (
            r#"{"algorithm":"sha1","hash":{"value":"@@","encoding":"base64"}}"#,
            "not base64",
        ),
        (
            r#"{"algorithm":"sha1","hash":{"value":"00","encoding":"rot13"}}"#,
            "encoding",
        ),
        (
            r#"{"algorithm":"md5","hash":{"value":"00","encoding":"hex"},"salt":{"value":"s","position":"middle"}}"#,
            "position",
        ),
        (
            r#"{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha256$abc"}}"#,
            "pbkdf2",
        ),
        (
            r#"{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha3$i=1,l=1$AA$AA"}}"#,
            "digest",
        ),
        (
            r#"{"algorithm":"ldap","hash":{"value":"{CRYPT}abc"}}"#,
            "CRYPT",
        ),
        (
            r#"{"algorithm":"ldap","hash":{"value":"{SHA}AAAA"}}"#,
            "bytes",
        ),
        (
            r#"{"algorithm":"argon2","hash":{"value":"not-a-phc"}}"#,
            "PHC",
        ),
        (
            r#"{"algorithm":"md5","hash":{"value":"00","encoding":"hex"},"password":{"encoding":"ebcdic"}}"#,
            "password.encoding",
        ),
    ];
    for (json, reason) in cases {
        let hash: CustomPasswordHash = serde_json::from_str(json).unwrap();
        let error = hash.verifier().expect_err(json);
        assert!(error.contains(reason), "{json}: {error}");
    }
    let unknown_field = serde_json::from_str::<CustomPasswordHash>(
        r#"{"algorithm":"md5","hash":{"value":"00"},"rounds":3}"#,
    );
    assert!(
        unknown_field.is_err(),
        "a field Auth0 does not have is refused"
    );
}
