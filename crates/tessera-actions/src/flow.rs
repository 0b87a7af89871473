//! One flow of Actions as Auth0 runs it, outside the engine: each Action's own copy of `event`
//! (its secrets, and what earlier Actions of the flow changed), and what each one asked for
//! merged into the [`Outcome`] under Auth0's rules.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::claims::{is_restricted_claim, MAX_CUSTOM_CLAIMS_BYTES};
use crate::{Failure, MetadataChanges, Outcome, Script, Trigger, MAX_LOG_LINE, MAX_LOG_LINES};

/// Auth0's "Credentials Exchange API object": `api.access.deny(code, reason)`, "Allowed values:
/// invalid_scope, invalid_request, server_error".
const DENY_CODES: &[&str] = &["invalid_scope", "invalid_request", "server_error"];

/// The `event` `script` sees: a copy of `base` with `event.secrets` as its own secrets, and
/// what the earlier Actions of the flow did —
/// post-login: their metadata in `event.user.app_metadata`/`user_metadata` (Auth0 support,
/// "Add or Update User Metadata in Post-Login Actions": `api.user.setUserMetadata` "updates
/// the event object that propagates through the pipeline, making the update visible to
/// subsequent Actions"); credentials exchange: their claims in
/// `event.accessToken.customClaims` (the event object's "information about the access token
/// to be issued").
pub(crate) fn event_for(
    trigger: Trigger,
    base: &Value,
    script: &Script,
    so_far: &Outcome,
) -> Value {
    let mut event = base.clone();
    let Value::Object(fields) = &mut event else {
        return event;
    };
    let secrets: Map<String, Value> = script
        .secrets
        .iter()
        .map(|(name, value)| (name.clone(), Value::String(value.clone())))
        .collect();
    fields.insert("secrets".to_owned(), Value::Object(secrets));
    match trigger {
        Trigger::PostLogin => {
            if let Some(Value::Object(user)) = fields.get_mut("user") {
                apply_metadata(user, "app_metadata", &so_far.app_metadata);
                apply_metadata(user, "user_metadata", &so_far.user_metadata);
            }
        }
        Trigger::CredentialsExchange if !so_far.access_token_claims.is_empty() => {
            with_object(fields, "accessToken", |token| {
                with_object(token, "customClaims", |claims| {
                    claims.extend(so_far.access_token_claims.clone());
                });
            });
        }
        Trigger::CredentialsExchange => {}
    }
    event
}

/// Merges `set` into `user[key]` key by key; `null` removes the key (Auth0's metadata PATCH).
fn apply_metadata(user: &mut Map<String, Value>, key: &str, set: &Map<String, Value>) {
    if set.is_empty() {
        return;
    }
    with_object(user, key, |metadata| {
        for (name, value) in set {
            if value.is_null() {
                metadata.remove(name);
            } else {
                metadata.insert(name.clone(), value.clone());
            }
        }
    });
}

/// Calls `change` on `fields[key]` as an object, made one if it is missing or not an object.
fn with_object(
    fields: &mut Map<String, Value>,
    key: &str,
    change: impl FnOnce(&mut Map<String, Value>),
) {
    let mut object = match fields.remove(key) {
        Some(Value::Object(object)) => object,
        _ => Map::new(),
    };
    change(&mut object);
    fields.insert(key.to_owned(), Value::Object(object));
}

/// What one Action's `__tessera_run` returned.
#[derive(Deserialize)]
struct Asked {
    id_token_claims: Map<String, Value>,
    access_token_claims: Map<String, Value>,
    scopes_added: Vec<String>,
    scopes_removed: Vec<String>,
    app_metadata: Map<String, Value>,
    user_metadata: Map<String, Value>,
    denied: Option<Denial>,
    #[serde(default)]
    multifactor: Option<String>,
    #[serde(default)]
    logs: Vec<String>,
}

#[derive(Deserialize)]
struct Denial {
    reason: String,
    #[serde(default)]
    code: Option<String>,
}

