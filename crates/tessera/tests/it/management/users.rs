//! `/api/v2/users`: users of `Username-Password-Authentication`. Passwords are never shown;
//! blocking and password changes take effect at the login page and token endpoint at once.

use reqwest::{Response, StatusCode};
use serde_json::json;

use super::*;

const CONNECTION: &str = "Username-Password-Authentication";

/// Opens the seed's authorize URL in a new browser and logs in as `username` / `password`;
/// returns the answer to the login form.
async fn log_in(server: &TestServer, username: &str, password: &str) -> Response {
    let browser = Browser::new();
    let (page, url) = browser.open(&server.authorize_url(&[])).await;
    assert_eq!(url.path(), "/u/login");
    let html = page.text().await.unwrap();
    browser.submit_login(&url, &html, username, password).await
}

/// The user path for `id`, with the `|` encoded.
fn user_path(id: &str) -> String {
    format!("/api/v2/users/{}", encoded(id))
}

#[tokio::test]
async fn user_round_trip_never_shows_the_password() {
    let m = Mgmt::start().await;
    let created = m
        .create(
            "/api/v2/users",
            json!({
                "connection": CONNECTION,
                "email": "sam@example.com",
                "username": "sam",
                "name": "Sam Doe",
                "password": "sam's long password",
            }),
        )
        .await;
    let id = created["user_id"].as_str().unwrap().to_owned();
    let hex = id.strip_prefix("auth0|").unwrap();
    assert!(
        hex.len() == 24 && hex.chars().all(|c| c.is_ascii_hexdigit()),
        "{id}"
    );
    assert_eq!(created["email"], "sam@example.com");
    assert_eq!(created["username"], "sam");
    assert_eq!(created["name"], "Sam Doe");
    assert_eq!(created["email_verified"], false);
    assert_eq!(created["blocked"], false);
    assert_eq!(created["identities"][0]["connection"], CONNECTION);
    assert_eq!(created["identities"][0]["provider"], "auth0");
    assert_eq!(created["identities"][0]["user_id"], hex);
    assert!(created.get("password").is_none(), "{created}");
    assert!(!created.to_string().contains("sam's long password"));

    let path = user_path(&id);
    let got = m.get_ok(&path).await;
    assert_eq!(got["user_id"], id);
    assert!(got.get("password").is_none(), "{got}");

    let found = m.get_ok("/api/v2/users?q=sam%40example").await;
    let found = found.as_array().unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["user_id"], id);

    let renamed = expect_status(
        m.patch(&path, json!({ "name": "Samantha Doe" })).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(renamed["name"], "Samantha Doe");
    assert_eq!(renamed["email"], "sam@example.com");

    expect_status(m.delete(&path).await, StatusCode::NO_CONTENT).await;
    expect_error(
        m.get(&path).await,
        StatusCode::NOT_FOUND,
        Some("inexistent_user"),
    )
    .await;
    let response = log_in(&m.server, "sam", "sam's long password").await;
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "a deleted user cannot log in"
    );
}

