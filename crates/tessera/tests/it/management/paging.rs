//! Auth0's paging on every list: `page` (from 0), `per_page` (1 to 100) and `include_totals`,
//! which wraps the items as `{start, limit, length, total, <items>}`; a malformed query is an
//! Auth0 `invalid_query_string` error.

use reqwest::StatusCode;
use serde_json::Value;

use super::*;

/// Asserts that `GET {list}?…` pages `total` items two at a time under `field`.
async fn assert_pages(m: &Mgmt, list: &str, extra: &str, field: &str, total: u64) {
    let first = m
        .get_ok(&format!(
            "{list}?include_totals=true&page=0&per_page=2{extra}"
        ))
        .await;
    assert_eq!(first["start"], 0, "{first}");
    assert_eq!(first["limit"], 2, "{first}");
    assert_eq!(first["total"], total, "{first}");
    let on_first = total.min(2);
    assert_eq!(first["length"], on_first, "{first}");
    assert_eq!(
        first[field].as_array().unwrap().len() as u64,
        on_first,
        "{first}"
    );

    let second = m
        .get_ok(&format!(
            "{list}?include_totals=true&page=1&per_page=2{extra}"
        ))
        .await;
    assert_eq!(second["start"], 2, "{second}");
    assert_eq!(second["length"], total.saturating_sub(2).min(2), "{second}");

    let plain = m.get_ok(&format!("{list}?page=0&per_page=2{extra}")).await;
    assert!(
        matches!(plain, Value::Array(_)),
        "without totals, a bare array: {plain}"
    );
    assert_eq!(plain, first[field], "the same first page");
}

#[tokio::test]
async fn user_list_pages_with_include_totals() {
    let m = Mgmt::start().await;
    for name in ["amy", "bob"] {
        m.create(
            "/api/v2/users",
            serde_json::json!({
                "email": format!("{name}@example.com"),
                "username": name,
                "password": "a long enough password",
            }),
        )
        .await;
    }
    // The seed's user and the two above.
    assert_pages(&m, "/api/v2/users", "", "users", 3).await;
    // The search narrows the total.
    assert_pages(&m, "/api/v2/users", "&q=bob", "users", 1).await;
}

#[tokio::test]
async fn client_grant_list_pages_with_include_totals() {
    let m = Mgmt::start().await;
    let client = m.create_m2m_client("Paged job").await;
    let id = client["client_id"].as_str().unwrap();
    m.grant(id, API, &["appointments"]).await;
    // The management client's grant and the one above.
    assert_pages(&m, "/api/v2/client-grants", "", "client_grants", 2).await;
    let filter = format!("&client_id={id}");
    assert_pages(&m, "/api/v2/client-grants", &filter, "client_grants", 1).await;
}

#[tokio::test]
async fn resource_server_list_pages_with_include_totals() {
    let m = Mgmt::start().await;
    // The seed's API and the Management API.
    assert_pages(&m, "/api/v2/resource-servers", "", "resource_servers", 2).await;
}

#[tokio::test]
async fn client_list_pages_with_include_totals() {
    let m = Mgmt::start().await;
    // The seed's client and the management client.
    assert_pages(&m, "/api/v2/clients", "", "clients", 2).await;
}

#[tokio::test]
async fn malformed_query_is_an_auth0_invalid_query_string() {
    let m = Mgmt::start().await;
    for list in ["/api/v2/clients", "/api/v2/users", "/api/v2/client-grants"] {
        for query in ["per_page=many", "include_totals=maybe", "page=-1"] {
            let response = m.get(&format!("{list}?{query}")).await;
            let message = expect_error(
                response,
                StatusCode::BAD_REQUEST,
                Some("invalid_query_string"),
            )
            .await;
            let name = query.split('=').next().unwrap();
            assert!(message.contains(name), "{list}?{query}: {message}");
        }
    }
}
