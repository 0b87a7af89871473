//! `/api/v2/branding` and the hosted pages' style sheet and favicon that carry it.

use reqwest::StatusCode;
use serde_json::json;

use crate::management::{expect_status, Mgmt};
use crate::support::*;

async fn style_sheet(server: &TestServer) -> String {
    let response = http()
        .get(server.url("/u/branding.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "content-type").as_deref(),
        Some("text/css; charset=utf-8")
    );
    response.text().await.unwrap()
}

#[tokio::test]
async fn branding_set_through_the_api_styles_every_hosted_page() {
    let mgmt = Mgmt::start().await;
    let server = &mgmt.server;
    assert_eq!(mgmt.get_ok("/api/v2/branding").await, json!({}));
    assert_eq!(
        style_sheet(server).await,
        "",
        "no branding: Tessera's own look"
    );
    let favicon = http().get(server.url("/u/favicon")).send().await.unwrap();
    assert_eq!(favicon.status(), StatusCode::NOT_FOUND);

    let set = mgmt
        .patch(
            "/api/v2/branding",
            json!({
                "colors": { "primary": "#0059d6", "page_background": "#101820" },
                "logo_url": "https://cdn.example.com/logo.png",
                "favicon_url": "https://cdn.example.com/favicon.ico",
                "font": { "url": "https://cdn.example.com/brand.woff2" },
            }),
        )
        .await;
    let branding = expect_status(set, StatusCode::OK).await;
    assert_eq!(branding["colors"]["primary"], "#0059d6");
    assert_eq!(mgmt.get_ok("/api/v2/branding").await, branding);

    let css = style_sheet(server).await;
    assert!(css.contains("--accent: #0059d6"), "{css}");
    assert!(css.contains("--bg: #101820"), "{css}");
    assert!(
        css.contains(r#"url("https://cdn.example.com/logo.png")"#),
        "{css}"
    );
    assert!(
        css.contains(r#"url("https://cdn.example.com/brand.woff2")"#),
        "{css}"
    );
    let favicon = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(server.url("/u/favicon"))
        .send()
        .await
        .unwrap();
    assert_eq!(favicon.status(), StatusCode::FOUND);
    assert_eq!(location(&favicon), "https://cdn.example.com/favicon.ico");

    // The login page links the sheet, and its CSP lets it load the logo and the font.
    let browser = Browser::new();
    let authorize = server.authorize_url(&[]);
    let base = reqwest::Url::parse(&authorize).unwrap();
    let (page, _) = browser.follow(browser.get(&authorize).await, &base).await;
    let csp = header(&page, "content-security-policy").unwrap();
    assert!(
        csp.contains("style-src 'self'") && csp.contains("img-src 'self' data: https:"),
        "{csp}"
    );
    assert!(
        csp.contains("font-src https:") && !csp.contains("script-src"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains(r#"<link rel="stylesheet" href="/u/branding.css">"#),
        "{html}"
    );
    assert!(html.contains(r#"class="logo""#), "{html}");

    // A null removes one setting; the others stay.
    let changed = mgmt
        .patch(
            "/api/v2/branding",
            json!({ "logo_url": null, "colors": { "primary": "#fff" } }),
        )
        .await;
    let branding = expect_status(changed, StatusCode::OK).await;
    assert_eq!(branding.get("logo_url"), None);
    assert_eq!(
        branding["colors"],
        json!({ "primary": "#fff", "page_background": "#101820" })
    );
    assert!(!style_sheet(server).await.contains("logo.png"));
}

#[tokio::test]
async fn branding_values_that_could_break_out_of_the_style_sheet_are_refused() {
    let mgmt = Mgmt::start().await;
    for bad in [
        json!({ "colors": { "primary": "red;} body { display: none" } }),
        json!({ "colors": { "page_background": "#12345" } }),
        json!({ "logo_url": "http://cdn.example.com/logo.png" }),
        json!({ "logo_url": "https://cdn.example.com/a\");} body{display:none} .x{a:url(\"" }),
        json!({ "font": { "url": "javascript:alert(1)" } }),
        json!({ "colour": "#fff" }),
    ] {
        let refused = mgmt.patch("/api/v2/branding", bad.clone()).await;
        let body = expect_status(refused, StatusCode::BAD_REQUEST).await;
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("Payload validation error"),
            "{bad}: {body}"
        );
    }
    assert_eq!(
        mgmt.get_ok("/api/v2/branding").await,
        json!({}),
        "nothing was stored"
    );
}

/// The `<img>` an application's `logo_uri` puts above the heading of its hosted pages.
fn app_logo(html: &str) -> Option<&str> {
    let start = html.find(r#"<img class="app-logo""#)?;
    let end = html[start..].find('>')? + 1;
    Some(&html[start..start + end])
}

#[tokio::test]
async fn an_applications_logo_uri_is_shown_on_its_hosted_pages_and_none_without() {
    let mgmt = Mgmt::start().await;
    let server = &mgmt.server;
    let authorize = server.authorize_url(&[]);
    let base = reqwest::Url::parse(&authorize).unwrap();

    // Without a logo: no image.
    let browser = Browser::new();
    let (page, url) = browser.follow(browser.get(&authorize).await, &base).await;
    assert_eq!(url.path(), "/u/login");
    let html = page.text().await.unwrap();
    assert_eq!(app_logo(&html), None, "{html}");
    assert!(!html.contains("app-logo\""), "{html}");

    let logo = "https://cdn.example.com/app.png?v=1&size=150";
    let path = format!("/api/v2/clients/{CLIENT_ID}");
    let set = mgmt.patch(&path, json!({ "logo_uri": logo })).await;
    expect_status(set, StatusCode::OK).await;

    let browser = Browser::new();
    let (page, url) = browser.follow(browser.get(&authorize).await, &base).await;
    assert_eq!(url.path(), "/u/login");
    let html = page.text().await.unwrap();
    let img = app_logo(&html).unwrap_or_else(|| panic!("a logo on the login page: {html}"));
    assert!(
        img.starts_with(r#"<img class="app-logo" src="https://cdn.example.com/app.png?v=1&"#)
            && img.ends_with(r#"size=150" alt="" width="64" height="64">"#)
            && !img.contains("v=1&size"),
        "the URL, its & escaped: {img}"
    );
    assert!(
        html.find("app-logo\" src") < html.find("<h1>"),
        "above the heading: {html}"
    );

    // The sign-up and "Forgot password?" pages of the same authorization show it too.
    let state = form_value(&html, "state").unwrap();
    for page_path in ["/u/signup", "/u/reset-password/request"] {
        let page = browser
            .get(&server.url(&format!("{page_path}?state={state}")))
            .await;
        assert_eq!(page.status(), StatusCode::OK, "{page_path}");
        let html = page.text().await.unwrap();
        assert_eq!(app_logo(&html), Some(img), "{page_path}: {html}");
    }

    // And so does the consent page after logging in.
    let login = browser.submit_login(&url, &html, USERNAME, PASSWORD).await;
    let (consent, consent_url) = browser.follow(login, &url).await;
    assert_eq!(consent_url.path(), "/u/consent");
    let html = consent.text().await.unwrap();
    assert_eq!(app_logo(&html), Some(img), "{html}");

    // Removed: gone from the pages.
    let removed = mgmt.patch(&path, json!({ "logo_uri": null })).await;
    expect_status(removed, StatusCode::OK).await;
    let browser = Browser::new();
    let (page, _) = browser.follow(browser.get(&authorize).await, &base).await;
    let html = page.text().await.unwrap();
    assert_eq!(app_logo(&html), None, "{html}");
}
