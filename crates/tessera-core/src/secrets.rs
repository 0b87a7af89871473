//! The master secret, and private signing keys sealed with it in the store. AES-256-GCM under a
//! key derived by HKDF-SHA256 from the secret, a fresh random nonce per seal, the kid as
//! associated data (a sealed key moved to another kid does not open), stored as
//! `v1:` + base64url(nonce ‖ ciphertext ‖ tag). Rows written before keys were sealed hold PKCS#8
//! DER, which [`Sealer::open`] still reads; the key loader re-seals them.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::hkdf::{Salt, HKDF_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// The prefix of the current sealed format.
const V1: &[u8] = b"v1:";
/// A shorter secret is refused: the generated one is 43 characters (32 random bytes).
const MIN_SECRET_LEN: usize = 32;
/// Fixed HKDF salt and info: the derived key is for this one purpose.
const HKDF_SALT: &[u8] = b"tessera master secret";
const HKDF_INFO: &[u8] = b"tessera signing-key sealing v1";

/// Why the master secret cannot be had, or a key cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "no master secret: database_url is PostgreSQL, whose nodes must share one. Set `secret` \
         (or TESSERA_SECRET) or `secret_file` to the same secret of at least {MIN_SECRET_LEN} \
         characters on every node (e.g. `openssl rand -base64 32`)"
    )]
    Missing,
    #[error("the master secret must have at least {MIN_SECRET_LEN} characters")]
    TooShort,
    #[error("master secret file {path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the signing key `{kid}` in the store cannot be decrypted with the configured master \
         secret: it was sealed with another one. Configure the secret the store's keys were \
         sealed with (see docs/operations.md)"
    )]
    WrongSecret { kid: String },
    #[error("the signing key `{kid}` in the store is neither sealed nor PKCS#8")]
    Unreadable { kid: String },
    #[error("the system random generator failed")]
    Random,
    #[error("a value to seal cannot be written as JSON: {0}")]
    Encoding(String),
}

/// Seals and opens private signing keys with the key derived from the master secret.
#[derive(Clone)]
pub struct Sealer {
    key: std::sync::Arc<LessSafeKey>,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer")
    }
}

/// What was stored for a key, opened.
#[derive(Debug)]
pub enum Opened {
    Sealed(Vec<u8>),
    /// Plaintext PKCS#8 from before keys were sealed: should be sealed now.
    Legacy(Vec<u8>),
}

impl Opened {
    pub fn der(&self) -> &[u8] {
        match self {
            Opened::Sealed(der) | Opened::Legacy(der) => der,
        }
    }
}

impl Sealer {
    /// The sealer of `secret` (its bytes as given, at least 32).
    pub fn new(secret: &[u8]) -> Result<Sealer, SecretError> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(SecretError::TooShort);
        }
        let prk = Salt::new(HKDF_SHA256, HKDF_SALT).extract(secret);
        let okm = prk
            .expand(&[HKDF_INFO], &AES_256_GCM)
            .map_err(|_| SecretError::Random)?;
        Ok(Sealer {
            key: std::sync::Arc::new(LessSafeKey::new(UnboundKey::from(okm))),
        })
    }

    /// `der` sealed for the key `kid`.
    pub fn seal(&self, kid: &str, der: &[u8]) -> Result<Vec<u8>, SecretError> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| SecretError::Random)?;
        let mut sealed = der.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(kid.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| SecretError::Random)?;
        let mut payload = nonce.to_vec();
        payload.extend_from_slice(&sealed);
        let mut stored = V1.to_vec();
        stored.extend_from_slice(URL_SAFE_NO_PAD.encode(payload).as_bytes());
        Ok(stored)
    }

    /// `value` as JSON, sealed for `purpose`: ASCII, for a cookie, a form field or a token.
    pub fn seal_json<T: serde::Serialize>(
        &self,
        purpose: &str,
        value: &T,
    ) -> Result<String, SecretError> {
        let json = serde_json::to_vec(value).map_err(|e| SecretError::Encoding(e.to_string()))?;
        let sealed = self.seal(purpose, &json)?;
        Ok(String::from_utf8_lossy(&sealed).into_owned())
    }

    /// What [`Sealer::seal_json`] sealed for `purpose`; none for anything else — altered,
    /// sealed for another purpose or with another secret, or not of type `T`.
    pub fn open_json<T: serde::de::DeserializeOwned>(
        &self,
        purpose: &str,
        sealed: &str,
    ) -> Option<T> {
        match self.open(purpose, sealed.as_bytes()) {
            Ok(Opened::Sealed(json)) => serde_json::from_slice(&json).ok(),
            _ => None,
        }
    }

    /// The PKCS#8 DER stored for `kid`.
    pub fn open(&self, kid: &str, stored: &[u8]) -> Result<Opened, SecretError> {
        let Some(encoded) = stored.strip_prefix(V1) else {
            // A DER SEQUENCE: PKCS#8 written before keys were sealed.
            return if stored.first() == Some(&0x30) {
                Ok(Opened::Legacy(stored.to_vec()))
            } else {
                Err(SecretError::Unreadable { kid: kid.into() })
            };
        };
        let mut payload = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| SecretError::Unreadable { kid: kid.into() })?;
        if payload.len() < NONCE_LEN {
            return Err(SecretError::Unreadable { kid: kid.into() });
        }
        let mut sealed = payload.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&payload)
            .map_err(|_| SecretError::Unreadable { kid: kid.into() })?;
        let der = self
            .key
            .open_in_place(nonce, Aad::from(kid.as_bytes()), &mut sealed)
            .map_err(|_| SecretError::WrongSecret { kid: kid.into() })?;
        Ok(Opened::Sealed(der.to_vec()))
    }
}

