//! The Management API's OpenAPI 3.1 document (`GET /api/v2/openapi.json`) is kept true: its
//! operations are exactly the routes the server registers (`management::ROUTES`, the table the
//! router is built from), each is routed, and real requests and answers match its schemas.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tessera_admin::scopes::management_scopes;
use tessera_server::management::ROUTES;

use crate::management::{encoded, expect_status, send_as, Mgmt};
use crate::support::*;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

pub async fn document(server: &TestServer) -> Value {
    let response = http()
        .get(server.url("/api/v2/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = header(&response, "content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    response.json().await.unwrap()
}

/// Every `(METHOD, path)` the document describes.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (key, _) in item.as_object().unwrap() {
            if METHODS.contains(&key.as_str()) {
                found.insert((key.to_uppercase(), path.clone()));
            }
        }
    }
    found
}

fn operation<'a>(doc: &'a Value, method: &str, path: &str) -> &'a Value {
    let op = &doc["paths"][path][method.to_lowercase()];
    assert!(op.is_object(), "{method} {path} is documented");
    op
}

/// `#/components/...` references resolved.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.strip_prefix('#').unwrap();
            let target = doc
                .pointer(pointer)
                .unwrap_or_else(|| panic!("{reference} resolves"));
            resolve(doc, target)
        }
        None => value,
    }
}

/// The JSON schema of the answer `status` to `method path`.
fn response_schema<'a>(doc: &'a Value, method: &str, path: &str, status: u16) -> &'a Value {
    let op = operation(doc, method, path);
    let response = op["responses"]
        .get(status.to_string())
        .unwrap_or_else(|| panic!("{method} {path} documents {status}"));
    let response = resolve(doc, response);
    &response["content"]["application/json"]["schema"]
}

fn request_schema<'a>(doc: &'a Value, method: &str, path: &str) -> &'a Value {
    let op = operation(doc, method, path);
    &resolve(doc, &op["requestBody"])["content"]["application/json"]["schema"]
}

fn type_matches(name: &str, value: &Value) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        other => panic!("unknown type {other}"),
    }
}

/// Checks `value` against `schema` (the subset of JSON Schema utoipa emits); `strict` also
/// refuses object members the schema does not name. Returns what does not match.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str, strict: bool) -> Vec<String> {
    let schema = resolve(doc, schema);
    let mut errors = Vec::new();
    if let Some(alternatives) = schema.get("oneOf").and_then(Value::as_array) {
        let matching = alternatives
            .iter()
            .filter(|alt| check(doc, alt, value, at, strict).is_empty())
            .count();
        if matching != 1 {
            errors.push(format!(
                "{at}: {matching} alternatives of oneOf match {value}"
            ));
        }
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for part in all {
            errors.extend(check(doc, part, value, at, false));
        }
    }
    match schema.get("type") {
        Some(Value::String(name)) if !type_matches(name, value) => {
            errors.push(format!("{at}: {value} is not {name}"));
            return errors;
        }
        Some(Value::Array(names))
            if !names
                .iter()
                .any(|n| type_matches(n.as_str().unwrap(), value)) =>
        {
            errors.push(format!("{at}: {value} is none of {names:?}"));
            return errors;
        }
        _ => {}
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            errors.extend(check(doc, items, item, &format!("{at}[{i}]"), strict));
        }
    }
    let Some(object) = value.as_object() else {
        return errors;
    };
    let properties = schema.get("properties").and_then(Value::as_object);
    for required in schema["required"].as_array().into_iter().flatten() {
        if !object.contains_key(required.as_str().unwrap()) {
            errors.push(format!("{at}: required `{required}` is missing"));
        }
    }
    for (name, member) in object {
        match properties.and_then(|p| p.get(name)) {
            Some(property) => errors.extend(check(
                doc,
                property,
                member,
                &format!("{at}.{name}"),
                strict,
            )),
            None if schema.get("additionalProperties") == Some(&json!(false))
                || (strict && properties.is_some()) =>
            {
                errors.push(format!("{at}: `{name}` is not documented"));
            }
            None => {}
        }
    }
    errors
}

