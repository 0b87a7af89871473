//! `/api/v2/logs`: the audit log, as Auth0's log events. Filters: Auth0's `q` in its simple
//! form (`field:value` terms joined by `AND`, on `type`, `user_id` and `client_id`), or the
//! same fields as plain parameters; `sort` is `date:-1` (newest first, the default) or
//! `date:1`.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_store::{LogEvent, LogFilter};

use crate::management::auth::ManagementToken;
use crate::management::error::{ApiError, ApiResult};
use crate::management::listing::{list_response, Paging};
use crate::management::openapi::{
    BadRequest, Forbidden, LogEventList, LogEventSchema, NotFound, Unauthorized,
};
use crate::management::payload::ApiQuery;
use crate::state::AppState;

/// The scope that reads the log.
pub const READ_LOGS: &str = "read:logs";

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
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

pub fn log_json(event: &LogEvent) -> Value {
    json!({
        "log_id": event.log_id,
        "date": event.date.rfc3339(),
        "type": event.event_type,
        "description": event.description,
        "client_id": event.client_id,
        "client_name": event.client_name,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "user_id": event.user_id,
        "user_name": event.user_name,
        "details": event.details,
    })
}

/// Sets `slot` to `value`, refusing two different values for one field.
fn set(slot: &mut Option<String>, field: &str, value: String) -> ApiResult<()> {
    match slot {
        Some(existing) if *existing != value => Err(ApiError::invalid_query(format!(
            "Query validation error: `{field}` is given twice with different values"
        ))),
        _ => {
            *slot = Some(value);
            Ok(())
        }
    }
}

/// One `field:value` term; the value may be quoted, and `\` escapes a character.
fn term(text: &str) -> ApiResult<(&str, String)> {
    let invalid = || {
        ApiError::invalid_query(format!(
            "Query validation error: `q`: `{text}` is not a field:value term on type, user_id or client_id"
        ))
    };
    let (field, raw) = text.split_once(':').ok_or_else(invalid)?;
    let raw = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw);
    let mut value = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        value.push(if c == '\\' {
            chars.next().ok_or_else(invalid)?
        } else {
            c
        });
    }
    if value.is_empty() || !matches!(field, "type" | "user_id" | "client_id") {
        return Err(invalid());
    }
    Ok((field, value))
}

/// The filter `query` asks for.
pub fn filter_of(query: &LogQuery) -> ApiResult<LogFilter> {
    let newest_first = match query.sort.as_deref() {
        None | Some("date:-1") => true,
        Some("date:1") => false,
        Some(_) => {
            return Err(ApiError::invalid_query(
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
            .collect::<ApiResult<Vec<_>>>()?,
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

/// `GET /api/v2/logs`.
#[utoipa::path(
    get,
    path = "/api/v2/logs",
    operation_id = "get_logs",
    summary = "Search log events",
    tag = "logs",
    params(Paging, LogQuery),
    responses((status = 200, description = "The log events", body = LogEventList), (status = 400, response = BadRequest), (status = 401, response = Unauthorized), (status = 403, response = Forbidden)),
    security(("bearer" = ["read:logs"])),
)]
pub async fn list(
    State(state): State<AppState>,
    token: ManagementToken,
    ApiQuery(paging): ApiQuery<Paging>,
    ApiQuery(query): ApiQuery<LogQuery>,
) -> ApiResult<Response> {
    token.require(READ_LOGS)?;
    let page = paging.page()?;
    let filter = filter_of(&query)?;
    let listing = state.store.list_log_events(&filter, page).await?;
    Ok(list_response(&paging, page, listing, "logs", log_json))
}

/// `GET /api/v2/logs/{id}`.
#[utoipa::path(
    get,
    path = "/api/v2/logs/{id}",
    operation_id = "get_logs_by_id",
    summary = "Get a log event",
    tag = "logs",
    params(("id" = String, Path, description = "The log_id")),
    responses((status = 200, description = "The log event", body = LogEventSchema), (status = 401, response = Unauthorized), (status = 403, response = Forbidden), (status = 404, response = NotFound)),
    security(("bearer" = ["read:logs"])),
)]
pub async fn get(
    State(state): State<AppState>,
    token: ManagementToken,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    token.require(READ_LOGS)?;
    let event = state
        .store
        .log_event(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("The log event `{id}`")))?;
    Ok(Json(log_json(&event)))
}
