//! `/api/v2/resource-servers`: APIs addressed by their opaque id or their URL-encoded
//! identifier, as Auth0 addresses them; the identifier never changes, and the Management API itself cannot be changed through itself.

use reqwest::StatusCode;
use serde_json::json;

use super::*;

const CALENDAR: &str = "https://calendar.example.com/api";

#[tokio::test]
async fn resource_server_round_trip_by_id_or_encoded_identifier() {
    let m = Mgmt::start().await;
    let created = m
        .create(
            "/api/v2/resource-servers",
            json!({
                "identifier": CALENDAR,
                "name": "Calendar API",
                "scopes": [{ "value": "read:events", "description": "Read your events" }],
            }),
        )
        .await;
    assert_eq!(created["identifier"], CALENDAR);
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(
        id.len() == 24 && id.chars().all(|c| c.is_ascii_hexdigit()),
        "an opaque id as Auth0's: {id}"
    );
    assert_eq!(created["name"], "Calendar API");
    assert_eq!(
        created["scopes"],
        json!([{ "value": "read:events", "description": "Read your events" }])
    );
    assert_eq!(created["allow_offline_access"], false);
    assert_eq!(created["signing_alg"], "RS256");
    assert_eq!(created["token_lifetime"], 86_400);
    assert_eq!(created["is_system"], false);

    let by_identifier = format!("/api/v2/resource-servers/{}", encoded(CALENDAR));
    assert_eq!(m.get_ok(&by_identifier).await, created);
    let path = format!("/api/v2/resource-servers/{id}");
    assert_eq!(m.get_ok(&path).await, created);

    let patched = m
        .patch(&path, json!({ "allow_offline_access": true }))
        .await;
    let patched = expect_status(patched, StatusCode::OK).await;
    assert_eq!(patched["allow_offline_access"], true);
    assert_eq!(
        patched["scopes"], created["scopes"],
        "absent fields keep their value"
    );
    assert_eq!(m.get_ok(&by_identifier).await["allow_offline_access"], true);
    assert_eq!(m.get_ok(&path).await["id"], id.as_str(), "the id stays");

    let listed = m.get_ok("/api/v2/resource-servers").await;
    let identifiers: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|api| api["identifier"].as_str().unwrap())
        .collect();
    assert!(identifiers.contains(&CALENDAR), "{identifiers:?}");
    assert!(identifiers.contains(&API), "{identifiers:?}");

    expect_status(m.delete(&path).await, StatusCode::NO_CONTENT).await;
    for gone in [&path, &by_identifier] {
        expect_error(
            m.get(gone).await,
            StatusCode::NOT_FOUND,
            Some("inexistent_resource_server"),
        )
        .await;
    }
}

