use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use tessera_protocol::secret::{base64url, constant_time_eq};
use tessera_protocol::SecretDigest;

#[test]
fn secret_digest_verifies_the_right_secret() {
    let digest = SecretDigest::of("correct horse battery staple");
    assert!(digest.verifies("correct horse battery staple"));
}

#[test]
fn secret_digest_refuses_a_wrong_secret() {
    let digest = SecretDigest::of("correct horse battery staple");
    for wrong in [
        "",
        "correct horse battery stapl",
        "correct horse battery staple ",
        "Correct horse battery staple",
    ] {
        assert!(!digest.verifies(wrong), "{wrong:?}");
    }
    assert!(SecretDigest::of("").verifies(""));
    assert!(!SecretDigest::of("").verifies(" "));
}

#[test]
fn secret_digest_is_sha256_of_the_secret() {
    let expected: [u8; 32] = Sha256::digest(b"abc").into();
    assert_eq!(SecretDigest::of("abc").as_bytes(), &expected);
    assert_eq!(
        URL_SAFE_NO_PAD.encode(SecretDigest::of("abc").as_bytes()),
        "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
    );
}

#[test]
fn secret_digest_from_bytes_requires_32_bytes() {
    let digest = SecretDigest::of("s");
    assert_eq!(SecretDigest::from_bytes(digest.as_bytes()), Some(digest));
    assert_eq!(SecretDigest::from_bytes(&[0u8; 31]), None);
    assert_eq!(SecretDigest::from_bytes(&[0u8; 33]), None);
    assert_eq!(SecretDigest::from_bytes(&[]), None);
}

#[test]
fn secret_digest_debug_redacts() {
    let digest = SecretDigest::of("top-secret");
    let debug = format!("{digest:?}");
    assert_eq!(debug, "SecretDigest(..)");
    let hex: String = digest
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(!debug.contains(&hex[..8]));
}

#[test]
fn registered_client_debug_omits_the_secret_digest() {
    let client = crate::common::client();
    let debug = format!("{client:?}");
    assert!(debug.contains(crate::common::CLIENT_ID), "{debug}");
    assert!(!debug.contains("secret_digest"), "{debug}");
    assert!(!debug.contains(crate::common::CLIENT_SECRET), "{debug}");
}

#[test]
fn constant_time_eq_compares_whole_strings() {
    assert!(constant_time_eq("abc", "abc"));
    assert!(constant_time_eq("", ""));
    assert!(!constant_time_eq("abc", "abd"));
    assert!(!constant_time_eq("abc", "ab"));
    assert!(!constant_time_eq("ab", "abc"));
}

#[test]
fn base64url_is_url_safe_without_padding() {
    assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    assert_eq!(base64url(b"a"), "YQ");
    assert_eq!(base64url(b""), "");
}
