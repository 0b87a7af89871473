//! `/api/v2/actions` (Auth0's Actions): an action's life — created (201), changed, deployed into
//! numbered immutable versions (202), bound to its trigger in order, deleted (204, a bound one
//! only with `force`) — on SQLite and PostgreSQL; secrets never shown; bad input refused whole
//! with Auth0's error bodies, before anything is written.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::*;
use crate::support::cluster::Database;

const ACTIONS: &str = "/api/v2/actions/actions";
const POST_LOGIN_BINDINGS: &str = "/api/v2/actions/triggers/post-login/bindings";

fn action_path(id: &str) -> String {
    format!("{ACTIONS}/{id}")
}

fn post_login(name: &str) -> Value {
    json!({
        "name": name,
        "supported_triggers": [{ "id": "post-login", "version": "v3" }],
        "code": "exports.onExecutePostLogin = async (event, api) => {};",
        "dependencies": [{ "name": "lodash", "version": "4.17.21" }],
        "secrets": [{ "name": "API_KEY", "value": "the-api-key-value" }],
    })
}

async fn create_action(m: &Mgmt, body: Value) -> Value {
    m.create(ACTIONS, body).await
}

async fn deploy(m: &Mgmt, id: &str) -> Value {
    let response = m
        .post(&format!("{}/deploy", action_path(id)), json!({}))
        .await;
    expect_status(response, StatusCode::ACCEPTED).await
}

fn by_name(name: &str) -> Value {
    json!({ "ref": { "type": "action_name", "value": name } })
}

