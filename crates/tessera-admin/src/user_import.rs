//! Auth0's user import file, read as it arrives: a JSON array of users, cut into entries
//! without holding the file ([`EntrySplitter`]), each entry checked against Auth0's import
//! schema ([`check_entry`]) into a user to write, or refused with Auth0's per-user errors.
//!
//! The error codes are those of the JSON-schema validator Auth0's import reports with
//! (`INVALID_TYPE`, `INVALID_FORMAT`, `OBJECT_MISSING_REQUIRED_PROPERTY`,
//! `OBJECT_ADDITIONAL_PROPERTIES`) and `DUPLICATED_USER`; the messages are Tessera's.
//!
//! Of an entry's `mfa_factors`, an authenticator app's secret (`totp`) is imported; `phone` and
//! `email` factors, which Tessera cannot challenge, are skipped (the job names the entries).

use serde_json::{json, Map, Value};
use tessera_core::crypto::imported_hash_text;
use tessera_core::imported_password::CustomPasswordHash;
use tessera_protocol::mfa::TotpSecret;
use tessera_store::{ImportedUser, JobError, NewUser, UserProfile};

use crate::users::{check_metadata_keys, user_id_of};

/// The largest single entry taken: far above any real user, low enough to bound memory.
pub const MAX_ENTRY_BYTES: usize = 1 << 20;
/// The most a gzip file's stored piece may inflate to (JSON compresses some 5-15 times; a file
/// that inflates hundreds of times is a bomb, not users).
const MAX_INFLATED_PER_PIECE: usize = 64 << 20;

/// The fields of Auth0's import schema.
const FIELDS: [&str; 15] = [
    "email",
    "email_verified",
    "user_id",
    "username",
    "given_name",
    "family_name",
    "name",
    "nickname",
    "picture",
    "blocked",
    "password_hash",
    "custom_password_hash",
    "app_metadata",
    "user_metadata",
    "mfa_factors",
];

/// Cuts a JSON array arriving in pieces into its entries' texts, one at a time.
#[derive(Debug, Default)]
pub struct EntrySplitter {
    state: State,
    /// The file is a JSON object per line (an export's form), not an array.
    lines: bool,
    entry: Vec<u8>,
    depth: u32,
    in_string: bool,
    escaped: bool,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the `[`.
    #[default]
    Start,
    /// After `[` or `,`: an entry, or (after `[`) the `]`.
    BeforeEntry {
        first: bool,
    },
    InEntry,
    /// After an entry: `,` or `]`.
    AfterEntry,
    /// After the `]`: only whitespace.
    Done,
}

impl EntrySplitter {
    /// Feeds `bytes`, handing each complete entry to `entry`; an error says why the file is not
    /// a JSON array of entries.
    pub fn feed(&mut self, bytes: &[u8], mut entry: impl FnMut(Vec<u8>)) -> Result<(), String> {
        for &byte in bytes {
            match self.state {
                State::Start
                    if byte.is_ascii_whitespace()
                        || byte == 0xEF
                        || byte == 0xBB
                        || byte == 0xBF => {}
                State::Start if byte == b'[' => self.state = State::BeforeEntry { first: true },
                State::Start | State::AfterEntry
                    if byte == b'{' && (self.lines || self.state == State::Start) =>
                {
                    self.lines = true;
                    self.state = State::InEntry;
                    self.entry.clear();
                    self.depth = 0;
                    self.take(byte, &mut entry)?;
                }
                State::Start => {
                    return Err(
                        "the file is not a JSON array of users (nor a user per line)".to_owned(),
                    )
                }
                State::BeforeEntry { .. } | State::AfterEntry | State::Done
                    if byte.is_ascii_whitespace() => {}
                State::BeforeEntry { first: true } if byte == b']' => self.state = State::Done,
                State::AfterEntry if self.lines => {
                    return Err("a line of the file holds more than one user".to_owned())
                }
                State::AfterEntry if byte == b',' => {
                    self.state = State::BeforeEntry { first: false }
                }
                State::AfterEntry if byte == b']' => self.state = State::Done,
                State::AfterEntry => {
                    return Err("entries of the array are not separated by commas".to_owned())
                }
                State::Done => return Err("the file goes on after its array".to_owned()),
                State::BeforeEntry { .. } => {
                    self.state = State::InEntry;
                    self.entry.clear();
                    self.depth = 0;
                    self.take(byte, &mut entry)?;
                }
                State::InEntry => self.take(byte, &mut entry)?,
            }
        }
        Ok(())
    }

