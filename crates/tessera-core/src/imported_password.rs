//! Password hashes carried over from another system by a user import: bcrypt (`$2a$`, `$2b$`,
//! and `$2y$`, which Auth0 refuses), and each algorithm of Auth0's `custom_password_hash` —
//! argon2, bcrypt, hmac, ldap, md4, md5, sha1, sha256, sha512, pbkdf2 and scrypt. Such a hash is
//! stored as Auth0's object (JSON) and checked the way the other system computed it, until the
//! user's first successful login replaces it with argon2id.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use hmac::{Mac, SimpleHmac};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use subtle::ConstantTimeEq;

/// Auth0's `custom_password_hash` object, field for field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomPasswordHash {
    pub algorithm: String,
    pub hash: HashField,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<SaltField>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<PasswordField>,
    /// scrypt: the derived key's length in bytes (default: the hash's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keylen: Option<u32>,
    /// scrypt: N (default 16384).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<u64>,
    /// scrypt: r (default 8).
    #[serde(default, rename = "blockSize", skip_serializing_if = "Option::is_none")]
    pub block_size: Option<u32>,
    /// scrypt: p (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelization: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashField {
    pub value: String,
    /// `utf8` (the default), `base64` or `hex`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// hmac: the digest under the MAC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// hmac: the MAC's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<EncodedField>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaltField {
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// `prefix` (the default) or `suffix`: where the salt goes around the password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordField {
    /// How the password's characters became bytes: `utf8` (the default), `ascii`, `latin1`,
    /// `binary`, `utf16le` or `ucs2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncodedField {
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
}

impl CustomPasswordHash {
    /// Auth0's `password_hash` field: a bcrypt string.
    pub fn bcrypt(value: &str) -> CustomPasswordHash {
        CustomPasswordHash {
            algorithm: "bcrypt".to_owned(),
            hash: HashField {
                value: value.to_owned(),
                encoding: None,
                digest: None,
                key: None,
            },
            salt: None,
            password: None,
            keylen: None,
            cost: None,
            block_size: None,
            parallelization: None,
        }
    }

    /// Checks every field and decodes what verification needs; the error says what is wrong.
    pub fn verifier(&self) -> Result<Verifier, String> {
        let algorithm = self.algorithm.as_str();
        let no_salt = || match self.salt {
            Some(_) => Err(format!(
                "{algorithm}: salt is part of hash.value, not a field"
            )),
            None => Ok(()),
        };
        let utf8_hash = || match self.hash.encoding.as_deref() {
            None | Some("utf8") => Ok(()),
            Some(other) => Err(format!(
                "{algorithm}: hash.encoding must be utf8, not {other}"
            )),
        };
        let password = PasswordEncoding::of(self.password.as_ref())?;
        match algorithm {
            "bcrypt" => {
                no_salt()?;
                utf8_hash()?;
                let value = &self.hash.value;
                let valid = ["$2a$", "$2b$", "$2y$"].iter().any(|p| value.starts_with(p))
                    && value.parse::<bcrypt::HashParts>().is_ok();
                if !valid {
                    return Err("bcrypt: hash.value is not a $2a$, $2b$ or $2y$ hash".to_owned());
                }
                Ok(Verifier::Bcrypt(value.clone()))
            }
            "argon2" => {
                no_salt()?;
                utf8_hash()?;
                let parsed = argon2::PasswordHash::new(&self.hash.value)
                    .map_err(|e| format!("argon2: hash.value is not a PHC string ({e})"))?;
                if !parsed.algorithm.as_str().starts_with("argon2") {
                    return Err("argon2: hash.value is not an argon2 hash".to_owned());
                }
                Ok(Verifier::Argon2(self.hash.value.clone()))
            }
            "pbkdf2" => {
                no_salt()?;
                utf8_hash()?;
                pbkdf2_of(&self.hash.value)
            }
            "ldap" => {
                no_salt()?;
                utf8_hash()?;
                ldap_of(&self.hash.value)
            }
            "md4" | "md5" | "sha1" | "sha256" | "sha512" => Ok(Verifier::Digest {
                digest: DigestAlgorithm::parse(algorithm)?,
                hash: decode(&self.hash.value, self.hash.encoding.as_deref(), "hash")?,
                salt: Salted::of(self.salt.as_ref())?,
                password,
            }),
            "hmac" => {
                let digest = self
                    .hash
                    .digest
                    .as_deref()
                    .ok_or("hmac: hash.digest is required")?;
                let key = self.hash.key.as_ref().ok_or("hmac: hash.key is required")?;
                Ok(Verifier::Hmac {
                    digest: DigestAlgorithm::parse(digest)?,
                    key: decode(&key.value, key.encoding.as_deref(), "hash.key")?,
                    hash: decode(&self.hash.value, self.hash.encoding.as_deref(), "hash")?,
                    salt: Salted::of(self.salt.as_ref())?,
                    password,
                })
            }
            "scrypt" => {
                let salt = self.salt.as_ref().ok_or("scrypt: salt is required")?;
                let hash = decode(&self.hash.value, self.hash.encoding.as_deref(), "hash")?;
                let length = self.keylen.map_or(hash.len(), |n| n as usize);
                let cost = self.cost.unwrap_or(16_384);
                if !cost.is_power_of_two() || cost < 2 {
                    return Err(format!("scrypt: cost {cost} is not a power of two"));
                }
                let params = scrypt::Params::new(
                    cost.trailing_zeros() as u8,
                    self.block_size.unwrap_or(8),
                    self.parallelization.unwrap_or(1),
                    length,
                )
                .map_err(|e| format!("scrypt: {e}"))?;
                if hash.len() != length {
                    return Err(format!("scrypt: the hash has {} bytes, keylen says {length}", hash.len()));
                }
                Ok(Verifier::Scrypt {
                    params,
                    salt: decode(&salt.value, salt.encoding.as_deref(), "salt")?,
                    hash,
                    password,
                })
            }
            other => Err(format!(
                "algorithm `{other}` is not one of argon2, bcrypt, hmac, ldap, md4, md5, sha1, sha256, sha512, pbkdf2, scrypt"
            )),
        }
    }
}

