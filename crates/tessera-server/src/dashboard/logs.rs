//! The audit log, newest first, a page at a time; read-only.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use crate::dashboard::session::SignedIn;
use crate::dashboard::view::{self, render, Chrome};
use crate::state::AppState;

const PER_PAGE: u64 = 50;

pub struct LogRow {
    pub date: String,
    pub event_type: String,
    pub description: String,
    pub user: String,
    pub client: String,
    pub ip: String,
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

fn log_row(event: &Value) -> LogRow {
    let user = match (event["user_name"].as_str(), event["user_id"].as_str()) {
        (Some(name), _) => name.to_owned(),
        (None, Some(id)) => id.to_owned(),
        _ => String::new(),
    };
    let client = event["client_name"]
        .as_str()
        .or(event["client_id"].as_str())
        .unwrap_or_default()
        .to_owned();
    LogRow {
        date: text(&event["date"]),
        event_type: text(&event["type"]),
        description: text(&event["description"]),
        user,
        client,
        ip: text(&event["ip"]),
    }
}

#[derive(Template)]
#[template(path = "dashboard/logs.html")]
struct LogsPage {
    chrome: Chrome,
    events: Vec<LogRow>,
    page: u64,
    total: u64,
    previous: Option<u64>,
    next: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct LogsQuery {
    #[serde(default)]
    page: u64,
}

/// `GET /dashboard/logs?page=N`.
pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<LogsQuery>,
) -> Result<Response, Response> {
    let api = signed_in.api(&state).await?;
    let path = format!(
        "/api/v2/logs?include_totals=true&per_page={PER_PAGE}&page={}",
        query.page
    );
    let listed = api.get(&path).await.map_err(|f| view::failure(&f))?;
    let events: Vec<LogRow> = listed["logs"]
        .as_array()
        .map(|items| items.iter().map(log_row).collect())
        .unwrap_or_default();
    let total = listed["total"].as_u64().unwrap_or(0);
    let page = LogsPage {
        chrome: Chrome::of(&signed_in, "logs"),
        previous: query.page.checked_sub(1),
        next: ((query.page + 1) * PER_PAGE < total).then_some(query.page + 1),
        page: query.page,
        total,
        events,
    };
    Ok(render(StatusCode::OK, page.render()))
}