/// The associated data an action's secret is sealed under: its value opens only as that secret
/// of that action (and never as a signing key, whose kids have no `:`).
fn action_secret_context(action_id: &str, name: &str) -> String {
    format!("action-secret:{action_id}:{name}")
}

impl Sealer {
    /// The value of the secret `name` of the action `action_id`, sealed for the store.
    pub fn seal_action_secret(
        &self,
        action_id: &str,
        name: &str,
        value: &str,
    ) -> Result<String, SecretError> {
        let sealed = self.seal(&action_secret_context(action_id, name), value.as_bytes())?;
        // `v1:` and base64url: ASCII.
        Ok(String::from_utf8_lossy(&sealed).into_owned())
    }
}

impl tessera_store::SecretOpener for Sealer {
    fn open_secret(&self, action_id: &str, name: &str, sealed: &str) -> Option<String> {
        match self.open(&action_secret_context(action_id, name), sealed.as_bytes()) {
            Ok(Opened::Sealed(value)) => String::from_utf8(value).ok(),
            // Plaintext was never stored for a secret: a value without the seal is refused.
            Ok(Opened::Legacy(_)) | Err(_) => None,
        }
    }
}

/// The file a SQLite database's generated secret is kept in: next to it, `<file>.secret`.
/// `None` for an in-memory database.
pub fn dev_secret_path(database_url: &str) -> Option<PathBuf> {
    let path = tessera_store::maintenance::sqlite_path(database_url)?;
    Some(PathBuf::from(format!("{}.secret", path.display())))
}

fn read_secret(path: &Path) -> Result<Vec<u8>, SecretError> {
    let text = std::fs::read(path).map_err(|source| SecretError::File {
        path: path.to_owned(),
        source,
    })?;
    Ok(text.trim_ascii_end().to_vec())
}

/// 32 random bytes, base64url, written to a new file only the owner may read.
fn create_secret_file(path: &Path) -> Result<Vec<u8>, SecretError> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| SecretError::Random)?;
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    let file_error = |source| SecretError::File {
        path: path.to_owned(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(file_error)?;
    writeln!(file, "{secret}").map_err(file_error)?;
    file.sync_all().map_err(file_error)?;
    Ok(secret.into_bytes())
}

/// Where the master secret comes from: the configured `secret`, else `secret_file`, else (only
/// for a SQLite `database_url`) a generated development secret.
#[derive(Clone, Copy)]
pub struct SecretSource<'a> {
    pub secret: Option<&'a str>,
    pub secret_file: Option<&'a Path>,
    pub database_url: &'a str,
}

impl fmt::Debug for SecretSource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretSource")
            .field("secret_file", &self.secret_file)
            .field("database_url", &self.database_url)
            .finish_non_exhaustive()
    }
}