#[tokio::test]
async fn resource_server_identifier_cannot_be_changed() {
    let m = Mgmt::start().await;
    let path = format!("/api/v2/resource-servers/{}", encoded(API));
    let response = m
        .patch(&path, json!({ "identifier": "https://other.example.com/" }))
        .await;
    let message = expect_error(response, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    assert!(message.contains("identifier"), "{message}");
    assert_eq!(m.get_ok(&path).await["identifier"], API);
}

#[tokio::test]
async fn resource_server_with_an_existing_identifier_is_409() {
    let m = Mgmt::start().await;
    let response = m
        .post(
            "/api/v2/resource-servers",
            json!({ "identifier": API, "name": "Again" }),
        )
        .await;
    expect_error(response, StatusCode::CONFLICT, Some("already_exists")).await;
}

#[tokio::test]
async fn resource_server_without_identifier_is_refused_naming_it() {
    let m = Mgmt::start().await;
    let response = m
        .post("/api/v2/resource-servers", json!({ "name": "Nameless" }))
        .await;
    let message = expect_error(response, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    assert!(message.contains("identifier"), "{message}");
}

#[tokio::test]
async fn system_resource_server_refuses_patch_and_delete() {
    let m = Mgmt::start().await;
    let path = format!("/api/v2/resource-servers/{}", encoded(&m.audience()));
    let system = m.get_ok(&path).await;
    assert_eq!(system["is_system"], true);
    assert_eq!(system["identifier"], m.audience());

    let patch = m.patch(&path, json!({ "name": "Mine now" })).await;
    expect_error(
        patch,
        StatusCode::FORBIDDEN,
        Some("operation_not_supported"),
    )
    .await;
    let delete = m.delete(&path).await;
    expect_error(
        delete,
        StatusCode::FORBIDDEN,
        Some("operation_not_supported"),
    )
    .await;
    assert_eq!(m.get_ok(&path).await, system, "unchanged");
}

#[tokio::test]
async fn deleted_resource_server_can_no_longer_be_asked_for() {
    let m = Mgmt::start().await;
    m.create(
        "/api/v2/resource-servers",
        json!({ "identifier": CALENDAR, "scopes": [{ "value": "read:events" }] }),
    )
    .await;
    let client = m.create_m2m_client("Calendar sync").await;
    let id = client["client_id"].as_str().unwrap();
    let secret = client["client_secret"].as_str().unwrap();
    m.grant(id, CALENDAR, &["read:events"]).await;
    expect_status(
        client_credentials(&m.server, id, secret, CALENDAR).await,
        StatusCode::OK,
    )
    .await;

    let path = format!("/api/v2/resource-servers/{}", encoded(CALENDAR));
    expect_status(m.delete(&path).await, StatusCode::NO_CONTENT).await;
    let response = client_credentials(&m.server, id, secret, CALENDAR).await;
    let body = expect_oauth_error(response, StatusCode::FORBIDDEN, "access_denied").await;
    assert_eq!(
        body["error_description"],
        format!("Service not found: {CALENDAR}")
    );
}

#[tokio::test]
async fn an_api_given_another_algorithm_has_its_key_published_at_once() {
    let m = Mgmt::start().await;
    let published = |jwks: tessera_jwt::JwkSet| {
        let mut algs: Vec<String> = jwks.keys.into_iter().filter_map(|k| k.alg).collect();
        algs.sort_unstable();
        algs.dedup();
        algs
    };
    assert_eq!(published(m.server.jwks().await), ["RS256"]);

    let path = format!("/api/v2/resource-servers/{}", encoded(API));
    let patched = m.patch(&path, json!({ "signing_alg": "ES256" })).await;
    expect_status(patched, StatusCode::OK).await;
    assert_eq!(published(m.server.jwks().await), ["ES256", "RS256"]);

    let patched = m.patch(&path, json!({ "signing_alg": "RS256" })).await;
    expect_status(patched, StatusCode::OK).await;
    assert_eq!(published(m.server.jwks().await), ["RS256"]);
}

#[tokio::test]
async fn resource_server_rbac_settings_are_auth0_s_and_an_unknown_dialect_is_refused() {
    let m = Mgmt::start().await;
    let created = m
        .create(
            "/api/v2/resource-servers",
            json!({ "identifier": CALENDAR, "name": "Calendar API" }),
        )
        .await;
    assert_eq!(created["enforce_policies"], false);
    assert_eq!(created["token_dialect"], "access_token");
    let path = format!(
        "/api/v2/resource-servers/{}",
        created["id"].as_str().unwrap()
    );
    let patched = m
        .patch(
            &path,
            json!({ "enforce_policies": true, "token_dialect": "rfc9068_profile_authz" }),
        )
        .await;
    let patched = expect_status(patched, StatusCode::OK).await;
    assert_eq!(patched["enforce_policies"], true);
    assert_eq!(patched["token_dialect"], "rfc9068_profile_authz");
    assert_eq!(m.get_ok(&path).await, patched);

    let refused = m
        .patch(&path, json!({ "token_dialect": "access_token_jwt" }))
        .await;
    let error = expect_status(refused, StatusCode::BAD_REQUEST).await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("token_dialect `access_token_jwt` is not supported"),
        "{error}"
    );
    assert_eq!(
        m.get_ok(&path).await["token_dialect"],
        "rfc9068_profile_authz",
        "nothing changed"
    );
}

#[tokio::test]
async fn resource_server_proof_of_possession_is_dpop_set_by_patch_and_cleared_by_null() {
    let m = Mgmt::start().await;
    let created = m
        .create(
            "/api/v2/resource-servers",
            json!({ "identifier": CALENDAR, "name": "Calendar API" }),
        )
        .await;
    assert_eq!(created["proof_of_possession"], Value::Null, "Auth0's none");
    let path = format!(
        "/api/v2/resource-servers/{}",
        created["id"].as_str().unwrap()
    );
    let allowed = m
        .patch(
            &path,
            json!({ "proof_of_possession": { "mechanism": "dpop" } }),
        )
        .await;
    let allowed = expect_status(allowed, StatusCode::OK).await;
    assert_eq!(
        allowed["proof_of_possession"],
        json!({ "mechanism": "dpop", "required": false }),
        "required defaults to false"
    );
    let required = m
        .patch(
            &path,
            json!({ "proof_of_possession": { "mechanism": "dpop", "required": true } }),
        )
        .await;
    let required = expect_status(required, StatusCode::OK).await;
    assert_eq!(
        required["proof_of_possession"],
        json!({ "mechanism": "dpop", "required": true })
    );
    let renamed = m.patch(&path, json!({ "name": "Calendar" })).await;
    let renamed = expect_status(renamed, StatusCode::OK).await;
    assert_eq!(
        renamed["proof_of_possession"], required["proof_of_possession"],
        "an absent field keeps its value"
    );
    assert_eq!(m.get_ok(&path).await, renamed);

    let cleared = m.patch(&path, json!({ "proof_of_possession": null })).await;
    let cleared = expect_status(cleared, StatusCode::OK).await;
    assert_eq!(cleared["proof_of_possession"], Value::Null);
    assert_eq!(m.get_ok(&path).await["proof_of_possession"], Value::Null);

    let at_creation = m
        .create(
            "/api/v2/resource-servers",
            json!({
                "identifier": "https://bound.example.com/api",
                "proof_of_possession": { "mechanism": "dpop", "required": true },
            }),
        )
        .await;
    assert_eq!(
        at_creation["proof_of_possession"],
        json!({ "mechanism": "dpop", "required": true })
    );
}

#[tokio::test]
async fn resource_server_proof_of_possession_other_than_dpop_is_refused() {
    let m = Mgmt::start().await;
    let refused = m
        .post(
            "/api/v2/resource-servers",
            json!({
                "identifier": CALENDAR,
                "proof_of_possession": { "mechanism": "mtls", "required": true },
            }),
        )
        .await;
    let message = expect_error(refused, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    assert!(
        message.contains("proof_of_possession.mechanism `mtls` is not supported")
            && message.contains("only dpop"),
        "{message}"
    );
    expect_error(
        m.get(&format!("/api/v2/resource-servers/{}", encoded(CALENDAR)))
            .await,
        StatusCode::NOT_FOUND,
        Some("inexistent_resource_server"),
    )
    .await;

    let created = m
        .create(
            "/api/v2/resource-servers",
            json!({ "identifier": CALENDAR }),
        )
        .await;
    let path = format!(
        "/api/v2/resource-servers/{}",
        created["id"].as_str().unwrap()
    );
    for (body, named) in [
        (json!({ "mechanism": "mtls" }), "mechanism `mtls`"),
        (json!({ "mechanism": "DPoP" }), "mechanism `DPoP`"),
        (json!({ "required": true }), "mechanism"),
        (json!({ "mechanism": "dpop", "bound": true }), "bound"),
    ] {
        let refused = m.patch(&path, json!({ "proof_of_possession": body })).await;
        let message = expect_error(refused, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
        assert!(message.contains(named), "{named} in {message}");
    }
    assert_eq!(
        m.get_ok(&path).await["proof_of_possession"],
        Value::Null,
        "nothing changed"
    );
}
