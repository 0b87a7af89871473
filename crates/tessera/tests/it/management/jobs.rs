//! `/api/v2/jobs`: Auth0's bulk user import. Files whose password hashes other ecosystems'
//! libraries made (tessera-core's fixtures: Python's bcrypt, passlib, argon2-cffi, hashlib;
//! Node's bcryptjs and node:crypto) are uploaded as Auth0's SDKs upload them; their users log
//! in through the hosted login page with their old passwords, which are then argon2id.

use std::time::Duration;

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tessera_store::{SqliteStore, UserStore};

use super::*;

const CONNECTION: &str = "Username-Password-Authentication";

fn fixture(name: &str) -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tessera-core/tests/fixtures/auth0-import/"
    );
    std::fs::read(format!("{path}{name}")).unwrap()
}

/// Where the `users` file goes in the form: auth0-python sends it after the fields, node-auth0
/// before them.
#[derive(Clone, Copy)]
enum FileGoes {
    Last,
    First,
}

/// Uploads `file` as Auth0's SDKs do: a multipart form with the `users` file part.
async fn upload_as(
    m: &Mgmt,
    file: Vec<u8>,
    fields: &[(&str, &str)],
    goes: FileGoes,
) -> reqwest::Response {
    let part = Part::bytes(file)
        .file_name("users.json")
        .mime_str("application/json")
        .unwrap();
    let mut form = Form::new();
    if let FileGoes::First = goes {
        form = form.part("users", part);
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
    } else {
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        form = form.part("users", part);
    }
    http()
        .post(m.server.url("/api/v2/jobs/users-imports"))
        .bearer_auth(&m.token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Waits (a bounded number of the runner's one-second rounds) for the job to end.
async fn finished(m: &Mgmt, id: &str) -> Value {
    for _ in 0..60 {
        let job = m.get_ok(&format!("/api/v2/jobs/{id}")).await;
        if job["status"] == "completed" || job["status"] == "failed" {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("job {id} did not finish");
}

async fn upload(m: &Mgmt, file: Vec<u8>, fields: &[(&str, &str)]) -> reqwest::Response {
    upload_as(m, file, fields, FileGoes::Last).await
}

async fn import(m: &Mgmt, file: Vec<u8>, upsert: bool) -> Value {
    import_as(m, file, upsert, FileGoes::Last).await
}

async fn import_as(m: &Mgmt, file: Vec<u8>, upsert: bool, goes: FileGoes) -> Value {
    let upsert = if upsert { "true" } else { "false" };
    let fields = [("connection_id", CONNECTION), ("upsert", upsert)];
    let response = upload_as(m, file, &fields, goes).await;
    let job = expect_status(response, StatusCode::CREATED).await;
    assert_eq!(job["type"], "users_import");
    assert_eq!(job["status"], "pending", "{job}");
    let id = job["id"].as_str().unwrap();
    assert!(id.starts_with("job_"), "{id}");
    finished(m, id).await
}

async fn log_in(server: &TestServer, username: &str, password: &str) -> StatusCode {
    let browser = Browser::new();
    let (page, url) = browser.open(&server.authorize_url(&[])).await;
    let html = page.text().await.unwrap();
    browser
        .submit_login(&url, &html, username, password)
        .await
        .status()
}

fn users_of(file: &[u8]) -> Vec<Value> {
    serde_json::from_slice(file).unwrap()
}

#[tokio::test]
async fn users_with_other_ecosystems_hashes_log_in_with_their_passwords_then_as_argon2id() {
    let m = Mgmt::start().await;
    let python = fixture("python-users.json");
    let node = fixture("node-users.json");
    let job = import(&m, python.clone(), false).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(
        job["summary"],
        json!({ "failed": 0, "updated": 0, "inserted": 18, "total": 18 })
    );
    assert_eq!(job["connection"], CONNECTION);
    assert!(
        job["connection_id"].as_str().unwrap().starts_with("con_"),
        "{job}"
    );
    let job = import_as(&m, node.clone(), false, FileGoes::First).await;
    assert_eq!(job["summary"]["inserted"], 5, "{job}");

    // Ids, profiles and metadata survive the move.
    let imported = m.get_ok("/api/v2/users/auth0%7Cnode-bcryptjs").await;
    assert_eq!(imported["email"], "bcryptjs@node.example");
    assert_eq!(imported["given_name"], "Node");
    assert_eq!(imported["app_metadata"], json!({ "source": "node" }));
    assert_eq!(imported["identities"][0]["user_id"], "node-bcryptjs");

    let store = SqliteStore::connect(&m.server.config.database_url)
        .await
        .unwrap();
    let users: Vec<Value> = users_of(&python)
        .into_iter()
        .chain(users_of(&node))
        .collect();
    for user in &users {
        let email = user["email"].as_str().unwrap();
        let password = user["user_metadata"]["password"].as_str().unwrap();
        assert_eq!(
            log_in(&m.server, email, &format!("{password}x")).await,
            StatusCode::UNAUTHORIZED,
            "{email}: a wrong password"
        );
        let before = store.user_by_login(email).await.unwrap().unwrap();
        assert!(
            before.password_hash.starts_with('{'),
            "{email}: still imported"
        );
        assert_eq!(
            log_in(&m.server, email, password).await,
            StatusCode::FOUND,
            "{email}"
        );
        let after = store.user_by_login(email).await.unwrap().unwrap();
        assert!(
            after.password_hash.starts_with("$argon2id$"),
            "{email}: rehashed at login"
        );
        assert_eq!(
            log_in(&m.server, email, password).await,
            StatusCode::FOUND,
            "{email}: argon2id"
        );
    }
}

#[tokio::test]
async fn refused_entries_are_reported_as_auth0_does_and_the_others_imported() {
    let m = Mgmt::start().await;
    let file = json!([
        { "email": "good@example.com", "user_id": "good-1" },
        { "email": "good@example.com", "user_id": "good-2" },
        { "email": "no-hash@example.com", "custom_password_hash": { "algorithm": "crc32", "hash": { "value": "x" } } },
        { "name": "no email" },
        { "email": "typed@example.com", "email_verified": "yes", "favourite_colour": "red" },
        { "email": EMAIL, "password_hash": "$2b$10$NdoDggqYGj/whLNmohjDRucX0Kg75h/DHxKjCxMlQmZH1m3pNEFQG" },
    ]);
    let job = import(&m, serde_json::to_vec(&file).unwrap(), false).await;
    assert_eq!(
        job["summary"],
        json!({ "failed": 5, "updated": 0, "inserted": 1, "total": 6 }),
        "{job}"
    );
    let errors = m
        .get_ok(&format!(
            "/api/v2/jobs/{}/errors",
            job["id"].as_str().unwrap()
        ))
        .await;
    let errors = errors.as_array().unwrap();
    let first_codes: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| {
            (
                e["errors"][0]["code"].as_str().unwrap(),
                e["errors"][0]["path"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        first_codes,
        [
            ("DUPLICATED_USER", "email"),
            ("INVALID_FORMAT", "custom_password_hash"),
            ("OBJECT_MISSING_REQUIRED_PROPERTY", ""),
            ("OBJECT_ADDITIONAL_PROPERTIES", "favourite_colour"),
            ("DUPLICATED_USER", "email"),
        ],
        "{errors:?}"
    );
    assert_eq!(
        errors[1]["user"]["email"], "no-hash@example.com",
        "the user as the file had it"
    );
    assert_eq!(
        errors[0]["user"]["user_id"], "good-2",
        "in the file's order"
    );
    // The seed user was not touched (no upsert).
    let jane = m
        .get_ok(&format!(
            "/api/v2/users?q={}",
            encoded(&format!("email:\"{EMAIL}\""))
        ))
        .await;
    assert_eq!(jane[0]["name"], "Jane Doe");

    // With upsert, the existing user takes the file's profile (not its hash: her password is
    // Tessera's own).
    let update = json!([{ "email": EMAIL, "given_name": "Janet", "app_metadata": { "plan": "gold" },
        "password_hash": "$2b$10$NdoDggqYGj/whLNmohjDRucX0Kg75h/DHxKjCxMlQmZH1m3pNEFQG" }]);
    let job = import(&m, serde_json::to_vec(&update).unwrap(), true).await;
    assert_eq!(
        job["summary"],
        json!({ "failed": 0, "updated": 1, "inserted": 0, "total": 1 }),
        "{job}"
    );
    let id = m.seed_user_id().await;
    let jane = m.get_ok(&format!("/api/v2/users/{}", encoded(&id))).await;
    assert_eq!(jane["given_name"], "Janet");
    assert_eq!(jane["app_metadata"], json!({ "plan": "gold" }));
    assert_eq!(
        log_in(&m.server, USERNAME, PASSWORD).await,
        StatusCode::FOUND
    );
}

#[tokio::test]
async fn a_file_that_is_not_an_array_of_users_fails_the_job_with_the_reason() {
    let m = Mgmt::start().await;
    let job = import(&m, br#""a list of users""#.to_vec(), false).await;
    assert_eq!(job["status"], "failed");
    assert!(
        job["status_details"]
            .as_str()
            .unwrap()
            .contains("not a JSON array"),
        "{job}"
    );
    // A file cut short keeps the users before the cut, never half a user.
    let cut = br#"[{"email": "first@example.com"}, {"email": "second@exa"#.to_vec();
    let job = import(&m, cut, false).await;
    assert_eq!(job["status"], "failed");
    assert_eq!(job["summary"]["inserted"], 1, "{job}");
    assert!(
        job["status_details"]
            .as_str()
            .unwrap()
            .contains("ends before"),
        "{job}"
    );
}

#[tokio::test]
async fn bad_import_requests_are_refused_before_any_job_runs() {
    let m = Mgmt::start().await;
    let file = br#"[{"email": "x@example.com"}]"#.to_vec();
    let cases = [
        (vec![("upsert", "false")], "connection_id"),
        (vec![("connection_id", "con_nope")], "con_nope"),
        (
            vec![("connection_id", CONNECTION), ("upsert", "maybe")],
            "upsert",
        ),
        (
            vec![("connection_id", CONNECTION), ("colour", "red")],
            "colour",
        ),
    ];
    for (fields, named) in cases {
        let message = expect_error(
            upload(&m, file.clone(), &fields).await,
            StatusCode::BAD_REQUEST,
            Some("invalid_body"),
        )
        .await;
        assert!(message.contains(named), "{message}");
    }
    let no_file = http()
        .post(m.server.url("/api/v2/jobs/users-imports"))
        .bearer_auth(&m.token)
        .multipart(Form::new().text("connection_id", CONNECTION))
        .send()
        .await
        .unwrap();
    let message = expect_error(no_file, StatusCode::BAD_REQUEST, Some("invalid_body")).await;
    assert!(message.contains("users"), "{message}");
    expect_error(
        m.get("/api/v2/jobs/job_missing").await,
        StatusCode::NOT_FOUND,
        Some("inexistent_resource"),
    )
    .await;
    assert_eq!(m.get_ok("/api/v2/users?q=x%40example.com").await, json!([]));
}

#[tokio::test]
async fn the_database_connection_is_listed_with_the_id_imports_name() {
    let m = Mgmt::start().await;
    let listed = m.get_ok("/api/v2/connections?strategy=auth0").await;
    let connection = &listed[0];
    assert_eq!(connection["name"], CONNECTION);
    assert_eq!(connection["strategy"], "auth0");
    let id = connection["id"].as_str().unwrap();
    assert!(id.starts_with("con_") && id.len() == 20, "{id}");
    assert!(connection["enabled_clients"]
        .as_array()
        .unwrap()
        .contains(&json!(CLIENT_ID)));
    assert_eq!(
        m.get_ok(&format!("/api/v2/connections/{id}")).await,
        *connection
    );
    assert_eq!(
        m.get_ok("/api/v2/connections?strategy=google-oauth2").await,
        json!([])
    );
    expect_error(
        m.get("/api/v2/connections/con_missing").await,
        StatusCode::NOT_FOUND,
        Some("inexistent_resource"),
    )
    .await;
    // An import names it by its id, as Auth0's SDKs do.
    let file = br#"[{"email": "by-id@example.com"}]"#.to_vec();
    let response = upload(&m, file, &[("connection_id", id)]).await;
    let job = expect_status(response, StatusCode::CREATED).await;
    assert_eq!(job["connection_id"], id);
}

/// A completed export's file, downloaded from its `location` with a plain GET (no token, as
/// scripts written for Auth0 fetch it) and gunzipped.
async fn download(location: &str) -> (StatusCode, String) {
    use std::io::Read;
    let response = http().get(location).send().await.unwrap();
    let status = response.status();
    let bytes = response.bytes().await.unwrap();
    if status != StatusCode::OK {
        return (status, String::from_utf8_lossy(&bytes).into_owned());
    }
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut text)
        .unwrap();
    (status, text)
}

async fn export(m: &Mgmt, request: Value) -> Value {
    let job = m.create("/api/v2/jobs/users-exports", request).await;
    assert_eq!(job["type"], "users_export");
    finished(m, job["id"].as_str().unwrap()).await
}

#[tokio::test]
async fn an_export_imported_into_a_fresh_tessera_logs_its_users_in_with_the_same_passwords() {
    let source = Mgmt::start().await;
    let python = fixture("python-users.json");
    import(&source, python.clone(), false).await;
    // One user logs in first (argon2id from then on); the others keep their imported hashes.
    assert_eq!(
        log_in(
            &source.server,
            "bcrypt-2b@python.example",
            "bcrypt 2b from python"
        )
        .await,
        StatusCode::FOUND
    );
    let fields: Vec<Value> = [
        "user_id",
        "email",
        "email_verified",
        "username",
        "name",
        "given_name",
        "family_name",
        "nickname",
        "picture",
        "blocked",
        "app_metadata",
        "user_metadata",
        "custom_password_hash",
    ]
    .iter()
    .map(|name| json!({ "name": name }))
    .collect();
    let job = export(&source, json!({ "format": "json", "fields": fields })).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["format"], "json");
    let location = job["location"].as_str().unwrap();
    let (status, ndjson) = download(location).await;
    assert_eq!(status, StatusCode::OK, "{ndjson}");
    assert_eq!(
        ndjson.lines().count(),
        19,
        "the seed's Jane and the 18 imported"
    );
    let gzip_file = http()
        .get(location)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();

    // The link is signed and short-lived.
    let tampered = location.replace("signature=", "signature=x");
    assert_eq!(download(&tampered).await.0, StatusCode::NOT_FOUND);
    source.server.clock.advance(601);
    assert_eq!(download(location).await.0, StatusCode::NOT_FOUND);

    // The export's file, as downloaded (gzip, a user per line), is an import file.
    let target = Mgmt::start().await;
    let job = import(&target, gzip_file.to_vec(), true).await;
    assert_eq!(job["summary"]["failed"], 0, "{job}");
    for user in users_of(&python) {
        let email = user["email"].as_str().unwrap();
        let password = user["user_metadata"]["password"].as_str().unwrap();
        assert_eq!(
            log_in(&target.server, email, password).await,
            StatusCode::FOUND,
            "{email}"
        );
    }
    let moved = target.get_ok("/api/v2/users/auth0%7Cpy-scrypt").await;
    assert_eq!(
        moved["email"], "scrypt@python.example",
        "ids survive the round trip"
    );
}

#[tokio::test]
async fn a_csv_export_has_a_header_and_the_fields_asked_for() {
    let m = Mgmt::start().await;
    let job = export(
        &m,
        json!({ "format": "csv", "limit": 1, "fields": [
            { "name": "user_id" }, { "name": "email", "export_as": "mail" },
            { "name": "identities[0].connection", "export_as": "provider" } ] }),
    )
    .await;
    assert_eq!(job["limit"], 1);
    let (status, csv) = download(job["location"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "user_id,mail,provider");
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines[1].ends_with(&format!(",{EMAIL},{CONNECTION}")),
        "{csv}"
    );
    let message = expect_error(
        m.post("/api/v2/jobs/users-exports", json!({ "format": "xml" }))
            .await,
        StatusCode::BAD_REQUEST,
        Some("invalid_body"),
    )
    .await;
    assert!(message.contains("xml"), "{message}");
}
