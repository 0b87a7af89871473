//! Validation errors are Auth0's `{statusCode, error, message, errorCode}` and name the field.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::*;

#[tokio::test]
async fn unknown_field_is_refused_naming_it() {
    let m = Mgmt::start().await;
    let cases = [
        (Method::POST, "/api/v2/clients".to_owned()),
        (Method::PATCH, format!("/api/v2/clients/{CLIENT_ID}")),
        (Method::POST, "/api/v2/resource-servers".to_owned()),
        (Method::POST, "/api/v2/users".to_owned()),
        (Method::POST, "/api/v2/client-grants".to_owned()),
    ];
    for (method, path) in cases {
        let response = m
            .send(
                method.clone(),
                &path,
                Some(json!({ "name": "x", "bogus": true })),
            )
            .await;
        let message = expect_error(response, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
        assert!(message.contains("bogus"), "{method} {path}: {message}");
    }
}

#[tokio::test]
async fn wrong_type_for_callbacks_is_refused_naming_the_field() {
    let m = Mgmt::start().await;
    let response = m
        .patch(
            &format!("/api/v2/clients/{CLIENT_ID}"),
            json!({ "callbacks": "http://127.0.0.1:4000/callback" }),
        )
        .await;
    let message = expect_error(response, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    // Auth0 names the property ("… 'Expected type array but found type string' on property
    // callbacks"); naming the expected type is the least a client needs to find it.
    assert!(
        message.contains("callbacks") || message.contains("expected a sequence"),
        "{message}"
    );
    let client = m.get_ok(&format!("/api/v2/clients/{CLIENT_ID}")).await;
    assert_eq!(client["callbacks"], json!([CALLBACK]), "unchanged");
}

#[tokio::test]
async fn missing_required_name_is_refused_naming_it() {
    let m = Mgmt::start().await;
    let response = m
        .post("/api/v2/clients", json!({ "app_type": "spa" }))
        .await;
    let message = expect_error(response, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    assert!(message.contains("name"), "{message}");
}

#[tokio::test]
async fn invalid_values_are_refused_naming_the_field() {
    let m = Mgmt::start().await;
    let cases = [
        (json!({ "name": "x", "app_type": "toaster" }), "app_type"),
        (
            json!({ "name": "x", "callbacks": ["not a url"] }),
            "callback",
        ),
        (
            json!({ "name": "x", "grant_types": ["http://auth0.com/oauth/grant-type/passwordless/otp"] }),
            "grant type",
        ),
        (
            json!({ "name": "x", "token_endpoint_auth_method": "private_key_jwt" }),
            "token_endpoint_auth_method",
        ),
    ];
    for (body, field) in cases {
        let response = m.post("/api/v2/clients", body.clone()).await;
        let message = expect_error(response, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
        assert!(message.contains(field), "{body}: {message}");
    }
}

#[tokio::test]
async fn body_that_is_not_json_is_invalid_body() {
    let m = Mgmt::start().await;
    let form = http()
        .post(m.server.url("/api/v2/clients"))
        .bearer_auth(&m.token)
        .form(&[("name", "Form app")])
        .send()
        .await
        .unwrap();
    let message = expect_error(form, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    assert!(message.contains("application/json"), "{message}");
    let broken = http()
        .post(m.server.url("/api/v2/clients"))
        .bearer_auth(&m.token)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    expect_error(broken, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
}

#[tokio::test]
async fn unknown_management_path_is_an_auth0_404() {
    let m = Mgmt::start().await;
    let response = m.get("/api/v2/organizations").await;
    expect_error(response, StatusCode::NOT_FOUND, None).await;
}
