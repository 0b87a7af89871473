//! `/api/v2/roles` and a user's roles and permissions (Auth0's RBAC): role CRUD with paging and a
//! case-insensitive name filter, a role's permissions and users, a user's roles and permissions
//! with their sources; a permission is a scope its API defines, and going away with the role or
//! the scope; bad input is refused whole, before anything is written.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::*;

const ORDERS: &str = "https://orders.example.com/api";

/// An API of our own with three scopes, for the permissions the tests hand out.
async fn orders_api(m: &Mgmt) {
    m.create(
        "/api/v2/resource-servers",
        json!({
            "identifier": ORDERS,
            "name": "Orders API",
            "scopes": [
                { "value": "read:orders", "description": "Read orders" },
                { "value": "write:orders", "description": "Write orders" },
                { "value": "delete:orders", "description": "Delete orders" },
            ],
        }),
    )
    .await;
}

fn permission(name: &str) -> Value {
    json!({ "resource_server_identifier": ORDERS, "permission_name": name })
}

fn permissions(names: &[&str]) -> Value {
    json!({ "permissions": names.iter().map(|n| permission(n)).collect::<Vec<_>>() })
}

/// A new role; Auth0 answers its creation with 200, not 201.
async fn create_role(m: &Mgmt, name: &str) -> String {
    let response = m
        .post(
            "/api/v2/roles",
            json!({ "name": name, "description": format!("The {name}") }),
        )
        .await;
    let role = expect_status(response, StatusCode::OK).await;
    role["id"].as_str().unwrap().to_owned()
}

/// A new user of the database connection; their id.
async fn create_user(m: &Mgmt, name: &str) -> String {
    let user = m
        .create(
            "/api/v2/users",
            json!({
                "connection": "Username-Password-Authentication",
                "email": format!("{name}@example.com"),
                "name": name,
                "password": "a long enough passphrase 42",
            }),
        )
        .await;
    user["user_id"].as_str().unwrap().to_owned()
}

fn role_path(id: &str) -> String {
    format!("/api/v2/roles/{id}")
}

fn user_path(id: &str) -> String {
    format!("/api/v2/users/{}", encoded(id))
}

/// `DELETE path` with a JSON body (Auth0's removals carry one).
async fn delete_with(m: &Mgmt, path: &str, body: Value) -> Response {
    m.send(Method::DELETE, path, Some(body)).await
}

