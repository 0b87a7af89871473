//! Auth0's paging: `page` (from 0), `per_page` (default 50, at most 100) and `include_totals`,
//! which wraps the list as `{start, limit, length, total, <name>: [...]}`.

use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_store::{Listing, Page};

use crate::management::error::ApiError;

/// The paging parameters of a list request.
#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// The page, from 0.
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (50 when absent).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
    /// Answer `{start, limit, length, total, <items>}` instead of the bare array.
    pub include_totals: Option<bool>,
}

impl Paging {
    pub fn page(&self) -> Result<Page, ApiError> {
        let per_page = self.per_page.unwrap_or(50);
        if !(1..=100).contains(&per_page) {
            return Err(ApiError::invalid_query(
                "per_page must be between 1 and 100",
            ));
        }
        Ok(Page {
            page: self.page.unwrap_or(0),
            per_page,
        })
    }
}

/// The list response, shaped as `paging` asks.
pub fn list_response<T>(
    paging: &Paging,
    page: Page,
    listing: Listing<T>,
    name: &str,
    render: impl Fn(&T) -> Value,
) -> Response {
    let items: Vec<Value> = listing.items.iter().map(render).collect();
    if paging.include_totals.unwrap_or(false) {
        let body = json!({
            "start": page.offset(),
            "limit": page.per_page,
            "length": items.len(),
            "total": listing.total,
            name: items,
        });
        Json(body).into_response()
    } else {
        Json(Value::Array(items)).into_response()
    }
}