    /// One byte of an entry; an entry ends with its closing bracket, or (a scalar) at the
    /// `,` or `]` after it.
    fn take(&mut self, byte: u8, entry: &mut impl FnMut(Vec<u8>)) -> Result<(), String> {
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if byte == b'\\' {
                self.escaped = true;
            } else if byte == b'"' {
                self.in_string = false;
            }
            return self.push(byte);
        }
        match byte {
            b'"' => self.in_string = true,
            b'{' | b'[' => self.depth += 1,
            b'}' | b']' if self.depth == 0 => {
                // A scalar entry ends at the array's closing bracket.
                entry(std::mem::take(&mut self.entry));
                self.state = State::Done;
                return Ok(());
            }
            b'}' | b']' => {
                self.depth -= 1;
                if self.depth == 0 {
                    self.push(byte)?;
                    entry(std::mem::take(&mut self.entry));
                    self.state = State::AfterEntry;
                    return Ok(());
                }
            }
            b',' if self.depth == 0 => {
                entry(std::mem::take(&mut self.entry));
                self.state = State::BeforeEntry { first: false };
                return Ok(());
            }
            _ => {}
        }
        self.push(byte)
    }

    fn push(&mut self, byte: u8) -> Result<(), String> {
        if self.entry.len() >= MAX_ENTRY_BYTES {
            return Err(format!(
                "an entry of the file is larger than {} KiB",
                MAX_ENTRY_BYTES / 1024
            ));
        }
        self.entry.push(byte);
        Ok(())
    }

    /// At the end of the file: an error unless the array was closed (or the last line's user
    /// ended).
    pub fn finish(&self) -> Result<(), String> {
        match self.state {
            State::Done => Ok(()),
            State::AfterEntry if self.lines => Ok(()),
            State::Start => Err("the file is empty".to_owned()),
            _ => Err("the file ends before its array does".to_owned()),
        }
    }
}

/// An import file's bytes as they arrive: as they are, or inflated when the file is gzip (as an
/// export's is), a few KiB at a time so a small piece cannot become a huge buffer.
#[derive(Default)]
pub struct Inflater {
    gzip: Option<flate2::write::GzDecoder<Vec<u8>>>,
    started: bool,
}

impl Inflater {
    /// Hands the file's bytes in `piece` (inflated if need be) to `out`.
    pub fn feed(
        &mut self,
        piece: &[u8],
        mut out: impl FnMut(&[u8]) -> Result<(), String>,
    ) -> Result<(), String> {
        use std::io::Write;
        if !self.started {
            self.started = true;
            if piece.starts_with(&[0x1f, 0x8b]) {
                self.gzip = Some(flate2::write::GzDecoder::new(Vec::new()));
            }
        }
        let Some(decoder) = &mut self.gzip else {
            return out(piece);
        };
        let mut inflated_from_piece = 0;
        for slice in piece.chunks(4096) {
            decoder.write_all(slice).map_err(damaged)?;
            let inflated = std::mem::take(decoder.get_mut());
            inflated_from_piece += inflated.len();
            if inflated_from_piece > MAX_INFLATED_PER_PIECE {
                return Err(format!(
                    "the gzip file inflates to more than {} MiB from one {} KiB piece",
                    MAX_INFLATED_PER_PIECE >> 20,
                    piece.len() >> 10
                ));
            }
            out(&inflated)?;
        }
        Ok(())
    }

    /// At the end of the file: the last inflated bytes, or why the gzip stream is incomplete.
    pub fn finish(
        &mut self,
        mut out: impl FnMut(&[u8]) -> Result<(), String>,
    ) -> Result<(), String> {
        match self.gzip.take() {
            Some(decoder) => out(&decoder.finish().map_err(damaged)?),
            None => Ok(()),
        }
    }
}

fn damaged(error: std::io::Error) -> String {
    format!("the gzip file is damaged: {error}")
}

fn error(code: &str, message: String, path: &str) -> Value {
    json!({ "code": code, "message": message, "path": path })
}

