//! The audit log, newest first, a page at a time; read-only.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use tessera_admin::logs::{LogEvent, LogQuery};
use tessera_admin::paging::{Paging, DEFAULT_PER_PAGE};

use crate::dashboard::session::SignedIn;
use crate::dashboard::view::{render, Chrome, Page};
use crate::state::AppState;

/// A log event as a row: who, by name when the log has one.
pub struct LogRow {
    pub date: String,
    pub event_type: String,
    pub description: String,
    pub user: String,
    pub client: String,
    pub ip: String,
}

impl LogRow {
    fn of(event: LogEvent) -> LogRow {
        LogRow {
            user: event.user_name.or(event.user_id).unwrap_or_default(),
            client: event.client_name.or(event.client_id).unwrap_or_default(),
            ip: event.ip.unwrap_or_default(),
            date: event.date,
            event_type: event.event_type,
            description: event.description,
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/logs.html")]
struct LogsPage {
    chrome: Chrome,
    events: Vec<LogRow>,
    page: u32,
    total: u64,
    previous: Option<u32>,
    next: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
pub struct LogsQuery {
    #[serde(default)]
    page: u32,
}

/// `GET /dashboard/logs?page=N`.
pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<LogsQuery>,
) -> Page {
    let paging = Paging {
        page: Some(query.page),
        per_page: Some(DEFAULT_PER_PAGE),
        include_totals: None,
    };
    let listed = state
        .admin
        .list_logs(&signed_in.caller, &LogQuery::default(), &paging)
        .await?;
    let page = LogsPage {
        chrome: signed_in.chrome("logs"),
        previous: query.page.checked_sub(1),
        next: listed.has_more().then_some(query.page + 1),
        page: query.page,
        total: listed.total,
        events: listed.items.into_iter().map(LogRow::of).collect(),
    };
    Ok(render(StatusCode::OK, page.render()))
}