/// A checked imported hash, ready to verify passwords against.
#[derive(Debug, Clone)]
pub enum Verifier {
    Bcrypt(String),
    Argon2(String),
    Pbkdf2 {
        digest: DigestAlgorithm,
        rounds: u32,
        salt: Vec<u8>,
        hash: Vec<u8>,
    },
    Scrypt {
        params: scrypt::Params,
        salt: Vec<u8>,
        hash: Vec<u8>,
        password: PasswordEncoding,
    },
    /// A plain digest of the (salted) password, as md4 … sha512 and LDAP's `{SHA}`/`{SSHA}`.
    Digest {
        digest: DigestAlgorithm,
        hash: Vec<u8>,
        salt: Salted,
        password: PasswordEncoding,
    },
    Hmac {
        digest: DigestAlgorithm,
        key: Vec<u8>,
        hash: Vec<u8>,
        salt: Salted,
        password: PasswordEncoding,
    },
}

impl Verifier {
    /// Whether `password` is the one hashed, compared in constant time.
    pub fn verify(&self, password: &str) -> bool {
        match self {
            Verifier::Bcrypt(hash) => bcrypt::verify(password, hash).unwrap_or(false),
            Verifier::Argon2(hash) => {
                use argon2::password_hash::PasswordVerifier;
                argon2::PasswordHash::new(hash).is_ok_and(|parsed| {
                    argon2::Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
            }
            Verifier::Pbkdf2 {
                digest,
                rounds,
                salt,
                hash,
            } => {
                let mut out = vec![0u8; hash.len()];
                digest.pbkdf2(password.as_bytes(), salt, *rounds, &mut out);
                same(&out, hash)
            }
            Verifier::Scrypt {
                params,
                salt,
                hash,
                password: encoding,
            } => {
                let mut out = vec![0u8; hash.len()];
                scrypt::scrypt(&encoding.bytes(password), salt, params, &mut out).is_ok()
                    && same(&out, hash)
            }
            Verifier::Digest {
                digest,
                hash,
                salt,
                password: encoding,
            } => same(
                &digest.digest(&salt.around(&encoding.bytes(password))),
                hash,
            ),
            Verifier::Hmac {
                digest,
                key,
                hash,
                salt,
                password: encoding,
            } => same(
                &digest.hmac(key, &salt.around(&encoding.bytes(password))),
                hash,
            ),
        }
    }
}

fn same(computed: &[u8], expected: &[u8]) -> bool {
    computed.len() == expected.len() && bool::from(computed.ct_eq(expected))
}

/// The digests Auth0's hmac and pbkdf2 name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestAlgorithm {
    Md4,
    Md5,
    Ripemd160,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Whirlpool,
}

/// Runs `$body` with `$D` bound to the digest type of `$algorithm`.
macro_rules! with_digest {
    ($algorithm:expr, $D:ident => $body:expr) => {
        match $algorithm {
            DigestAlgorithm::Md4 => {
                type $D = md4::Md4;
                $body
            }
            DigestAlgorithm::Md5 => {
                type $D = md5::Md5;
                $body
            }
            DigestAlgorithm::Ripemd160 => {
                type $D = ripemd::Ripemd160;
                $body
            }
            DigestAlgorithm::Sha1 => {
                type $D = sha1::Sha1;
                $body
            }
            DigestAlgorithm::Sha224 => {
                type $D = sha2::Sha224;
                $body
            }
            DigestAlgorithm::Sha256 => {
                type $D = sha2::Sha256;
                $body
            }
            DigestAlgorithm::Sha384 => {
                type $D = sha2::Sha384;
                $body
            }
            DigestAlgorithm::Sha512 => {
                type $D = sha2::Sha512;
                $body
            }
            DigestAlgorithm::Whirlpool => {
                type $D = whirlpool::Whirlpool;
                $body
            }
        }
    };
}

impl DigestAlgorithm {
    fn parse(name: &str) -> Result<DigestAlgorithm, String> {
        Ok(match name {
            "md4" => DigestAlgorithm::Md4,
            "md5" => DigestAlgorithm::Md5,
            "ripemd160" => DigestAlgorithm::Ripemd160,
            "sha1" => DigestAlgorithm::Sha1,
            "sha224" => DigestAlgorithm::Sha224,
            "sha256" => DigestAlgorithm::Sha256,
            "sha384" => DigestAlgorithm::Sha384,
            "sha512" => DigestAlgorithm::Sha512,
            "whirlpool" => DigestAlgorithm::Whirlpool,
            other => return Err(format!("digest `{other}` is not supported")),
        })
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        with_digest!(self, D => D::digest(data).to_vec())
    }

    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        with_digest!(self, D => {
            let mut mac = <SimpleHmac<D> as Mac>::new_from_slice(key)
                .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        })
    }