/// The job error of the `index`th entry: the user as the file had it (its text, when it is not
/// JSON).
pub fn job_error(index: u64, entry: &[u8], errors: Vec<Value>) -> JobError {
    let user = serde_json::from_slice::<Value>(entry)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(entry).into_owned()));
    JobError {
        index,
        user: user.to_string(),
        errors: Value::Array(errors).to_string(),
    }
}

/// The job error of a user the store refused: one with this email, id or username exists and
/// the job does not upsert.
pub fn refused(user: &ImportedUser) -> JobError {
    let errors = vec![error(
        "DUPLICATED_USER",
        "The user already exists and upsert is false".to_owned(),
        "email",
    )];
    job_error(user.index, user.entry.as_bytes(), errors)
}

/// An entry that passed the schema: the user to write, and the MFA factors it brings.
#[derive(Debug)]
pub struct CheckedEntry {
    pub user: ImportedUser,
    pub factors: ImportedFactors,
}

/// The `mfa_factors` of an entry, as Tessera can use them.
#[derive(Debug, Default)]
pub struct ImportedFactors {
    /// An authenticator app's secret (Auth0's `{"totp": {"secret": "<base32>"}}`).
    pub totp: Option<TotpSecret>,
    /// The entry's factors Tessera cannot challenge (`phone`, `email`), skipped.
    pub skipped: Vec<String>,
}

/// Checks the `index`th entry against Auth0's import schema: the user to write, or every reason
/// it is refused.
pub fn check_entry(index: u64, entry: &[u8]) -> Result<CheckedEntry, JobError> {
    let fail = |errors: Vec<Value>| job_error(index, entry, errors);
    let value: Value = serde_json::from_slice(entry).map_err(|e| {
        fail(vec![error(
            "INVALID_FORMAT",
            format!("The entry is not valid JSON: {e}"),
            "",
        )])
    })?;
    let Value::Object(fields) = value else {
        return Err(fail(vec![error(
            "INVALID_TYPE",
            "Expected type object".to_owned(),
            "",
        )]));
    };
    let mut checked = Checked {
        fields: &fields,
        errors: Vec::new(),
    };
    for name in fields
        .keys()
        .filter(|name| !FIELDS.contains(&name.as_str()))
    {
        checked.errors.push(error(
            "OBJECT_ADDITIONAL_PROPERTIES",
            format!("Additional properties not allowed: {name}"),
            name,
        ));
    }
    let email = checked.text("email");
    let email = match email {
        Some(email) if crate::users::is_email(&email) => Some(email.to_lowercase()),
        Some(email) => {
            checked.errors.push(error(
                "INVALID_FORMAT",
                format!("Object didn't pass validation for format email: {email}"),
                "email",
            ));
            None
        }
        None if !fields.contains_key("email") => {
            checked.errors.push(error(
                "OBJECT_MISSING_REQUIRED_PROPERTY",
                "Missing required property: email".to_owned(),
                "",
            ));
            None
        }
        None => None,
    };
    let user_id = checked.text("user_id").map(|id| user_id_of(Some(id)));
    let user_id = match user_id {
        Some(Err(e)) => {
            checked
                .errors
                .push(error("INVALID_FORMAT", e.to_string(), "user_id"));
            None
        }
        Some(Ok(id)) => Some(id),
        None => None,
    };
    let username = checked.text("username");
    let name = checked.text("name");
    let profile_texts =
        ["given_name", "family_name", "nickname", "picture"].map(|f| checked.text(f));
    let email_verified = checked.flag("email_verified");
    let blocked = checked.flag("blocked");
    let user_metadata = checked.object("user_metadata");
    let app_metadata = checked.object("app_metadata");
    let hash = checked.password_hash();
    let factors = checked.mfa_factors();
    if !checked.errors.is_empty() {
        return Err(fail(checked.errors));
    }
    let Some(email) = email else {
        return Err(fail(vec![error(
            "OBJECT_MISSING_REQUIRED_PROPERTY",
            "Missing required property: email".to_owned(),
            "",
        )]));
    };
    let user_id = match user_id {
        Some(id) => id,
        None => {
            user_id_of(None).map_err(|e| fail(vec![error("INVALID_FORMAT", e.to_string(), "")]))?
        }
    };
    let [given_name, family_name, nickname, picture] = profile_texts;
    let user = ImportedUser {
        index,
        user: NewUser {
            user_id,
            username: username.unwrap_or_else(|| email.clone()),
            name: name.unwrap_or_else(|| email.clone()),
            email,
            // No hash: the user cannot log in with a password until one is set.
            password_hash: hash.map(|h| imported_hash_text(&h)).unwrap_or_default(),
            email_verified: email_verified.unwrap_or(false),
            profile: UserProfile {
                given_name,
                family_name,
                nickname,
                picture,
                user_metadata: user_metadata.unwrap_or_default(),
                app_metadata: app_metadata.unwrap_or_default(),
            },
        },
        blocked: blocked.unwrap_or(false),
        entry: String::from_utf8_lossy(entry).into_owned(),
        // Sealed by the job that writes it (`Admin::imported_totp`), from `factors.totp`.
        totp: None,
    };
    Ok(CheckedEntry { user, factors })
}