/// Asserts that `value` is what the document says `method path` answers with `status`.
fn assert_answer(doc: &Value, method: &str, path: &str, status: u16, value: &Value) {
    let schema = response_schema(doc, method, path, status);
    assert!(
        schema.is_object(),
        "{method} {path} {status} has a JSON schema"
    );
    let errors = check(doc, schema, value, "$", true);
    assert!(
        errors.is_empty(),
        "{method} {path} {status}: {errors:#?}\n{value:#}"
    );
}

/// Asserts that `body` is a request body the document accepts for `method path`.
fn assert_request(doc: &Value, method: &str, path: &str, body: &Value) {
    let schema = request_schema(doc, method, path);
    assert!(
        schema.is_object(),
        "{method} {path} has a request body schema"
    );
    let errors = check(doc, schema, body, "$", false);
    assert!(
        errors.is_empty(),
        "{method} {path} request: {errors:#?}\n{body:#}"
    );
}

#[tokio::test]
async fn openapi_document_is_3_1_and_served_without_a_token() {
    let server = TestServer::start().await;
    let doc = document(&server).await;
    let version = doc["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1"), "{version}");
    assert_eq!(
        doc["servers"][0]["url"].as_str().unwrap(),
        server.issuer.trim_end_matches('/')
    );
    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http", "{scheme}");
    assert_eq!(scheme["scheme"], "bearer", "{scheme}");
    assert!(doc["info"]["title"].as_str().is_some_and(|t| !t.is_empty()));
}

#[tokio::test]
async fn openapi_documents_exactly_the_registered_routes() {
    let server = TestServer::start().await;
    let doc = document(&server).await;
    let registered: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|route| (route.method.to_string(), route.path.to_owned()))
        .collect();
    assert_eq!(registered.len(), ROUTES.len(), "no route is listed twice");
    let documented = operations(&doc);
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routed but not documented: {undocumented:?}"
    );
    let unrouted: Vec<_> = documented.difference(&registered).collect();
    assert!(
        unrouted.is_empty(),
        "documented but not routed: {unrouted:?}"
    );
}

#[tokio::test]
async fn openapi_operations_are_all_routed() {
    let server = TestServer::start().await;
    let doc = document(&server).await;
    for (method, path) in operations(&doc) {
        let concrete = path.replace("{id}", "probe").replace("{kid}", "probe");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let response = send_as(&server, None, method.clone(), &concrete, None).await;
        let status = response.status();
        assert!(
            status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {concrete} is routed, got {status}"
        );
        let secured = operation(&doc, method.as_str(), &path)["security"]
            .as_array()
            .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
        if secured {
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {concrete} needs a token"
            );
        } else {
            assert_eq!(status, StatusCode::OK, "{method} {concrete} is open");
        }
    }
}

#[tokio::test]
async fn openapi_operations_declare_their_scope_and_errors() {
    let server = TestServer::start().await;
    let doc = document(&server).await;
    let known = management_scopes();
    let mut operation_ids = BTreeSet::new();
    for (method, path) in operations(&doc) {
        let op = operation(&doc, &method, &path);
        let id = op["operationId"].as_str().unwrap().to_owned();
        assert!(
            operation_ids.insert(id.clone()),
            "operationId {id} is unique"
        );
        for name in path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        {
            let documented = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["in"] == "path" && p["name"] == name && p["required"] == true);
            assert!(
                documented,
                "{method} {path} documents the path parameter {name}"
            );
        }
        let mut seen = BTreeSet::new();
        for p in op["parameters"].as_array().into_iter().flatten() {
            let key = (p["in"].to_string(), p["name"].to_string());
            assert!(seen.insert(key), "{method} {path} lists {p} once");
        }
        let responses = op["responses"].as_object().unwrap();
        if path == "/api/v2/openapi.json" {
            assert_eq!(op["security"], json!([{}]), "the document is open");
            continue;
        }
        let scopes = op["security"][0]["bearer"].as_array().unwrap();
        assert!(!scopes.is_empty(), "{method} {path} names its scope");
        for scope in scopes {
            let scope = scope.as_str().unwrap().to_owned();
            assert!(known.contains(&scope), "{method} {path}: {scope}");
        }
        let mut expected = vec!["401", "403"];
        // A trigger is one of a fixed set: another is a bad request (400), as Auth0 answers.
        if path.contains('{') && !path.contains("{triggerId}") {
            expected.push("404");
        }
        if op.get("requestBody").is_some() {
            expected.push("400");
        }
        for status in expected {
            let response = responses
                .get(status)
                .unwrap_or_else(|| panic!("{method} {path} documents {status}"));
            let schema = &resolve(&doc, response)["content"]["application/json"]["schema"];
            assert_eq!(
                schema["$ref"], "#/components/schemas/Error",
                "{method} {path} {status} is an Auth0 error"
            );
        }
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{method} {path} documents its success"
        );
    }
}