/// The names of the actions bound to post-login, in order.
async fn bound(m: &Mgmt) -> Vec<String> {
    let list = m.get_ok(POST_LOGIN_BINDINGS).await;
    list["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["action"]["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn life_cycle(m: &Mgmt) {
    let created = create_action(m, post_login("Add claims")).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    assert_eq!(created["runtime"], "node18");
    assert_eq!(
        created["supported_triggers"],
        json!([{ "id": "post-login", "version": "v3" }])
    );
    assert_eq!(
        created["dependencies"],
        json!([{ "name": "lodash", "version": "4.17.21" }])
    );
    assert_eq!(created["secrets"][0]["name"], "API_KEY");
    assert!(created["secrets"][0].get("value").is_none(), "{created}");
    assert!(!created.to_string().contains("the-api-key-value"));
    assert_eq!(created["all_changes_deployed"], false);
    assert!(created.get("deployed_version").is_none());
    assert_eq!(m.get_ok(&action_path(&id)).await, created);

    let first = deploy(m, &id).await;
    assert_eq!(
        (first["number"].as_u64(), first["deployed"].as_bool()),
        (Some(1), Some(true))
    );
    assert_eq!(
        (first["status"].as_str(), first["action_id"].as_str()),
        (Some("built"), Some(id.as_str()))
    );
    assert!(!first.to_string().contains("the-api-key-value"));
    let deployed = m.get_ok(&action_path(&id)).await;
    assert_eq!(deployed["all_changes_deployed"], true);
    assert_eq!(deployed["deployed_version"]["number"], 1);

    // A change is a draft until deployed: the deployed version keeps the old code.
    let code = "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('x', 1); };";
    let response = m
        .patch(
            &action_path(&id),
            json!({ "code": code, "secrets": [{ "name": "API_KEY" }] }),
        )
        .await;
    let changed = expect_status(response, StatusCode::OK).await;
    assert_eq!(
        (
            changed["code"].as_str(),
            changed["all_changes_deployed"].as_bool()
        ),
        (Some(code), Some(false))
    );
    assert_eq!(changed["deployed_version"]["code"], created["code"]);
    assert_eq!(
        changed["secrets"][0]["name"], "API_KEY",
        "kept without its value"
    );
    let second = deploy(m, &id).await;
    assert_eq!(
        (second["number"].as_u64(), second["code"].as_str()),
        (Some(2), Some(code))
    );
    let versions = m.get_ok(&format!("{ACTIONS}/{id}/versions")).await;
    assert_eq!(
        (versions["total"].as_u64(), versions["per_page"].as_u64()),
        (Some(2), Some(20))
    );
    let numbers: Vec<(u64, bool)> = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["number"].as_u64().unwrap(),
                v["deployed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        numbers,
        [(2, true), (1, false)],
        "newest first, the newest deployed"
    );

    // Lists: Auth0's totals, filtered by trigger and name.
    let exchange = json!({
        "name": "M2M claims",
        "supported_triggers": [{ "id": "credentials-exchange" }],
        "code": "exports.onExecuteCredentialsExchange = async (event, api) => {};",
        "deploy": true,
    });
    let m2m = create_action(m, exchange).await;
    assert_eq!(m2m["supported_triggers"][0]["version"], "v2");
    assert_eq!(m2m["deployed_version"]["number"], 1, "deployed at creation");
    let all = m.get_ok(ACTIONS).await;
    assert_eq!(
        (all["total"].as_u64(), all["page"].as_u64()),
        (Some(2), Some(0))
    );
    let login = m.get_ok(&format!("{ACTIONS}?triggerId=post-login")).await;
    assert_eq!(
        (login["total"].as_u64(), login["actions"][0]["id"].as_str()),
        (Some(1), Some(id.as_str()))
    );
    let named = m
        .get_ok(&format!("{ACTIONS}?actionName=M2M%20claims"))
        .await;
    assert_eq!(named["actions"][0]["id"], m2m["id"]);

    // Bound by name or id, in order; the display name is the action's unless given.
    let body = json!({ "bindings": [
        by_name("Add claims"),
        { "ref": { "type": "action_id", "value": id }, "display_name": "again" },
    ]});
    let twice = m.patch(POST_LOGIN_BINDINGS, body).await;
    let message = expect_error(twice, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    assert!(message.contains("bound twice"), "{message}");
    let second_login = create_action(m, post_login("Second")).await;
    deploy(m, second_login["id"].as_str().unwrap()).await;
    let body = json!({ "bindings": [
        { "ref": { "type": "action_id", "value": second_login["id"] }, "display_name": "Runs first" },
        by_name("Add claims"),
    ]});
    let updated = expect_status(m.patch(POST_LOGIN_BINDINGS, body).await, StatusCode::OK).await;
    assert_eq!(updated["bindings"][0]["display_name"], "Runs first");
    assert_eq!(updated["bindings"][1]["display_name"], "Add claims");
    assert_eq!(updated["bindings"][1]["trigger_id"], "post-login");
    assert_eq!(bound(m).await, ["Second", "Add claims"]);

    let triggers = m.get_ok("/api/v2/actions/triggers").await;
    let ids: Vec<&str> = triggers["triggers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["post-login", "credentials-exchange"]);

    // A bound action goes only by force, and takes its binding along.
    let refused = m.delete(&action_path(&id)).await;
    let message = expect_error(
        refused,
        StatusCode::BAD_REQUEST,
        Some("invalid_query_string"),
    )
    .await;
    assert!(message.contains("force=true"), "{message}");
    assert_eq!(bound(m).await, ["Second", "Add claims"], "nothing deleted");
    let forced = m.delete(&format!("{}?force=true", action_path(&id))).await;
    expect_status(forced, StatusCode::NO_CONTENT).await;
    assert_eq!(bound(m).await, ["Second"]);
    expect_error(
        m.get(&action_path(&id)).await,
        StatusCode::NOT_FOUND,
        Some("inexistent_resource"),
    )
    .await;
}

#[tokio::test]
async fn an_action_is_created_deployed_into_versions_bound_in_order_and_deleted_on_sqlite() {
    let m = Mgmt::start().await;
    life_cycle(&m).await;
}

#[tokio::test]
async fn an_action_is_created_deployed_into_versions_bound_in_order_and_deleted_on_postgresql() {
    let database = Database::create().await;
    let url = database.url.clone();
    let m = Mgmt::start_with(|config| {
        config.database_url = url;
        config.secret = Some("actions-test-master-secret-0123456789abcdef".into());
    })
    .await;
    life_cycle(&m).await;
}

#[tokio::test]
async fn bad_actions_are_refused_with_auth0_errors_and_nothing_is_written() {
    let m = Mgmt::start().await;
    let cases = [
        (
            json!({ "supported_triggers": [{ "id": "post-login" }], "code": "" }),
            "name",
        ),
        (
            json!({ "name": "x", "supported_triggers": [{ "id": "post-login" }] }),
            "code",
        ),
        (json!({ "name": "x", "code": "" }), "supported_triggers"),
        (
            json!({ "name": "x", "code": "", "supported_triggers": [{ "id": "pre-user-registration", "version": "v2" }] }),
            "Tessera runs Actions only on `post-login` and `credentials-exchange`",
        ),
        (
            json!({ "name": "x", "code": "", "supported_triggers": [{ "id": "post-login" }, { "id": "credentials-exchange" }] }),
            "exactly one",
        ),
        (
            json!({ "name": "x", "code": "", "supported_triggers": [{ "id": "post-login", "version": "v1" }] }),
            "`v3`",
        ),
        (
            json!({ "name": "x", "code": "", "supported_triggers": [{ "id": "post-login" }], "secrets": [{ "name": "A", "value": "1" }, { "name": "A", "value": "2" }] }),
            "named twice",
        ),
        (
            json!({ "name": "x", "code": "", "supported_triggers": [{ "id": "post-login" }], "secrets": [{ "name": "A" }] }),
            "secrets[0].value",
        ),
        (
            json!({ "name": "x", "code": "", "supported_triggers": [{ "id": "post-login" }], "runtime": "python3" }),
            "runtime",
        ),
        (
            json!({ "name": "x", "code": "", "supported_triggers": [{ "id": "post-login" }], "colour": "red" }),
            "colour",
        ),
    ];
    for (body, named) in cases {
        let response = m.post(ACTIONS, body.clone()).await;
        let message = expect_error(response, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
        assert!(message.contains(named), "{body}: {message}");
    }
    assert_eq!(m.get_ok(ACTIONS).await["total"], 0, "nothing created");

    let action = create_action(&m, post_login("Taken")).await;
    let id = action["id"].as_str().unwrap();
    let again = m.post(ACTIONS, post_login("Taken")).await;
    expect_error(again, StatusCode::CONFLICT, Some("already_exists")).await;
    let response = m
        .patch(
            &action_path(id),
            json!({ "supported_triggers": [{ "id": "send-phone-message" }] }),
        )
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    assert_eq!(m.get_ok(&action_path(id)).await, action, "unchanged");

    // Unknown ids are Auth0's 404 body wherever an action is named in the path.
    let missing = action_path("00000000-0000-4000-8000-000000000000");
    for (method, path) in [
        (Method::GET, missing.clone()),
        (Method::PATCH, missing.clone()),
        (Method::DELETE, missing.clone()),
        (Method::POST, format!("{missing}/deploy")),
        (Method::GET, format!("{missing}/versions")),
    ] {
        let body = (method == Method::PATCH).then(|| json!({ "code": "" }));
        let response = m.send(method.clone(), &path, body).await;
        let message =
            expect_error(response, StatusCode::NOT_FOUND, Some("inexistent_resource")).await;
        assert!(
            message.contains("does not exist"),
            "{method} {path}: {message}"
        );
    }

    // Bindings: only deployed actions, of this trigger, that exist; a bad list binds nothing.
    let refusals = [
        (
            json!({ "bindings": [by_name("Taken")] }),
            "not been deployed",
        ),
        (json!({ "bindings": [by_name("Nobody")] }), "does not exist"),
        (
            json!({ "bindings": [{ "ref": { "type": "binding_id", "value": "x" } }] }),
            "binding_id",
        ),
    ];
    for (body, said) in refusals {
        let response = m.patch(POST_LOGIN_BINDINGS, body.clone()).await;
        let message = expect_error(response, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
        assert!(message.contains(said), "{body}: {message}");
    }
    deploy(&m, id).await;
    let body = json!({ "bindings": [by_name("Taken")] });
    let response = m
        .patch(
            "/api/v2/actions/triggers/credentials-exchange/bindings",
            body,
        )
        .await;
    let message = expect_error(response, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    assert!(message.contains("supports `post-login`"), "{message}");
    let response = m
        .get("/api/v2/actions/triggers/pre-user-registration/bindings")
        .await;
    let message = expect_error(
        response,
        StatusCode::BAD_REQUEST,
        Some("invalid_query_string"),
    )
    .await;
    assert!(message.contains("post-login"), "{message}");
    assert!(bound(&m).await.is_empty());
    let exchange = m
        .get_ok("/api/v2/actions/triggers/credentials-exchange/bindings")
        .await;
    assert_eq!(exchange["total"], 0);
}

#[tokio::test]
async fn actions_need_the_actions_scopes_and_every_change_is_audited() {
    let m = Mgmt::start().await;
    let action = create_action(&m, post_login("Audited")).await;
    let id = action["id"].as_str().unwrap();
    deploy(&m, id).await;
    let body = json!({ "bindings": [by_name("Audited")] });
    expect_status(m.patch(POST_LOGIN_BINDINGS, body).await, StatusCode::OK).await;
    m.patch(&action_path(id), json!({ "code": "// v2" })).await;
    m.server.flush_audit().await;
    let logs = m.get_ok("/api/v2/logs?per_page=100").await;
    let descriptions: Vec<&str> = logs
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "sapi")
        .filter_map(|e| e["description"].as_str())
        .collect();
    for done in [
        "Create an action",
        "Deploy an action",
        "Update trigger bindings",
        "Update an action",
    ] {
        assert!(descriptions.contains(&done), "{done}: {descriptions:?}");
    }
    assert!(
        !logs.to_string().contains("the-api-key-value"),
        "no secret in the log"
    );

    let reader = m.create_m2m_client("Action reader").await;
    let reader_id = reader["client_id"].as_str().unwrap();
    m.grant(reader_id, &m.audience(), &["read:actions"]).await;
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
    expect_status(
        as_reader(Method::GET, action_path(id), None).await,
        StatusCode::OK,
    )
    .await;
    for (method, path, scope) in [
        (Method::POST, ACTIONS.to_owned(), "create:actions"),
        (
            Method::POST,
            format!("{}/deploy", action_path(id)),
            "create:actions",
        ),
        (Method::PATCH, action_path(id), "update:actions"),
        (
            Method::PATCH,
            POST_LOGIN_BINDINGS.to_owned(),
            "update:actions",
        ),
        (Method::DELETE, action_path(id), "delete:actions"),
    ] {
        let body = if path.ends_with("/bindings") {
            json!({ "bindings": [] })
        } else {
            json!({})
        };
        let response = as_reader(method.clone(), path.clone(), Some(body)).await;
        let message =
            expect_error(response, StatusCode::FORBIDDEN, Some("insufficient_scope")).await;
        assert_eq!(
            message,
            format!("Insufficient scope, expected any of: {scope}"),
            "{method} {path}"
        );
    }
}