/// An entry's fields, read with their errors collected.
struct Checked<'a> {
    fields: &'a Map<String, Value>,
    errors: Vec<Value>,
}

impl Checked<'_> {
    fn typed<T>(
        &mut self,
        name: &str,
        kind: &str,
        read: impl Fn(&Value) -> Option<T>,
    ) -> Option<T> {
        let value = self.fields.get(name)?;
        let read = read(value);
        if read.is_none() {
            self.errors.push(error(
                "INVALID_TYPE",
                format!("Expected type {kind} but found type {}", type_of(value)),
                name,
            ));
        }
        read
    }

    fn text(&mut self, name: &str) -> Option<String> {
        self.typed(name, "string", |v| v.as_str().map(str::to_owned))
    }

    fn flag(&mut self, name: &str) -> Option<bool> {
        self.typed(name, "boolean", Value::as_bool)
    }

    fn object(&mut self, name: &str) -> Option<Map<String, Value>> {
        let object = self.typed(name, "object", |v| v.as_object().cloned())?;
        if let Err(e) = check_metadata_keys(name, &object) {
            self.errors
                .push(error("INVALID_FORMAT", e.to_string(), name));
            return None;
        }
        Some(object)
    }

    /// `password_hash` (bcrypt) or `custom_password_hash`, never both, checked as login will
    /// verify it.
    fn password_hash(&mut self) -> Option<CustomPasswordHash> {
        let (path, hash) = match (
            self.fields.get("password_hash"),
            self.fields.get("custom_password_hash"),
        ) {
            (None, None) => return None,
            (Some(_), Some(_)) => {
                self.errors.push(error(
                    "INVALID_FORMAT",
                    "password_hash and custom_password_hash exclude each other".to_owned(),
                    "custom_password_hash",
                ));
                return None;
            }
            (Some(_), None) => (
                "password_hash",
                self.text("password_hash")
                    .map(|b| CustomPasswordHash::bcrypt(&b)),
            ),
            (None, Some(custom)) => (
                "custom_password_hash",
                match serde_json::from_value::<CustomPasswordHash>(custom.clone()) {
                    Ok(hash) => Some(hash),
                    Err(e) => {
                        self.errors.push(error(
                            "INVALID_FORMAT",
                            format!("custom_password_hash: {e}"),
                            "custom_password_hash",
                        ));
                        None
                    }
                },
            ),
        };
        let hash = hash?;
        match hash.verifier() {
            Ok(_) => Some(hash),
            Err(reason) => {
                self.errors.push(error("INVALID_FORMAT", reason, path));
                None
            }
        }
    }
}

