//! A server started with no APIs, applications or users is set up entirely through the
//! Management API, and then runs the seed's flow.

use reqwest::StatusCode;
use serde_json::json;
use url::Url;

use super::*;

const NOTES_API: &str = "https://notes.example.com/api";
const NOTES_CALLBACK: &str = "http://127.0.0.1:4000/notes/callback";

#[tokio::test]
async fn server_without_config_is_set_up_through_the_management_api() {
    let m = Mgmt::start_with(|config| {
        config.apis.clear();
        config.clients.clear();
        config.users.clear();
        config.client_grants.clear();
    })
    .await;
    assert_eq!(
        m.get_ok("/api/v2/users").await,
        json!([]),
        "no users at all"
    );

    m.create(
        "/api/v2/resource-servers",
        json!({
            "identifier": NOTES_API,
            "name": "Notes API",
            "scopes": [{ "value": "read:notes", "description": "Read your notes" }],
            "allow_offline_access": true,
        }),
    )
    .await;
    let app = m
        .create(
            "/api/v2/clients",
            json!({ "name": "Notes", "callbacks": [NOTES_CALLBACK] }),
        )
        .await;
    let client_id = app["client_id"].as_str().unwrap();
    let client_secret = app["client_secret"].as_str().unwrap();
    let user = m
        .create(
            "/api/v2/users",
            json!({
                "connection": "Username-Password-Authentication",
                "email": EMAIL,
                "username": USERNAME,
                "name": "Jane Doe",
                "password": PASSWORD,
            }),
        )
        .await;

    let mut authorize = Url::parse(&m.server.url("authorize")).unwrap();
    authorize.query_pairs_mut().extend_pairs([
        ("audience", NOTES_API),
        ("scope", "openid profile read:notes offline_access"),
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", NOTES_CALLBACK),
        ("state", "notes-state"),
    ]);
    let callback = Browser::new().sign_in(authorize.as_str()).await;
    assert_eq!(callback.path(), "/notes/callback");
    assert_eq!(
        query_param(&callback, "state").as_deref(),
        Some("notes-state")
    );
    let code = query_param(&callback, "code").unwrap();

    let response = m
        .server
        .token_json(json!({
            "grant_type": "authorization_code",
            "client_id": client_id,
            "client_secret": client_secret,
            "code": code,
            "redirect_uri": NOTES_CALLBACK,
        }))
        .await;
    let tokens = expect_status(response, StatusCode::OK).await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["refresh_token"].is_string(), "{tokens}");
    let access = jwt_claims(tokens["access_token"].as_str().unwrap());
    assert!(
        audiences(&access).contains(&NOTES_API.to_owned()),
        "{access}"
    );
    assert_eq!(access["sub"], user["user_id"]);
    assert_eq!(access["client_id"], client_id);
    let mut scope: Vec<&str> = access["scope"].as_str().unwrap().split(' ').collect();
    scope.sort_unstable();
    assert_eq!(scope, ["offline_access", "openid", "profile", "read:notes"]);
    let id_token = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(audiences(&id_token), vec![client_id.to_owned()]);
    assert_eq!(id_token["sub"], user["user_id"]);
    assert_eq!(id_token["name"], "Jane Doe");

    let grants = m
        .get_ok(&format!(
            "/api/v2/grants?user_id={}",
            encoded(user["user_id"].as_str().unwrap())
        ))
        .await;
    assert_eq!(grants[0]["clientID"], client_id, "{grants}");
    assert_eq!(grants[0]["audience"], NOTES_API, "{grants}");
}