/// Adds what Action `action` asked for (its result as JSON) to `outcome`; later Actions win
/// on the same claim or key. A denial keeps the metadata changes, as Auth0 does.
pub(crate) fn merge(
    outcome: &mut Outcome,
    trigger: Trigger,
    action: &str,
    json: &str,
) -> Result<(), Failure> {
    let threw = |message: String| Failure::Threw {
        action: action.to_owned(),
        message,
    };
    let asked: Asked =
        serde_json::from_str(json).map_err(|error| threw(format!("unreadable result: {error}")))?;
    for line in asked.logs {
        log(outcome, action, &line);
    }
    outcome.app_metadata.extend(asked.app_metadata);
    outcome.user_metadata.extend(asked.user_metadata);
    if let Some(denial) = asked.denied {
        return Err(denied(outcome, trigger, action, denial)?);
    }
    if asked.multifactor.is_some() {
        outcome.multifactor = asked.multifactor;
    }
    for (claims, into) in [
        (asked.id_token_claims, &mut outcome.id_token_claims),
        (asked.access_token_claims, &mut outcome.access_token_claims),
    ] {
        for (name, value) in claims {
            if is_restricted_claim(&name) {
                // Create Custom Claims: "the transaction won't fail, but your custom claim
                // won't be added to your tokens".
                let line = format!("the restricted claim '{name}' was not added");
                log_into(&mut outcome.logs, action, &line);
            } else {
                into.insert(name, value);
            }
        }
    }
    for (token, claims) in [
        ("ID", &outcome.id_token_claims),
        ("access", &outcome.access_token_claims),
    ] {
        let size = serde_json::to_vec(claims).map_or(usize::MAX, |json| json.len());
        if size > MAX_CUSTOM_CLAIMS_BYTES {
            return Err(threw(format!(
                "the custom claims of the {token} token take {size} bytes, over Auth0's limit of 100 KB"
            )));
        }
    }
    merge_scopes(outcome, asked.scopes_added, asked.scopes_removed);
    Ok(())
}

/// The denial `denial` of `action`, or why it is not one (a credentials-exchange code Auth0
/// does not allow; the JavaScript side refuses it first, this holds if the Action replaced it).
fn denied(
    outcome: &Outcome,
    trigger: Trigger,
    action: &str,
    denial: Denial,
) -> Result<Failure, Failure> {
    let code = match trigger {
        Trigger::PostLogin => None,
        Trigger::CredentialsExchange => match denial.code {
            Some(code) if DENY_CODES.contains(&code.as_str()) => Some(code),
            _ => {
                return Err(Failure::Threw {
                    action: action.to_owned(),
                    message: format!(
                        "api.access.deny: code must be one of {}",
                        DENY_CODES.join(", ")
                    ),
                })
            }
        },
    };
    Ok(Failure::Denied {
        action: action.to_owned(),
        reason: denial.reason,
        code,
        metadata: Box::new(MetadataChanges {
            app_metadata: outcome.app_metadata.clone(),
            user_metadata: outcome.user_metadata.clone(),
        }),
    })
}

fn merge_scopes(outcome: &mut Outcome, added: Vec<String>, removed: Vec<String>) {
    for scope in added {
        outcome.scopes_removed.retain(|s| *s != scope);
        if !outcome.scopes_added.contains(&scope) {
            outcome.scopes_added.push(scope);
        }
    }
    for scope in removed {
        outcome.scopes_added.retain(|s| *s != scope);
        if !outcome.scopes_removed.contains(&scope) {
            outcome.scopes_removed.push(scope);
        }
    }
}

fn log(outcome: &mut Outcome, action: &str, line: &str) {
    log_into(&mut outcome.logs, action, line);
}

/// Adds `action: line` to `logs` while there is room, cut to [`MAX_LOG_LINE`] bytes.
pub(crate) fn log_into(logs: &mut Vec<String>, action: &str, line: &str) {
    if logs.len() >= MAX_LOG_LINES {
        return;
    }
    let mut line = format!("{action}: {line}");
    if line.len() > MAX_LOG_LINE {
        let mut end = MAX_LOG_LINE;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        line.truncate(end);
    }
    logs.push(line);
}