    fn pbkdf2(self, password: &[u8], salt: &[u8], rounds: u32, out: &mut [u8]) {
        with_digest!(self, D => {
            // HMAC accepts any key length, so this cannot fail.
            let _ = pbkdf2::pbkdf2::<SimpleHmac<D>>(password, salt, rounds, out);
        })
    }
}

/// A salt and where it goes around the password.
#[derive(Debug, Clone, Default)]
pub struct Salted {
    salt: Vec<u8>,
    suffix: bool,
}

impl Salted {
    fn of(field: Option<&SaltField>) -> Result<Salted, String> {
        let Some(field) = field else {
            return Ok(Salted::default());
        };
        let suffix = match field.position.as_deref() {
            None | Some("prefix") => false,
            Some("suffix") => true,
            Some(other) => return Err(format!("salt.position `{other}` is not prefix or suffix")),
        };
        Ok(Salted {
            salt: decode(&field.value, field.encoding.as_deref(), "salt")?,
            suffix,
        })
    }

    fn around(&self, password: &[u8]) -> Vec<u8> {
        let (first, second) = if self.suffix {
            (password, self.salt.as_slice())
        } else {
            (self.salt.as_slice(), password)
        };
        [first, second].concat()
    }
}

/// How the other system turned the password's characters into bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PasswordEncoding {
    #[default]
    Utf8,
    /// One byte per character, its low eight bits (Node's `ascii`, `latin1`, `binary`).
    Latin1,
    Utf16Le,
}

impl PasswordEncoding {
    fn of(field: Option<&PasswordField>) -> Result<PasswordEncoding, String> {
        Ok(match field.and_then(|f| f.encoding.as_deref()) {
            None | Some("utf8") | Some("utf-8") => PasswordEncoding::Utf8,
            Some("ascii") | Some("latin1") | Some("binary") => PasswordEncoding::Latin1,
            Some("utf16le") | Some("ucs2") | Some("ucs-2") => PasswordEncoding::Utf16Le,
            Some(other) => return Err(format!("password.encoding `{other}` is not supported")),
        })
    }

    fn bytes(self, password: &str) -> Vec<u8> {
        match self {
            PasswordEncoding::Utf8 => password.as_bytes().to_vec(),
            // Truncation to the low byte is what these encodings do.
            PasswordEncoding::Latin1 => password
                .chars()
                .map(|c| (u32::from(c) & 0xff) as u8)
                .collect(),
            PasswordEncoding::Utf16Le => {
                password.encode_utf16().flat_map(u16::to_le_bytes).collect()
            }
        }
    }
}

