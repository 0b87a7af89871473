//! One Management API request as the CLI makes it, with what it is about and how to show its
//! answer.

use axum::http::Method;
use serde_json::{Map, Value};

/// The resource a command manages: names its list command and its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Noun {
    Clients,
    Apis,
    Users,
    Grants,
    ClientGrants,
    Keys,
}

impl Noun {
    /// The command that lists this resource.
    pub fn list_command(self) -> &'static str {
        match self {
            Noun::Clients => "tessera clients list",
            Noun::Apis => "tessera apis list",
            Noun::Users => "tessera users list",
            Noun::Grants => "tessera grants list --user USER_ID",
            Noun::ClientGrants => "tessera client-grants list",
            Noun::Keys => "tessera keys list",
        }
    }

    /// What an empty list says.
    pub fn empty(self) -> &'static str {
        match self {
            Noun::Clients => {
                "No applications yet: register one with \
                 `tessera clients create --name NAME --app-type TYPE`."
            }
            Noun::Apis => {
                "No APIs yet: register one with `tessera apis create --identifier ID --name NAME`."
            }
            Noun::Users => {
                "No users found: create one with \
                 `tessera users create --email EMAIL --password PASSWORD`."
            }
            Noun::Grants => "No grants: this user has not consented to any application.",
            Noun::ClientGrants => {
                "No client grants found: create one with \
                 `tessera client-grants create --client ID --audience API --scope SCOPE`."
            }
            Noun::Keys => "No signing keys yet.",
        }
    }

    /// Whether the CLI pages through its list (Auth0's `page`/`per_page`). The users and
    /// client grants lists page too, but their query parser refuses numbers next to a
    /// `#[serde(flatten)]`ed `Paging` (`?page=0` is a 400), so until that is fixed the CLI asks
    /// them for their first page (50) only.
    pub fn paged(self) -> bool {
        matches!(self, Noun::Clients | Noun::Apis)
    }

    /// The field that identifies one item, shown first.
    pub fn id_field(self) -> &'static str {
        match self {
            Noun::Clients => "client_id",
            Noun::Apis => "identifier",
            Noun::Users => "user_id",
            Noun::Grants | Noun::ClientGrants => "id",
            Noun::Keys => "kid",
        }
    }
}

/// How to show a successful answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    /// Every item, as a table (all pages are fetched).
    List,
    /// One item, field by field (and a new client secret, once).
    Detail,
    /// Nothing came back; say this.
    Done(String),
}

/// A Management API request.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    /// The path, its segments percent-encoded, without the query.
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<Value>,
    pub noun: Noun,
    pub view: View,
}

impl Call {
    /// `GET path?query`, shown as a table.
    pub fn list(noun: Noun, path: &str, query: Vec<(&'static str, String)>) -> Call {
        Call {
            method: Method::GET,
            path: path.to_owned(),
            query,
            body: None,
            noun,
            view: View::List,
        }
    }

    /// A request whose answer is one item.
    pub fn one(noun: Noun, method: Method, path: String, body: Option<Value>) -> Call {
        Call {
            method,
            path,
            query: Vec::new(),
            body,
            noun,
            view: View::Detail,
        }
    }

    /// `DELETE path`; `done` says what happened.
    pub fn delete(noun: Noun, path: String, done: String) -> Call {
        Call {
            method: Method::DELETE,
            path,
            query: Vec::new(),
            body: None,
            noun,
            view: View::Done(done),
        }
    }
}

/// `base/segment`, the segment percent-encoded (ids such as `auth0|…` or an API identifier
/// `https://api.example.com/` are one path segment).
pub fn path(base: &str, segment: &str) -> String {
    let mut out = format!("{base}/");
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A JSON object of the fields that are present.
pub fn object<const N: usize>(fields: [(&str, Option<Value>); N]) -> Value {
    let map: Map<String, Value> = fields
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name.to_owned(), v)))
        .collect();
    Value::Object(map)
}

/// A list option: absent when not given.
pub fn many(values: Vec<String>) -> Option<Value> {
    (!values.is_empty()).then(|| Value::from(values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(
            path("/api/v2/users", "auth0|0a1B"),
            "/api/v2/users/auth0%7C0a1B"
        );
        assert_eq!(
            path("/api/v2/resource-servers", "https://api.example.com/"),
            "/api/v2/resource-servers/https%3A%2F%2Fapi.example.com%2F"
        );
    }

    #[test]
    fn object_keeps_only_present_fields() {
        let value = object([("name", Some("A".into())), ("callbacks", many(Vec::new()))]);
        assert_eq!(value, serde_json::json!({ "name": "A" }));
    }
}
