//! Auth0's user export file: a line of JSON per user (`format: json`) or CSV under a header
//! (`csv`), each user as `GET /api/v2/users` shows it, cut to the requested fields (paths such
//! as `user_metadata.country` or `identities[0].connection`, renamed by `export_as`).
//!
//! One field is Tessera's own: `custom_password_hash`, the user's password hash in Auth0's
//! import form, so that an export imported into another Tessera logs its users in with the same
//! passwords. It is written only when asked for by name.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tessera_store::User as StoredUser;

use crate::users::User;

/// Auth0's limit on the fields of an export.
const MAX_FIELDS: usize = 30;
/// The field that carries the password hash (never exported unless named).
pub const HASH_FIELD: &str = "custom_password_hash";

/// What a CSV export holds when no fields are asked for (a JSON export then holds whole users).
const DEFAULT_CSV_FIELDS: [&str; 14] = [
    "user_id",
    "email",
    "email_verified",
    "username",
    "name",
    "given_name",
    "family_name",
    "nickname",
    "picture",
    "blocked",
    "created_at",
    "updated_at",
    "last_login",
    "logins_count",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportField {
    /// A path into the user: `email`, `user_metadata.country`, `identities[0].connection`.
    pub name: String,
    /// The column's (or key's) name in the file; the path by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_as: Option<String>,
}

/// The body of `POST /api/v2/jobs/users-exports`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    /// The database connection's id (all users when absent: there is one connection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    /// `json` (a JSON object per line; the default) or `csv`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// At most this many users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// At most 30; whole users (JSON) or a default set (CSV) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<ExportField>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Csv,
}

/// An export as its job keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportSettings {
    pub format: Format,
    pub limit: Option<u64>,
    pub fields: Vec<ExportField>,
}

impl ExportSettings {
    /// Checks a request; the error names what is wrong.
    pub fn of(request: &ExportRequest) -> Result<ExportSettings, String> {
        let format = match request.format.as_deref() {
            None | Some("json") | Some("ndjson") => Format::Json,
            Some("csv") => Format::Csv,
            Some(other) => return Err(format!("format `{other}` is not json or csv")),
        };
        if request.limit == Some(0) {
            return Err("limit must be at least 1".to_owned());
        }
        let fields = request.fields.clone().unwrap_or_default();
        if fields.len() > MAX_FIELDS {
            return Err(format!("at most {MAX_FIELDS} fields, not {}", fields.len()));
        }
        for field in &fields {
            if path_of(&field.name).is_none() {
                return Err(format!("field `{}` is not a path into a user", field.name));
            }
            if format == Format::Csv
                && ["app_metadata", "user_metadata"].contains(&field.name.as_str())
            {
                return Err(format!(
                    "a CSV export cannot hold the whole `{}`: name its fields (`{}.…`)",
                    field.name, field.name
                ));
            }
        }
        Ok(ExportSettings {
            format,
            limit: request.limit,
            fields,
        })
    }

    fn wants_hash(&self) -> bool {
        self.fields.iter().any(|field| field.name == HASH_FIELD)
    }

    /// The CSV header line, if any.
    pub fn header(&self) -> Option<String> {
        (self.format == Format::Csv).then(|| {
            let names: Vec<String> = self
                .columns()
                .into_iter()
                .map(|(_, name)| csv_cell(&name))
                .collect();
            format!("{}\n", names.join(","))
        })
    }

    /// (path, name) of each column or key.
    fn columns(&self) -> Vec<(String, String)> {
        if self.fields.is_empty() {
            return DEFAULT_CSV_FIELDS
                .iter()
                .map(|name| (name.to_string(), name.to_string()))
                .collect();
        }
        self.fields
            .iter()
            .map(|field| {
                let name = field
                    .export_as
                    .clone()
                    .unwrap_or_else(|| field.name.clone());
                (field.name.clone(), name)
            })
            .collect()
    }

    /// The user's line in the file.
    pub fn line(&self, user: &StoredUser) -> String {
        let mut shown = serde_json::to_value(User::of(user)).unwrap_or(Value::Null);
        if self.wants_hash() {
            if let (Value::Object(fields), Some(hash)) = (&mut shown, hash_of(user)) {
                fields.insert(HASH_FIELD.to_owned(), hash);
            }
        }
        match self.format {
            Format::Json if self.fields.is_empty() => format!("{shown}\n"),
            Format::Json => {
                let mut picked = Map::new();
                for (path, name) in self.columns() {
                    if let Some(value) = value_at(&shown, &path) {
                        picked.insert(name, value.clone());
                    }
                }
                format!("{}\n", Value::Object(picked))
            }
            Format::Csv => {
                let cells: Vec<String> = self
                    .columns()
                    .iter()
                    .map(|(path, _)| match value_at(&shown, path) {
                        None | Some(Value::Null) => String::new(),
                        Some(Value::String(text)) => csv_cell(text),
                        Some(other) => csv_cell(&other.to_string()),
                    })
                    .collect();
                format!("{}\n", cells.join(","))
            }
        }
    }
}

/// The user's password hash in Auth0's `custom_password_hash` form: argon2id for Tessera's
/// own, the imported object as it was for one not yet replaced; none without a password.
fn hash_of(user: &StoredUser) -> Option<Value> {
    let stored = &user.password_hash;
    if stored.is_empty() {
        None
    } else if tessera_core::crypto::is_imported(stored) {
        serde_json::from_str(stored).ok()
    } else {
        Some(serde_json::json!({ "algorithm": "argon2", "hash": { "value": stored } }))
    }
}

