//! The Dashboard over HTTP, as a browser without JavaScript uses it: sign-in, CSRF, roles
//! enforced by the Management API's scopes, and an administrator's changes taking effect in
//! the seed's authorization code flow (and a user's MFA reset at their next login).
use crate::management::{encoded, Mgmt};
use crate::support::{
    form_value, html_unescape, location, query_param, Browser, TestServer, CLIENT_ID,
};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use tessera_admin::administrators as admins;
use tessera_core::crypto::Passwords;
use tessera_protocol::mfa::TotpSecret;
use tessera_protocol::Timestamp;
use tessera_store::AdminRole;
use url::Url;

const CALLBACK: &str = "http://127.0.0.1:4000/callback";

/// Creates a Dashboard administrator in the server's store; returns the password.
async fn create_admin(server: &TestServer, username: &str, role: AdminRole) -> String {
    let store = tessera::open_store(&server.config).await.unwrap();
    let passwords = Passwords::new(1).unwrap();
    let created = admins::create(store.as_ref(), &passwords, username, role, Timestamp(1))
        .await
        .unwrap();
    created.password
}

/// A signed-in administrator's browser.
struct Admin<'a> {
    server: &'a TestServer,
    browser: Browser,
}

impl<'a> Admin<'a> {
    async fn sign_in(server: &'a TestServer, username: &str, password: &str) -> Admin<'a> {
        let browser = Browser::new();
        let response = try_sign_in(&browser, server, username, password).await;
        assert_eq!(response.status(), StatusCode::FOUND);
        assert_eq!(location(&response), "/dashboard/applications");
        Admin { server, browser }
    }

    async fn page(&self, path: &str) -> (StatusCode, String) {
        let response = self.browser.get(&self.server.url(path)).await;
        let status = response.status();
        (status, response.text().await.unwrap())
    }

    async fn csrf(&self) -> String {
        let (_, html) = self.page("/dashboard/logs").await;
        form_value(&html, "csrf_token").expect("a CSRF token on every page")
    }

    /// Posts a form with this session's CSRF token.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let csrf = self.csrf().await;
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", &csrf)];
        form.extend_from_slice(fields);
        self.browser
            .client
            .post(self.server.url(path))
            .form(&form)
            .send()
            .await
            .unwrap()
    }
}

async fn try_sign_in(
    browser: &Browser,
    server: &TestServer,
    username: &str,
    password: &str,
) -> Response {
    let html = browser
        .get(&server.url("/dashboard/login"))
        .await
        .text()
        .await
        .unwrap();
    let csrf = form_value(&html, "csrf_token").unwrap();
    browser
        .post_form(
            &server.url("/dashboard/login"),
            &[
                ("csrf_token", &csrf),
                ("username", username),
                ("password", password),
            ],
        )
        .await
}

/// Example values for the `{id}` of a route.
fn concrete(route: &str) -> String {
    route.replace("{id}", "some-id")
}

#[tokio::test]
async fn unauthenticated_requests_to_every_dashboard_route_are_refused() {
    let server = TestServer::start().await;
    let http = crate::support::http();
    for page in tessera_server::dashboard::PAGES {
        let response = http.get(server.url(&concrete(page))).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FOUND, "GET {page}");
        assert_eq!(location(&response), "/dashboard/login", "GET {page}");
    }
    for form in tessera_server::dashboard::FORMS {
        let response = http
            .post(server.url(&concrete(form)))
            .form(&[("csrf_token", "x"), ("name", "n"), ("confirmed", "yes")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FOUND, "POST {form}");
        assert_eq!(location(&response), "/dashboard/login", "POST {form}");
    }
    // A forged session cookie is no session.
    let response = http
        .get(server.url("/dashboard/applications"))
        .header("cookie", "tessera_admin=forged")
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), "/dashboard/login");
}

#[tokio::test]
async fn sign_in_refuses_a_wrong_password_and_end_users() {
    let server = TestServer::start().await;
    let password = create_admin(&server, "root", AdminRole::Admin).await;
    let browser = Browser::new();
    let wrong = try_sign_in(&browser, &server, "root", "not-the-password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("Wrong username or password"));
    // The seed's end user is not an administrator.
    let user = try_sign_in(
        &browser,
        &server,
        crate::support::USERNAME,
        crate::support::PASSWORD,
    )
    .await;
    assert_eq!(user.status(), StatusCode::UNAUTHORIZED);
    let page = browser.get(&server.url("/dashboard/applications")).await;
    assert_eq!(page.status(), StatusCode::FOUND);
    let admin = Admin::sign_in(&server, "root", &password).await;
    let (status, html) = admin.page("/dashboard/applications").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("My Client App"));
}