#[tokio::test]
async fn openapi_error_schema_matches_real_errors() {
    let m = Mgmt::start().await;
    let doc = document(&m.server).await;
    let path = "/api/v2/clients/{id}";
    let unauthorized = send_as(&m.server, None, Method::GET, "/api/v2/clients/x", None).await;
    let body = expect_status(unauthorized, StatusCode::UNAUTHORIZED).await;
    assert_answer(&doc, "GET", path, 401, &body);
    let missing = expect_status(m.get("/api/v2/clients/x").await, StatusCode::NOT_FOUND).await;
    assert_answer(&doc, "GET", path, 404, &missing);
    let bad = m.post("/api/v2/clients", json!({ "bogus": 1 })).await;
    let bad = expect_status(bad, StatusCode::BAD_REQUEST).await;
    assert_answer(&doc, "POST", "/api/v2/clients", 400, &bad);
    let conflict = m
        .post("/api/v2/resource-servers", json!({ "identifier": API }))
        .await;
    let conflict = expect_status(conflict, StatusCode::CONFLICT).await;
    assert_answer(&doc, "POST", "/api/v2/resource-servers", 409, &conflict);
}

/// Asserts that each query parameter of `concrete` is one `method path` documents.
fn assert_query_documented(doc: &Value, method: &str, path: &str, concrete: &str) {
    let url = url::Url::parse("http://x").unwrap().join(concrete).unwrap();
    let parameters = operation(doc, method, path)["parameters"]
        .as_array()
        .cloned();
    for (name, _) in url.query_pairs() {
        let documented = parameters.iter().flatten().any(|p| {
            let p = resolve(doc, p);
            p["in"] == "query" && p["name"] == name.as_ref()
        });
        assert!(
            documented,
            "{method} {path} documents the query parameter `{name}`"
        );
    }
}

/// Sends `body` (checked against the request schema) and checks the answer against the
/// response schema of `status`; returns the answer.
pub async fn exchange(
    m: &Mgmt,
    doc: &Value,
    (method, path): (&str, &str),
    concrete: &str,
    body: Option<Value>,
    status: StatusCode,
) -> Value {
    if let Some(body) = &body {
        assert_request(doc, method, path, body);
    }
    assert_query_documented(doc, method, path, concrete);
    let method_value = Method::from_bytes(method.as_bytes()).unwrap();
    let answer = expect_status(m.send(method_value, concrete, body).await, status).await;
    if status == StatusCode::NO_CONTENT {
        assert!(
            operation(doc, method, path)["responses"]
                .get("204")
                .is_some(),
            "{method} {path} documents 204"
        );
    } else {
        assert_answer(doc, method, path, status.as_u16(), &answer);
    }
    answer
}