fn decode(value: &str, encoding: Option<&str>, field: &str) -> Result<Vec<u8>, String> {
    match encoding {
        None | Some("utf8") => Ok(value.as_bytes().to_vec()),
        Some("base64") => STANDARD
            .decode(value)
            .or_else(|_| STANDARD_NO_PAD.decode(value))
            .map_err(|_| format!("{field}.value is not base64")),
        Some("hex") => hex::decode(value).map_err(|_| format!("{field}.value is not hex")),
        Some(other) => Err(format!(
            "{field}.encoding `{other}` is not utf8, base64 or hex"
        )),
    }
}

/// PHC's base64 (no padding), or passlib's adapted form (`.` for `+`).
fn decode_b64(text: &str) -> Option<Vec<u8>> {
    STANDARD_NO_PAD
        .decode(text.trim_end_matches('=').replace('.', "+"))
        .ok()
}

/// `$pbkdf2-<digest>$i=<rounds>,l=<length>$<salt>$<hash>` (PHC, as Auth0 takes it), or
/// passlib's `$pbkdf2-<digest>$<rounds>$<salt>$<hash>`.
fn pbkdf2_of(value: &str) -> Result<Verifier, String> {
    let invalid = || {
        "pbkdf2: hash.value is not $pbkdf2-<digest>$i=<rounds>,l=<length>$<salt>$<hash>".to_owned()
    };
    let parts: Vec<&str> = value.split('$').collect();
    let ["", id, params, salt, hash] = parts.as_slice() else {
        return Err(invalid());
    };
    let digest = match id.strip_prefix("pbkdf2-") {
        Some(name) => DigestAlgorithm::parse(name)?,
        None if *id == "pbkdf2" => DigestAlgorithm::Sha1,
        None => return Err(invalid()),
    };
    let rounds = match params.parse::<u32>() {
        Ok(rounds) => rounds,
        Err(_) => params
            .split(',')
            .find_map(|param| param.strip_prefix("i="))
            .and_then(|rounds| rounds.parse().ok())
            .ok_or_else(invalid)?,
    };
    let (Some(salt), Some(hash)) = (decode_b64(salt), decode_b64(hash)) else {
        return Err(invalid());
    };
    if rounds == 0 || hash.is_empty() {
        return Err(invalid());
    }
    Ok(Verifier::Pbkdf2 {
        digest,
        rounds,
        salt,
        hash,
    })
}

/// RFC 2307 userPassword values: `{SHA}`, `{SSHA}`, `{SHA256}`, `{SSHA256}`, `{SHA512}`,
/// `{SSHA512}`, `{MD5}`, `{SMD5}`: base64 of the digest, followed by the salt when salted.
fn ldap_of(value: &str) -> Result<Verifier, String> {
    let (scheme, rest) = value
        .strip_prefix('{')
        .and_then(|rest| rest.split_once('}'))
        .ok_or("ldap: hash.value is not {SCHEME}base64")?;
    let scheme = scheme.to_ascii_uppercase();
    let (digest, salted) = match scheme.as_str() {
        "SHA" => (DigestAlgorithm::Sha1, false),
        "SSHA" => (DigestAlgorithm::Sha1, true),
        "SHA256" => (DigestAlgorithm::Sha256, false),
        "SSHA256" => (DigestAlgorithm::Sha256, true),
        "SHA384" => (DigestAlgorithm::Sha384, false),
        "SSHA384" => (DigestAlgorithm::Sha384, true),
        "SHA512" => (DigestAlgorithm::Sha512, false),
        "SSHA512" => (DigestAlgorithm::Sha512, true),
        "MD5" => (DigestAlgorithm::Md5, false),
        "SMD5" => (DigestAlgorithm::Md5, true),
        _ => return Err(format!("ldap: scheme {{{scheme}}} is not supported")),
    };
    let bytes = STANDARD
        .decode(rest)
        .map_err(|_| "ldap: the value after the scheme is not base64".to_owned())?;
    let length = digest.digest(b"").len();
    if bytes.len() < length || (!salted && bytes.len() != length) {
        return Err(format!("ldap: {{{scheme}}} holds {} bytes", bytes.len()));
    }
    let (hash, salt) = bytes.split_at(length);
    Ok(Verifier::Digest {
        digest,
        hash: hash.to_vec(),
        salt: Salted {
            salt: salt.to_vec(),
            suffix: true,
        },
        password: PasswordEncoding::Utf8,
    })
}