#[tokio::test]
async fn user_with_a_short_password_is_refused_naming_the_password() {
    let m = Mgmt::start().await;
    let response = m
        .post(
            "/api/v2/users",
            json!({ "connection": CONNECTION, "email": "short@example.com", "password": "2short" }),
        )
        .await;
    let message = expect_error(response, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    assert!(message.to_lowercase().contains("password"), "{message}");
    let users = m.get_ok("/api/v2/users?q=short%40example.com").await;
    assert_eq!(users, json!([]), "nothing was created");
}

#[tokio::test]
async fn user_with_an_existing_email_is_409() {
    let m = Mgmt::start().await;
    let response = m
        .post(
            "/api/v2/users",
            json!({
                "connection": CONNECTION,
                "email": EMAIL,
                "username": "another-jane",
                "password": "a long enough password",
            }),
        )
        .await;
    expect_error(response, StatusCode::CONFLICT, Some("already_exists")).await;
}

#[tokio::test]
async fn user_of_another_connection_is_refused_naming_it() {
    let m = Mgmt::start().await;
    let response = m
        .post(
            "/api/v2/users",
            json!({ "connection": "google-oauth2", "email": "g@example.com", "password": "a long enough password" }),
        )
        .await;
    let message = expect_error(response, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    assert!(message.contains("google-oauth2"), "{message}");
}

#[tokio::test]
async fn blocked_user_cannot_log_in_and_loses_refresh_tokens() {
    let m = Mgmt::start().await;
    let tokens = m.server.offline_tokens_for(CLIENT_ID).await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let id = m.seed_user_id().await;

    let blocked = expect_status(
        m.patch(&user_path(&id), json!({ "blocked": true })).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(blocked["blocked"], true);

    let response = log_in(&m.server, USERNAME, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("This account is blocked. Contact the administrator."),
        "{page}"
    );
    expect_oauth_error(
        m.server.refresh(refresh_token).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;

    // Unblocked, the user logs in again; the revoked refresh token stays revoked.
    let unblocked = m.patch(&user_path(&id), json!({ "blocked": false })).await;
    assert_eq!(
        expect_status(unblocked, StatusCode::OK).await["blocked"],
        false
    );
    let response = log_in(&m.server, USERNAME, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    expect_oauth_error(
        m.server.refresh(refresh_token).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn user_password_set_through_patch_is_the_one_that_logs_in() {
    let m = Mgmt::start().await;
    let id = m.seed_user_id().await;
    let new_password = "a brand new passphrase";
    let patched = m
        .patch(&user_path(&id), json!({ "password": new_password }))
        .await;
    let patched = expect_status(patched, StatusCode::OK).await;
    assert!(patched.get("password").is_none(), "{patched}");

    let old = log_in(&m.server, USERNAME, PASSWORD).await;
    assert_eq!(
        old.status(),
        StatusCode::UNAUTHORIZED,
        "the old password is gone"
    );
    let new = log_in(&m.server, USERNAME, new_password).await;
    assert_eq!(new.status(), StatusCode::FOUND, "the new password logs in");
    let next = location(&new);
    assert!(next.contains("/u/consent"), "{next}");
}

#[tokio::test]
async fn user_password_too_short_in_patch_is_refused_and_changes_nothing() {
    let m = Mgmt::start().await;
    let id = m.seed_user_id().await;
    let response = m
        .patch(
            &user_path(&id),
            json!({ "password": "short", "name": "Changed" }),
        )
        .await;
    let message = expect_error(response, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    assert!(message.to_lowercase().contains("password"), "{message}");
    assert_eq!(m.get_ok(&user_path(&id)).await["name"], "Jane Doe");
    let response = log_in(&m.server, USERNAME, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::FOUND);
}

/// The `user_id`s of a list answer, in its order.
fn ids(listed: &serde_json::Value) -> Vec<&str> {
    listed
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["user_id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn users_carry_auth0_profiles_metadata_and_login_statistics() {
    let m = Mgmt::start().await;
    let created = m
        .create(
            "/api/v2/users",
            json!({
                "connection": CONNECTION,
                "user_id": "legacy-42",
                "email": "Ada.Lovelace@Example.com",
                "password": "ada's long password",
                "given_name": "Ada",
                "family_name": "Lovelace",
                "picture": "https://pictures.example/ada.png",
                "user_metadata": { "theme": "dark", "unset": null },
                "app_metadata": { "plan": "gold", "roles": ["admin"], "seats": 5 },
            }),
        )
        .await;
    let id = "auth0|legacy-42";
    assert_eq!(created["user_id"], id, "{created}");
    assert_eq!(created["identities"][0]["user_id"], "legacy-42");
    assert_eq!(
        created["email"], "ada.lovelace@example.com",
        "stored in lower case"
    );
    assert_eq!(
        created["nickname"], "ada.lovelace",
        "the email's local part"
    );
    assert_eq!(created["given_name"], "Ada");
    assert_eq!(created["family_name"], "Lovelace");
    assert_eq!(created["picture"], "https://pictures.example/ada.png");
    assert_eq!(created["user_metadata"], json!({ "theme": "dark" }));
    assert_eq!(created["logins_count"], 0);
    assert!(created.get("last_login").is_none(), "{created}");

    // PATCH merges top-level keys; null removes one; {} removes them all.
    let path = user_path(id);
    let patched = m
        .patch(
            &path,
            json!({
                "user_metadata": { "theme": null, "lang": "fr" },
                "app_metadata": { "plan": "platinum" },
            }),
        )
        .await;
    let patched = expect_status(patched, StatusCode::OK).await;
    assert_eq!(patched["user_metadata"], json!({ "lang": "fr" }));
    assert_eq!(
        patched["app_metadata"],
        json!({ "plan": "platinum", "roles": ["admin"], "seats": 5 })
    );
    let cleared = m.patch(&path, json!({ "user_metadata": {} })).await;
    let cleared = expect_status(cleared, StatusCode::OK).await;
    assert_eq!(cleared["user_metadata"], json!({}));
    assert_eq!(cleared["app_metadata"]["plan"], "platinum");
    let refused = m
        .patch(
            &path,
            json!({ "app_metadata": { "preference.color": "pink" } }),
        )
        .await;
    let message = expect_error(refused, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    assert!(message.contains("preference.color"), "{message}");

    // Auth0's user search (v3).
    let search = |q: &str| format!("/api/v2/users?search_engine=v3&q={}", encoded(q));
    for q in [
        r#"app_metadata.plan:"platinum""#,
        "app_metadata.roles:admin",
        "app_metadata.seats:5",
        r#"email:"ADA.LOVELACE@example.com""#,
        "given_name:ad* AND NOT blocked:true",
        r#"user_id:"auth0|legacy-42""#,
        "lovelace",
    ] {
        assert_eq!(ids(&m.get_ok(&search(q)).await), [id], "{q}");
    }
    assert_eq!(
        ids(&m.get_ok(&search("email.domain:example.com")).await).len(),
        2,
        "Ada and the seed's Jane"
    );
    assert!(ids(&m.get_ok(&search("app_metadata.plan:gold")).await).is_empty());
    let sorted = m.get_ok("/api/v2/users?sort=email:-1").await;
    assert_eq!(ids(&sorted).last(), Some(&id), "{sorted}");
    let message = expect_error(
        m.get(&search(r#"name:"unclosed"#)).await,
        StatusCode::BAD_REQUEST,
        Some("invalid_query_string"),
    )
    .await;
    assert!(message.contains("closing"), "{message}");
    expect_error(
        m.get("/api/v2/users?sort=password:1").await,
        StatusCode::BAD_REQUEST,
        Some("invalid_query_string"),
    )
    .await;

    // users-by-email: exact.
    let by_email = m
        .get_ok("/api/v2/users-by-email?email=ada.lovelace%40example.com")
        .await;
    assert_eq!(ids(&by_email), [id]);
    let other_case = m
        .get_ok("/api/v2/users-by-email?email=Ada.Lovelace%40Example.com")
        .await;
    assert_eq!(other_case, json!([]));

    // A login counts, with its time and address; the profile's updated_at stays.
    let before = m.get_ok(&path).await;
    let response = log_in(&m.server, "ada.lovelace@example.com", "ada's long password").await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let after = m.get_ok(&path).await;
    assert_eq!(after["logins_count"], 1);
    assert_eq!(after["last_ip"], "127.0.0.1");
    assert!(after["last_login"].is_string(), "{after}");
    assert_eq!(after["updated_at"], before["updated_at"]);
    assert_eq!(ids(&m.get_ok(&search("logins_count:[1 TO *]")).await), [id]);
}