impl Checked<'_> {
    /// `mfa_factors`: an array of objects, each naming one factor (Auth0's import schema).
    fn mfa_factors(&mut self) -> ImportedFactors {
        let mut factors = ImportedFactors::default();
        let Some(items) = self.typed("mfa_factors", "array", |v| v.as_array().cloned()) else {
            return factors;
        };
        for (n, item) in items.iter().enumerate() {
            let Some(item) = item.as_object() else {
                let found = type_of(item);
                self.factor_error(
                    n,
                    "INVALID_TYPE",
                    format!("Expected type object but found type {found}"),
                );
                continue;
            };
            for (kind, value) in item {
                match kind.as_str() {
                    "totp" => self.totp(n, value, &mut factors),
                    // Tessera sends no codes by text message or mail: the user comes without them.
                    "phone" | "email" => factors.skipped.push(kind.clone()),
                    other => self.factor_error(
                        n,
                        "OBJECT_ADDITIONAL_PROPERTIES",
                        format!("Additional properties not allowed: {other}"),
                    ),
                }
            }
        }
        factors
    }

    /// `{"secret": "<base32>"}`: RFC 4226 §4 asks for at least 128 bits, as Tessera's own do.
    fn totp(&mut self, n: usize, value: &Value, factors: &mut ImportedFactors) {
        let Some(fields) = value.as_object() else {
            let found = type_of(value);
            return self.factor_error(
                n,
                "INVALID_TYPE",
                format!("totp: Expected type object but found type {found}"),
            );
        };
        if let Some(extra) = fields.keys().find(|k| *k != "secret") {
            return self.factor_error(
                n,
                "OBJECT_ADDITIONAL_PROPERTIES",
                format!("totp: Additional properties not allowed: {extra}"),
            );
        }
        let Some(secret) = fields.get("secret") else {
            return self.factor_error(
                n,
                "OBJECT_MISSING_REQUIRED_PROPERTY",
                "totp: Missing required property: secret".to_owned(),
            );
        };
        let Some(text) = secret.as_str() else {
            let found = type_of(secret);
            return self.factor_error(
                n,
                "INVALID_TYPE",
                format!("totp.secret: Expected type string but found type {found}"),
            );
        };
        match TotpSecret::from_base32(text) {
            Ok(_) if factors.totp.is_some() => self.factor_error(
                n,
                "INVALID_FORMAT",
                "a user has one totp factor at most".to_owned(),
            ),
            Ok(secret) => factors.totp = Some(secret),
            Err(reason) => self.factor_error(n, "INVALID_FORMAT", format!("totp.secret: {reason}")),
        }
    }

    /// An error of the `n`th item of `mfa_factors` (never quoting a secret).
    fn factor_error(&mut self, n: usize, code: &str, message: String) {
        self.errors.push(error(
            code,
            format!("mfa_factors[{n}]: {message}"),
            "mfa_factors",
        ));
    }
}

fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn split(pieces: &[&str]) -> Result<Vec<String>, String> {
        let mut splitter = EntrySplitter::default();
        let mut entries = Vec::new();
        for piece in pieces {
            splitter.feed(piece.as_bytes(), |e| {
                entries.push(String::from_utf8(e).unwrap())
            })?;
        }
        splitter.finish()?;
        Ok(entries)
    }

    #[test]
    fn entries_are_cut_whatever_the_pieces() {
        let file = r#" [ {"email": "a@x.io", "n": {"x": [1, "]"]}} , {"email": "b\"}@x.io"}, 7 ] "#;
        let whole = split(&[file]).unwrap();
        assert_eq!(
            whole,
            [
                r#"{"email": "a@x.io", "n": {"x": [1, "]"]}}"#,
                r#"{"email": "b\"}@x.io"}"#,
                "7 "
            ]
        );
        // Byte by byte, the same entries.
        let bytes: Vec<String> = file.chars().map(String::from).collect();
        let pieces: Vec<&str> = bytes.iter().map(String::as_str).collect();
        assert_eq!(split(&pieces).unwrap(), whole);
        assert_eq!(split(&["[]"]).unwrap(), Vec::<String>::new());
        assert_eq!(split(&[r#"[{"a": "\\"}]"#]).unwrap(), [r#"{"a": "\\"}"#]);
        // An export's form: a user per line.
        assert_eq!(
            split(&["{\"email\": \"a@x.io\"}\n{\"email\":", " \"b@x.io\"}\n"]).unwrap(),
            [r#"{"email": "a@x.io"}"#, r#"{"email": "b@x.io"}"#]
        );
    }

    #[test]
    fn a_gzip_file_is_inflated_whatever_the_pieces() {
        use std::io::Write;
        let text = r#"[{"email": "a@x.io"}, {"email": "b@x.io"}]"#;
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gzip.write_all(text.as_bytes()).unwrap();
        let compressed = gzip.finish().unwrap();
        let mut inflater = Inflater::default();
        let mut bytes = Vec::new();
        for piece in compressed.chunks(7) {
            inflater
                .feed(piece, |b| {
                    bytes.extend_from_slice(b);
                    Ok(())
                })
                .unwrap();
        }
        inflater
            .finish(|b| {
                bytes.extend_from_slice(b);
                Ok(())
            })
            .unwrap();
        assert_eq!(String::from_utf8(bytes).unwrap(), text);
        let mut cut = Inflater::default();
        cut.feed(&compressed[..compressed.len() / 2], |_| Ok(()))
            .unwrap();
        assert!(cut.finish(|_| Ok(())).unwrap_err().contains("damaged"));
        // A bomb: a megabyte-sized run of zeros per 4 KiB of gzip is refused, not inflated.
        let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        bomb.write_all(&vec![b' '; 100 << 20]).unwrap();
        let bomb = bomb.finish().unwrap();
        let mut inflater = Inflater::default();
        let refused = inflater.feed(&bomb, |_| Ok(())).unwrap_err();
        assert!(refused.contains("inflates to more than"), "{refused}");
        let mut plain = Inflater::default();
        let mut seen = Vec::new();
        plain
            .feed(b"[]", |b| {
                seen.extend_from_slice(b);
                Ok(())
            })
            .unwrap();
        assert_eq!(seen, b"[]");
    }

    #[test]
    fn a_file_that_is_not_an_array_is_refused_with_a_reason() {
        for (file, reason) in [
            ("", "empty"),
            ("\"email\"", "not a JSON array"),
            ("{\"a\": 1} [2]", "more than one"),
            ("{\"a\": 1", "ends before"),
            (r#"[{"email": "a@x.io"}"#, "ends before"),
            (r#"[{"a": 1} {"b": 2}]"#, "commas"),
            ("[] []", "goes on"),
        ] {
            let error = split(&[file]).unwrap_err();
            assert!(error.contains(reason), "{file}: {error}");
        }
        let huge = format!(r#"[{{"email": "{}"}}]"#, "a".repeat(MAX_ENTRY_BYTES));
        assert!(split(&[&huge]).unwrap_err().contains("larger than"));
    }

    fn codes(error: &JobError) -> Vec<(String, String)> {
        let errors: Vec<Value> = serde_json::from_str(&error.errors).unwrap();
        errors
            .iter()
            .map(|e| {
                (
                    e["code"].as_str().unwrap().to_owned(),
                    e["path"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn a_valid_entry_becomes_a_user() {
        let entry = br#"{"email": "Ada@Example.com", "user_id": "42", "given_name": "Ada",
            "email_verified": true, "blocked": true, "app_metadata": {"plan": "gold"},
            "password_hash": "$2b$10$NdoDggqYGj/whLNmohjDRucX0Kg75h/DHxKjCxMlQmZH1m3pNEFQG"}"#;
        let imported = check_entry(1, entry).unwrap().user;
        assert_eq!(imported.user.user_id, "auth0|42");
        assert_eq!(imported.user.email, "ada@example.com");
        assert_eq!(imported.user.username, "ada@example.com");
        assert!(imported.user.email_verified && imported.blocked);
        assert_eq!(imported.user.profile.app_metadata["plan"], "gold");
        assert!(imported
            .user
            .password_hash
            .starts_with(r#"{"algorithm":"bcrypt""#));
        let without_hash = check_entry(1, br#"{"email": "b@example.com"}"#)
            .unwrap()
            .user;
        assert_eq!(without_hash.user.password_hash, "");
        assert!(without_hash.user.user_id.starts_with("auth0|"));
    }

    #[test]
    fn every_reason_an_entry_is_refused_is_reported() {
        let refused = check_entry(
            1,
            br#"{"email": 5, "blocked": "yes", "shoe_size": 44, "app_metadata": {"a.b": 1},
                "password_hash": "$1$not-bcrypt"}"#,
        )
        .unwrap_err();
        assert_eq!(
            codes(&refused),
            [
                ("OBJECT_ADDITIONAL_PROPERTIES".into(), "shoe_size".into()),
                ("INVALID_TYPE".into(), "email".into()),
                ("INVALID_TYPE".into(), "blocked".into()),
                ("INVALID_FORMAT".into(), "app_metadata".into()),
                ("INVALID_FORMAT".into(), "password_hash".into()),
            ]
        );
        assert!(
            refused.user.contains("shoe_size"),
            "the user as the file had it"
        );
        for (entry, expected) in [
            (&br#"{"name": "no email"}"#[..], ("OBJECT_MISSING_REQUIRED_PROPERTY", "")),
            (br#"{"email": "not-an-email"}"#, ("INVALID_FORMAT", "email")),
            (br#"[1, 2]"#, ("INVALID_TYPE", "")),
            (br#"{"email": tru}"#, ("INVALID_FORMAT", "")),
            (
                br#"{"email": "a@b.io", "custom_password_hash": {"algorithm": "rot13", "hash": {"value": "x"}}}"#,
                ("INVALID_FORMAT", "custom_password_hash"),
            ),
            (
                br#"{"email": "a@b.io", "password_hash": "$2b$10$x", "custom_password_hash": {}}"#,
                ("INVALID_FORMAT", "custom_password_hash"),
            ),
            (br#"{"email": "a@b.io", "user_id": "a|b"}"#, ("INVALID_FORMAT", "user_id")),
        ] {
            let refused = check_entry(1, entry).unwrap_err();
            assert_eq!(
                codes(&refused)[0],
                (expected.0.to_owned(), expected.1.to_owned()),
                "{}",
                String::from_utf8_lossy(entry)
            );
        }
    }

    /// RFC 6238's test secret (`12345678901234567890`, 160 bits), in base32.
    const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn an_authenticator_app_secret_is_imported_and_phone_and_email_are_skipped() {
        let entry = format!(
            r#"{{"email": "a@b.io", "mfa_factors": [{{"totp": {{"secret": "{SECRET}"}}}},
                {{"phone": {{"value": "+15555550100"}}}}, {{"email": {{"value": "a@b.io"}}}}]}}"#
        );
        let checked = check_entry(1, entry.as_bytes()).unwrap();
        assert_eq!(
            checked.factors.totp,
            Some(TotpSecret::new(b"12345678901234567890".to_vec()).unwrap())
        );
        assert_eq!(checked.factors.skipped, ["phone", "email"]);
        let none = check_entry(1, br#"{"email": "a@b.io", "mfa_factors": []}"#).unwrap();
        assert!(none.factors.totp.is_none() && none.factors.skipped.is_empty());
    }

    #[test]
    fn a_short_or_malformed_totp_secret_refuses_the_user_without_quoting_it() {
        for (factors, code, says) in [
            (
                r#"[{"totp": {"secret": "JBSWY3DPEHPK3PXP"}}]"#,
                "INVALID_FORMAT",
                "128 bits",
            ),
            (
                r#"[{"totp": {"secret": "not base32!"}}]"#,
                "INVALID_FORMAT",
                "base32",
            ),
            (r#"[{"totp": {"secret": 7}}]"#, "INVALID_TYPE", "string"),
            (
                r#"[{"totp": {}}]"#,
                "OBJECT_MISSING_REQUIRED_PROPERTY",
                "secret",
            ),
            (
                r#"[{"totp": {"secret": "A", "period": 60}}]"#,
                "OBJECT_ADDITIONAL_PROPERTIES",
                "period",
            ),
            (r#"[{"push": {}}]"#, "OBJECT_ADDITIONAL_PROPERTIES", "push"),
            (r#"["totp"]"#, "INVALID_TYPE", "object"),
            (r#"{"totp": {}}"#, "INVALID_TYPE", "array"),
        ] {
            let entry = format!(r#"{{"email": "a@b.io", "mfa_factors": {factors}}}"#);
            let refused = check_entry(1, entry.as_bytes()).unwrap_err();
            assert_eq!(
                codes(&refused),
                [(code.to_owned(), "mfa_factors".to_owned())],
                "{factors}"
            );
            let errors: Vec<Value> = serde_json::from_str(&refused.errors).unwrap();
            let message = errors[0]["message"].as_str().unwrap();
            assert!(message.contains(says), "{factors}: {message}");
            assert!(!message.contains("JBSWY3DPEHPK3PXP"), "{message}");
        }
        let twice = format!(
            r#"{{"email": "a@b.io", "mfa_factors": [{{"totp": {{"secret": "{SECRET}"}}}}, {{"totp": {{"secret": "{SECRET}"}}}}]}}"#
        );
        let refused = check_entry(1, twice.as_bytes()).unwrap_err();
        assert_eq!(
            codes(&refused),
            [("INVALID_FORMAT".to_owned(), "mfa_factors".to_owned())]
        );
    }
}
