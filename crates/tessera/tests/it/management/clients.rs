//! `/api/v2/clients`: the secret is shown only at creation and rotation; changes and deletions
//! take effect at the token endpoint at once.

use reqwest::StatusCode;
use serde_json::json;

use super::*;

#[tokio::test]
async fn client_round_trip_shows_the_secret_only_at_creation() {
    let m = Mgmt::start().await;
    let created = m
        .create(
            "/api/v2/clients",
            json!({
                "name": "Calendar",
                "app_type": "regular_web",
                "callbacks": ["http://127.0.0.1:4000/calendar"],
                "allowed_logout_urls": ["http://127.0.0.1:4000/"],
            }),
        )
        .await;
    let id = created["client_id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap();
    assert!(secret.len() >= 32, "{created}");
    assert_eq!(created["name"], "Calendar");
    assert_eq!(created["app_type"], "regular_web");
    assert_eq!(
        created["callbacks"],
        json!(["http://127.0.0.1:4000/calendar"])
    );
    assert_eq!(
        created["allowed_logout_urls"],
        json!(["http://127.0.0.1:4000/"])
    );
    assert_eq!(created["token_endpoint_auth_method"], "client_secret_post");
    assert_eq!(
        created["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );

    let path = format!("/api/v2/clients/{id}");
    let got = m.get_ok(&path).await;
    assert_eq!(got["client_id"], id);
    assert_eq!(got["name"], "Calendar");
    assert!(got.get("client_secret").is_none(), "{got}");

    let updated = m
        .patch(
            &path,
            json!({ "callbacks": ["http://127.0.0.1:4000/calendar/v2"] }),
        )
        .await;
    let updated = expect_status(updated, StatusCode::OK).await;
    assert_eq!(
        updated["callbacks"],
        json!(["http://127.0.0.1:4000/calendar/v2"])
    );
    assert_eq!(
        updated["name"], "Calendar",
        "absent fields keep their value"
    );
    assert!(updated.get("client_secret").is_none(), "{updated}");
    assert_eq!(m.get_ok(&path).await["callbacks"], updated["callbacks"]);

    let listed = m.get_ok("/api/v2/clients").await;
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c.get("client_secret").is_none()));

    expect_status(m.delete(&path).await, StatusCode::NO_CONTENT).await;
    expect_error(
        m.get(&path).await,
        StatusCode::NOT_FOUND,
        Some("inexistent_client"),
    )
    .await;
    expect_error(
        m.delete(&path).await,
        StatusCode::NOT_FOUND,
        Some("inexistent_client"),
    )
    .await;
}

#[tokio::test]
async fn client_list_pages_with_totals() {
    let m = Mgmt::start().await;
    for name in ["One", "Two", "Three"] {
        m.create_m2m_client(name).await;
    }
    // The seed's client, the management client and the three above.
    let first = m
        .get_ok("/api/v2/clients?page=0&per_page=2&include_totals=true")
        .await;
    assert_eq!(first["start"], 0, "{first}");
    assert_eq!(first["limit"], 2, "{first}");
    assert_eq!(first["length"], 2, "{first}");
    assert_eq!(first["total"], 5, "{first}");
    assert_eq!(first["clients"].as_array().unwrap().len(), 2);

    let last = m
        .get_ok("/api/v2/clients?page=2&per_page=2&include_totals=true")
        .await;
    assert_eq!(last["start"], 4, "{last}");
    assert_eq!(last["length"], 1, "{last}");
    assert_eq!(last["total"], 5, "{last}");

    let plain = m.get_ok("/api/v2/clients?page=1&per_page=2").await;
    assert_eq!(plain.as_array().unwrap().len(), 2, "{plain}");
    let mut ids: Vec<String> = Vec::new();
    for page in [&first["clients"], &plain, &last["clients"]] {
        for client in page.as_array().unwrap() {
            ids.push(client["client_id"].as_str().unwrap().to_owned());
        }
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5, "the pages do not overlap: {ids:?}");
}

#[tokio::test]
async fn client_list_per_page_out_of_range_is_invalid_query_string() {
    let m = Mgmt::start().await;
    for per_page in ["0", "101"] {
        let response = m.get(&format!("/api/v2/clients?per_page={per_page}")).await;
        let message = expect_error(
            response,
            StatusCode::BAD_REQUEST,
            Some("invalid_query_string"),
        )
        .await;
        assert!(message.contains("per_page"), "{message}");
    }
}

#[tokio::test]
async fn client_rotate_secret_retires_the_old_secret_at_once() {
    let m = Mgmt::start().await;
    let created = m.create_m2m_client("Rotating job").await;
    let id = created["client_id"].as_str().unwrap();
    let old = created["client_secret"].as_str().unwrap();
    m.grant(id, API, &["appointments"]).await;
    expect_status(
        client_credentials(&m.server, id, old, API).await,
        StatusCode::OK,
    )
    .await;

    let rotated = m
        .post(&format!("/api/v2/clients/{id}/rotate-secret"), json!({}))
        .await;
    let rotated = expect_status(rotated, StatusCode::OK).await;
    let new = rotated["client_secret"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(rotated["client_id"], id);

    expect_oauth_error(
        client_credentials(&m.server, id, old, API).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    )
    .await;
    let issued = expect_status(
        client_credentials(&m.server, id, new, API).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        jwt_claims(issued["access_token"].as_str().unwrap())["client_id"],
        id
    );
    assert!(m
        .get_ok(&format!("/api/v2/clients/{id}"))
        .await
        .get("client_secret")
        .is_none());
}

#[tokio::test]
async fn client_rotate_secret_of_an_unknown_client_is_404() {
    let m = Mgmt::start().await;
    let response = m
        .post("/api/v2/clients/no-such-client/rotate-secret", json!({}))
        .await;
    expect_error(response, StatusCode::NOT_FOUND, Some("inexistent_client")).await;
}

#[tokio::test]
async fn deleted_client_can_no_longer_get_tokens() {
    let m = Mgmt::start().await;
    let created = m.create_m2m_client("Short-lived job").await;
    let id = created["client_id"].as_str().unwrap();
    let secret = created["client_secret"].as_str().unwrap();
    m.grant(id, API, &["appointments"]).await;
    expect_status(
        client_credentials(&m.server, id, secret, API).await,
        StatusCode::OK,
    )
    .await;

    expect_status(
        m.delete(&format!("/api/v2/clients/{id}")).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    expect_oauth_error(
        client_credentials(&m.server, id, secret, API).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    )
    .await;
}

#[tokio::test]
async fn client_callback_change_takes_effect_at_once() {
    let m = Mgmt::start().await;
    let old_callback = "http://127.0.0.1:4000/old";
    let new_callback = "http://127.0.0.1:4000/new";
    let created = m
        .create(
            "/api/v2/clients",
            json!({ "name": "Moving app", "callbacks": [old_callback] }),
        )
        .await;
    let id = created["client_id"].as_str().unwrap();
    let authorize = |callback: &str| {
        m.server
            .authorize_url(&[("client_id", id), ("redirect_uri", callback)])
    };
    let (_, url) = Browser::new().open(&authorize(old_callback)).await;
    assert_eq!(url.path(), "/u/login", "the old callback works before");

    let patched = m
        .patch(
            &format!("/api/v2/clients/{id}"),
            json!({ "callbacks": [new_callback] }),
        )
        .await;
    expect_status(patched, StatusCode::OK).await;

    let (_, url) = Browser::new().open(&authorize(new_callback)).await;
    assert_eq!(url.path(), "/u/login", "the new callback works at once");
    let callback = Browser::new().sign_in(&authorize(new_callback)).await;
    assert_eq!(callback.path(), "/new");
    assert!(query_param(&callback, "code").is_some(), "{callback}");

    let removed = Browser::new().get(&authorize(old_callback)).await;
    assert_eq!(removed.status(), StatusCode::BAD_REQUEST);
    assert!(header(&removed, "location").is_none(), "never redirected");
    let page = removed.text().await.unwrap();
    assert!(page.contains("<code>invalid_request</code>"), "{page}");
    assert!(page.contains("Allowed Callback URLs"), "{page}");
}

#[tokio::test]
async fn public_client_gets_no_secret_and_cannot_rotate() {
    let m = Mgmt::start().await;
    let created = m
        .create(
            "/api/v2/clients",
            json!({ "name": "Single page", "app_type": "spa", "callbacks": ["http://127.0.0.1:4000/spa"] }),
        )
        .await;
    assert!(created.get("client_secret").is_none(), "{created}");
    assert_eq!(created["token_endpoint_auth_method"], "none");
    let id = created["client_id"].as_str().unwrap();
    let response = m
        .post(&format!("/api/v2/clients/{id}/rotate-secret"), json!({}))
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
}

#[tokio::test]
async fn client_web_origins_and_allowed_origins_are_kept_as_origins() {
    let m = Mgmt::start().await;
    let created = m
        .create(
            "/api/v2/clients",
            json!({
                "name": "Origins", "app_type": "spa", "callbacks": ["https://spa.example.com/"],
                "web_origins": ["https://SPA.example.com/"],
                "allowed_origins": ["https://admin.example.com:8443"],
            }),
        )
        .await;
    assert_eq!(created["web_origins"], json!(["https://spa.example.com"]));
    assert_eq!(
        created["allowed_origins"],
        json!(["https://admin.example.com:8443"])
    );
    let path = format!("/api/v2/clients/{}", created["client_id"].as_str().unwrap());
    assert_eq!(m.get_ok(&path).await["web_origins"], created["web_origins"]);

    let refused = m
        .patch(
            &path,
            json!({ "web_origins": ["https://spa.example.com/callback"] }),
        )
        .await;
    let message = expect_error(refused, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    assert!(message.contains("web_origins"), "{message}");
    assert_eq!(m.get_ok(&path).await["web_origins"], created["web_origins"]);
}

#[tokio::test]
async fn client_require_proof_of_possession_defaults_to_false_and_round_trips() {
    let m = Mgmt::start().await;
    let created = m
        .create(
            "/api/v2/clients",
            json!({ "name": "Plain", "app_type": "non_interactive" }),
        )
        .await;
    assert_eq!(created["require_proof_of_possession"], false);
    let bound = m
        .create(
            "/api/v2/clients",
            json!({
                "name": "Bound SPA",
                "app_type": "spa",
                "callbacks": ["http://127.0.0.1:4000/spa/"],
                "require_proof_of_possession": true,
            }),
        )
        .await;
    assert_eq!(bound["require_proof_of_possession"], true);
    let path = format!("/api/v2/clients/{}", bound["client_id"].as_str().unwrap());
    assert_eq!(m.get_ok(&path).await["require_proof_of_possession"], true);

    let renamed = m.patch(&path, json!({ "name": "Bound" })).await;
    let renamed = expect_status(renamed, StatusCode::OK).await;
    assert_eq!(
        renamed["require_proof_of_possession"], true,
        "absent fields keep their value"
    );
    let released = m
        .patch(&path, json!({ "require_proof_of_possession": false }))
        .await;
    let released = expect_status(released, StatusCode::OK).await;
    assert_eq!(released["require_proof_of_possession"], false);
    assert_eq!(m.get_ok(&path).await["require_proof_of_possession"], false);
    let refused = m
        .patch(&path, json!({ "require_proof_of_possession": "yes" }))
        .await;
    let message = expect_error(refused, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    assert!(message.contains("require_proof_of_possession"), "{message}");
}

#[tokio::test]
async fn client_logo_uri_round_trips_and_is_removed_by_null_or_empty() {
    let m = Mgmt::start().await;
    let logo = "https://cdn.example.com/calendar.png";
    let created = m
        .create(
            "/api/v2/clients",
            json!({ "name": "Calendar", "app_type": "spa", "logo_uri": logo }),
        )
        .await;
    assert_eq!(created["logo_uri"], logo);
    let path = format!("/api/v2/clients/{}", created["client_id"].as_str().unwrap());
    assert_eq!(m.get_ok(&path).await["logo_uri"], logo);
    let listed = m.get_ok("/api/v2/clients").await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["logo_uri"] == logo),
        "{listed}"
    );

    let renamed = expect_status(
        m.patch(&path, json!({ "name": "Agenda" })).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(renamed["logo_uri"], logo, "absent fields keep their value");
    let other = "http://localhost:3000/agenda.svg";
    let changed = expect_status(
        m.patch(&path, json!({ "logo_uri": other })).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(changed["logo_uri"], other, "http is allowed for localhost");
    assert_eq!(m.get_ok(&path).await["logo_uri"], other);

    for invalid in [
        json!("http://cdn.example.com/logo.png"),
        json!("/logo.png"),
        json!("javascript:alert(1)"),
        json!("https://cdn.example.com/\"><script>"),
        json!("https://cdn.example.com/a logo.png"),
        json!(format!("https://cdn.example.com/{}", "a".repeat(2048))),
        json!(42),
    ] {
        let refused = m.patch(&path, json!({ "logo_uri": invalid })).await;
        let message = expect_error(refused, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
        assert!(
            message.starts_with("Payload validation error: ") && message.contains("logo_uri"),
            "{invalid}: {message}"
        );
        assert_eq!(m.get_ok(&path).await["logo_uri"], other, "unchanged");
    }
    let refused = m
        .post(
            "/api/v2/clients",
            json!({ "name": "Bad logo", "app_type": "spa", "logo_uri": "ftp://cdn.example.com/x.png" }),
        )
        .await;
    let message = expect_error(refused, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    assert!(message.contains("logo_uri"), "{message}");
    let all = m.get_ok("/api/v2/clients").await;
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .all(|c| c["name"] != "Bad logo"),
        "nothing was created: {all}"
    );

    for removal in [json!(null), json!("")] {
        expect_status(
            m.patch(&path, json!({ "logo_uri": logo })).await,
            StatusCode::OK,
        )
        .await;
        let removed = expect_status(
            m.patch(&path, json!({ "logo_uri": removal })).await,
            StatusCode::OK,
        )
        .await;
        assert!(removed.get("logo_uri").is_none(), "{removal}: {removed}");
        assert!(m.get_ok(&path).await.get("logo_uri").is_none());
    }

    // The OpenAPI document describes it, in answers and in bodies.
    let doc: serde_json::Value = http()
        .get(m.server.url("/api/v2/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for schema in ["Client", "ClientBody"] {
        let property = &doc["components"]["schemas"][schema]["properties"]["logo_uri"];
        assert!(property.is_object(), "{schema}: {property}");
    }
}
