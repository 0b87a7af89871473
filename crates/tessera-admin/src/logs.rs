//! The audit log, as Auth0's log events. Filters: Auth0's `q` in its simple form
//! (`field:value` terms joined by `AND`, on `type`, `user_id` and `client_id`), or the same
//! fields as plain parameters; `sort` is `date:-1` (newest first, the default) or `date:1`.

use serde::{Deserialize, Serialize};
use tessera_store::{LogEvent as StoredEvent, LogFilter};

use crate::error::{AdminError, AdminResult, Missing};
use crate::paging::{list_shapes, Listed, Paging};
use crate::scopes::READ_LOGS;
use crate::service::{Admin, Caller};

/// How to filter and order the log.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// Lucene-style search, simple form only: `type:s AND user_id:"auth0|…"`; fields `type`,
    /// `user_id`, `client_id`.
    pub q: Option<String>,
    /// `date:-1` (newest first, the default) or `date:1`.
    pub sort: Option<String>,
    /// Only events of this type code.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub event_type: Option<String>,
    /// Only events about this user.
    pub user_id: Option<String>,
    /// Only events of this application.
    pub client_id: Option<String>,
}

/// An audit log event, Auth0's shape. `type` is Auth0's code (`s`, `fp`, `fu`, `f`,
/// `seacft`, `feacft`, `seccft`, `sertft`, `ferrt`, `sapi`, `limit_wc`, `limit_mu`) or
/// Tessera's `consent_granted` / `consent_revoked`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LogEvent {
    pub log_id: String,
    /// RFC 3339.
    pub date: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub description: String,
    pub client_id: Option<String>,
    pub client_name: Option<String>,
    /// The client's IP address.
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    /// Facts of the event (scope, audience, kid, …); never a secret.
    pub details: serde_json::Map<String, serde_json::Value>,
}

impl LogEvent {
    fn of(event: &StoredEvent) -> LogEvent {
        LogEvent {
            log_id: event.log_id.clone(),
            date: event.date.rfc3339(),
            event_type: event.event_type.clone(),
            description: event.description.clone(),
            client_id: event.client_id.clone(),
            client_name: event.client_name.clone(),
            ip: event.ip.clone(),
            user_agent: event.user_agent.clone(),
            user_id: event.user_id.clone(),
            user_name: event.user_name.clone(),
            details: event.details.as_object().cloned().unwrap_or_default(),
        }
    }
}

list_shapes! {
    LogEventList, LogEventPage, LogEvent, logs, "log events";
}

fn invalid(message: impl Into<String>) -> AdminError {
    AdminError::InvalidQuery(message.into())
}

/// Sets `slot` to `value`, refusing two different values for one field.
fn set(slot: &mut Option<String>, field: &str, value: String) -> AdminResult<()> {
    match slot {
        Some(existing) if *existing != value => Err(invalid(format!(
            "Query validation error: `{field}` is given twice with different values"
        ))),
        _ => {
            *slot = Some(value);
            Ok(())
        }
    }
}

/// One `field:value` term; the value may be quoted, and `\` escapes a character.
fn term(text: &str) -> AdminResult<(&str, String)> {
    let refused = || {
        invalid(format!(
            "Query validation error: `q`: `{text}` is not a field:value term on type, user_id or client_id"
        ))
    };
    let (field, raw) = text.split_once(':').ok_or_else(refused)?;
    let raw = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw);
    let mut value = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        value.push(if c == '\\' {
            chars.next().ok_or_else(refused)?
        } else {
            c
        });
    }
    if value.is_empty() || !matches!(field, "type" | "user_id" | "client_id") {
        return Err(refused());
    }
    Ok((field, value))
}

/// The filter `query` asks for.
pub fn filter_of(query: &LogQuery) -> AdminResult<LogFilter> {
    let newest_first = match query.sort.as_deref() {
        None | Some("date:-1") => true,
        Some("date:1") => false,
        Some(_) => {
            return Err(invalid(
                "Query validation error: `sort` must be date:-1 or date:1",
            ))
        }
    };
    let mut filter = LogFilter {
        newest_first,
        ..LogFilter::default()
    };
    let plain = [
        ("type", &query.event_type),
        ("user_id", &query.user_id),
        ("client_id", &query.client_id),
    ];
    let searched = match query.q.as_deref().map(str::trim) {
        Some(q) if !q.is_empty() => q
            .split(" AND ")
            .map(|t| term(t.trim()))
            .collect::<AdminResult<Vec<_>>>()?,
        _ => Vec::new(),
    };
    let given = plain
        .into_iter()
        .filter_map(|(field, value)| Some((field, value.clone()?)))
        .chain(searched);
    for (field, value) in given {
        let slot = match field {
            "type" => &mut filter.event_type,
            "user_id" => &mut filter.user_id,
            _ => &mut filter.client_id,
        };
        set(slot, field, value)?;
    }
    Ok(filter)
}

impl Admin {
    pub async fn list_logs(
        &self,
        caller: &Caller,
        query: &LogQuery,
        paging: &Paging,
    ) -> AdminResult<Listed<LogEvent>> {
        caller.require(READ_LOGS)?;
        let page = paging.page()?;
        let filter = filter_of(query)?;
        let listing = self.store().list_log_events(&filter, page).await?;
        Ok(Listed::of(page, listing, LogEvent::of))
    }

    pub async fn log(&self, caller: &Caller, id: &str) -> AdminResult<LogEvent> {
        caller.require(READ_LOGS)?;
        let event =
            self.store().log_event(id).await?.ok_or_else(|| {
                AdminError::NotFound(Missing::Other, format!("The log event `{id}`"))
            })?;
        Ok(LogEvent::of(&event))
    }
}
