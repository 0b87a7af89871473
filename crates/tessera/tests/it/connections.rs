//! Logging in through another identity provider — an `oidc` connection, and an `oauth2` one
//! that reads the person's profile at a profile URL — with a second Tessera as the provider on
//! loopback. The provider runs at `localhost` and the application's Tessera at
//! `127.0.0.1`, so that the scripted browser keeps their cookies apart as a real one would.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tessera::config::ClientConfig;
use url::Url;

use crate::management::{expect_status, Mgmt};
use crate::support::process::free_port;
use crate::support::*;

const CONNECTION: &str = "corp-idp";
const UPSTREAM_CLIENT: &str = "tessera-downstream";
const UPSTREAM_SECRET: &str = "tessera-downstream-secret-0123456789abcdef0123";

/// The application's Tessera (at 127.0.0.1) and the provider (a Tessera at localhost) whose
/// client it is.
struct Federation {
    app: Mgmt,
    provider: Mgmt,
}

impl Federation {
    async fn start() -> Federation {
        let app_port = free_port();
        let provider_port = free_port();
        let callback = format!("http://127.0.0.1:{app_port}/login/callback");
        let provider = Mgmt::start_with(|config| {
            config.listen = ([127, 0, 0, 1], provider_port).into();
            config.issuer = Some(format!("http://localhost:{provider_port}/"));
            config.clients.push(ClientConfig {
                client_id: UPSTREAM_CLIENT.into(),
                client_secret: Some(UPSTREAM_SECRET.into()),
                name: "The application's Tessera".into(),
                callbacks: vec![callback],
                ..ClientConfig::default()
            });
        })
        .await;
        let app = Mgmt::start_with(|config| {
            config.listen = ([127, 0, 0, 1], app_port).into();
        })
        .await;
        Federation { app, provider }
    }

    /// Creates an `oauth2` connection named `name` to the provider — its `/authorize` and
    /// `/oauth/token`, with `/userinfo` as the profile URL — enabled for the seed's
    /// application, with `options` added.
    async fn connect_oauth2(&self, name: &str, options: Value) -> Value {
        let mut all = json!({
            "client_id": UPSTREAM_CLIENT,
            "client_secret": UPSTREAM_SECRET,
            "authorizationURL": self.provider.server.url("authorize"),
            "tokenURL": self.provider.server.url("oauth/token"),
            "profileURL": self.provider.server.url("userinfo"),
            "scope": "openid profile email",
        });
        for (key, value) in options.as_object().unwrap() {
            all[key] = value.clone();
        }
        self.app
            .create(
                "/api/v2/connections",
                json!({
                    "name": name,
                    "strategy": "oauth2",
                    "options": all,
                    "enabled_clients": [CLIENT_ID],
                }),
            )
            .await
    }

    /// Creates the `oidc` connection to the provider, enabled for the seed's application.
    async fn connect(&self, secret: &str) -> Value {
        self.app
            .create(
                "/api/v2/connections",
                json!({
                    "name": CONNECTION,
                    "strategy": "oidc",
                    "display_name": "Corp SSO",
                    "options": {
                        "client_id": UPSTREAM_CLIENT,
                        "client_secret": secret,
                        "discovery_url": self.provider.server.url(".well-known/openid-configuration"),
                        "scope": "openid profile email",
                        "type": "back_channel",
                    },
                    "enabled_clients": [CLIENT_ID],
                }),
            )
            .await
    }

    /// Follows the browser from `url` through both servers' pages — the provider's login and
    /// consent as its user jane — until it leaves for the application's callback; the
    /// response that leaves, and where to.
    async fn sign_in_upstream(&self, browser: &Browser, url: &str) -> Url {
        let base = Url::parse(url).unwrap();
        let mut step = browser.follow(browser.get(url).await, &base).await;
        for _ in 0..6 {
            let (response, url) = step;
            if url.port() == Some(4000) {
                return url;
            }
            let html = response.text().await.unwrap();
            let next = match url.path() {
                "/u/login" => browser.submit_login(&url, &html, USERNAME, PASSWORD).await,
                "/u/consent" => browser.submit_consent(&url, &html, "allow").await,
                _ => panic!("unexpected page {url}: {html}"),
            };
            step = browser.follow(next, &url).await;
        }
        panic!("the sign-in did not reach the callback");
    }

    /// Follows the browser from `url` until the provider sends it back to `/login/callback`;
    /// that callback URL, not yet visited.
    async fn until_callback(&self, browser: &Browser, url: &str) -> Url {
        self.until_callback_deciding(browser, url, "allow").await
    }

    /// As [`Federation::until_callback`], answering the provider's consent with `decision`.
    async fn until_callback_deciding(&self, browser: &Browser, url: &str, decision: &str) -> Url {
        let mut response = browser.get(url).await;
        let mut current = Url::parse(url).unwrap();
        for _ in 0..12 {
            if response.status() == StatusCode::FOUND {
                let next = current.join(&location(&response)).unwrap();
                if next.path() == "/login/callback" {
                    return next;
                }
                current = next;
                response = browser.get(current.as_str()).await;
                continue;
            }
            let html = response.text().await.unwrap();
            response = match current.path() {
                "/u/login" => {
                    browser
                        .submit_login(&current, &html, USERNAME, PASSWORD)
                        .await
                }
                "/u/consent" => browser.submit_consent(&current, &html, decision).await,
                _ => panic!("unexpected page {current}: {html}"),
            };
        }
        panic!("the provider did not answer");
    }