/// One step of a field path: a key, maybe followed by array indexes (`identities[0]`).
fn path_of(name: &str) -> Option<Vec<(String, Vec<usize>)>> {
    name.split('.')
        .map(|step| {
            let (key, rest) = step.split_once('[').unwrap_or((step, ""));
            if key.is_empty() {
                return None;
            }
            let mut indexes = Vec::new();
            let mut rest = rest;
            while !rest.is_empty() {
                let (index, after) = rest.split_once(']')?;
                indexes.push(index.parse().ok()?);
                rest = after.strip_prefix('[').unwrap_or(after);
                if !after.is_empty() && !after.starts_with('[') {
                    return None;
                }
            }
            Some((key.to_owned(), indexes))
        })
        .collect()
}

fn value_at<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let mut at = value;
    for (key, indexes) in path_of(path)? {
        at = at.get(&key)?;
        for index in indexes {
            at = at.get(index)?;
        }
    }
    Some(at)
}

/// A CSV cell: quoted when it holds a comma, a quote or a line break (quotes doubled).
fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use tessera_protocol::Timestamp;
    use tessera_store::UserProfile;

    use super::*;

    fn user() -> StoredUser {
        StoredUser {
            user_id: "auth0|42".into(),
            username: "ada".into(),
            email: "ada@example.com".into(),
            name: "Lovelace, Ada \"the Countess\"".into(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            email_verified: true,
            blocked: false,
            created_at: Timestamp(1_700_000_000),
            updated_at: Timestamp(1_700_000_000),
            profile: UserProfile {
                user_metadata: serde_json::from_str(r#"{"country": "UK"}"#).unwrap(),
                ..UserProfile::default()
            },
            last_login: None,
            last_ip: None,
            logins_count: 3,
        }
    }

    fn fields(names: &[(&str, Option<&str>)]) -> Option<Vec<ExportField>> {
        Some(
            names
                .iter()
                .map(|(name, export_as)| ExportField {
                    name: name.to_string(),
                    export_as: export_as.map(str::to_owned),
                })
                .collect(),
        )
    }

    #[test]
    fn json_lines_hold_the_fields_asked_for_under_their_names() {
        let settings = ExportSettings::of(&ExportRequest {
            fields: fields(&[
                ("user_id", None),
                ("user_metadata.country", Some("country")),
                ("identities[0].connection", Some("provider")),
                ("family_name", None),
            ]),
            ..ExportRequest::default()
        })
        .unwrap();
        assert_eq!(settings.header(), None);
        let line: Value = serde_json::from_str(&settings.line(&user())).unwrap();
        assert_eq!(
            line,
            serde_json::json!({ "user_id": "auth0|42", "country": "UK",
                "provider": "Username-Password-Authentication" }),
            "an absent field is left out"
        );
        let whole = ExportSettings::of(&ExportRequest::default()).unwrap();
        let line: Value = serde_json::from_str(&whole.line(&user())).unwrap();
        assert_eq!(line["logins_count"], 3);
        assert!(line.get(HASH_FIELD).is_none(), "no hash unless asked for");
    }

    #[test]
    fn csv_has_a_header_and_quotes_what_needs_it() {
        let settings = ExportSettings::of(&ExportRequest {
            format: Some("csv".into()),
            fields: fields(&[
                ("user_id", None),
                ("name", Some("full name")),
                ("email_verified", None),
            ]),
            ..ExportRequest::default()
        })
        .unwrap();
        assert_eq!(
            settings.header().unwrap(),
            "user_id,full name,email_verified\n"
        );
        assert_eq!(
            settings.line(&user()),
            "auth0|42,\"Lovelace, Ada \"\"the Countess\"\"\",true\n"
        );
    }

    #[test]
    fn the_hash_is_exported_in_auth0s_import_form_only_when_named() {
        let settings = ExportSettings::of(&ExportRequest {
            fields: fields(&[("email", None), (HASH_FIELD, None)]),
            ..ExportRequest::default()
        })
        .unwrap();
        let line: Value = serde_json::from_str(&settings.line(&user())).unwrap();
        assert_eq!(line[HASH_FIELD]["algorithm"], "argon2");
        let mut imported = user();
        imported.password_hash = r#"{"algorithm":"bcrypt","hash":{"value":"$2b$10$x"}}"#.into();
        let line: Value = serde_json::from_str(&settings.line(&imported)).unwrap();
        assert_eq!(line[HASH_FIELD]["algorithm"], "bcrypt");
    }

    #[test]
    fn bad_requests_are_refused_with_a_reason() {
        for (request, reason) in [
            (
                ExportRequest {
                    format: Some("xml".into()),
                    ..ExportRequest::default()
                },
                "format",
            ),
            (
                ExportRequest {
                    limit: Some(0),
                    ..ExportRequest::default()
                },
                "limit",
            ),
            (
                ExportRequest {
                    fields: fields(&[("identities[x]", None)]),
                    ..ExportRequest::default()
                },
                "not a path",
            ),
            (
                ExportRequest {
                    format: Some("csv".into()),
                    fields: fields(&[("app_metadata", None)]),
                    ..ExportRequest::default()
                },
                "name its fields",
            ),
        ] {
            let error = ExportSettings::of(&request).unwrap_err();
            assert!(error.contains(reason), "{error}");
        }
    }
}
