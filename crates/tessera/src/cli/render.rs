//! Showing answers: tables for lists, field by field for one item, the API's JSON with
//! `--json`; and errors as the API's message plus what to do next.

use std::fmt::Write as _;

use serde_json::Value;

use crate::cli::call::{Call, Noun, View};

/// What to print for a successful answer.
pub fn shown(call: &Call, answer: &Value, json: bool) -> String {
    if json {
        return match answer {
            Value::Null => String::new(),
            value => format!("{}\n", pretty(value)),
        };
    }
    match &call.view {
        View::List => table(call.noun, answer),
        View::Detail => detail(call.noun, answer),
        View::Done(message) => format!("{message}\n"),
    }
}

/// Indented JSON.
pub fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// A value as one cell: lists joined by `, `, a scope as `value (description)`.
fn text(value: &Value) -> String {
    match value {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "-".into(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        Value::Object(map) => match (map.get("value"), map.get("description")) {
            (Some(Value::String(v)), Some(Value::String(d))) if !d.is_empty() => {
                format!("{v} ({d})")
            }
            (Some(Value::String(v)), _) => v.clone(),
            _ => value.to_string(),
        },
        other => other.to_string(),
    }
}

type Column = (&'static str, fn(&Value) -> String);

fn words(value: &Value) -> String {
    match value {
        Value::Array(items) if items.is_empty() => "-".into(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(" "),
        other => text(other),
    }
}

fn key_status(key: &Value) -> String {
    if key["revoked"] == Value::Bool(true) {
        format!("revoked {}", text(&key["revoked_at"]))
    } else if key["current"] == Value::Bool(true) {
        "current".into()
    } else {
        "previous".into()
    }
}

fn columns(noun: Noun) -> Vec<Column> {
    match noun {
        Noun::Clients => vec![
            ("CLIENT_ID", |v| text(&v["client_id"])),
            ("NAME", |v| text(&v["name"])),
            ("APP_TYPE", |v| text(&v["app_type"])),
            ("GRANTS", |v| words(&v["grant_types"])),
        ],
        Noun::Apis => vec![
            ("IDENTIFIER", |v| text(&v["identifier"])),
            ("NAME", |v| text(&v["name"])),
            ("ALG", |v| text(&v["signing_alg"])),
            ("OFFLINE", |v| text(&v["allow_offline_access"])),
            ("SCOPES", |v| {
                let scopes = v["scopes"].as_array().cloned().unwrap_or_default();
                words(&Value::from(
                    scopes
                        .iter()
                        .map(|s| s["value"].clone())
                        .collect::<Vec<_>>(),
                ))
            }),
        ],
        Noun::Users => vec![
            ("USER_ID", |v| text(&v["user_id"])),
            ("EMAIL", |v| text(&v["email"])),
            ("NAME", |v| text(&v["name"])),
            ("BLOCKED", |v| text(&v["blocked"])),
        ],
        Noun::Grants => vec![
            ("ID", |v| text(&v["id"])),
            ("CLIENT_ID", |v| text(&v["clientID"])),
            ("AUDIENCE", |v| text(&v["audience"])),
            ("SCOPE", |v| words(&v["scope"])),
        ],
        Noun::ClientGrants => vec![
            ("ID", |v| text(&v["id"])),
            ("CLIENT_ID", |v| text(&v["client_id"])),
            ("AUDIENCE", |v| text(&v["audience"])),
            ("SCOPE", |v| words(&v["scope"])),
        ],
        Noun::Keys => vec![
            ("KID", |v| text(&v["kid"])),
            ("ALG", |v| text(&v["alg"])),
            ("CREATED", |v| text(&v["created_at"])),
            ("STATUS", key_status),
        ],
    }
}

/// Items as a table with a header row; columns as wide as their widest cell.
pub fn table(noun: Noun, answer: &Value) -> String {
    let items = match answer {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    if items.is_empty() {
        return format!("{}\n", noun.empty());
    }
    let columns = columns(noun);
    let mut rows = vec![columns.iter().map(|(h, _)| (*h).to_owned()).collect()];
    rows.extend(
        items
            .iter()
            .map(|item| columns.iter().map(|(_, cell)| cell(item)).collect()),
    );
    let widths: Vec<usize> = (0..columns.len())
        .map(|i| {
            rows.iter()
                .map(|r: &Vec<String>| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ", width = widths[i]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// One item field by field, its id and name first; a new client secret last, with a word that
/// it is shown only once.
pub fn detail(noun: Noun, answer: &Value) -> String {
    let Some(map) = answer.as_object() else {
        return format!("{}\n", text(answer));
    };
    let rank = |name: &str| match name {
        _ if name == noun.id_field() => 0,
        "name" => 1,
        _ => 2,
    };
    let mut fields: Vec<_> = map.iter().filter(|(k, _)| *k != "client_secret").collect();
    fields.sort_by_key(|(name, _)| rank(name));
    let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (name, value) in fields {
        let _ = writeln!(out, "{name:<width$}  {}", text(value));
    }
    if let Some(secret) = map.get("client_secret").and_then(Value::as_str) {
        let id = text(&map["client_id"]);
        let _ = write!(
            out,
            "\nclient_secret: {secret}\n\nThe client secret is shown only this once: store it now. \
             `tessera clients rotate {id}` replaces it.\n"
        );
    }
    out
}

/// A refused request: the API's message, then what to do next.
pub fn failure(status: u16, body: &Value, noun: Noun) -> String {
    let message = ["message", "error_description", "error"]
        .iter()
        .find_map(|k| body[*k].as_str())
        .or(body.as_str())
        .map_or_else(|| format!("the server answered {status}"), str::to_owned);
    let hint = match status {
        401 => Some(UNAUTHORIZED_HINT.to_owned()),
        403 if body["errorCode"] == "insufficient_scope" => {
            let scope = message.rsplit(": ").next().unwrap_or_default();
            Some(format!(
                "the management client lacks the scope `{scope}`: its client grant for the \
                 Management API must include it (`tessera client-grants list --client CLIENT_ID`)"
            ))
        }
        404 => Some(format!("list them with `{}`", noun.list_command())),
        409 => Some(format!(
            "list the existing ones with `{}`",
            noun.list_command()
        )),
        _ => None,
    };
    match hint {
        Some(hint) => format!("{message} ({status})\nhint: {hint}"),
        None => format!("{message} ({status})"),
    }
}

const UNAUTHORIZED_HINT: &str = "check --client-id/--client-secret (or TESSERA_CLIENT_ID/\
     TESSERA_CLIENT_SECRET), or run against the local store (without --server)";

/// The token endpoint refused the management client.
pub fn token_failure(status: u16, body: &Value, client_id: &str, audience: &str) -> String {
    let error = body["error"].as_str().unwrap_or("error");
    let description = body["error_description"]
        .as_str()
        .or(body.as_str())
        .unwrap_or("no description");
    let hint = if status == 401 || error == "invalid_client" {
        UNAUTHORIZED_HINT.to_owned()
    } else {
        format!(
            "`{client_id}` needs the client_credentials grant and a client grant for `{audience}`"
        )
    };
    format!(
        "the management client `{client_id}` got no token: {description} ({error}, {status})\n\
         hint: {hint}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn table_pads_every_column_but_the_last() {
        let answer = json!([
            { "client_id": "abc", "name": "App", "app_type": "spa", "grant_types": ["implicit"] },
            { "client_id": "a", "name": "Longer name", "app_type": "regular_web", "grant_types": [] },
        ]);
        let text = table(Noun::Clients, &answer);
        assert_eq!(
            text,
            "CLIENT_ID  NAME         APP_TYPE     GRANTS\n\
             abc        App          spa          implicit\n\
             a          Longer name  regular_web  -\n"
        );
    }

    #[test]
    fn not_found_suggests_the_list_command() {
        let body = json!({ "statusCode": 404, "message": "The client `x` does not exist" });
        let message = failure(404, &body, Noun::Clients);
        assert!(message.contains("`tessera clients list`"), "{message}");
    }

    #[test]
    fn insufficient_scope_names_the_scope() {
        let body = json!({ "message": "Insufficient scope, expected any of: read:users", "errorCode": "insufficient_scope" });
        let message = failure(403, &body, Noun::Users);
        assert!(
            message.contains("lacks the scope `read:users`"),
            "{message}"
        );
    }

    #[test]
    fn detail_shows_a_new_secret_once_with_a_warning() {
        let text = detail(
            Noun::Clients,
            &json!({ "client_id": "c1", "name": "A", "client_secret": "s3cret" }),
        );
        assert!(text.contains("client_secret: s3cret"), "{text}");
        assert!(text.contains("shown only this once"), "{text}");
        assert_eq!(text.matches("s3cret").count(), 1, "{text}");
    }
}