#[tokio::test]
async fn openapi_schemas_match_real_requests_and_answers() {
    let mut m = Mgmt::start().await;
    let doc = document(&m.server).await;
    let ok = StatusCode::OK;
    let api = "https://schema.example.com/api";
    let api_path = format!("/api/v2/resource-servers/{}", encoded(api));
    let api_body = json!({
        "identifier": api, "name": "Schema API", "allow_offline_access": true,
        "token_lifetime": 600, "signing_alg": "RS256",
        "scopes": [{ "value": "read:things", "description": "Read things" }],
    });
    let id_path = "/api/v2/resource-servers/{id}";
    exchange(
        &m,
        &doc,
        ("POST", "/api/v2/resource-servers"),
        "/api/v2/resource-servers",
        Some(api_body),
        StatusCode::CREATED,
    )
    .await;
    exchange(&m, &doc, ("GET", id_path), &api_path, None, ok).await;
    exchange(
        &m,
        &doc,
        ("PATCH", id_path),
        &api_path,
        Some(json!({ "name": "Renamed" })),
        ok,
    )
    .await;
    for query in ["", "?include_totals=true&per_page=1"] {
        let listing = format!("/api/v2/resource-servers{query}");
        exchange(
            &m,
            &doc,
            ("GET", "/api/v2/resource-servers"),
            &listing,
            None,
            ok,
        )
        .await;
    }

    let client_body = json!({
        "name": "Schema app", "app_type": "regular_web", "callbacks": [CALLBACK],
        "allowed_logout_urls": [LOGOUT_URL], "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "client_secret_basic", "allow_plain_pkce": false,
        "refresh_token": { "rotation_type": "rotating", "leeway": 0 },
    });
    let created = exchange(
        &m,
        &doc,
        ("POST", "/api/v2/clients"),
        "/api/v2/clients",
        Some(client_body),
        StatusCode::CREATED,
    )
    .await;
    let client_id = created["client_id"].as_str().unwrap().to_owned();
    let client_path = format!("/api/v2/clients/{client_id}");
    let one = "/api/v2/clients/{id}";
    exchange(&m, &doc, ("GET", one), &client_path, None, ok).await;
    exchange(
        &m,
        &doc,
        ("PATCH", one),
        &client_path,
        Some(json!({ "callbacks": [CALLBACK] })),
        ok,
    )
    .await;
    let rotate = format!("{client_path}/rotate-secret");
    exchange(
        &m,
        &doc,
        ("POST", "/api/v2/clients/{id}/rotate-secret"),
        &rotate,
        None,
        ok,
    )
    .await;
    for query in ["", "?include_totals=true&page=0&per_page=2"] {
        let listing = format!("/api/v2/clients{query}");
        exchange(&m, &doc, ("GET", "/api/v2/clients"), &listing, None, ok).await;
    }

    let m2m = m.create_m2m_client("Schema job").await;
    let grant_body =
        json!({ "client_id": m2m["client_id"], "audience": api, "scope": ["read:things"] });
    let grant = exchange(
        &m,
        &doc,
        ("POST", "/api/v2/client-grants"),
        "/api/v2/client-grants",
        Some(grant_body),
        StatusCode::CREATED,
    )
    .await;
    let grant_path = format!("/api/v2/client-grants/{}", grant["id"].as_str().unwrap());
    let cg = "/api/v2/client-grants/{id}";
    exchange(
        &m,
        &doc,
        ("PATCH", cg),
        &grant_path,
        Some(json!({ "scope": [] })),
        ok,
    )
    .await;
    for query in ["", "?client_id=tessera-management"] {
        let listing = format!("/api/v2/client-grants{query}");
        exchange(
            &m,
            &doc,
            ("GET", "/api/v2/client-grants"),
            &listing,
            None,
            ok,
        )
        .await;
    }

    let user_body = json!({
        "connection": "Username-Password-Authentication", "email": "schema@example.com",
        "username": "schema", "name": "Schema User", "password": "schema password",
        "email_verified": true, "blocked": false,
    });
    let user = exchange(
        &m,
        &doc,
        ("POST", "/api/v2/users"),
        "/api/v2/users",
        Some(user_body),
        StatusCode::CREATED,
    )
    .await;
    let user_path = format!(
        "/api/v2/users/{}",
        encoded(user["user_id"].as_str().unwrap())
    );
    let u = "/api/v2/users/{id}";
    exchange(&m, &doc, ("GET", u), &user_path, None, ok).await;
    exchange(
        &m,
        &doc,
        ("PATCH", u),
        &user_path,
        Some(json!({ "blocked": true })),
        ok,
    )
    .await;
    for query in ["", "?q=schema"] {
        let listing = format!("/api/v2/users{query}");
        exchange(&m, &doc, ("GET", "/api/v2/users"), &listing, None, ok).await;
    }

    m.server.tokens(&[]).await;
    let grants = format!(
        "/api/v2/grants?user_id={}&client_id={CLIENT_ID}&audience={}",
        encoded(&m.seed_user_id().await),
        encoded(API)
    );
    let listed = exchange(&m, &doc, ("GET", "/api/v2/grants"), &grants, None, ok).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");

    exchange(
        &m,
        &doc,
        ("POST", "/api/v2/keys/signing/rotate"),
        "/api/v2/keys/signing/rotate?alg=RS256",
        None,
        ok,
    )
    .await;
    let keys = exchange(
        &m,
        &doc,
        ("GET", "/api/v2/keys/signing"),
        "/api/v2/keys/signing",
        None,
        ok,
    )
    .await;
    let previous = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["alg"] == "RS256" && k["previous"] == true)
        .unwrap();
    let revoke = format!(
        "/api/v2/keys/signing/{}/revoke",
        previous["kid"].as_str().unwrap()
    );
    exchange(
        &m,
        &doc,
        ("PUT", "/api/v2/keys/signing/{kid}/revoke"),
        &revoke,
        None,
        ok,
    )
    .await;
    // The revoked key signed this harness' token: a new one is signed by the current key.
    m.token = m.fresh_token().await;
    exchange(
        &m,
        &doc,
        ("GET", "/api/v2/keys/signing"),
        "/api/v2/keys/signing",
        None,
        ok,
    )
    .await;
    actions_match_their_schemas(&m, &doc).await;
}

