//! The hosted pages' languages: `ui_locales` on `/authorize` first, then `Accept-Language`,
//! among the catalogues Tessera has (English, German, French, Spanish, Arabic); right-to-left
//! for Arabic; Rust-made texts (errors, the password policy) translated too.

use std::collections::HashMap;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT_LANGUAGE};
use reqwest::{redirect, StatusCode};
use serde_json::Value;

use crate::support::*;

fn catalogue(tag: &str) -> HashMap<String, String> {
    let path = format!(
        "{}/../tessera-server/locales/{tag}.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A browser that says `accept_language`.
fn browser_speaking(accept_language: Option<&str>) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    if let Some(languages) = accept_language {
        headers.insert(ACCEPT_LANGUAGE, HeaderValue::from_str(languages).unwrap());
    }
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::limited(5))
        .default_headers(headers)
        .build()
        .unwrap()
}

/// The page `/authorize` (with `extra` parameters) leads to, and its URL.
async fn first_page(
    server: &TestServer,
    browser: &reqwest::Client,
    extra: &[(&str, &str)],
) -> (String, reqwest::Url) {
    let response = browser
        .get(server.authorize_url(extra))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let url = response.url().clone();
    (response.text().await.unwrap(), url)
}

fn lang_and_dir(html: &str) -> (String, String) {
    let tag = html
        .split("<html ")
        .nth(1)
        .unwrap()
        .split('>')
        .next()
        .unwrap();
    let attribute = |name: &str| {
        tag.split(&format!("{name}=\""))
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned()
    };
    (attribute("lang"), attribute("dir"))
}

#[tokio::test]
async fn ui_locales_then_accept_language_choose_the_language_of_the_login_page() {
    let server = TestServer::start().await;
    let german = catalogue("de");
    let french = catalogue("fr");

    let (html, _) = first_page(&server, &browser_speaking(None), &[]).await;
    assert_eq!(lang_and_dir(&html), ("en".to_owned(), "ltr".to_owned()));
    assert!(html.contains("Forgot password?"));

    let (html, _) = first_page(
        &server,
        &browser_speaking(Some("fr-CH, fr;q=0.9, en;q=0.8")),
        &[],
    )
    .await;
    assert_eq!(lang_and_dir(&html).0, "fr");
    assert!(
        html_unescape(&html).contains(french["Forgot password?"].as_str()),
        "{html}"
    );

    // ui_locales wins over the browser's languages, and is kept for the whole login.
    let browser = browser_speaking(Some("fr"));
    let (html, url) = first_page(&server, &browser, &[("ui_locales", "de-AT en")]).await;
    assert_eq!(lang_and_dir(&html).0, "de");
    assert!(
        html_unescape(&html).contains(german["Username or email address"].as_str()),
        "{html}"
    );
    let state = form_value(&html, "state").unwrap();
    let csrf = form_value(&html, "csrf_token").unwrap();
    let wrong = browser
        .post(url.join("/u/login").unwrap())
        .form(&[
            ("state", state.as_str()),
            ("csrf_token", csrf.as_str()),
            ("username", USERNAME),
            ("password", "not it"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let html = wrong.text().await.unwrap();
    assert!(
        html_unescape(&html).contains(german["Wrong username or password."].as_str()),
        "{html}"
    );

    // A language Tessera does not speak: English.
    let (html, _) = first_page(&server, &browser_speaking(Some("ja, tlh")), &[]).await;
    assert_eq!(lang_and_dir(&html).0, "en");
}

#[tokio::test]
async fn arabic_pages_are_right_to_left_and_the_password_policy_is_translated() {
    let server = TestServer::start().await;
    let arabic = catalogue("ar");
    let spanish = catalogue("es");
    let (html, _) = first_page(&server, &browser_speaking(None), &[("ui_locales", "ar")]).await;
    assert_eq!(lang_and_dir(&html), ("ar".to_owned(), "rtl".to_owned()));
    assert!(
        html_unescape(&html).contains(arabic["Welcome"].as_str()),
        "{html}"
    );

    // The sign-up page's policy and a refusal, in Spanish.
    let browser = browser_speaking(Some("es"));
    let (html, url) = first_page(&server, &browser, &[("screen_hint", "signup")]).await;
    assert_eq!(url.path(), "/u/signup");
    let at_least = spanish["At least %d characters in length"].replace("%d", "8");
    assert!(html_unescape(&html).contains(at_least.as_str()), "{html}");
    let state = form_value(&html, "state").unwrap();
    let csrf = form_value(&html, "csrf_token").unwrap();
    let refused = browser
        .post(url.join("/u/signup").unwrap())
        .form(&[
            ("state", state.as_str()),
            ("csrf_token", csrf.as_str()),
            ("email", "sol@example.com"),
            ("password", "password1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let html = refused.text().await.unwrap();
    assert!(
        html_unescape(&html).contains(spanish["Password is too common."].as_str()),
        "{html}"
    );
}

#[tokio::test]
async fn discovery_lists_the_languages_of_the_hosted_pages() {
    let server = TestServer::start().await;
    let discovery: Value = http()
        .get(server.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        discovery["ui_locales_supported"],
        serde_json::json!(["en", "de", "fr", "es", "ar"])
    );
}