    async fn users_named(&self, user_id: &str) -> StatusCode {
        let path = format!("/api/v2/users/{}", urlencode(user_id));
        self.app.get(&path).await.status()
    }

    /// The provider's id of its user jane.
    async fn upstream_jane(&self) -> String {
        self.provider.seed_user_id().await
    }
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The ID token's claims from the code in `callback`.
async fn id_token_claims(server: &TestServer, callback: &Url) -> Value {
    let code = query_param(callback, "code").expect("a code");
    let tokens = server.redeem(&code).await;
    jwt_claims(tokens["id_token"].as_str().unwrap())
}

#[tokio::test]
async fn a_first_login_through_an_oidc_connection_makes_a_user_and_later_ones_find_it() {
    let federation = Federation::start().await;
    let connection = federation.connect(UPSTREAM_SECRET).await;
    assert_eq!(connection["strategy"], "oidc");
    assert_eq!(connection["enabled_clients"], json!([CLIENT_ID]));
    assert!(
        connection["options"].get("client_secret").is_none(),
        "the secret is never shown: {connection}"
    );
    let app = &federation.app.server;
    let upstream_id = federation.upstream_jane().await;

    let browser = Browser::new();
    let url = app.authorize_url(&[("connection", CONNECTION)]);
    let callback = federation.sign_in_upstream(&browser, &url).await;
    let claims = id_token_claims(app, &callback).await;
    let user_id = format!("oidc|{CONNECTION}|{upstream_id}");
    assert_eq!(claims["sub"], user_id.as_str());
    assert_eq!(claims["email"], EMAIL);
    assert_eq!(claims["name"], "Jane Doe");

    let user = federation
        .app
        .get_ok(&format!("/api/v2/users/{}", urlencode(&user_id)))
        .await;
    assert_eq!(
        user["identities"],
        json!([{
            "connection": CONNECTION,
            "provider": "oidc",
            "user_id": format!("{CONNECTION}|{upstream_id}"),
            "isSocial": false,
        }])
    );
    assert_eq!(user["logins_count"], 1);
    // The application's own jane, with the same email, is another user: nothing is linked
    // by email.
    let same_email = federation
        .app
        .get_ok("/api/v2/users-by-email?email=jane%40example.com")
        .await;
    assert_eq!(same_email.as_array().unwrap().len(), 2, "{same_email}");
    // Auth0's search by identity: the connection's users, and the database's.
    let ids = |users: Value| -> Vec<String> {
        let users = users.as_array().unwrap().clone();
        users
            .iter()
            .map(|u| u["user_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let theirs = federation
        .app
        .get_ok(&format!(
            "/api/v2/users?q=identities.connection%3A{CONNECTION}"
        ))
        .await;
    assert_eq!(ids(theirs), std::slice::from_ref(&user_id));
    let by_provider = federation
        .app
        .get_ok("/api/v2/users?q=identities.provider%3Aoidc")
        .await;
    assert_eq!(ids(by_provider), std::slice::from_ref(&user_id));
    let database = federation
        .app
        .get_ok("/api/v2/users?q=identities.connection%3A%22Username-Password-Authentication%22")
        .await;
    let database = ids(database);
    assert_eq!(database.len(), 1, "{database:?}");
    assert!(database[0].starts_with("auth0|"));

    // The provider renames her; her next login (in another browser: no SSO session here,
    // but one at the provider would do as well) finds the same user and updates the profile.
    let renamed = federation
        .provider
        .patch(
            &format!("/api/v2/users/{}", urlencode(&upstream_id)),
            json!({ "name": "Jane Q. Doe" }),
        )
        .await;
    expect_status(renamed, StatusCode::OK).await;
    let again = Browser::new();
    let callback = federation.sign_in_upstream(&again, &url).await;
    let claims = id_token_claims(app, &callback).await;
    assert_eq!(claims["sub"], user_id.as_str());
    assert_eq!(claims["name"], "Jane Q. Doe");
    let user = federation
        .app
        .get_ok(&format!("/api/v2/users/{}", urlencode(&user_id)))
        .await;
    assert_eq!(user["logins_count"], 2);
    assert_eq!(user["name"], "Jane Q. Doe");
}

#[tokio::test]
async fn the_login_page_offers_each_enabled_connection() {
    let federation = Federation::start().await;
    let connection = federation.connect(UPSTREAM_SECRET).await;
    let app = &federation.app.server;
    let browser = Browser::new();
    let base = Url::parse(&app.authorize_url(&[])).unwrap();
    let (page, page_url) = browser
        .follow(browser.get(base.as_str()).await, &base)
        .await;
    assert_eq!(page_url.path(), "/u/login");
    let html = page.text().await.unwrap();
    assert!(html.contains("Continue with Corp SSO"), "{html}");

    // The button posts the connection with the page's CSRF token, and goes to the provider.
    let state = form_value(&html, "state").unwrap();
    let csrf = form_value(&html, "csrf_token").unwrap();
    let button = page_url.join("/u/login/connection").unwrap();
    let forged = browser
        .post_form(
            button.as_str(),
            &[
                ("state", &state),
                ("csrf_token", "forged"),
                ("connection", CONNECTION),
            ],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let pressed = browser
        .post_form(
            button.as_str(),
            &[
                ("state", &state),
                ("csrf_token", &csrf),
                ("connection", CONNECTION),
            ],
        )
        .await;
    assert_eq!(pressed.status(), StatusCode::FOUND);
    let to = Url::parse(&location(&pressed)).unwrap();
    assert_eq!(to.host_str(), Some("localhost"));
    assert_eq!(to.path(), "/authorize");
    assert_eq!(
        query_param(&to, "client_id").as_deref(),
        Some(UPSTREAM_CLIENT)
    );
    assert_eq!(
        query_param(&to, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(query_param(&to, "nonce").is_some());

    // Disabled for the application: no button, and `connection=` is refused to the client.
    let id = connection["id"].as_str().unwrap();
    let disabled = federation
        .app
        .patch(
            &format!("/api/v2/connections/{id}/clients"),
            json!([{ "client_id": CLIENT_ID, "status": false }]),
        )
        .await;
    assert_eq!(disabled.status(), StatusCode::NO_CONTENT);
    let clients = federation
        .app
        .get_ok(&format!("/api/v2/connections/{id}/clients"))
        .await;
    assert_eq!(clients, json!({ "clients": [] }));
    let (page, _) = Browser::new()
        .follow(Browser::new().get(base.as_str()).await, &base)
        .await;
    assert!(!page.text().await.unwrap().contains("Corp SSO"));
    let refused = http()
        .get(app.authorize_url(&[("connection", CONNECTION)]))
        .send()
        .await
        .unwrap();
    let to_client = client_redirect(&refused);
    assert_eq!(
        query_param(&to_client, "error").as_deref(),
        Some("invalid_request")
    );
}

#[tokio::test]
async fn forged_replayed_and_mixed_up_answers_are_refused_and_create_no_one() {
    let federation = Federation::start().await;
    federation.connect(UPSTREAM_SECRET).await;
    let app = &federation.app.server;
    let upstream_id = federation.upstream_jane().await;
    let user_id = format!("oidc|{CONNECTION}|{upstream_id}");
    let url = app.authorize_url(&[("connection", CONNECTION)]);

    // RFC 9207: the answer names another issuer.
    let browser = Browser::new();
    let callback = federation.until_callback(&browser, &url).await;
    assert!(query_param(&callback, "iss").is_some(), "{callback}");
    let mut mixed_up = callback.clone();
    let pairs: Vec<(String, String)> = callback
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "iss" {
                "https://evil.example/".into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    mixed_up.query_pairs_mut().clear().extend_pairs(pairs);
    let refused = browser.get(mixed_up.as_str()).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        federation.users_named(&user_id).await,
        StatusCode::NOT_FOUND
    );

    // A forged state.
    let mut forged = callback.clone();
    forged.set_query(Some("code=anything&state=v1%3Aforged"));
    assert_eq!(
        browser.get(forged.as_str()).await.status(),
        StatusCode::BAD_REQUEST
    );

    // A real answer, in another browser than the one that started the login.
    let browser = Browser::new();
    let callback = federation.until_callback(&browser, &url).await;
    let stolen = Browser::new().get(callback.as_str()).await;
    assert_eq!(stolen.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        federation.users_named(&user_id).await,
        StatusCode::NOT_FOUND
    );

    // A real answer, once: the user is made; replayed, it is refused.
    let browser = Browser::new();
    let callback = federation.until_callback(&browser, &url).await;
    let answered = browser.get(callback.as_str()).await;
    assert_eq!(
        answered.status(),
        StatusCode::FOUND,
        "{}",
        answered.text().await.unwrap()
    );
    assert_eq!(federation.users_named(&user_id).await, StatusCode::OK);
    let replayed = browser.get(callback.as_str()).await;
    assert_eq!(replayed.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_wrong_client_secret_or_a_provider_that_is_down_gets_a_clear_page() {
    let federation = Federation::start().await;
    federation.connect("not-the-secret-at-the-provider").await;
    let app = &federation.app.server;
    let upstream_id = federation.upstream_jane().await;
    let url = app.authorize_url(&[("connection", CONNECTION)]);
    let browser = Browser::new();
    let callback = federation.until_callback(&browser, &url).await;
    let refused = browser.get(callback.as_str()).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let user_id = format!("oidc|{CONNECTION}|{upstream_id}");
    assert_eq!(
        federation.users_named(&user_id).await,
        StatusCode::NOT_FOUND
    );

    // A provider nobody answers at.
    let closed = free_port();
    federation
        .app
        .create(
            "/api/v2/connections",
            json!({
                "name": "down",
                "strategy": "oidc",
                "options": {
                    "client_id": "x",
                    "client_secret": "y",
                    "issuer": format!("http://127.0.0.1:{closed}"),
                },
                "enabled_clients": [CLIENT_ID],
            }),
        )
        .await;
    let page = Browser::new()
        .get(&app.authorize_url(&[("connection", "down")]))
        .await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    let html = page.text().await.unwrap();
    assert!(html.contains("cannot be reached"), "{html}");
}

#[tokio::test]
async fn connections_are_managed_through_auth0s_api_and_their_secrets_sealed() {
    let federation = Federation::start().await;
    let mgmt = &federation.app;
    let bad = [
        (
            json!({ "name": "-bad", "strategy": "oidc", "options": {} }),
            "name",
        ),
        (
            json!({ "name": "x", "strategy": "samlp", "options": {} }),
            "strategy",
        ),
        (
            json!({ "name": "x", "strategy": "oidc", "options": { "client_id": "a", "issuer": "https://idp.example" } }),
            "client_secret",
        ),
        (
            json!({ "name": "x", "strategy": "oidc", "options": { "client_id": "a", "client_secret": "b" } }),
            "discovery_url",
        ),
        (
            json!({ "name": "x", "strategy": "oidc", "options": { "client_id": "a", "client_secret": "b", "issuer": "https://idp.example", "scope": "profile" } }),
            "openid",
        ),
    ];
    for (body, named) in bad {
        let response = mgmt.post("/api/v2/connections", body.clone()).await;
        let error = expect_status(response, StatusCode::BAD_REQUEST).await;
        assert!(
            error["message"].as_str().unwrap().contains(named),
            "{body} → {error}"
        );
    }
    let created = federation.connect(UPSTREAM_SECRET).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("con_"), "{id}");
    let duplicate = mgmt
        .post(
            "/api/v2/connections",
            json!({ "name": CONNECTION, "strategy": "oidc", "options": { "client_id": "a", "client_secret": "b", "issuer": "https://idp.example" } }),
        )
        .await;
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);

    let listed = mgmt.get_ok("/api/v2/connections?strategy=oidc").await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let all = mgmt.get_ok("/api/v2/connections").await;
    assert_eq!(all[0]["name"], "Username-Password-Authentication");
    assert_eq!(all[1]["name"], CONNECTION);

    // Options without the secret keep it; the stored secret is sealed, not the secret itself.
    let updated = expect_status(
        mgmt.patch(
            &format!("/api/v2/connections/{id}"),
            json!({
                "display_name": "Corp",
                "options": { "client_id": UPSTREAM_CLIENT, "issuer": federation.provider.server.issuer },
            }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(updated["display_name"], "Corp");
    assert_eq!(updated["options"]["scope"], "openid profile email");
    let database = std::fs::read(federation.app.server.dir.path().join("tessera.db")).unwrap();
    let plain = UPSTREAM_SECRET.as_bytes();
    assert!(!database.windows(plain.len()).any(|w| w == plain));
    let browser = Browser::new();
    let url = federation
        .app
        .server
        .authorize_url(&[("connection", CONNECTION)]);
    let callback = federation.sign_in_upstream(&browser, &url).await;
    let claims = id_token_claims(&federation.app.server, &callback).await;
    let user_id = claims["sub"].as_str().unwrap().to_owned();

    // Deleting the connection deletes its users; the database connection stays.
    let database_id = all[0]["id"].as_str().unwrap();
    let kept = mgmt
        .delete(&format!("/api/v2/connections/{database_id}"))
        .await;
    assert_eq!(kept.status(), StatusCode::FORBIDDEN);
    let deleted = mgmt.delete(&format!("/api/v2/connections/{id}")).await;
    assert_eq!(deleted.status(), StatusCode::ACCEPTED);
    assert_eq!(
        federation.users_named(&user_id).await,
        StatusCode::NOT_FOUND
    );
    let gone = mgmt.get(&format!("/api/v2/connections/{id}")).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_oidc_identity_is_linked_to_a_database_user_and_unlinked_again() {
    let federation = Federation::start().await;
    federation.connect(UPSTREAM_SECRET).await;
    let mgmt = &federation.app;
    let app = &mgmt.server;
    let upstream_id = federation.upstream_jane().await;
    let url = app.authorize_url(&[("connection", CONNECTION)]);
    let callback = federation.sign_in_upstream(&Browser::new(), &url).await;
    let federated = id_token_claims(app, &callback).await["sub"]
        .as_str()
        .unwrap()
        .to_owned();
    let users = mgmt.get_ok("/api/v2/users?q=username%3Ajane").await;
    let primary = users[0]["user_id"].as_str().unwrap().to_owned();
    assert!(primary.starts_with("auth0|"), "{primary}");
    let identities_path = format!("/api/v2/users/{}/identities", urlencode(&primary));

    let refusals = [
        (
            json!({ "link_with": "an.id.token" }),
            StatusCode::BAD_REQUEST,
        ),
        (json!({ "provider": "oidc" }), StatusCode::BAD_REQUEST),
        (
            json!({ "provider": "oidc", "user_id": "corp-idp|nobody" }),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({ "provider": "auth0", "user_id": primary.trim_start_matches("auth0|") }),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (body, status) in refusals {
        let response = mgmt.post(&identities_path, body.clone()).await;
        assert_eq!(response.status(), status, "{body}");
    }

    let secondary_id = format!("{CONNECTION}|{upstream_id}");
    let linked = mgmt
        .create(
            &identities_path,
            json!({ "provider": "oidc", "user_id": secondary_id }),
        )
        .await;
    assert_eq!(linked.as_array().unwrap().len(), 2, "{linked}");
    assert_eq!(linked[0]["provider"], "auth0");
    assert_eq!(linked[1]["provider"], "oidc");
    assert_eq!(linked[1]["user_id"], secondary_id.as_str());
    assert_eq!(linked[1]["connection"], CONNECTION);
    assert_eq!(linked[1]["profileData"]["email"], EMAIL);
    assert_eq!(
        federation.users_named(&federated).await,
        StatusCode::NOT_FOUND
    );
    let shown = mgmt
        .get_ok(&format!("/api/v2/users/{}", urlencode(&primary)))
        .await;
    assert_eq!(shown["identities"], linked);

    // Logging in through the provider is now logging in as the primary user.
    let callback = federation.sign_in_upstream(&Browser::new(), &url).await;
    assert_eq!(
        id_token_claims(app, &callback).await["sub"],
        primary.as_str()
    );

    // The main identity stays; the linked one becomes a user of its own again.
    let own = format!(
        "{identities_path}/auth0/{}",
        urlencode(primary.trim_start_matches("auth0|"))
    );
    assert_eq!(mgmt.delete(&own).await.status(), StatusCode::BAD_REQUEST);
    let unlink = format!("{identities_path}/oidc/{}", urlencode(&secondary_id));
    let remaining = expect_status(mgmt.delete(&unlink).await, StatusCode::OK).await;
    assert_eq!(remaining.as_array().unwrap().len(), 1, "{remaining}");
    assert_eq!(mgmt.delete(&unlink).await.status(), StatusCode::NOT_FOUND);
    let restored = mgmt
        .get_ok(&format!("/api/v2/users/{}", urlencode(&federated)))
        .await;
    assert_eq!(restored["email"], EMAIL);
    let callback = federation.sign_in_upstream(&Browser::new(), &url).await;
    assert_eq!(
        id_token_claims(app, &callback).await["sub"],
        federated.as_str()
    );
}

#[tokio::test]
async fn a_refusal_at_the_provider_reaches_the_application_as_access_denied() {
    let federation = Federation::start().await;
    federation.connect(UPSTREAM_SECRET).await;
    let app = &federation.app.server;
    let url = app.authorize_url(&[("connection", CONNECTION)]);
    let browser = Browser::new();
    let callback = federation
        .until_callback_deciding(&browser, &url, "deny")
        .await;
    assert_eq!(
        query_param(&callback, "error").as_deref(),
        Some("access_denied")
    );
    let answered = browser.get(callback.as_str()).await;
    let to_app = client_redirect(&answered);
    assert_eq!(
        query_param(&to_app, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        query_param(&to_app, "state").as_deref(),
        Some("opaque-state")
    );
}

#[tokio::test]
async fn the_tenants_mfa_policy_holds_for_logins_through_a_connection() {
    let federation = Federation::start().await;
    federation.connect(UPSTREAM_SECRET).await;
    crate::mfa::require_mfa(&federation.app).await;
    let app = &federation.app.server;
    let url = app.authorize_url(&[("connection", CONNECTION)]);
    let browser = Browser::new();
    let callback = federation.until_callback(&browser, &url).await;
    let answered = browser.get(callback.as_str()).await;
    assert_eq!(answered.status(), StatusCode::FOUND);
    let next = Url::parse(&app.url("/"))
        .unwrap()
        .join(&location(&answered))
        .unwrap();
    assert_eq!(next.path(), "/u/mfa-otp-enrollment-qr", "{next}");
    // No SSO session before the second factor: this browser is asked to log in again.
    let reopened = browser.get(&app.authorize_url(&[])).await;
    assert!(
        location(&reopened).starts_with("/u/login"),
        "{}",
        location(&reopened)
    );
}

#[tokio::test]
async fn a_password_ticket_by_email_names_only_a_database_user() {
    let federation = Federation::start().await;
    federation.connect(UPSTREAM_SECRET).await;
    let upstream_id = federation.upstream_jane().await;
    let renamed = federation
        .provider
        .patch(
            &format!("/api/v2/users/{}", urlencode(&upstream_id)),
            json!({ "email": "jane@upstream.example" }),
        )
        .await;
    expect_status(renamed, StatusCode::OK).await;
    let app = &federation.app.server;
    let url = app.authorize_url(&[("connection", CONNECTION)]);
    let callback = federation.sign_in_upstream(&Browser::new(), &url).await;
    assert_eq!(
        id_token_claims(app, &callback).await["email"],
        "jane@upstream.example"
    );
    let database = federation
        .app
        .get_ok("/api/v2/connections?strategy=auth0")
        .await;
    let ticket = federation
        .app
        .post(
            "/api/v2/tickets/password-change",
            json!({ "email": "jane@upstream.example", "connection_id": database[0]["id"] }),
        )
        .await;
    assert_eq!(ticket.status(), StatusCode::NOT_FOUND);
}

const SOCIAL: &str = "corp-oauth2";

#[tokio::test]
async fn an_oauth2_connection_logs_in_with_the_profile_its_profile_url_gives() {
    let federation = Federation::start().await;
    let connection = federation
        .connect_oauth2(SOCIAL, json!({ "fieldsMap": { "nickname": "name" } }))
        .await;
    assert_eq!(connection["strategy"], "oauth2");
    assert!(connection["options"].get("client_secret").is_none());
    assert_eq!(
        connection["options"]["fieldsMap"],
        json!({ "nickname": "name" })
    );
    let mgmt = &federation.app;
    let app = &mgmt.server;
    let upstream_id = federation.upstream_jane().await;
    let url = app.authorize_url(&[("connection", SOCIAL)]);

    // Towards the provider: a state and a PKCE challenge, no nonce (not an OpenID request).
    let to_provider = towards_provider(&Browser::new(), app, SOCIAL).await;
    assert_eq!(to_provider.path(), "/authorize", "{to_provider}");
    assert_eq!(
        query_param(&to_provider, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(query_param(&to_provider, "nonce").is_none());
    assert_eq!(
        query_param(&to_provider, "scope").as_deref(),
        Some("openid profile email")
    );

    let callback = federation.sign_in_upstream(&Browser::new(), &url).await;
    let claims = id_token_claims(app, &callback).await;
    let user_id = format!("oauth2|{SOCIAL}|{upstream_id}");
    assert_eq!(claims["sub"], user_id.as_str());
    assert_eq!(claims["email"], EMAIL);
    let user = mgmt
        .get_ok(&format!("/api/v2/users/{}", urlencode(&user_id)))
        .await;
    assert_eq!(
        user["identities"],
        json!([{
            "connection": SOCIAL,
            "provider": "oauth2",
            "user_id": format!("{SOCIAL}|{upstream_id}"),
            "isSocial": true,
        }])
    );
    assert_eq!(
        user["nickname"], "Jane Doe",
        "fieldsMap: nickname from name"
    );
    let social = mgmt
        .get_ok("/api/v2/users?q=identities.isSocial%3Atrue")
        .await;
    let social: Vec<&str> = social
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(social, [user_id.as_str()]);

    // A second login finds her; linked to the database's jane, it logs in as that user.
    let callback = federation.sign_in_upstream(&Browser::new(), &url).await;
    assert_eq!(
        id_token_claims(app, &callback).await["sub"],
        user_id.as_str()
    );
    let users = mgmt.get_ok("/api/v2/users?q=username%3Ajane").await;
    let primary = users[0]["user_id"].as_str().unwrap().to_owned();
    let identities_path = format!("/api/v2/users/{}/identities", urlencode(&primary));
    let linked = mgmt
        .create(
            &identities_path,
            json!({ "provider": "oauth2", "user_id": format!("{SOCIAL}|{upstream_id}") }),
        )
        .await;
    assert_eq!(linked[1]["isSocial"], true, "{linked}");
    assert_eq!(linked[1]["profileData"]["email"], EMAIL);
    let callback = federation.sign_in_upstream(&Browser::new(), &url).await;
    assert_eq!(
        id_token_claims(app, &callback).await["sub"],
        primary.as_str()
    );
}

#[tokio::test]
async fn an_oauth2_answer_that_does_not_hold_creates_no_one() {
    let federation = Federation::start().await;
    let app = &federation.app.server;
    let upstream_id = federation.upstream_jane().await;

    // The profile URL refuses the access token (the Management API wants its own audience).
    federation
        .connect_oauth2(
            "no-profile",
            json!({ "profileURL": federation.provider.server.url("api/v2/clients") }),
        )
        .await;
    let url = app.authorize_url(&[("connection", "no-profile")]);
    let browser = Browser::new();
    let callback = federation.until_callback(&browser, &url).await;
    let refused = browser.get(callback.as_str()).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let user_id = format!("oauth2|no-profile|{upstream_id}");
    assert_eq!(
        federation.users_named(&user_id).await,
        StatusCode::NOT_FOUND
    );

    // The wrong client secret: the code exchange is refused.
    federation
        .connect_oauth2(
            "bad-secret",
            json!({ "client_secret": "not-the-secret-0123456789" }),
        )
        .await;
    let url = app.authorize_url(&[("connection", "bad-secret")]);
    let browser = Browser::new();
    let callback = federation.until_callback(&browser, &url).await;
    assert_eq!(
        browser.get(callback.as_str()).await.status(),
        StatusCode::BAD_REQUEST
    );
    let user_id = format!("oauth2|bad-secret|{upstream_id}");
    assert_eq!(
        federation.users_named(&user_id).await,
        StatusCode::NOT_FOUND
    );

    // A profile without an id.
    federation
        .connect_oauth2(
            "no-id",
            json!({ "fieldsMap": { "user_id": "no_such_field" } }),
        )
        .await;
    let url = app.authorize_url(&[("connection", "no-id")]);
    let browser = Browser::new();
    let callback = federation.until_callback(&browser, &url).await;
    assert_eq!(
        browser.get(callback.as_str()).await.status(),
        StatusCode::BAD_REQUEST
    );
    let social = federation
        .app
        .get_ok("/api/v2/users?q=identities.isSocial%3Atrue")
        .await;
    assert_eq!(social, json!([]), "nobody was made");
}

/// Where `/authorize` with `connection=` sends `browser`: the provider's authorization URL.
async fn towards_provider(browser: &Browser, server: &TestServer, connection: &str) -> Url {
    let authorize = server.authorize_url(&[("connection", connection)]);
    Url::parse(&location(&browser.get(&authorize).await)).unwrap()
}

/// The browser back at Tessera's callback with a code and the state `to_provider` carried, as
/// a provider would send it.
async fn answer_with_a_code(
    browser: &Browser,
    server: &TestServer,
    to_provider: &Url,
) -> reqwest::Response {
    let state = query_param(to_provider, "state").unwrap();
    let mut callback = Url::parse(&server.url("login/callback")).unwrap();
    callback
        .query_pairs_mut()
        .append_pair("code", "a-code")
        .append_pair("state", &state);
    browser.get(callback.as_str()).await
}

/// A token endpoint that accepts connections and never answers.
async fn silent_endpoint() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    address
}

#[tokio::test]
async fn a_provider_that_does_not_answer_in_time_gets_a_clear_page() {
    let mgmt = Mgmt::start_with(|config| config.connection_timeout_ms = 300).await;
    let silent = silent_endpoint().await;
    let closed = free_port();
    for (name, token_url) in [
        ("silent", format!("http://{silent}/oauth/token")),
        ("closed", format!("http://127.0.0.1:{closed}/oauth/token")),
    ] {
        mgmt.create(
            "/api/v2/connections",
            json!({
                "name": name,
                "strategy": "oauth2",
                "options": {
                    "client_id": "c", "client_secret": "s",
                    "authorizationURL": "https://idp.example/authorize",
                    "tokenURL": token_url,
                    "profileURL": "https://idp.example/me",
                },
                "enabled_clients": [CLIENT_ID],
            }),
        )
        .await;
        // The browser comes back from the provider with a code and Tessera's state.
        let browser = Browser::new();
        let to_provider = towards_provider(&browser, &mgmt.server, name).await;
        let page = answer_with_a_code(&browser, &mgmt.server, &to_provider).await;
        assert_eq!(page.status(), StatusCode::BAD_REQUEST, "{name}");
        let html = page.text().await.unwrap();
        assert!(html.contains("cannot be reached"), "{name}: {html}");
    }
}

#[tokio::test]
async fn github_and_google_are_presets_with_their_providers_endpoints() {
    let mgmt = Mgmt::start().await;
    let github = mgmt
        .create(
            "/api/v2/connections",
            json!({
                "name": "github",
                "strategy": "github",
                "options": { "client_id": "Iv1.0123", "client_secret": "gh-secret", "email": true },
                "enabled_clients": [CLIENT_ID],
            }),
        )
        .await;
    assert_eq!(github["strategy"], "github");
    assert_eq!(
        github["options"],
        json!({ "client_id": "Iv1.0123", "email": true })
    );
    let to_github = towards_provider(&Browser::new(), &mgmt.server, "github").await;
    assert_eq!(
        &to_github[..url::Position::AfterPath],
        "https://github.com/login/oauth/authorize"
    );
    assert_eq!(
        query_param(&to_github, "client_id").as_deref(),
        Some("Iv1.0123")
    );
    assert_eq!(
        query_param(&to_github, "scope").as_deref(),
        Some("user:email")
    );
    assert_eq!(
        query_param(&to_github, "redirect_uri"),
        Some(mgmt.server.url("login/callback"))
    );
    assert!(query_param(&to_github, "code_challenge").is_some());

    let google = mgmt
        .create(
            "/api/v2/connections",
            json!({
                "name": "google-oauth2",
                "strategy": "google-oauth2",
                "options": { "client_id": "x.apps.googleusercontent.com", "client_secret": "g" },
            }),
        )
        .await;
    assert_eq!(google["strategy"], "google-oauth2");
    assert!(google["options"].get("client_secret").is_none());
    let listed = mgmt
        .get_ok("/api/v2/connections?strategy=google-oauth2")
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");

    // What Tessera cannot run is refused, naming the option.
    let refused = mgmt
        .post(
            "/api/v2/connections",
            json!({
                "name": "scripted",
                "strategy": "oauth2",
                "options": {
                    "client_id": "c", "client_secret": "s",
                    "authorizationURL": "https://idp.example/authorize",
                    "tokenURL": "https://idp.example/token",
                    "scripts": { "fetchUserProfile": "function (t, c, cb) { cb(null, {}) }" },
                },
            }),
        )
        .await;
    let body = expect_status(refused, StatusCode::BAD_REQUEST).await;
    assert!(
        body["message"].as_str().unwrap().contains("profileURL"),
        "{body}"
    );
    let no_secret = mgmt
        .post(
            "/api/v2/connections",
            json!({ "name": "gh2", "strategy": "github", "options": { "client_id": "x" } }),
        )
        .await;
    assert_eq!(no_secret.status(), StatusCode::BAD_REQUEST);
}

/// What a hostile OpenID provider's token endpoint puts in its ID token.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Forgery {
    /// An honest ID token: the check that the harness itself can log someone in.
    None,
    WrongAudience,
    WrongIssuer,
    WrongNonce,
    Expired,
    /// The signature of another payload.
    BadSignature,
}

/// A provider under the test's control: a discovery document, a JWKS and a token endpoint
/// that answers any code with an ID token forged as the test says.
struct HostileProvider {
    base: String,
    /// The nonce of the authorization request in flight, and the forgery to answer with.
    answer: std::sync::Arc<std::sync::Mutex<(String, Forgery)>>,
    /// How often its discovery document and its JWKS were fetched.
    discoveries: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    key_sets: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl HostileProvider {
    async fn start(app_clock: tessera_core::clock::ManualClock) -> HostileProvider {
        use axum::routing::{get, post};
        use tessera_jwt::{Algorithm, SigningKey};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let key = std::sync::Arc::new(SigningKey::generate(Algorithm::RS256).unwrap());
        let answer = std::sync::Arc::new(std::sync::Mutex::new((String::new(), Forgery::None)));
        let discovery = json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}/authorize"),
            "token_endpoint": format!("{base}/token"),
            "jwks_uri": format!("{base}/jwks"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        });
        let jwks = json!({ "keys": [key.public_jwk()] });
        let discoveries = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let key_sets = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = |counter: &std::sync::Arc<std::sync::atomic::AtomicUsize>, body: Value| {
            let counter = counter.clone();
            move || {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let body = body.clone();
                async move { axum::Json(body) }
            }
        };
        let token = {
            let (base, answer, key) = (base.clone(), answer.clone(), key.clone());
            move || {
                let (nonce, forgery) = answer.lock().unwrap().clone();
                let now = app_clock.now().0;
                let claims = json!({
                    "iss": if forgery == Forgery::WrongIssuer { "https://evil.example".to_owned() } else { base.clone() },
                    "sub": "mallory",
                    "aud": if forgery == Forgery::WrongAudience { "another-client" } else { "hostile-client" },
                    "iat": now - 10,
                    "exp": if forgery == Forgery::Expired { now - 5 } else { now + 300 },
                    "nonce": if forgery == Forgery::WrongNonce { "not-the-nonce".to_owned() } else { nonce },
                    "email": "mallory@hostile.example",
                });
                let mut id_token = key.sign("JWT", &claims).unwrap();
                if forgery == Forgery::BadSignature {
                    let honest = key.sign("JWT", &json!({ "sub": "someone-else" })).unwrap();
                    let signature = honest.rsplit('.').next().unwrap().to_owned();
                    let signed_part = id_token.rsplit_once('.').unwrap().0.to_owned();
                    id_token = format!("{signed_part}.{signature}");
                }
                async move {
                    axum::Json(json!({
                        "access_token": "an-access-token",
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": id_token,
                    }))
                }
            }
        };
        let router = axum::Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(counted(&discoveries, discovery)),
            )
            .route("/jwks", get(counted(&key_sets, jwks)))
            .route("/token", post(token));
        tokio::spawn(async move { axum::serve(listener, router).await });
        HostileProvider {
            base,
            answer,
            discoveries,
            key_sets,
        }
    }
}

#[tokio::test]
async fn an_id_token_with_the_wrong_audience_signature_nonce_issuer_or_expiry_is_refused() {
    let mgmt = Mgmt::start().await;
    let hostile = HostileProvider::start(mgmt.server.clock.clone()).await;
    mgmt.create(
        "/api/v2/connections",
        json!({
            "name": "hostile",
            "strategy": "oidc",
            "options": { "client_id": "hostile-client", "client_secret": "s", "issuer": hostile.base },
            "enabled_clients": [CLIENT_ID],
        }),
    )
    .await;
    let user_id = "oidc|hostile|mallory";
    let user_path = format!("/api/v2/users/{}", urlencode(user_id));
    for forgery in [
        Forgery::WrongAudience,
        Forgery::BadSignature,
        Forgery::WrongNonce,
        Forgery::WrongIssuer,
        Forgery::Expired,
        Forgery::None,
    ] {
        let browser = Browser::new();
        let to_provider = towards_provider(&browser, &mgmt.server, "hostile").await;
        assert!(
            to_provider.as_str().starts_with(&hostile.base),
            "{to_provider}"
        );
        let nonce = query_param(&to_provider, "nonce").expect("a nonce");
        *hostile.answer.lock().unwrap() = (nonce, forgery);
        let answered = answer_with_a_code(&browser, &mgmt.server, &to_provider).await;
        if forgery == Forgery::None {
            assert_eq!(
                answered.status(),
                StatusCode::FOUND,
                "the honest answer logs in"
            );
            assert_eq!(mgmt.get(&user_path).await.status(), StatusCode::OK);
        } else {
            assert_eq!(answered.status(), StatusCode::BAD_REQUEST, "{forgery:?}");
            assert_eq!(
                mgmt.get(&user_path).await.status(),
                StatusCode::NOT_FOUND,
                "{forgery:?} made no one"
            );
        }
    }
    // The discovery document is fetched once in five minutes; the keys at each answer, so
    // that a provider's new key is believed at once.
    let fetched = |counter: &std::sync::atomic::AtomicUsize| {
        counter.load(std::sync::atomic::Ordering::SeqCst)
    };
    assert_eq!(fetched(&hostile.discoveries), 1);
    assert_eq!(fetched(&hostile.key_sets), 6);
    mgmt.server.clock.advance(301);
    Browser::new()
        .get(&mgmt.server.authorize_url(&[("connection", "hostile")]))
        .await;
    assert_eq!(fetched(&hostile.discoveries), 2);
}
