//! Auth0's paging: `page` (from 0), `per_page` (default 50, at most 100) and `include_totals`,
//! which wraps a list as `{start, limit, length, total, <name>: [...]}`. Also how a front end
//! gets a whole list, a page at a time ([`every`]).

use std::future::Future;

use serde::{Deserialize, Serialize};
use tessera_store::Listing;
pub use tessera_store::Page;

use crate::error::{AdminError, AdminResult};

/// Items per page when none is asked for.
pub const DEFAULT_PER_PAGE: u32 = 50;
/// The most items one page holds.
pub const MAX_PER_PAGE: u32 = 100;

/// The paging parameters of a list request.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, utoipa::IntoParams)]
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
    /// The page asked for; `per_page` out of range is refused.
    pub fn page(&self) -> AdminResult<Page> {
        let per_page = self.per_page.unwrap_or(DEFAULT_PER_PAGE);
        if !(1..=MAX_PER_PAGE).contains(&per_page) {
            return Err(AdminError::InvalidQuery(
                "per_page must be between 1 and 100".into(),
            ));
        }
        Ok(Page {
            page: self.page.unwrap_or(0),
            per_page,
        })
    }

    pub fn with_totals(&self) -> bool {
        self.include_totals.unwrap_or(false)
    }
}

/// One page of a list, and where it stands in the whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<T> {
    pub items: Vec<T>,
    /// The offset of the first item.
    pub start: u64,
    /// The page size asked for.
    pub limit: u32,
    /// The number of items on all pages.
    pub total: u64,
}

impl<T> Listed<T> {
    /// The page `page` of a store listing, each item shown with `show`.
    pub fn of<R>(page: Page, listing: Listing<R>, show: impl Fn(&R) -> T) -> Listed<T> {
        Listed {
            items: listing.items.iter().map(show).collect(),
            start: u64::try_from(page.offset()).unwrap_or(0),
            limit: page.per_page,
            total: listing.total,
        }
    }

    /// Whether pages after this one hold more items.
    pub fn has_more(&self) -> bool {
        self.start + (self.items.len() as u64) < self.total
    }
}

impl Paging {
    /// Page `page` (from 0) of [`MAX_PER_PAGE`] items.
    pub fn nth(page: u32) -> Paging {
        Paging {
            page: Some(page),
            per_page: Some(MAX_PER_PAGE),
            include_totals: None,
        }
    }
}

/// Every item of a list, fetched [`MAX_PER_PAGE`] at a time until the last page.
pub async fn every<T, F, Fut>(mut fetch: F) -> AdminResult<Vec<T>>
where
    F: FnMut(Paging) -> Fut,
    Fut: Future<Output = AdminResult<Listed<T>>>,
{
    let mut all = Vec::new();
    for page in 0..u32::MAX {
        let listed = fetch(Paging::nth(page)).await?;
        let more = listed.has_more() && !listed.items.is_empty();
        all.extend(listed.items);
        if !more {
            break;
        }
    }
    Ok(all)
}

/// For each resource, the list answer in both of Auth0's shapes: a bare array, or a page with
/// totals (`include_totals=true`) naming the items after the resource. The Management API
/// answers with these types and its OpenAPI document describes them.
macro_rules! list_shapes {
    ($($list:ident, $page:ident, $item:ty, $field:ident, $name:literal;)*) => {$(
        #[doc = concat!("A page of ", $name, " with totals.")]
        #[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub struct $page {
            /// The offset of the first item.
            pub start: u64,
            /// `per_page`.
            pub limit: u32,
            /// The number of items on this page.
            pub length: u64,
            /// The number of items on all pages.
            pub total: u64,
            pub $field: Vec<$item>,
        }

        #[doc = concat!("The ", $name, ": an array, or a page with totals (`include_totals=true`).")]
        #[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(untagged)]
        pub enum $list {
            Items(Vec<$item>),
            Page($page),
        }

        impl $list {
            /// `listed` as a bare array, or with its totals.
            pub fn new(listed: $crate::paging::Listed<$item>, with_totals: bool) -> $list {
                if with_totals {
                    $list::Page($page {
                        start: listed.start,
                        limit: listed.limit,
                        length: listed.items.len() as u64,
                        total: listed.total,
                        $field: listed.items,
                    })
                } else {
                    $list::Items(listed.items)
                }
            }
        }
    )*};
}

pub(crate) use list_shapes;