/// An action's life through the documented schemas: created, deployed, listed, bound.
async fn actions_match_their_schemas(m: &Mgmt, doc: &Value) {
    let (ok, actions) = (StatusCode::OK, "/api/v2/actions/actions");
    let body = json!({
        "name": "Schema action",
        "supported_triggers": [{ "id": "post-login", "version": "v3" }],
        "code": "exports.onExecutePostLogin = async () => {};",
        "dependencies": [{ "name": "lodash", "version": "4.17.21" }],
        "secrets": [{ "name": "KEY", "value": "value" }],
    });
    let created = exchange(
        m,
        doc,
        ("POST", actions),
        actions,
        Some(body),
        StatusCode::CREATED,
    )
    .await;
    let path = format!("{actions}/{}", created["id"].as_str().unwrap());
    let deploy = format!("{path}/deploy");
    let deploy_template = "/api/v2/actions/actions/{id}/deploy";
    exchange(
        m,
        doc,
        ("POST", deploy_template),
        &deploy,
        None,
        StatusCode::ACCEPTED,
    )
    .await;
    exchange(
        m,
        doc,
        ("GET", "/api/v2/actions/actions/{id}"),
        &path,
        None,
        ok,
    )
    .await;
    let change = Some(json!({ "code": "// changed", "secrets": [{ "name": "KEY" }] }));
    exchange(
        m,
        doc,
        ("PATCH", "/api/v2/actions/actions/{id}"),
        &path,
        change,
        ok,
    )
    .await;
    let listing = format!("{actions}?triggerId=post-login&per_page=5");
    exchange(m, doc, ("GET", actions), &listing, None, ok).await;
    let versions = ("GET", "/api/v2/actions/actions/{actionId}/versions");
    exchange(m, doc, versions, &format!("{path}/versions"), None, ok).await;
    let triggers = "/api/v2/actions/triggers";
    exchange(m, doc, ("GET", triggers), triggers, None, ok).await;
    let template = "/api/v2/actions/triggers/{triggerId}/bindings";
    let bindings = "/api/v2/actions/triggers/post-login/bindings";
    let bind =
        json!({ "bindings": [{ "ref": { "type": "action_name", "value": "Schema action" } }] });
    exchange(m, doc, ("PATCH", template), bindings, Some(bind), ok).await;
    exchange(m, doc, ("GET", template), bindings, None, ok).await;
}