/// The sealer of the configured master secret: `secret`, else `secret_file`. Without either,
/// a SQLite store (one node, development) gets a secret generated into a 0600 file next to the
/// database, with a warning; PostgreSQL (many nodes, which must share it) is refused.
pub fn sealer(source: SecretSource<'_>) -> Result<Sealer, SecretError> {
    if let Some(secret) = source.secret {
        return Sealer::new(secret.as_bytes());
    }
    if let Some(path) = source.secret_file {
        return Sealer::new(&read_secret(path)?);
    }
    if !source.database_url.starts_with("sqlite:") {
        return Err(SecretError::Missing);
    }
    let Some(path) = dev_secret_path(source.database_url) else {
        tracing::warn!("no master secret configured: an in-memory database gets a throwaway one");
        let mut bytes = [0u8; 32];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| SecretError::Random)?;
        return Sealer::new(URL_SAFE_NO_PAD.encode(bytes).as_bytes());
    };
    if path.exists() {
        return Sealer::new(&read_secret(&path)?);
    }
    let secret = create_secret_file(&path)?;
    tracing::warn!(
        file = %path.display(),
        "no master secret configured: generated one into this file (mode 0600). Back it up with \
         the database — the signing keys cannot be read without it — and configure `secret` or \
         `secret_file` for production"
    );
    Sealer::new(&secret)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_sealed_key_opens_only_with_its_secret_and_kid() {
        let sealer = Sealer::new(SECRET).unwrap();
        let der = [0x30, 1, 2, 3];
        let sealed = sealer.seal("kid-1", &der).unwrap();
        assert!(sealed.starts_with(b"v1:"));
        assert_ne!(
            sealer.seal("kid-1", &der).unwrap(),
            sealed,
            "a fresh nonce each time"
        );
        assert_eq!(sealer.open("kid-1", &sealed).unwrap().der(), der);
        assert!(matches!(
            sealer.open("kid-2", &sealed),
            Err(SecretError::WrongSecret { .. })
        ));
        let other = Sealer::new(b"another secret of at least 32 bytes!").unwrap();
        assert!(matches!(
            other.open("kid-1", &sealed),
            Err(SecretError::WrongSecret { .. })
        ));
    }

    #[test]
    fn plaintext_pkcs8_is_read_as_legacy_and_garbage_is_refused() {
        let sealer = Sealer::new(SECRET).unwrap();
        assert!(matches!(
            sealer.open("k", &[0x30, 9]),
            Ok(Opened::Legacy(_))
        ));
        assert!(matches!(
            sealer.open("k", b"v1:!!"),
            Err(SecretError::Unreadable { .. })
        ));
        assert!(matches!(
            sealer.open("k", b"v1:AAAA"),
            Err(SecretError::Unreadable { .. })
        ));
        assert!(matches!(
            sealer.open("k", b"zzz"),
            Err(SecretError::Unreadable { .. })
        ));
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(matches!(Sealer::new(b"short"), Err(SecretError::TooShort)));
    }

    #[test]
    fn the_dev_secret_lives_next_to_a_sqlite_file() {
        assert_eq!(
            dev_secret_path("sqlite://data/t.db"),
            Some(PathBuf::from("data/t.db.secret"))
        );
        assert_eq!(
            dev_secret_path("sqlite:t.db?mode=rwc"),
            Some(PathBuf::from("t.db.secret"))
        );
        assert_eq!(dev_secret_path("sqlite::memory:"), None);
    }

    #[test]
    fn an_action_secret_opens_only_as_itself_and_never_from_plaintext() {
        use tessera_store::SecretOpener as _;
        let sealer = Sealer::new(&[7u8; 32]).unwrap();
        let sealed = sealer
            .seal_action_secret("a-1", "API_KEY", "s3cret")
            .unwrap();
        assert!(sealed.starts_with("v1:") && !sealed.contains("s3cret"));
        assert_eq!(
            sealer.open_secret("a-1", "API_KEY", &sealed).as_deref(),
            Some("s3cret")
        );
        assert_eq!(
            sealer.open_secret("a-2", "API_KEY", &sealed),
            None,
            "another action"
        );
        assert_eq!(
            sealer.open_secret("a-1", "OTHER", &sealed),
            None,
            "another name"
        );
        assert_eq!(
            sealer.open_secret("a-1", "API_KEY", "s3cret"),
            None,
            "plaintext"
        );
        let other = Sealer::new(&[8u8; 32]).unwrap();
        assert_eq!(
            other.open_secret("a-1", "API_KEY", &sealed),
            None,
            "another master secret"
        );
    }
}