/// The `field` of every item of the list at `path`.
async fn listed(m: &Mgmt, path: &str, field: &str) -> Vec<String> {
    let list = m.get_ok(path).await;
    list.as_array()
        .unwrap_or_else(|| panic!("a bare array: {list}"))
        .iter()
        .map(|item| item[field].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn role_life_cycle_create_get_patch_list_delete() {
    let m = Mgmt::start().await;
    let response = m
        .post(
            "/api/v2/roles",
            json!({ "name": "Billing admin", "description": "Manages invoices" }),
        )
        .await;
    let created = expect_status(response, StatusCode::OK).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let suffix = id.strip_prefix("rol_").unwrap_or_else(|| panic!("{id}"));
    assert!(
        suffix.len() == 16 && suffix.chars().all(|c| c.is_ascii_alphanumeric()),
        "Auth0's shape: {id}"
    );
    assert_eq!(
        created,
        json!({ "id": id, "name": "Billing admin", "description": "Manages invoices" })
    );
    assert_eq!(m.get_ok(&role_path(&id)).await, created);

    let patched = m
        .patch(&role_path(&id), json!({ "description": "Manages billing" }))
        .await;
    let patched = expect_status(patched, StatusCode::OK).await;
    assert_eq!(
        patched["name"], "Billing admin",
        "absent fields keep their value"
    );
    assert_eq!(patched["description"], "Manages billing");
    let renamed = m
        .patch(&role_path(&id), json!({ "name": "Finance admin" }))
        .await;
    let renamed = expect_status(renamed, StatusCode::OK).await;
    assert_eq!(
        renamed,
        json!({ "id": id, "name": "Finance admin", "description": "Manages billing" })
    );
    assert_eq!(m.get_ok(&role_path(&id)).await, renamed);
    assert_eq!(m.get_ok("/api/v2/roles").await, json!([renamed]));

    expect_status(m.delete(&role_path(&id)).await, StatusCode::OK).await;
    let message = expect_error(
        m.get(&role_path(&id)).await,
        StatusCode::NOT_FOUND,
        Some("inexistent_role"),
    )
    .await;
    assert_eq!(message, format!("The role `{id}` does not exist"));
    assert_eq!(m.get_ok("/api/v2/roles").await, json!([]));
    expect_error(
        m.delete(&role_path(&id)).await,
        StatusCode::NOT_FOUND,
        Some("inexistent_role"),
    )
    .await;
    expect_error(
        m.patch(&role_path(&id), json!({ "name": "Ghost" })).await,
        StatusCode::NOT_FOUND,
        Some("inexistent_role"),
    )
    .await;
}

#[tokio::test]
async fn role_list_pages_with_include_totals_and_filters_names_case_insensitively() {
    let m = Mgmt::start().await;
    for name in ["Editor", "Viewer", "Chief editor", "Admin", "50%_off"] {
        create_role(&m, name).await;
    }

    let first = m
        .get_ok("/api/v2/roles?include_totals=true&page=0&per_page=2")
        .await;
    assert_eq!(first["start"], 0, "{first}");
    assert_eq!(first["limit"], 2, "{first}");
    assert_eq!(first["length"], 2, "{first}");
    assert_eq!(first["total"], 5, "{first}");
    let names = |page: &Value| -> Vec<String> {
        page["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&first), ["50%_off", "Admin"], "ordered by name");
    let last = m
        .get_ok("/api/v2/roles?include_totals=true&page=2&per_page=2")
        .await;
    assert_eq!(last["start"], 4, "{last}");
    assert_eq!(last["length"], 1, "{last}");
    assert_eq!(names(&last), ["Viewer"]);
    let plain = m.get_ok("/api/v2/roles?page=0&per_page=2").await;
    assert_eq!(plain, first["roles"], "without totals, the bare array");

    let edit = listed(&m, "/api/v2/roles?name_filter=EDIT", "name").await;
    assert_eq!(edit, ["Chief editor", "Editor"]);
    let filtered = m
        .get_ok("/api/v2/roles?name_filter=editor&include_totals=true&per_page=1")
        .await;
    assert_eq!(
        filtered["total"], 2,
        "the total counts only matches: {filtered}"
    );
    assert_eq!(names(&filtered), ["Chief editor"]);
    let literal = listed(&m, "/api/v2/roles?name_filter=%25_", "name").await;
    assert_eq!(literal, ["50%_off"], "% and _ are taken literally");
    assert!(listed(&m, "/api/v2/roles?name_filter=nobody", "name")
        .await
        .is_empty());
    assert_eq!(
        listed(&m, "/api/v2/roles?name_filter=", "name").await.len(),
        5,
        "an empty filter filters nothing"
    );

    let message = expect_error(
        m.get("/api/v2/roles?per_page=0").await,
        StatusCode::BAD_REQUEST,
        Some("invalid_query_string"),
    )
    .await;
    assert!(message.contains("per_page"), "{message}");
}

#[tokio::test]
async fn role_name_is_unique_and_required() {
    let m = Mgmt::start().await;
    let editor = create_role(&m, "Editor").await;
    let viewer = create_role(&m, "Viewer").await;

    let message = expect_error(
        m.post("/api/v2/roles", json!({ "name": "Editor" })).await,
        StatusCode::CONFLICT,
        Some("already_exists"),
    )
    .await;
    assert_eq!(message, "A role named `Editor` already exists");
    let message = expect_error(
        m.patch(&role_path(&viewer), json!({ "name": "Editor" }))
            .await,
        StatusCode::CONFLICT,
        Some("already_exists"),
    )
    .await;
    assert_eq!(message, "A role named `Editor` already exists");
    assert_eq!(m.get_ok(&role_path(&viewer)).await["name"], "Viewer");
    assert_eq!(m.get_ok(&role_path(&editor)).await["name"], "Editor");

    let message = expect_error(
        m.post("/api/v2/roles", json!({ "description": "No name" }))
            .await,
        StatusCode::BAD_REQUEST,
        Some("invalid_body"),
    )
    .await;
    assert_eq!(
        message,
        "Payload validation error: Missing required property: name"
    );
    expect_error(
        m.patch(&role_path(&viewer), json!({ "name": " " })).await,
        StatusCode::BAD_REQUEST,
        Some("invalid_body"),
    )
    .await;
    assert_eq!(
        listed(&m, "/api/v2/roles", "name").await,
        ["Editor", "Viewer"]
    );
}

#[tokio::test]
async fn role_permissions_are_added_listed_with_their_api_and_removed() {
    let m = Mgmt::start().await;
    orders_api(&m).await;
    let clerk = create_role(&m, "Clerk").await;
    let path = format!("{}/permissions", role_path(&clerk));
    assert_eq!(m.get_ok(&path).await, json!([]));

    let added = m
        .post(&path, permissions(&["write:orders", "read:orders"]))
        .await;
    expect_status(added, StatusCode::CREATED).await;
    // Adding one again changes nothing.
    let again = m.post(&path, permissions(&["read:orders"])).await;
    expect_status(again, StatusCode::CREATED).await;
    assert_eq!(
        m.get_ok(&path).await,
        json!([
            {
                "resource_server_identifier": ORDERS,
                "permission_name": "read:orders",
                "resource_server_name": "Orders API",
                "description": "Read orders",
            },
            {
                "resource_server_identifier": ORDERS,
                "permission_name": "write:orders",
                "resource_server_name": "Orders API",
                "description": "Write orders",
            },
        ])
    );
    let page = m
        .get_ok(&format!("{path}?include_totals=true&per_page=1&page=1"))
        .await;
    assert_eq!(page["total"], 2, "{page}");
    assert_eq!(page["start"], 1, "{page}");
    assert_eq!(page["permissions"][0]["permission_name"], "write:orders");

    let removed = delete_with(&m, &path, permissions(&["write:orders"])).await;
    expect_status(removed, StatusCode::OK).await;
    assert_eq!(listed(&m, &path, "permission_name").await, ["read:orders"]);
}

#[tokio::test]
async fn role_users_and_user_roles_are_two_views_of_one_membership() {
    let m = Mgmt::start().await;
    let jane = m.seed_user_id().await;
    let sam = create_user(&m, "sam").await;
    let clerk = create_role(&m, "Clerk").await;
    let auditor = create_role(&m, "Auditor").await;
    let role_users = format!("{}/users", role_path(&clerk));
    assert_eq!(m.get_ok(&role_users).await, json!([]));

    let added = m.post(&role_users, json!({ "users": [jane, sam] })).await;
    expect_status(added, StatusCode::OK).await;
    let again = m.post(&role_users, json!({ "users": [jane] })).await;
    expect_status(again, StatusCode::OK).await;
    let users = m.get_ok(&role_users).await;
    let jane_there = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user_id"] == jane.as_str())
        .unwrap_or_else(|| panic!("jane holds it: {users}"));
    assert_eq!(jane_there["email"], EMAIL);
    assert_eq!(jane_there["name"], "Jane Doe");
    let mut ids = listed(&m, &role_users, "user_id").await;
    ids.sort();
    let mut expected = vec![jane.clone(), sam.clone()];
    expected.sort();
    assert_eq!(ids, expected);
    let page = m
        .get_ok(&format!("{role_users}?include_totals=true&per_page=1"))
        .await;
    assert_eq!(page["total"], 2, "{page}");
    assert_eq!(page["users"].as_array().unwrap().len(), 1, "{page}");

    let sam_roles = format!("{}/roles", user_path(&sam));
    let assigned = m.post(&sam_roles, json!({ "roles": [auditor] })).await;
    expect_status(assigned, StatusCode::NO_CONTENT).await;
    let roles = m.get_ok(&sam_roles).await;
    assert_eq!(
        roles,
        json!([
            { "id": auditor, "name": "Auditor", "description": "The Auditor" },
            { "id": clerk, "name": "Clerk", "description": "The Clerk" },
        ])
    );
    let page = m.get_ok(&format!("{sam_roles}?include_totals=true")).await;
    assert_eq!(page["total"], 2, "{page}");
    assert_eq!(page["roles"], roles);

    let taken = delete_with(&m, &sam_roles, json!({ "roles": [clerk] })).await;
    expect_status(taken, StatusCode::NO_CONTENT).await;
    assert_eq!(listed(&m, &sam_roles, "name").await, ["Auditor"]);
    assert_eq!(listed(&m, &role_users, "user_id").await, vec![jane.clone()]);
    let jane_roles = format!("{}/roles", user_path(&jane));
    assert_eq!(listed(&m, &jane_roles, "name").await, ["Clerk"]);
}

#[tokio::test]
async fn user_permissions_show_each_source_direct_or_role() {
    let m = Mgmt::start().await;
    orders_api(&m).await;
    let sam = create_user(&m, "sam").await;
    let clerk = create_role(&m, "Clerk").await;
    let role_permissions = format!("{}/permissions", role_path(&clerk));
    let added = m
        .post(
            &role_permissions,
            permissions(&["read:orders", "write:orders"]),
        )
        .await;
    expect_status(added, StatusCode::CREATED).await;
    let path = format!("{}/permissions", user_path(&sam));
    assert_eq!(m.get_ok(&path).await, json!([]));

    let direct = m
        .post(&path, permissions(&["read:orders", "delete:orders"]))
        .await;
    expect_status(direct, StatusCode::CREATED).await;
    let roles = format!("{}/roles", user_path(&sam));
    let assigned = m.post(&roles, json!({ "roles": [clerk] })).await;
    expect_status(assigned, StatusCode::NO_CONTENT).await;

    let direct_source = json!({ "source_id": "", "source_name": "", "source_type": "DIRECT" });
    let role_source = json!({ "source_id": clerk, "source_name": "Clerk", "source_type": "ROLE" });
    let held = |name: &str, description: &str, sources: Value| {
        json!({
            "resource_server_identifier": ORDERS,
            "permission_name": name,
            "resource_server_name": "Orders API",
            "description": description,
            "sources": sources,
        })
    };
    assert_eq!(
        m.get_ok(&path).await,
        json!([
            held("delete:orders", "Delete orders", json!([direct_source])),
            held(
                "read:orders",
                "Read orders",
                json!([direct_source, role_source])
            ),
            held("write:orders", "Write orders", json!([role_source])),
        ])
    );
    let page = m
        .get_ok(&format!("{path}?include_totals=true&per_page=2&page=1"))
        .await;
    assert_eq!(page["total"], 3, "one entry per permission: {page}");
    assert_eq!(page["permissions"][0]["permission_name"], "write:orders");

    // Removing a direct permission leaves what the role gives.
    let removed = delete_with(&m, &path, permissions(&["read:orders", "delete:orders"])).await;
    expect_status(removed, StatusCode::NO_CONTENT).await;
    assert_eq!(
        m.get_ok(&path).await,
        json!([
            held("read:orders", "Read orders", json!([role_source])),
            held("write:orders", "Write orders", json!([role_source])),
        ])
    );
}

#[tokio::test]
async fn deleting_a_role_takes_it_and_its_permissions_from_its_users() {
    let m = Mgmt::start().await;
    orders_api(&m).await;
    let sam = create_user(&m, "sam").await;
    let clerk = create_role(&m, "Clerk").await;
    let auditor = create_role(&m, "Auditor").await;
    for (role, scope) in [(&clerk, "write:orders"), (&auditor, "read:orders")] {
        let path = format!("{}/permissions", role_path(role));
        expect_status(
            m.post(&path, permissions(&[scope])).await,
            StatusCode::CREATED,
        )
        .await;
    }
    let roles = format!("{}/roles", user_path(&sam));
    let assigned = m.post(&roles, json!({ "roles": [clerk, auditor] })).await;
    expect_status(assigned, StatusCode::NO_CONTENT).await;
    let user_permissions = format!("{}/permissions", user_path(&sam));
    assert_eq!(
        listed(&m, &user_permissions, "permission_name").await,
        ["read:orders", "write:orders"]
    );

    expect_status(m.delete(&role_path(&clerk)).await, StatusCode::OK).await;
    assert_eq!(listed(&m, &roles, "name").await, ["Auditor"]);
    assert_eq!(
        listed(&m, &user_permissions, "permission_name").await,
        ["read:orders"]
    );
    // A new role of the same name starts empty.
    let again = create_role(&m, "Clerk").await;
    assert_ne!(again, clerk);
    let again_users = format!("{}/users", role_path(&again));
    assert_eq!(m.get_ok(&again_users).await, json!([]));
    let again_permissions = format!("{}/permissions", role_path(&again));
    assert_eq!(m.get_ok(&again_permissions).await, json!([]));
}

#[tokio::test]
async fn removing_a_scope_from_an_api_removes_that_permission_from_roles_and_users() {
    let m = Mgmt::start().await;
    orders_api(&m).await;
    let sam = create_user(&m, "sam").await;
    let clerk = create_role(&m, "Clerk").await;
    let role_permissions = format!("{}/permissions", role_path(&clerk));
    let user_permissions = format!("{}/permissions", user_path(&sam));
    let both = permissions(&["read:orders", "delete:orders"]);
    expect_status(
        m.post(&role_permissions, both.clone()).await,
        StatusCode::CREATED,
    )
    .await;
    expect_status(m.post(&user_permissions, both).await, StatusCode::CREATED).await;

    let api = format!("/api/v2/resource-servers/{}", encoded(ORDERS));
    let patched = m
        .patch(
            &api,
            json!({ "scopes": [
                { "value": "read:orders", "description": "Read every order" },
                { "value": "write:orders", "description": "Write orders" },
            ] }),
        )
        .await;
    expect_status(patched, StatusCode::OK).await;

    assert_eq!(
        m.get_ok(&role_permissions).await,
        json!([{
            "resource_server_identifier": ORDERS,
            "permission_name": "read:orders",
            "resource_server_name": "Orders API",
            "description": "Read every order",
        }]),
        "delete:orders is gone; the description is the API's current one"
    );
    assert_eq!(
        listed(&m, &user_permissions, "permission_name").await,
        ["read:orders"]
    );
    // Defining the scope again does not bring the permission back.
    let restored = m
        .patch(
            &api,
            json!({ "scopes": [
                { "value": "read:orders", "description": "Read orders" },
                { "value": "delete:orders", "description": "Delete orders" },
            ] }),
        )
        .await;
    expect_status(restored, StatusCode::OK).await;
    assert_eq!(
        listed(&m, &role_permissions, "permission_name").await,
        ["read:orders"]
    );
}

#[tokio::test]
async fn unknown_role_user_or_api_is_404_naming_it() {
    let m = Mgmt::start().await;
    orders_api(&m).await;
    let jane = m.seed_user_id().await;
    let clerk = create_role(&m, "Clerk").await;
    let ghost = "rol_0000000000000000";
    let nobody = "auth0|000000000000000000000000";

    let cases = [
        (Method::GET, role_path(ghost), None),
        (
            Method::GET,
            format!("{}/permissions", role_path(ghost)),
            None,
        ),
        (
            Method::POST,
            format!("{}/permissions", role_path(ghost)),
            Some(permissions(&["read:orders"])),
        ),
        (
            Method::DELETE,
            format!("{}/permissions", role_path(ghost)),
            Some(permissions(&["read:orders"])),
        ),
        (Method::GET, format!("{}/users", role_path(ghost)), None),
        (
            Method::POST,
            format!("{}/users", role_path(ghost)),
            Some(json!({ "users": [jane] })),
        ),
        (
            Method::POST,
            format!("{}/roles", user_path(&jane)),
            Some(json!({ "roles": [ghost] })),
        ),
        (
            Method::DELETE,
            format!("{}/roles", user_path(&jane)),
            Some(json!({ "roles": [ghost] })),
        ),
    ];
    for (method, path, body) in cases {
        let response = m.send(method.clone(), &path, body).await;
        let message = expect_error(response, StatusCode::NOT_FOUND, Some("inexistent_role")).await;
        assert_eq!(
            message,
            format!("The role `{ghost}` does not exist"),
            "{method} {path}"
        );
    }

    let cases = [
        (Method::GET, format!("{}/roles", user_path(nobody)), None),
        (
            Method::POST,
            format!("{}/roles", user_path(nobody)),
            Some(json!({ "roles": [clerk] })),
        ),
        (
            Method::DELETE,
            format!("{}/roles", user_path(nobody)),
            Some(json!({ "roles": [clerk] })),
        ),
        (
            Method::GET,
            format!("{}/permissions", user_path(nobody)),
            None,
        ),
        (
            Method::POST,
            format!("{}/permissions", user_path(nobody)),
            Some(permissions(&["read:orders"])),
        ),
        (
            Method::DELETE,
            format!("{}/permissions", user_path(nobody)),
            Some(permissions(&["read:orders"])),
        ),
        (
            Method::POST,
            format!("{}/users", role_path(&clerk)),
            Some(json!({ "users": [nobody] })),
        ),
    ];
    for (method, path, body) in cases {
        let response = m.send(method.clone(), &path, body).await;
        let message = expect_error(response, StatusCode::NOT_FOUND, Some("inexistent_user")).await;
        assert_eq!(
            message,
            format!("The user `{nobody}` does not exist"),
            "{method} {path}"
        );
    }

    let elsewhere = json!({ "permissions": [{
        "resource_server_identifier": "https://nowhere.example.com/",
        "permission_name": "read:orders",
    }] });
    for path in [
        format!("{}/permissions", role_path(&clerk)),
        format!("{}/permissions", user_path(&jane)),
    ] {
        let message = expect_error(
            m.post(&path, elsewhere.clone()).await,
            StatusCode::NOT_FOUND,
            Some("inexistent_resource_server"),
        )
        .await;
        assert_eq!(
            message,
            "The resource server `https://nowhere.example.com/` does not exist"
        );
    }
}

#[tokio::test]
async fn a_permission_the_api_does_not_define_is_400() {
    let m = Mgmt::start().await;
    orders_api(&m).await;
    let jane = m.seed_user_id().await;
    let clerk = create_role(&m, "Clerk").await;
    for path in [
        format!("{}/permissions", role_path(&clerk)),
        format!("{}/permissions", user_path(&jane)),
    ] {
        for method in [Method::POST, Method::DELETE] {
            let response = m
                .send(method.clone(), &path, Some(permissions(&["refund:orders"])))
                .await;
            let message =
                expect_error(response, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
            assert_eq!(
                message,
                format!("The permission `refund:orders` is not defined by the resource server `{ORDERS}`"),
                "{method} {path}"
            );
        }
    }
}

#[tokio::test]
async fn empty_arrays_are_400_array_is_too_short() {
    let m = Mgmt::start().await;
    orders_api(&m).await;
    let jane = m.seed_user_id().await;
    let clerk = create_role(&m, "Clerk").await;
    let cases = [
        (
            Method::POST,
            format!("{}/permissions", role_path(&clerk)),
            "permissions",
        ),
        (
            Method::DELETE,
            format!("{}/permissions", role_path(&clerk)),
            "permissions",
        ),
        (
            Method::POST,
            format!("{}/users", role_path(&clerk)),
            "users",
        ),
        (Method::POST, format!("{}/roles", user_path(&jane)), "roles"),
        (
            Method::DELETE,
            format!("{}/roles", user_path(&jane)),
            "roles",
        ),
        (
            Method::POST,
            format!("{}/permissions", user_path(&jane)),
            "permissions",
        ),
        (
            Method::DELETE,
            format!("{}/permissions", user_path(&jane)),
            "permissions",
        ),
    ];
    for (method, path, property) in cases {
        let response = m
            .send(method.clone(), &path, Some(json!({ property: [] })))
            .await;
        let message = expect_error(response, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
        assert_eq!(
            message,
            format!(
                "Payload validation error: 'Array is too short (0), minimum 1' on property {property}"
            ),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn unknown_body_fields_are_400_naming_them() {
    let m = Mgmt::start().await;
    orders_api(&m).await;
    let jane = m.seed_user_id().await;
    let clerk = create_role(&m, "Clerk").await;
    let mut extra = permission("read:orders");
    extra["bogus"] = json!(true);
    let cases = [
        (
            Method::POST,
            "/api/v2/roles".to_owned(),
            json!({ "name": "x", "bogus": true }),
        ),
        (
            Method::PATCH,
            role_path(&clerk),
            json!({ "name": "x", "bogus": true }),
        ),
        (
            Method::POST,
            format!("{}/permissions", role_path(&clerk)),
            json!({ "permissions": [extra] }),
        ),
        (
            Method::POST,
            format!("{}/users", role_path(&clerk)),
            json!({ "users": [jane], "bogus": true }),
        ),
        (
            Method::POST,
            format!("{}/roles", user_path(&jane)),
            json!({ "roles": [clerk], "bogus": true }),
        ),
        (
            Method::POST,
            format!("{}/permissions", user_path(&jane)),
            json!({ "permissions": [permission("read:orders")], "bogus": true }),
        ),
    ];
    for (method, path, body) in cases {
        let response = m.send(method.clone(), &path, Some(body)).await;
        let message = expect_error(response, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
        assert!(
            message.starts_with("Payload validation error: ") && message.contains("bogus"),
            "{method} {path}: {message}"
        );
    }
    assert_eq!(listed(&m, "/api/v2/roles", "name").await, ["Clerk"]);
    let clerk_users = format!("{}/users", role_path(&clerk));
    assert_eq!(m.get_ok(&clerk_users).await, json!([]));
    let jane_permissions = format!("{}/permissions", user_path(&jane));
    assert_eq!(m.get_ok(&jane_permissions).await, json!([]));
}

#[tokio::test]
async fn a_refused_change_writes_nothing_of_it() {
    let m = Mgmt::start().await;
    orders_api(&m).await;
    let jane = m.seed_user_id().await;
    let clerk = create_role(&m, "Clerk").await;
    let nobody = "auth0|000000000000000000000000";

    let role_users = format!("{}/users", role_path(&clerk));
    let response = m
        .post(&role_users, json!({ "users": [jane, nobody] }))
        .await;
    expect_error(response, StatusCode::NOT_FOUND, Some("inexistent_user")).await;
    assert_eq!(m.get_ok(&role_users).await, json!([]), "jane was not added");

    let jane_roles = format!("{}/roles", user_path(&jane));
    let response = m
        .post(
            &jane_roles,
            json!({ "roles": [clerk, "rol_0000000000000000"] }),
        )
        .await;
    expect_error(response, StatusCode::NOT_FOUND, Some("inexistent_role")).await;
    assert_eq!(
        m.get_ok(&jane_roles).await,
        json!([]),
        "Clerk was not given"
    );

    let role_permissions = format!("{}/permissions", role_path(&clerk));
    let response = m
        .post(
            &role_permissions,
            permissions(&["read:orders", "refund:orders"]),
        )
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    assert_eq!(m.get_ok(&role_permissions).await, json!([]));

    let jane_permissions = format!("{}/permissions", user_path(&jane));
    let mut mixed = permissions(&["read:orders"]);
    mixed["permissions"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "resource_server_identifier": "https://nowhere.example.com/", "permission_name": "read:orders" }));
    let response = m.post(&jane_permissions, mixed).await;
    expect_error(
        response,
        StatusCode::NOT_FOUND,
        Some("inexistent_resource_server"),
    )
    .await;
    assert_eq!(m.get_ok(&jane_permissions).await, json!([]));

    // A removal refused in part removes nothing either.
    expect_status(
        m.post(&role_permissions, permissions(&["read:orders"]))
            .await,
        StatusCode::CREATED,
    )
    .await;
    let response = delete_with(
        &m,
        &role_permissions,
        permissions(&["read:orders", "refund:orders"]),
    )
    .await;
    expect_error(response, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    assert_eq!(
        listed(&m, &role_permissions, "permission_name").await,
        ["read:orders"]
    );
}

#[tokio::test]
async fn a_token_without_read_roles_is_403_and_members_need_any_of_their_scopes() {
    let m = Mgmt::start().await;
    let jane = m.seed_user_id().await;
    let clerk = create_role(&m, "Clerk").await;
    let reader = m.create_m2m_client("User reader").await;
    let reader_id = reader["client_id"].as_str().unwrap();
    m.grant(reader_id, &m.audience(), &["read:users"]).await;
    let token = management_token(
        &m.server,
        reader_id,
        reader["client_secret"].as_str().unwrap(),
    )
    .await;
    let as_reader = |method: Method, path: String, body: Option<Value>| {
        let token = token.clone();
        let server = &m.server;
        async move { send_as(server, Some(&token), method, &path, body).await }
    };

    for path in [
        "/api/v2/roles".to_owned(),
        role_path(&clerk),
        format!("{}/permissions", role_path(&clerk)),
    ] {
        let response = as_reader(Method::GET, path.clone(), None).await;
        let message =
            expect_error(response, StatusCode::FORBIDDEN, Some("insufficient_scope")).await;
        assert_eq!(
            message, "Insufficient scope, expected any of: read:roles",
            "{path}"
        );
    }
    let response = as_reader(
        Method::POST,
        "/api/v2/roles".to_owned(),
        Some(json!({ "name": "Sneaky" })),
    )
    .await;
    let message = expect_error(response, StatusCode::FORBIDDEN, Some("insufficient_scope")).await;
    assert_eq!(message, "Insufficient scope, expected any of: create:roles");
    let response = as_reader(
        Method::POST,
        format!("{}/roles", user_path(&jane)),
        Some(json!({ "roles": [clerk] })),
    )
    .await;
    let message = expect_error(response, StatusCode::FORBIDDEN, Some("insufficient_scope")).await;
    assert!(message.contains("create:role_members"), "{message}");
    assert_eq!(
        m.get_ok(&format!("{}/roles", user_path(&jane))).await,
        json!([]),
        "nothing was given"
    );

    // read:users is one of the scopes Auth0 accepts for reading members.
    for path in [
        format!("{}/users", role_path(&clerk)),
        format!("{}/roles", user_path(&jane)),
        format!("{}/permissions", user_path(&jane)),
    ] {
        let response = as_reader(Method::GET, path, None).await;
        assert_eq!(expect_status(response, StatusCode::OK).await, json!([]));
    }
}

#[tokio::test]
async fn the_management_api_defines_auth0s_role_scopes() {
    let m = Mgmt::start().await;
    let path = format!("/api/v2/resource-servers/{}", encoded(&m.audience()));
    let system = m.get_ok(&path).await;
    let defined: Vec<&str> = system["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["value"].as_str())
        .collect();
    // Auth0's Management API spec: roles have the four CRUD scopes; who holds a role is read,
    // given and taken with `*:role_members`, which has no `update:`.
    for scope in [
        "read:roles",
        "create:roles",
        "update:roles",
        "delete:roles",
        "read:role_members",
        "create:role_members",
        "delete:role_members",
    ] {
        assert!(defined.contains(&scope), "{scope} in {defined:?}");
    }
    assert!(!defined.contains(&"update:role_members"), "{defined:?}");
}