#[tokio::test]
async fn sign_in_without_the_form_token_is_refused() {
    let server = TestServer::start().await;
    let password = create_admin(&server, "root", AdminRole::Admin).await;
    let response = crate::support::http()
        .post(server.url("/dashboard/login"))
        .form(&[("username", "root"), ("password", password.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_form_without_the_sessions_csrf_token_is_refused() {
    let server = TestServer::start().await;
    let password = create_admin(&server, "root", AdminRole::Admin).await;
    let admin = Admin::sign_in(&server, "root", &password).await;
    for token in [None, Some("wrong")] {
        let mut form = vec![("name", "Sneaky"), ("app_type", "spa")];
        if let Some(token) = token {
            form.push(("csrf_token", token));
        }
        let response = admin
            .browser
            .post_form(&server.url("/dashboard/applications"), &form)
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
    let (_, html) = admin.page("/dashboard/applications").await;
    assert!(!html.contains("Sneaky"), "nothing was created");
}

#[tokio::test]
async fn a_read_only_admin_can_list_but_not_change() {
    let server = TestServer::start().await;
    let password = create_admin(&server, "viewer", AdminRole::ReadOnly).await;
    let admin = Admin::sign_in(&server, "viewer", &password).await;
    for page in [
        "/dashboard/applications",
        "/dashboard/apis",
        "/dashboard/users",
        "/dashboard/keys",
    ] {
        let (status, html) = admin.page(page).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(
            !html.contains("id=\"create\""),
            "{page} offers no create form"
        );
    }
    let response = admin
        .post(
            "/dashboard/applications",
            &[("name", "Nope"), ("app_type", "spa")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let html = response.text().await.unwrap();
    assert!(html.contains("You are not allowed to do this"), "{html}");
    assert!(html.contains("create:clients"), "{html}");
    let response = admin
        .post("/dashboard/keys/rotate", &[("confirmed", "yes")])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let (_, html) = admin.page("/dashboard/applications").await;
    assert!(!html.contains("Nope"));
}

#[tokio::test]
async fn logout_ends_the_session() {
    let server = TestServer::start().await;
    let password = create_admin(&server, "root", AdminRole::Admin).await;
    let admin = Admin::sign_in(&server, "root", &password).await;
    let response = admin.post("/dashboard/logout", &[]).await;
    assert_eq!(location(&response), "/dashboard/login");
    let response = admin
        .browser
        .get(&server.url("/dashboard/applications"))
        .await;
    assert_eq!(location(&response), "/dashboard/login");
}

#[tokio::test]
async fn dashboard_pages_carry_the_hosted_page_security_headers() {
    let server = TestServer::start().await;
    let password = create_admin(&server, "root", AdminRole::Admin).await;
    let admin = Admin::sign_in(&server, "root", &password).await;
    let response = admin.browser.get(&server.url("/dashboard/users")).await;
    let csp = crate::support::header(&response, "content-security-policy").unwrap();
    assert!(csp.contains("default-src 'none'"));
    assert_eq!(
        crate::support::header(&response, "x-frame-options").as_deref(),
        Some("DENY")
    );
    assert_eq!(
        crate::support::header(&response, "cache-control").as_deref(),
        Some("no-store")
    );
}

#[tokio::test]
async fn validation_errors_are_shown_next_to_the_form() {
    let server = TestServer::start().await;
    let password = create_admin(&server, "root", AdminRole::Admin).await;
    let admin = Admin::sign_in(&server, "root", &password).await;
    let response = admin
        .post(
            "/dashboard/users",
            &[("email", "x@example.com"), ("password", "short")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"create-error\""), "{html}");
    assert!(
        html.contains("value=\"x@example.com\""),
        "the input is kept"
    );
}

/// Runs the authorization code flow as `username` in `browser`; returns the callback URL and
/// whether a consent page was shown.
async fn flow(
    browser: &Browser,
    authorize_url: &str,
    username: &str,
    password: &str,
) -> (Url, bool) {
    let base = Url::parse(authorize_url).unwrap();
    let mut step = browser
        .follow(browser.get(authorize_url).await, &base)
        .await;
    let mut consented = false;
    for _ in 0..4 {
        let (response, url) = step;
        if url.port() == Some(4000) {
            return (url, consented);
        }
        let html = response.text().await.unwrap();
        let next = match url.path() {
            "/u/login" => browser.submit_login(&url, &html, username, password).await,
            "/u/consent" => {
                consented = true;
                browser.submit_consent(&url, &html, "allow").await
            }
            _ => panic!("unexpected page {url}: {html}"),
        };
        step = browser.follow(next, &url).await;
    }
    panic!("the flow did not reach the callback");
}

async fn redeem(server: &TestServer, client_id: &str, secret: &str, code: &str) -> Value {
    let response = crate::support::http()
        .post(server.url("oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("client_secret", secret),
            ("code", code),
            ("redirect_uri", CALLBACK),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// The text of the element with `id` (up to the next tag).
fn element_text(html: &str, id: &str) -> Option<String> {
    let marker = format!("id=\"{id}\">");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('<')?;
    Some(html_unescape(&html[start..start + end]))
}

#[tokio::test]
async fn an_admins_api_application_and_user_work_in_the_flow_and_changes_take_effect() {
    let server = TestServer::start().await;
    let password = create_admin(&server, "root", AdminRole::Admin).await;
    let admin = Admin::sign_in(&server, "root", &password).await;
    let audience = "https://calendar.example.com/";

    // An API with a permission and Allow Offline Access.
    let response = admin
        .post(
            "/dashboard/apis",
            &[
                ("name", "Calendar"),
                ("identifier", audience),
                ("signing_alg", "RS256"),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::FOUND,
        "{}",
        response.text().await.unwrap()
    );
    let api_page = location(&response);
    let response = admin
        .post(
            &format!("{api_page}/permissions"),
            &[
                ("value", "read:events"),
                ("description", "Read your events"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let settings = [
        ("name", "Calendar"),
        ("token_lifetime", "600"),
        ("signing_alg", "RS256"),
    ];
    let mut with_offline = settings.to_vec();
    with_offline.push(("allow_offline_access", "on"));
    let response = admin.post(&api_page, &with_offline).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let (_, html) = admin.page(&api_page).await;
    assert!(
        html.contains("read:events") && html.contains("checked"),
        "{html}"
    );

    // An application with a callback; its secret is shown once, on creation.
    let response = admin
        .post(
            "/dashboard/applications",
            &[("name", "Calendar Web"), ("app_type", "regular_web")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    let client_id = element_text(&html, "client-id").unwrap();
    let secret = element_text(&html, "client-secret").unwrap();
    let app_page = format!("/dashboard/applications/{client_id}");
    let response = admin
        .post(
            &app_page,
            &[
                ("name", "Calendar Web"),
                ("callbacks", CALLBACK),
                ("allowed_logout_urls", ""),
                ("grant_types", "authorization_code"),
                ("grant_types", "refresh_token"),
                ("rotation_type", "non-rotating"),
                ("token_lifetime", "86400"),
                ("idle_token_lifetime", "3600"),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::FOUND,
        "{}",
        response.text().await.unwrap()
    );
    let (_, html) = admin.page(&app_page).await;
    assert!(!html.contains(&secret), "the secret is not shown again");
    let authorize = html_unescape(&element_text(&html, "authorize-url").unwrap());
    assert!(
        authorize.contains(&format!("client_id={client_id}")),
        "{authorize}"
    );

    // A user.
    let response = admin
        .post(
            "/dashboard/users",
            &[
                ("email", "sam@example.com"),
                ("username", "sam"),
                ("name", "Sam"),
                ("password", "sams-long-password"),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::FOUND,
        "{}",
        response.text().await.unwrap()
    );
    let user_page = location(&response);

    // The flow: offline_access gives a refresh token.
    let mut url = Url::parse(&server.url("authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", CALLBACK)
        .append_pair("audience", audience)
        .append_pair("scope", "openid profile read:events offline_access")
        .append_pair("state", "s1");
    let browser = Browser::new();
    let (callback, consented) = flow(&browser, url.as_str(), "sam", "sams-long-password").await;
    assert!(consented, "a first authorization asks for consent");
    let tokens = redeem(
        &server,
        &client_id,
        &secret,
        &query_param(&callback, "code").unwrap(),
    )
    .await;
    assert!(tokens["refresh_token"].is_string(), "{tokens}");

    // Allow Offline Access off: the next flow returns no refresh token.
    let response = admin.post(&api_page, &settings).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let (callback, _) = flow(&browser, url.as_str(), "sam", "sams-long-password").await;
    let tokens = redeem(
        &server,
        &client_id,
        &secret,
        &query_param(&callback, "code").unwrap(),
    )
    .await;
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");

    // Without consent the consent page comes back; revoking asks first.
    let (_, html) = admin.page(&user_page).await;
    let grant_id = form_value(&html, "grant_id").expect("the consent is listed");
    let response = admin
        .post(
            &format!("{user_page}/consents/revoke"),
            &[("grant_id", &grant_id)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("name=\"confirmed\" value=\"yes\""));
    let (callback, consented) = flow(&browser, url.as_str(), "sam", "sams-long-password").await;
    assert!(!consented, "still consented before confirming");
    assert!(query_param(&callback, "code").is_some());
    let response = admin
        .post(
            &format!("{user_page}/consents/revoke"),
            &[("grant_id", &grant_id), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let (_, consented) = flow(&browser, url.as_str(), "sam", "sams-long-password").await;
    assert!(consented, "the consent page is back");
}

#[tokio::test]
async fn blocking_a_user_and_rotating_a_secret_ask_first() {
    let server = TestServer::start().await;
    let password = create_admin(&server, "root", AdminRole::Admin).await;
    let admin = Admin::sign_in(&server, "root", &password).await;
    let response = admin
        .post("/dashboard/applications/myclientapp/rotate-secret", &[])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("Rotate secret"));
    // Not rotated yet: the seed's secret still works.
    let code = server.code(&[]).await;
    server.redeem(&code).await;
    let response = admin
        .post(
            "/dashboard/applications/myclientapp/rotate-secret",
            &[("confirmed", "yes")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    let secret = element_text(&html, "client-secret").unwrap();
    assert_ne!(secret, crate::support::CLIENT_SECRET);

    let (_, html) = admin.page("/dashboard/users?q=jane").await;
    assert!(html.contains(crate::support::EMAIL));
    let start = html.find("/dashboard/users/").unwrap();
    let end = start + html[start..].find('"').unwrap();
    let user_page = html[start..end].to_owned();
    let response = admin
        .post(&format!("{user_page}/block"), &[("blocked", "true")])
        .await;
    assert_eq!(response.status(), StatusCode::OK, "a confirmation page");
    let response = admin
        .post(
            &format!("{user_page}/block"),
            &[("blocked", "true"), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let (_, html) = admin.page(&user_page).await;
    assert!(html.contains("id=\"unblock\""), "{html}");
}

#[tokio::test]
async fn signing_keys_are_listed_and_rotated() {
    let server = TestServer::start().await;
    let password = create_admin(&server, "root", AdminRole::Admin).await;
    let admin = Admin::sign_in(&server, "root", &password).await;
    let (_, before) = admin.page("/dashboard/keys").await;
    assert!(before.contains(">current<"), "{before}");
    assert!(!before.contains(">previous<"), "{before}");
    let response = admin
        .post("/dashboard/keys/rotate", &[("alg", "ES256")])
        .await;
    assert_eq!(response.status(), StatusCode::OK, "a confirmation page");
    let response = admin
        .post(
            "/dashboard/keys/rotate",
            &[("alg", "ES256"), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let (_, after) = admin.page("/dashboard/keys").await;
    assert_eq!(after.matches(">previous<").count(), 1, "{after}");
    let row = after
        .split("<tr>")
        .find(|row| row.contains(">previous<"))
        .unwrap();
    assert!(row.contains("<td>ES256</td>"), "{row}");
    // The rotation is in the audit log, which the Logs page lists (written in the background).
    admin.server.flush_audit().await;
    let (status, logs) = admin.page("/dashboard/logs").await;
    assert_eq!(status, StatusCode::OK);
    let row = logs
        .split("<tr>")
        .find(|row| row.contains("Rotate the signing key"))
        .unwrap_or_else(|| panic!("the rotation is listed: {logs}"));
    assert!(row.contains("<code>sapi</code>"), "{row}");
    assert!(row.contains("tessera-dashboard"), "{row}");
    assert!(!logs.contains("No log events"), "{logs}");
}

/// The role id in a `/dashboard/roles/{id}` redirect.
fn created_role(response: &Response) -> String {
    assert_eq!(response.status(), StatusCode::FOUND);
    let path = location(response);
    let id = path.strip_prefix("/dashboard/roles/").unwrap_or_default();
    assert!(id.starts_with("rol_"), "{path}");
    id.to_owned()
}

/// The path of the seed user's page, from the users list.
async fn seed_user_page(admin: &Admin<'_>) -> String {
    let (_, html) = admin.page("/dashboard/users?q=jane").await;
    let start = html.find("/dashboard/users/").unwrap();
    let end = start + html[start..].find('"').unwrap();
    html[start..end].to_owned()
}

#[tokio::test]
async fn a_role_given_by_email_lists_its_permission_with_the_role_as_source() {
    let server = TestServer::start().await;
    let password = create_admin(&server, "root", AdminRole::Admin).await;
    let admin = Admin::sign_in(&server, "root", &password).await;
    let api = format!(
        "/dashboard/apis/{}",
        crate::support::API.replace(':', "%3A")
    );
    let response = admin
        .post(&format!("{api}/permissions"), &[("value", "read:clinic")])
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let response = admin
        .post("/dashboard/roles", &[("name", "Reception")])
        .await;
    let role = format!("/dashboard/roles/{}", created_role(&response));
    let permission = format!("{} read:clinic", crate::support::API);
    let response = admin
        .post(
            &format!("{role}/permissions"),
            &[("permission", permission.as_str())],
        )
        .await;
    assert_eq!(location(&response), role);
    // An email nobody has is refused on the role's page; the seed user's email is found.
    let response = admin
        .post(&format!("{role}/users"), &[("user", "nobody@example.com")])
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"role-error\""), "{html}");
    let response = admin
        .post(&format!("{role}/users"), &[("user", crate::support::EMAIL)])
        .await;
    assert_eq!(location(&response), role);
    let (_, html) = admin.page(&role).await;
    assert!(html.contains(crate::support::EMAIL), "{html}");

    let (status, html) = admin.page(&seed_user_page(&admin).await).await;
    assert_eq!(status, StatusCode::OK);
    let row = html
        .split("<tr>")
        .find(|row| row.contains(">read:clinic<"))
        .unwrap_or_else(|| panic!("the permission is listed: {html}"));
    assert!(row.contains("<td>Reception</td>"), "{row}");
    assert!(
        !row.contains("permissions/remove"),
        "a permission from a role is not removed from the user: {row}"
    );

    // Renamed, then deleted (after confirming): the user holds neither it nor its permission.
    let response = admin.post(&role, &[("name", "Front desk")]).await;
    assert_eq!(location(&response), role);
    let (_, html) = admin.page("/dashboard/roles?name_filter=front").await;
    assert!(html.contains("Front desk"), "{html}");
    let response = admin.post(&format!("{role}/delete"), &[]).await;
    assert_eq!(response.status(), StatusCode::OK, "a confirmation page");
    let response = admin
        .post(&format!("{role}/delete"), &[("confirmed", "yes")])
        .await;
    assert_eq!(location(&response), "/dashboard/roles");
    assert_eq!(admin.page(&role).await.0, StatusCode::NOT_FOUND);
    let (_, html) = admin.page(&seed_user_page(&admin).await).await;
    assert!(html.contains("This user has no roles."), "{html}");
    assert!(!html.contains("<td class=\"mono\">read:clinic<"), "{html}");
}

#[tokio::test]
async fn a_read_only_admin_sees_roles_but_cannot_change_them() {
    let server = TestServer::start().await;
    let root = create_admin(&server, "root", AdminRole::Admin).await;
    let root = Admin::sign_in(&server, "root", &root).await;
    let response = root
        .post(
            "/dashboard/roles",
            &[("name", "Auditors"), ("description", "Read the books")],
        )
        .await;
    let role_id = created_role(&response);
    let role = format!("/dashboard/roles/{role_id}");
    let password = create_admin(&server, "viewer", AdminRole::ReadOnly).await;
    let viewer = Admin::sign_in(&server, "viewer", &password).await;

    let (status, html) = viewer.page("/dashboard/roles").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Auditors"), "{html}");
    assert!(!html.contains("id=\"create\""), "no create form: {html}");
    let (status, html) = viewer.page(&role).await;
    assert_eq!(status, StatusCode::OK);
    for form in ["save", "delete", "add-permission", "add-user"] {
        assert!(
            !html.contains(&format!("id=\"{form}\"")),
            "no {form}: {html}"
        );
    }
    let user_page = seed_user_page(&viewer).await;
    let (status, html) = viewer.page(&user_page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Roles and permissions"), "{html}");
    assert!(!html.contains("id=\"assign-role\""), "{html}");

    let refused = [
        ("/dashboard/roles".to_owned(), vec![("name", "Sneaky")]),
        (role.clone(), vec![("name", "Renamed")]),
        (format!("{role}/delete"), vec![("confirmed", "yes")]),
        (
            format!("{user_page}/roles"),
            vec![("role_id", role_id.as_str())],
        ),
    ];
    for (path, fields) in refused {
        let response = viewer.post(&path, &fields).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "POST {path}");
        let html = response.text().await.unwrap();
        assert!(html.contains("You are not allowed to do this"), "{html}");
    }
    let (_, html) = root.page("/dashboard/roles").await;
    assert!(html.contains("Auditors") && !html.contains("Sneaky") && !html.contains("Renamed"));
    let (_, html) = root.page(&user_page).await;
    assert!(html.contains("This user has no roles."), "{html}");
}

/// The action id in a `/dashboard/actions/{id}` redirect.
fn created_action(response: &Response) -> String {
    assert_eq!(response.status(), StatusCode::FOUND);
    let path = location(response);
    let id = path.strip_prefix("/dashboard/actions/").unwrap_or_default();
    assert_eq!(id.len(), 36, "a UUID: {path}");
    id.to_owned()
}

async fn action_written(admin: &Admin<'_>, name: &str, code: &str) -> String {
    let response = admin
        .post(
            "/dashboard/actions",
            &[("name", name), ("trigger", "post-login")],
        )
        .await;
    let id = created_action(&response);
    let page = format!("/dashboard/actions/{id}");
    let response = admin.post(&page, &[("code", code), ("deploy", "1")]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(
        element_text(&html, "action-notice")
            .is_some_and(|n| n.starts_with("Deployed as version 1")),
        "{html}"
    );
    id
}

/// The claims of the seed user's access token after a login in a new browser.
async fn seed_user_claims(server: &TestServer) -> Value {
    let browser = Browser::new();
    let url = server.authorize_url(&[]);
    let (callback, _) = flow(
        &browser,
        &url,
        crate::support::USERNAME,
        crate::support::PASSWORD,
    )
    .await;
    let code = query_param(&callback, "code").expect("a code");
    let tokens = redeem(
        server,
        crate::support::CLIENT_ID,
        crate::support::CLIENT_SECRET,
        &code,
    )
    .await;
    crate::support::jwt_claims(tokens["access_token"].as_str().unwrap())
}

#[tokio::test]
async fn actions_written_deployed_and_ordered_in_the_dashboard_shape_the_next_token() {
    let server = TestServer::start().await;
    let password = create_admin(&server, "root", AdminRole::Admin).await;
    let admin = Admin::sign_in(&server, "root", &password).await;
    let (status, html) = admin.page("/dashboard/actions").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No Action runs at post-login."), "{html}");

    let first = action_written(
        &admin,
        "Plan",
        "exports.onExecutePostLogin = async (event, api) => { api.accessToken.setCustomClaim('https://a.example.com/plan', 'first'); };",
    )
    .await;
    let second = action_written(
        &admin,
        "Plan override",
        "exports.onExecutePostLogin = async (event, api) => { api.accessToken.setCustomClaim('https://a.example.com/plan', 'second'); };",
    )
    .await;
    // Deployed but not bound: nothing runs yet.
    assert!(seed_user_claims(&server)
        .await
        .get("https://a.example.com/plan")
        .is_none());

    for id in [&first, &second] {
        let order = if id == &second { first.as_str() } else { "" };
        let response = admin
            .post(
                "/dashboard/actions/bindings",
                &[("trigger", "post-login"), ("order", order), ("add", id)],
            )
            .await;
        assert_eq!(location(&response), "/dashboard/actions");
    }
    let (_, html) = admin.page("/dashboard/actions").await;
    let bound = &html[html.find("id=\"bound-post-login\"").unwrap()..];
    assert!(
        bound.find(">Plan<").unwrap() < bound.find(">Plan override<").unwrap(),
        "{bound}"
    );
    // The later Action wins on the same claim.
    assert_eq!(
        seed_user_claims(&server).await["https://a.example.com/plan"],
        "second"
    );

    // Moved up (the page's own button): the order flips, and so does the claim.
    let moved = format!("{second},{first}");
    assert!(
        html.contains(&format!("value=\"{moved}\"")),
        "a Move up form: {html}"
    );
    let response = admin
        .post(
            "/dashboard/actions/bindings",
            &[("trigger", "post-login"), ("order", &moved)],
        )
        .await;
    assert_eq!(location(&response), "/dashboard/actions");
    assert_eq!(
        seed_user_claims(&server).await["https://a.example.com/plan"],
        "first"
    );

    // A syntax error is saved as a draft (Auth0 saves drafts too) but the deployed version runs.
    let page = format!("/dashboard/actions/{first}");
    let response = admin
        .post(
            &page,
            &[("code", "exports.onExecutePostLogin = async ( => {")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("changes not deployed"), "{html}");
    assert_eq!(
        seed_user_claims(&server).await["https://a.example.com/plan"],
        "first"
    );

    // Unbound both: the token is plain again.
    let response = admin
        .post(
            "/dashboard/actions/bindings",
            &[("trigger", "post-login"), ("order", "")],
        )
        .await;
    assert_eq!(location(&response), "/dashboard/actions");
    assert!(seed_user_claims(&server)
        .await
        .get("https://a.example.com/plan")
        .is_none());

    // Binding an unknown action is refused on the page, with nothing bound.
    let response = admin
        .post(
            "/dashboard/actions/bindings",
            &[("trigger", "post-login"), ("order", "no-such-action")],
        )
        .await;
    assert!(response.status().is_client_error(), "{}", response.status());
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"actions-error\""), "{html}");

    // A read-only administrator sees the Actions and changes nothing.
    let password = create_admin(&server, "viewer", AdminRole::ReadOnly).await;
    let viewer = Admin::sign_in(&server, "viewer", &password).await;
    let (status, html) = viewer.page(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("readonly") && !html.contains("id=\"deploy\""),
        "{html}"
    );
    let response = viewer.post(&page, &[("code", "x"), ("deploy", "1")]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = viewer
        .post(
            "/dashboard/actions/bindings",
            &[("trigger", "post-login"), ("order", &first)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_apis_settings_set_and_clear_its_dpop_sender_constraining() {
    let server = TestServer::start().await;
    let password = create_admin(&server, "root", AdminRole::Admin).await;
    let admin = Admin::sign_in(&server, "root", &password).await;
    let api = format!(
        "/dashboard/apis/{}",
        crate::support::API.replace(':', "%3A")
    );
    let (_, html) = admin.page(&api).await;
    assert!(html.contains("<option value=\"none\" selected>"), "{html}");
    let settings = |choice: &'static str| {
        [
            ("name", "Appointments API"),
            ("token_lifetime", "3600"),
            ("signing_alg", "RS256"),
            ("allow_offline_access", "on"),
            ("token_profile", "access_token"),
            ("sender_constraining", choice),
        ]
    };
    let response = admin.post(&api, &settings("dpop_required")).await;
    assert_eq!(location(&response), api);
    let (_, html) = admin.page(&api).await;
    assert!(
        html.contains("<option value=\"dpop_required\" selected>"),
        "{html}"
    );
    let response = admin.post(&api, &settings("none")).await;
    assert_eq!(location(&response), api);
    let (_, html) = admin.page(&api).await;
    assert!(html.contains("<option value=\"none\" selected>"), "{html}");
}

#[tokio::test]
async fn universal_login_branding_and_sign_up_settings_are_changed_from_the_dashboard() {
    let server = TestServer::start().await;
    let password = create_admin(&server, "root", AdminRole::Admin).await;
    let admin = Admin::sign_in(&server, "root", &password).await;
    let (status, html) = admin.page("/dashboard/universal-login").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(r#"id="signup" name="signup" checked"#),
        "{html}"
    );
    assert!(html.contains("<option selected>low</option>"), "{html}");

    let saved = admin
        .post(
            "/dashboard/universal-login/branding",
            &[
                ("primary", "#123456"),
                ("logo_url", "https://cdn.example.com/logo.png"),
                ("page_background", ""),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::FOUND);
    let css = admin
        .browser
        .get(&server.url("/u/branding.css"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        css.contains("--accent: #123456") && css.contains("logo.png") && !css.contains("--bg"),
        "{css}"
    );
    let refused = admin
        .post(
            "/dashboard/universal-login/branding",
            &[("primary", "blue")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains("colors.primary"));

    let saved = admin
        .post(
            "/dashboard/universal-login/signup",
            &[("password_policy", "good"), ("min_length", "12")],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::FOUND);
    let (_, html) = admin.page("/dashboard/universal-login").await;
    assert!(
        html.contains(r#"id="signup" name="signup">"#),
        "sign-up now off: {html}"
    );
    assert!(
        html.contains("<option selected>good</option>") && html.contains(r#"value="12""#),
        "{html}"
    );
    assert!(!html.contains(r#"name="dictionary" checked"#), "{html}");
    let signup = admin
        .browser
        .client
        .post(server.url("/dbconnections/signup"))
        .json(&serde_json::json!({ "client_id": "myclientapp", "connection": "Username-Password-Authentication", "email": "new@example.com", "password": "Long enough Passw0rd!" }))
        .send()
        .await
        .unwrap();
    assert_eq!(signup.status(), StatusCode::BAD_REQUEST, "sign-up is off");

    let viewer_password = create_admin(&server, "viewer", AdminRole::ReadOnly).await;
    let viewer = Admin::sign_in(&server, "viewer", &viewer_password).await;
    let (status, html) = viewer.page("/dashboard/universal-login").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("save-branding"), "{html}");
    let refused = viewer
        .post(
            "/dashboard/universal-login/signup",
            &[("signup", "on"), ("password_policy", "none")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

/// Every MFA and passkey checkbox of the Universal Login page is followed by `after` (` checked`
/// when on, `>` when off).
fn assert_mfa_switches(html: &str, after: &str) {
    for id in [
        "otp",
        "passkey_factor",
        "recovery_code",
        "passkeys_on_login",
        "passkey_offer",
    ] {
        assert!(
            html.contains(&format!(r#"id="{id}" name="{id}"{after}"#)),
            "{id} {after}: {html}"
        );
    }
}

#[tokio::test]
async fn mfa_and_passkeys_are_switched_from_the_universal_login_page() {
    let port = crate::support::process::free_port();
    let server = TestServer::start_with(move |config| {
        config.listen = ([127, 0, 0, 1], port).into();
        config.issuer = Some(format!("http://localhost:{port}/"));
    })
    .await;
    let password = create_admin(&server, "root", AdminRole::Admin).await;
    let admin = Admin::sign_in(&server, "root", &password).await;
    let (_, html) = admin.page("/dashboard/universal-login").await;
    assert!(
        html.contains(r#"id="otp" name="otp">"#),
        "off at first: {html}"
    );
    assert!(!html.contains("no-passkeys"), "{html}");

    let everything = [
        ("otp", "on"),
        ("passkey_factor", "on"),
        ("recovery_code", "on"),
        ("policy", "always"),
        ("passkeys_on_login", "on"),
        ("passkey_offer", "on"),
    ];
    let saved = admin
        .post("/dashboard/universal-login/mfa", &everything)
        .await;
    assert_eq!(saved.status(), StatusCode::FOUND);
    let (_, html) = admin.page("/dashboard/universal-login").await;
    assert_mfa_switches(&html, " checked");
    assert!(
        html.contains(r#"<option value="always" selected>"#),
        "{html}"
    );
    // The login page now offers passkeys.
    let browser = Browser::new();
    let authorize = server.authorize_url(&[]);
    let base = reqwest::Url::parse(&authorize).unwrap();
    let (login, _) = browser.follow(browser.get(&authorize).await, &base).await;
    assert!(login.text().await.unwrap().contains(r#"id="passkey-form""#));

    let saved = admin
        .post("/dashboard/universal-login/mfa", &[("policy", "never")])
        .await;
    assert_eq!(saved.status(), StatusCode::FOUND);
    let (_, html) = admin.page("/dashboard/universal-login").await;
    assert_mfa_switches(&html, ">");
    assert!(
        html.contains(r#"<option value="never" selected>"#),
        "{html}"
    );
    let (login, _) = browser.follow(browser.get(&authorize).await, &base).await;
    assert!(!login.text().await.unwrap().contains(r#"id="passkey-form""#));
}

#[tokio::test]
async fn passkeys_cannot_be_switched_on_from_the_dashboard_for_an_issuer_at_an_ip_address() {
    let server = TestServer::start().await;
    let password = create_admin(&server, "root", AdminRole::Admin).await;
    let admin = Admin::sign_in(&server, "root", &password).await;
    let (_, html) = admin.page("/dashboard/universal-login").await;
    assert!(html.contains(r#"id="no-passkeys""#), "{html}");
    let refused = admin
        .post(
            "/dashboard/universal-login/mfa",
            &[("passkey_factor", "on")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("needs an issuer with a domain name"));
}

#[tokio::test]
async fn an_applications_logo_url_is_set_refused_and_cleared_from_its_settings() {
    let server = TestServer::start().await;
    let password = create_admin(&server, "root", AdminRole::Admin).await;
    let admin = Admin::sign_in(&server, "root", &password).await;
    let app_page = "/dashboard/applications/myclientapp";
    let (_, html) = admin.page(app_page).await;
    assert!(
        html.contains(r#"<label for="logo_uri">Logo URL</label>"#),
        "{html}"
    );
    assert_eq!(form_value(&html, "logo_uri").as_deref(), Some(""));
    let settings = |logo: &'static str| {
        [
            ("name", "My Client App"),
            ("logo_uri", logo),
            ("callbacks", CALLBACK),
            ("allowed_logout_urls", ""),
            ("grant_types", "authorization_code"),
            ("grant_types", "refresh_token"),
            ("rotation_type", "non-rotating"),
            ("token_lifetime", "86400"),
            ("idle_token_lifetime", "3600"),
        ]
    };
    let logo = "https://cdn.example.com/my-app.png";
    let response = admin.post(app_page, &settings(logo)).await;
    assert_eq!(
        response.status(),
        StatusCode::FOUND,
        "{}",
        response.text().await.unwrap()
    );
    let (_, html) = admin.page(app_page).await;
    assert_eq!(form_value(&html, "logo_uri").as_deref(), Some(logo));

    let response = admin
        .post(app_page, &settings("http://cdn.example.com/my-app.png"))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("id=\"settings-error\"") && html.contains("logo_uri must be"),
        "{html}"
    );
    let (_, html) = admin.page(app_page).await;
    assert_eq!(
        form_value(&html, "logo_uri").as_deref(),
        Some(logo),
        "unchanged"
    );

    let response = admin.post(app_page, &settings("")).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let (_, html) = admin.page(app_page).await;
    assert_eq!(
        form_value(&html, "logo_uri").as_deref(),
        Some(""),
        "removed"
    );
}

#[tokio::test]
async fn the_emails_page_is_the_development_outbox_without_a_provider() {
    let server = TestServer::start_with(|config| config.email_poll_interval = 1).await;
    let signed_up = reqwest::Client::new()
        .post(server.url("/dbconnections/signup"))
        .json(&serde_json::json!({
            "client_id": "myclientapp",
            "connection": "Username-Password-Authentication",
            "email": "outbox@example.com",
            "password": "Quiet harbour 42 lanterns",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_up.status(), StatusCode::OK);

    let password = create_admin(&server, "root", AdminRole::Admin).await;
    let admin = Admin::sign_in(&server, "root", &password).await;
    // The postman moves the mail to the outbox within its poll interval.
    let mut html = String::new();
    for _ in 0..200 {
        html = admin.page("/dashboard/emails").await.1;
        if html.contains(r#"data-status="outbox""#) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(html.contains(r#"id="outbox-notice""#), "{html}");
    assert!(
        html.contains("outbox@example.com") && html.contains("verify_email"),
        "{html}"
    );
    let link = html
        .split(r#"class="mail-link" href=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(html_unescape)
        .unwrap_or_else(|| panic!("the outbox shows the mail's link: {html}"));
    assert!(
        link.starts_with(&server.url("/u/email-verification?ticket=")),
        "{link}"
    );
    let verified = reqwest::get(&link).await.unwrap();
    assert_eq!(verified.status(), StatusCode::OK);

    // A read-only administrator sees the mail but not its link.
    let viewer_password = create_admin(&server, "viewer", AdminRole::ReadOnly).await;
    let viewer = Admin::sign_in(&server, "viewer", &viewer_password).await;
    let (status, html) = viewer.page("/dashboard/emails").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("outbox@example.com"), "{html}");
    assert!(!html.contains("mail-link"), "{html}");
}

/// Logs the seed user in with their password at the hosted login; the page that comes next.
async fn password_step(server: &TestServer, browser: &Browser) -> (Url, String) {
    let authorize = server.authorize_url(&[("prompt", "login")]);
    let start = Url::parse(&authorize).unwrap();
    let (login, url) = browser.follow(browser.get(&authorize).await, &start).await;
    assert_eq!(url.path(), "/u/login");
    let html = login.text().await.unwrap();
    let response = browser
        .submit_login(
            &url,
            &html,
            crate::support::USERNAME,
            crate::support::PASSWORD,
        )
        .await;
    let (page, url) = browser.follow(response, &url).await;
    (url, page.text().await.unwrap())
}

/// Posts `fields`, with the page's state and CSRF token, to `path` of the hosted login.
async fn submit_step(
    browser: &Browser,
    (url, html): &(Url, String),
    path: &str,
    fields: &[(&str, &str)],
) -> (Url, String) {
    let state = form_value(html, "state").expect("state");
    let csrf = form_value(html, "csrf_token").expect("csrf_token");
    let mut form = vec![("state", state.as_str()), ("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    let target = url.join(path).unwrap();
    let response = browser.post_form(target.as_str(), &form).await;
    let (page, url) = browser.follow(response, &target).await;
    let html = if url.port() == Some(4000) {
        String::new()
    } else {
        page.text().await.unwrap()
    };
    (url, html)
}

/// The seed user enrolls an authenticator app at the hosted login (MFA being required), and
/// saves the recovery code shown.
async fn enroll_authenticator_app(server: &TestServer) {
    let browser = Browser::new();
    let enrollment = password_step(server, &browser).await;
    assert_eq!(
        enrollment.0.path(),
        "/u/mfa-otp-enrollment-qr",
        "{}",
        enrollment.1
    );
    let secret = element_text(&enrollment.1, "totp-secret").unwrap();
    let code = TotpSecret::from_base32(&secret)
        .unwrap()
        .code_at(server.clock.now());
    let qr = "/u/mfa-otp-enrollment-qr";
    let saved = submit_step(&browser, &enrollment, qr, &[("code", &code)]).await;
    assert!(
        element_text(&saved.1, "recovery-code").is_some(),
        "{}",
        saved.1
    );
    let recovery = "/u/mfa-recovery-code-enrollment";
    submit_step(&browser, &saved, recovery, &[("saved", "on")]).await;
}

/// The row of the user page's MFA table that names `kind`.
fn mfa_row<'h>(html: &'h str, kind: &str) -> Option<&'h str> {
    let table = html.split("id=\"mfa-methods\"").nth(1)?;
    let table = table.split("</table>").next()?;
    table
        .split("<tr>")
        .find(|row| row.contains(&format!("<td>{kind}</td>")))
}

#[tokio::test]
async fn resetting_a_users_mfa_removes_every_method_and_their_next_login_enrolls_again() {
    let m = Mgmt::start().await;
    let server = &m.server;
    crate::mfa::require_mfa(&m).await;
    enroll_authenticator_app(server).await;
    let password = create_admin(server, "root", AdminRole::Admin).await;
    let admin = Admin::sign_in(server, "root", &password).await;
    let user_page = seed_user_page(&admin).await;

    let (status, html) = admin.page(&user_page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Multi-factor authentication"), "{html}");
    let app = mfa_row(&html, "Authenticator app").unwrap_or_else(|| panic!("{html}"));
    assert!(app.contains("<td>Confirmed</td>"), "{app}");
    // Enrolled, and last used to confirm the enrollment, now (the server's clock stands still).
    let now = format!("<td class=\"opt\">{}</td>", server.clock.now().rfc3339());
    assert_eq!(app.matches(&now).count(), 2, "{app}");
    assert!(mfa_row(&html, "Recovery code").is_some(), "{html}");
    assert!(html.contains("id=\"reset-mfa\""), "{html}");
    let reset = format!("{user_page}/mfa/reset");
    assert!(html.contains(&format!("action=\"{reset}\"")), "{html}");

    // One method removed, after confirming.
    let row = mfa_row(&html, "Recovery code").unwrap();
    let method = html_unescape(&form_value(row, "method_id").unwrap());
    assert!(method.starts_with("recovery-code|"), "{method}");
    let remove = format!("{user_page}/mfa/remove");
    let response = admin.post(&remove, &[("method_id", &method)]).await;
    assert_eq!(response.status(), StatusCode::OK, "a confirmation page");
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Remove authentication method"));
    let confirmed = [("method_id", method.as_str()), ("confirmed", "yes")];
    let response = admin.post(&remove, &confirmed).await;
    assert_eq!(location(&response), user_page);
    let (_, html) = admin.page(&user_page).await;
    assert!(mfa_row(&html, "Recovery code").is_none(), "{html}");
    assert!(mfa_row(&html, "Authenticator app").is_some(), "{html}");

    // A reset without this session's token is refused and changes nothing.
    let forged = [("csrf_token", "wrong"), ("confirmed", "yes")];
    let response = admin.browser.post_form(&server.url(&reset), &forged).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let (_, html) = admin.page(&user_page).await;
    assert!(mfa_row(&html, "Authenticator app").is_some(), "{html}");

    // Reset MFA, with the form's token, after confirming.
    let csrf = form_value(&html, "csrf_token").unwrap();
    let response = admin
        .browser
        .post_form(&server.url(&reset), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(response.status(), StatusCode::OK, "a confirmation page");
    let confirm = response.text().await.unwrap();
    assert!(
        confirm.contains("Reset multi-factor authentication"),
        "{confirm}"
    );
    let response = admin
        .browser
        .post_form(
            &server.url(&reset),
            &[("csrf_token", &csrf), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(location(&response), user_page);
    let (status, html) = admin.page(&user_page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"mfa-none\">None enrolled."), "{html}");
    assert!(!html.contains("id=\"mfa-methods\""), "{html}");
    assert!(
        !html.contains("id=\"reset-mfa\""),
        "nothing to reset: {html}"
    );
    let id = encoded(&m.seed_user_id().await);
    let methods = m
        .get_ok(&format!("/api/v2/users/{id}/authentication-methods"))
        .await;
    assert_eq!(methods, json!([]));

    // MFA is still required: the next login enrolls an authenticator app again, which the
    // page lists as unfinished until the user types a code.
    let (url, html) = password_step(server, &Browser::new()).await;
    assert_eq!(url.path(), "/u/mfa-otp-enrollment-qr", "{html}");
    let (_, html) = admin.page(&user_page).await;
    let app = mfa_row(&html, "Authenticator app").unwrap_or_else(|| panic!("{html}"));
    assert!(app.contains("enrollment not finished"), "{app}");
    assert!(app.contains("<td class=\"opt\">Never</td>"), "{app}");
}

#[tokio::test]
async fn a_read_only_admin_sees_a_users_mfa_but_cannot_reset_or_remove_it() {
    let m = Mgmt::start().await;
    let server = &m.server;
    crate::mfa::require_mfa(&m).await;
    enroll_authenticator_app(server).await;
    let password = create_admin(server, "viewer", AdminRole::ReadOnly).await;
    let viewer = Admin::sign_in(server, "viewer", &password).await;
    let user_page = seed_user_page(&viewer).await;

    let (status, html) = viewer.page(&user_page).await;
    assert_eq!(status, StatusCode::OK);
    let app = mfa_row(&html, "Authenticator app").unwrap_or_else(|| panic!("{html}"));
    assert!(app.contains("<td>Confirmed</td>"), "{app}");
    assert!(
        !html.contains("id=\"reset-mfa\""),
        "no reset button: {html}"
    );
    assert!(!html.contains("/mfa/"), "no MFA form: {html}");

    let id = encoded(&m.seed_user_id().await);
    let path = format!("/api/v2/users/{id}/authentication-methods");
    let before = m.get_ok(&path).await;
    let method = before[0]["id"].as_str().unwrap();
    let refused = [
        (
            "reset",
            vec![("confirmed", "yes")],
            "delete:guardian_enrollments",
        ),
        (
            "remove",
            vec![("method_id", method), ("confirmed", "yes")],
            "delete:authentication_methods",
        ),
    ];
    for (action, fields, scope) in refused {
        let response = viewer
            .post(&format!("{user_page}/mfa/{action}"), &fields)
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{action}");
        let html = response.text().await.unwrap();
        assert!(html.contains("You are not allowed to do this"), "{html}");
        assert!(html.contains(scope), "{html}");
    }
    assert_eq!(m.get_ok(&path).await, before, "nothing was removed");
}

#[tokio::test]
async fn an_openid_connection_is_added_enabled_for_an_application_and_deleted_in_the_dashboard() {
    let server = TestServer::start().await;
    let password = create_admin(&server, "root", AdminRole::Admin).await;
    let admin = Admin::sign_in(&server, "root", &password).await;
    let (status, list) = admin.page("/dashboard/connections").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("Username-Password-Authentication"), "{list}");
    assert!(list.contains(&server.url("login/callback")), "{list}");

    let fields = |name: &'static str| {
        vec![
            ("name", name),
            ("display_name", "Corp SSO"),
            (
                "discovery_url",
                "https://idp.example/.well-known/openid-configuration",
            ),
            ("client_id", "tessera-at-corp"),
            ("client_secret", "dashboard-typed-secret"),
            ("scope", "openid email"),
        ]
    };
    let refused = admin.post("/dashboard/connections", &fields("-corp")).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains("name"));
    let created = admin.post("/dashboard/connections", &fields("corp")).await;
    assert_eq!(created.status(), StatusCode::FOUND);
    let path = location(&created);
    assert!(path.starts_with("/dashboard/connections/con_"), "{path}");
    let (_, page) = admin.page(&path).await;
    assert!(page.contains("Corp SSO"), "{page}");
    assert!(page.contains(r#"value="https://idp.example/.well-known/openid-configuration""#));
    assert!(
        !page.contains("dashboard-typed-secret"),
        "the secret is never shown"
    );

    let enabled = admin
        .post(&format!("{path}/clients"), &[("enabled", CLIENT_ID)])
        .await;
    assert_eq!(enabled.status(), StatusCode::FOUND);
    let (_, page) = admin.page(&path).await;
    assert!(
        page.contains(&format!(r#"value="{CLIENT_ID}" checked"#)),
        "{page}"
    );
    // Saving the settings without a secret keeps the sealed one.
    let mut renamed = fields("corp");
    renamed.retain(|(name, _)| *name != "client_secret" && *name != "name");
    renamed.push(("display_name", "Corp"));
    renamed.retain(|pair| *pair != ("display_name", "Corp SSO"));
    let saved = admin.post(&path, &renamed).await;
    assert_eq!(saved.status(), StatusCode::FOUND);
    let (_, list) = admin.page("/dashboard/connections").await;
    assert!(list.contains(">Corp</a>"), "{list}");

    let asked = admin.post(&format!("{path}/delete"), &[]).await;
    assert_eq!(asked.status(), StatusCode::OK);
    assert!(asked
        .text()
        .await
        .unwrap()
        .contains("Its users are deleted with it"));
    let deleted = admin
        .post(&format!("{path}/delete"), &[("confirmed", "yes")])
        .await;
    assert_eq!(deleted.status(), StatusCode::FOUND);
    assert_eq!(admin.page(&path).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn oauth2_github_and_google_connections_are_added_and_edited_in_the_dashboard() {
    let m = Mgmt::start().await;
    let server = &m.server;
    let password = create_admin(server, "root", AdminRole::Admin).await;
    let admin = Admin::sign_in(server, "root", &password).await;
    let (_, list) = admin.page("/dashboard/connections").await;
    assert!(
        list.contains(r#"id="github-name" name="name" value="github""#),
        "{list}"
    );
    assert!(
        list.contains(r#"id="google-oauth2-name" name="name" value="google-oauth2""#),
        "{list}"
    );
    assert!(
        list.contains(r#"id="oauth2-pkce_enabled" name="pkce_enabled" value="on" checked>"#),
        "PKCE is on unless unticked: {list}"
    );

    let secret = "acme-issued-secret-0123456789";
    let oauth2 = |fields_map: &'static str, pkce: bool| {
        let mut fields = vec![
            ("strategy", "oauth2"),
            ("name", "acme"),
            ("display_name", "Acme"),
            ("authorization_url", "https://acme.example/oauth/authorize"),
            ("token_url", "https://acme.example/oauth/token"),
            ("profile_url", "https://api.acme.example/me"),
            ("client_id", "tessera-at-acme"),
            ("client_secret", secret),
            ("scope", "profile email"),
            ("fields_map", fields_map),
        ];
        if pkce {
            fields.push(("pkce_enabled", "on"));
        }
        fields
    };
    let refused = admin
        .post(
            "/dashboard/connections",
            &oauth2("user_id=uuid\nmail", false),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let html = refused.text().await.unwrap();
    assert_eq!(
        element_text(&html, "create-oauth2-error").as_deref(),
        Some("Field mapping `mail`: write one attribute=field a line, e.g. email=mail.")
    );
    assert!(html.contains(r#"name="profile_url" value="https://api.acme.example/me""#));
    assert!(html.contains(r#"id="oauth2-pkce_enabled" name="pkce_enabled" value="on">"#));
    assert!(!html.contains(secret), "the secret is not shown again");
    assert_eq!(
        m.get_ok("/api/v2/connections?strategy=oauth2").await,
        json!([])
    );

    let created = admin
        .post(
            "/dashboard/connections",
            &oauth2("user_id=account.uuid\n\n email = contact.mail \n", true),
        )
        .await;
    assert_eq!(created.status(), StatusCode::FOUND);
    let path = location(&created);
    let id = path
        .trim_start_matches("/dashboard/connections/")
        .to_owned();
    let api = format!("/api/v2/connections/{id}");
    let connection = m.get_ok(&api).await;
    assert_eq!(connection["strategy"], "oauth2");
    assert_eq!(connection["display_name"], "Acme");
    assert_eq!(
        connection["options"],
        json!({
            "client_id": "tessera-at-acme",
            "authorizationURL": "https://acme.example/oauth/authorize",
            "tokenURL": "https://acme.example/oauth/token",
            "profileURL": "https://api.acme.example/me",
            "scope": "profile email",
            "pkce_enabled": true,
            "fieldsMap": { "user_id": "account.uuid", "email": "contact.mail" },
        })
    );
    let (status, page) = admin.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains(secret), "the secret is never shown");
    assert_eq!(
        element_text(&page, "callback-url"),
        Some(server.url("login/callback"))
    );
    assert!(
        page.contains(">email=contact.mail\nuser_id=account.uuid</textarea>"),
        "{page}"
    );
    assert!(page.contains(r#"id="pkce_enabled" name="pkce_enabled" value="on" checked>"#));

    // Saved without a secret (the sealed one stays) and with PKCE unticked.
    let saved = admin
        .post(
            &path,
            &[
                ("display_name", "Acme"),
                ("authorization_url", "https://acme.example/oauth/authorize"),
                ("token_url", "https://acme.example/oauth/token"),
                ("profile_url", "https://api.acme.example/v2/me"),
                ("client_id", "tessera-at-acme"),
                ("scope", ""),
                ("fields_map", "user_id=id"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::FOUND);
    assert_eq!(
        m.get_ok(&api).await["options"],
        json!({
            "client_id": "tessera-at-acme",
            "authorizationURL": "https://acme.example/oauth/authorize",
            "tokenURL": "https://acme.example/oauth/token",
            "profileURL": "https://api.acme.example/v2/me",
            "pkce_enabled": false,
            "fieldsMap": { "user_id": "id" },
        })
    );

    let github = admin
        .post(
            "/dashboard/connections",
            &[
                ("strategy", "github"),
                ("name", "github"),
                ("display_name", "GitHub"),
                ("client_id", "Iv1.tessera"),
                ("client_secret", secret),
            ],
        )
        .await;
    assert_eq!(github.status(), StatusCode::FOUND);
    let github_path = location(&github);
    let github_api = format!(
        "/api/v2/connections/{}",
        github_path.trim_start_matches("/dashboard/connections/")
    );
    let connection = m.get_ok(&github_api).await;
    assert_eq!(
        (
            &connection["strategy"],
            &connection["name"],
            &connection["options"]
        ),
        (
            &json!("github"),
            &json!("github"),
            &json!({ "client_id": "Iv1.tessera" })
        )
    );
    let (_, page) = admin.page(&github_path).await;
    assert!(!page.contains(secret));
    assert!(
        !page.contains("authorization_url"),
        "a preset's endpoints are its own"
    );
    let scoped = admin
        .post(
            &github_path,
            &[
                ("display_name", "GitHub"),
                ("client_id", "Iv1.tessera"),
                ("scope", "read:user user:email"),
            ],
        )
        .await;
    assert_eq!(scoped.status(), StatusCode::FOUND);
    assert_eq!(
        m.get_ok(&github_api).await["options"],
        json!({ "client_id": "Iv1.tessera", "scope": "read:user user:email" })
    );

    let google = admin
        .post(
            "/dashboard/connections",
            &[
                ("strategy", "google-oauth2"),
                ("name", "google-oauth2"),
                ("display_name", "Google"),
                ("client_id", "tessera.apps.googleusercontent.com"),
                ("client_secret", secret),
            ],
        )
        .await;
    assert_eq!(google.status(), StatusCode::FOUND);
    let (_, list) = admin.page("/dashboard/connections").await;
    assert!(!list.contains(secret));
    for (display_name, strategy) in [
        ("Acme", "oauth2"),
        ("GitHub", "github"),
        ("Google", "google-oauth2"),
    ] {
        assert!(
            list.contains(&format!(r#">{display_name}</a>"#))
                && list.contains(&format!(r#"<td class="mono">{strategy}</td>"#)),
            "{list}"
        );
    }
}
