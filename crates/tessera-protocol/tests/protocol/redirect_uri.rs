use crate::common::{client_with, uri, CALLBACK};
use tessera_protocol::redirect_uri::{encode_params, InvalidRedirectUri};
use tessera_protocol::{AppType, GrantType, RedirectUri};
use url::Url;

const REGISTERED: &str = "https://app.example.com/callback";

fn refuses(requested: &str) {
    let registered = uri(REGISTERED);
    assert!(
        !registered.matches(requested),
        "{requested} must not match {REGISTERED}"
    );
    assert!(client_with(&[REGISTERED], &GrantType::ALL)
        .callback(requested)
        .is_none());
}

fn query_pairs(location: &str) -> Vec<(String, String)> {
    Url::parse(location)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[test]
fn redirect_uri_accepts_absolute_uris() {
    for value in [
        "https://app.example.com/callback",
        "http://localhost:3000/callback",
        "https://app.example.com/cb?tenant=acme",
        "com.example.app:/oauth2redirect",
    ] {
        assert_eq!(RedirectUri::parse(value).unwrap().as_str(), value);
    }
}

#[test]
fn redirect_uri_must_be_absolute() {
    for value in [
        "/callback",
        "callback",
        "//app.example.com/callback",
        "",
        "app.example.com/cb",
    ] {
        assert_eq!(
            RedirectUri::parse(value),
            Err(InvalidRedirectUri::NotAbsolute),
            "{value:?}"
        );
    }
}

#[test]
fn redirect_uri_cannot_be_a_base_uri_is_not_absolute() {
    for value in [
        "mailto:user@example.com",
        "urn:ietf:wg:oauth:2.0:oob",
        "data:text/plain,hi",
    ] {
        assert_eq!(
            RedirectUri::parse(value),
            Err(InvalidRedirectUri::NotAbsolute),
            "{value:?}"
        );
    }
}

#[test]
fn redirect_uri_must_not_contain_a_fragment() {
    for value in [
        "https://app.example.com/callback#frag",
        "https://app.example.com/callback#",
    ] {
        assert_eq!(
            RedirectUri::parse(value),
            Err(InvalidRedirectUri::HasFragment),
            "{value:?}"
        );
    }
}

#[test]
fn redirect_uri_error_messages() {
    assert_eq!(
        InvalidRedirectUri::NotAbsolute.to_string(),
        "redirect_uri must be an absolute URI"
    );
    assert_eq!(
        InvalidRedirectUri::HasFragment.to_string(),
        "redirect_uri must not contain a fragment"
    );
}

#[test]
fn redirect_uri_is_kept_byte_for_byte() {
    let value = "HTTPS://App.Example.com:443/Call%62ack?b=2&a=1";
    let parsed = uri(value);
    assert_eq!(parsed.as_str(), value);
    assert_eq!(parsed.to_string(), value);
}

#[test]
fn redirect_uri_match_is_exact_string_comparison() {
    let registered = uri(REGISTERED);
    assert!(registered.matches(REGISTERED));
    let client = client_with(
        &["https://other.example.com/cb", REGISTERED],
        &GrantType::ALL,
    );
    assert_eq!(client.callback(REGISTERED), Some(uri(REGISTERED)));
}

#[test]
fn redirect_uri_match_refuses_prefix() {
    refuses("https://app.example.com/call");
    refuses("https://app.example.com/");
    refuses("https://app.example.com");
}

#[test]
fn redirect_uri_match_refuses_suffix() {
    refuses("https://app.example.com/callback/evil");
    refuses("https://app.example.com/callback.evil.com");
    refuses("https://app.example.com/callback?next=https://evil.com");
    refuses("https://app.example.com/callback#x");
}

#[test]
fn redirect_uri_match_refuses_trailing_slash() {
    refuses("https://app.example.com/callback/");
    let registered_with_slash = uri("https://app.example.com/callback/");
    assert!(!registered_with_slash.matches(REGISTERED));
}

#[test]
fn redirect_uri_match_refuses_case_variants() {
    refuses("HTTPS://app.example.com/callback");
    refuses("https://APP.example.com/callback");
    refuses("https://app.example.com/Callback");
}

#[test]
fn redirect_uri_match_refuses_port_variants() {
    refuses("https://app.example.com:443/callback");
    refuses("https://app.example.com:8443/callback");
    let with_port = uri("http://localhost:3000/callback");
    assert!(!with_port.matches("http://localhost/callback"));
    assert!(!with_port.matches("http://localhost:3001/callback"));
}

#[test]
fn redirect_uri_match_refuses_userinfo_variants() {
    refuses("https://user@app.example.com/callback");
    refuses("https://user:pass@app.example.com/callback");
    refuses("https://app.example.com@evil.example.com/callback");
}

#[test]
fn redirect_uri_match_refuses_percent_encoding_variants() {
    refuses("https://app.example.com/%63allback");
    refuses("https://app.example.com/callbac%6B");
    refuses("https://app.example.com/callback%2F");
    let encoded = uri("https://app.example.com/a%2Fb");
    assert!(!encoded.matches("https://app.example.com/a%2fb"));
    assert!(!encoded.matches("https://app.example.com/a/b"));
}

#[test]
fn redirect_uri_match_refuses_scheme_and_whitespace_variants() {
    refuses("http://app.example.com/callback");
    refuses(" https://app.example.com/callback");
    refuses("https://app.example.com/callback ");
    refuses("https://app.example.com./callback");
}

#[test]
fn redirect_uri_with_query_appends_params() {
    let location = uri(CALLBACK).with_query(&[("code", "abc"), ("state", "xyz")]);
    assert_eq!(
        location,
        "https://app.example.com/callback?code=abc&state=xyz"
    );
}

#[test]
fn redirect_uri_with_query_keeps_existing_query() {
    let location = uri("https://app.example.com/cb?tenant=acme&x=1").with_query(&[("code", "abc")]);
    assert_eq!(
        location,
        "https://app.example.com/cb?tenant=acme&x=1&code=abc"
    );
}

#[test]
fn redirect_uri_with_query_on_empty_query_adds_no_stray_ampersand() {
    let location = uri("https://app.example.com/cb?").with_query(&[("code", "abc")]);
    assert_eq!(location, "https://app.example.com/cb?code=abc");
}

#[test]
fn redirect_uri_with_query_encodes_state_round_trippable() {
    let states = [
        "plain",
        "a b+c&d=e",
        "%41%zz%",
        "#frag?q/x;y,z",
        "caf\u{e9} \u{1F600} \"quoted\" 'single' <tag>",
        "\\back\\slash\ttab\nnewline",
        "==base64/+pad==",
    ];
    for state in states {
        let location = uri("https://app.example.com/cb?tenant=acme")
            .with_query(&[("code", "c0de"), ("state", state)]);
        let parsed = Url::parse(&location).unwrap();
        assert_eq!(
            parsed.fragment(),
            None,
            "state {state:?} leaked into a fragment"
        );
        assert_eq!(
            query_pairs(&location),
            [
                ("tenant".to_owned(), "acme".to_owned()),
                ("code".to_owned(), "c0de".to_owned()),
                ("state".to_owned(), state.to_owned()),
            ],
            "state {state:?} via {location}"
        );
    }
}

#[test]
fn redirect_uri_with_query_encodes_error_description() {
    let location = uri(CALLBACK).with_query(&[
        ("error", "invalid_scope"),
        ("error_description", "scope `x` is unknown & bad"),
    ]);
    assert_eq!(
        location,
        "https://app.example.com/callback?error=invalid_scope&error_description=scope%20%60x%60%20is%20unknown%20%26%20bad"
    );
}

#[test]
fn redirect_uri_serde_round_trip() {
    let value = uri(CALLBACK);
    let json = serde_json::to_string(&value).unwrap();
    assert_eq!(json, format!("\"{CALLBACK}\""));
    assert_eq!(serde_json::from_str::<RedirectUri>(&json).unwrap(), value);
}

#[test]
fn redirect_uri_deserialize_validates() {
    assert!(serde_json::from_str::<RedirectUri>("\"/relative\"").is_err());
    assert!(serde_json::from_str::<RedirectUri>("\"https://a.example.com/cb#f\"").is_err());
}

/// RFC 3986 URIs cannot contain whitespace or control characters; the WHATWG parser used by
/// `parse` silently strips them, so the stored string (matched exactly) and the URL that
/// `with_query` redirects to differ (`https://a.example.com/c\tb` redirects to `.../cb`).
#[test]
fn redirect_uri_rejects_whitespace_and_control_characters() {
    for value in [
        " https://app.example.com/callback",
        "https://app.example.com/callback ",
        "https://app.example.com/call\tback",
        "https://app.example.com/call\nback",
    ] {
        assert_eq!(
            RedirectUri::parse(value),
            Err(InvalidRedirectUri::NotAbsolute),
            "{value:?}"
        );
    }
}

#[test]
fn redirect_uri_with_query_keeps_the_registered_uri_verbatim() {
    assert_eq!(
        uri("HTTPS://App.Example.com:443/cb").with_query(&[("code", "x")]),
        "HTTPS://App.Example.com:443/cb?code=x"
    );
    assert_eq!(
        uri("https://app.example.com/cb?tenant=a").with_query(&[("code", "x")]),
        "https://app.example.com/cb?tenant=a&code=x"
    );
}

#[test]
fn redirect_uri_with_query_encodes_state_with_percent20_not_plus() {
    let location = uri("https://app.example.com/cb").with_query(&[("state", "a b+c/é")]);
    assert_eq!(
        location,
        "https://app.example.com/cb?state=a%20b%2Bc%2F%C3%A9"
    );
    let parsed = url::Url::parse(&location).unwrap();
    let state: Vec<_> = parsed.query_pairs().collect();
    assert_eq!(state[0].1, "a b+c/é");
}

#[test]
fn redirect_uri_with_fragment_puts_params_after_hash() {
    let location = uri(CALLBACK).with_fragment(&[
        ("access_token", "at.x.y"),
        ("token_type", "Bearer"),
        ("state", "a b+c/\u{e9}"),
    ]);
    assert_eq!(
        location,
        "https://app.example.com/callback#access_token=at.x.y&token_type=Bearer&state=a%20b%2Bc%2F%C3%A9"
    );
    let parsed = Url::parse(&location).unwrap();
    assert_eq!(parsed.query(), None, "tokens must not travel in the query");
    let fragment = parsed.fragment().unwrap();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(fragment.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("access_token".to_owned(), "at.x.y".to_owned()),
            ("token_type".to_owned(), "Bearer".to_owned()),
            ("state".to_owned(), "a b+c/\u{e9}".to_owned()),
        ]
    );
}

#[test]
fn redirect_uri_with_fragment_keeps_the_base_verbatim() {
    assert_eq!(
        uri("HTTPS://App.Example.com:443/cb").with_fragment(&[("id_token", "x")]),
        "HTTPS://App.Example.com:443/cb#id_token=x"
    );
    // An existing query stays in the query; the parameters go to the fragment only.
    assert_eq!(
        uri("https://app.example.com/cb?tenant=acme").with_fragment(&[("access_token", "x")]),
        "https://app.example.com/cb?tenant=acme#access_token=x"
    );
    assert_eq!(
        uri("https://app.example.com/cb?").with_fragment(&[("error", "access_denied")]),
        "https://app.example.com/cb?#error=access_denied"
    );
}

#[test]
fn encode_params_encodes_spaces_as_percent20_never_plus() {
    assert_eq!(
        encode_params(&[("error_description", "a b+c")]),
        "error_description=a%20b%2Bc"
    );
    assert!(!encode_params(&[("state", "  ")]).contains('+'));
}

#[test]
fn encode_params_keeps_only_unreserved_characters_literal() {
    assert_eq!(
        encode_params(&[("k", "AZaz09-._~"), ("x y", "&=#?/%:")]),
        "k=AZaz09-._~&x%20y=%26%3D%23%3F%2F%25%3A"
    );
    assert_eq!(encode_params(&[]), "");
    assert_eq!(encode_params(&[("empty", "")]), "empty=");
}

fn native_with(callbacks: &[&str]) -> tessera_protocol::RegisteredClient {
    let mut client = client_with(callbacks, &GrantType::ALL);
    client.app_type = AppType::Native;
    client
}

/// RFC 8252 §7.3: "The authorization server MUST allow any port to be specified at the time of
/// the request for loopback IP redirect URIs"; the redirect goes to the requested port.
#[test]
fn native_app_loopback_ip_callback_matches_any_port() {
    let client = native_with(&["http://127.0.0.1/callback", "http://[::1]:8080/cb?x=1"]);
    for requested in [
        "http://127.0.0.1/callback",
        "http://127.0.0.1:51004/callback",
        "http://127.0.0.1:1/callback",
        "http://127.0.0.1:65535/callback",
        "http://[::1]:8080/cb?x=1",
        "http://[::1]:61023/cb?x=1",
        "http://[::1]/cb?x=1",
    ] {
        assert_eq!(
            client.callback(requested),
            Some(uri(requested)),
            "{requested}"
        );
    }
}

#[test]
fn native_app_loopback_port_leniency_keeps_everything_else_exact() {
    let client = native_with(&["http://127.0.0.1:3000/callback"]);
    for requested in [
        "http://127.0.0.1:3001/callback/",
        "http://127.0.0.1:3001/Callback",
        "http://127.0.0.1:3001/callback?x=1",
        "http://127.0.0.1:3001/callbackx",
        "http://127.0.0.1:/callback",
        "http://127.0.0.1:0/callback",
        "http://127.0.0.1:70000/callback",
        "http://127.0.0.1:3001.evil.com/callback",
        "http://127.0.0.1.evil.com/callback",
        "http://127.0.0.1:3001@evil.com/callback",
        "http://evil.com@127.0.0.1:3001/callback",
        "https://127.0.0.1:3001/callback",
        "HTTP://127.0.0.1:3001/callback",
        "http://[::1]:3001/callback",
        "http://localhost:3001/callback",
        "http://127.0.0.2:3001/callback",
        "http://127.0.0.1:3001/call\tback",
        "http://127.0.0.1:3001/callback#x",
    ] {
        assert_eq!(client.callback(requested), None, "{requested}");
    }
}

/// `localhost` is a name, not a loopback IP literal (RFC 8252 §8.3); it stays exact, as at
/// Auth0. Web apps (not native) keep exact ports on loopback IPs too: a port of a developer's
/// machine is not the app's to vary.
#[test]
fn loopback_port_leniency_is_only_for_native_apps_and_ip_literals() {
    let native = native_with(&["http://localhost:3000/callback"]);
    assert_eq!(native.callback("http://localhost:3001/callback"), None);
    assert_eq!(
        native.callback("http://localhost:3000/callback"),
        Some(uri("http://localhost:3000/callback"))
    );
    for app_type in [AppType::RegularWeb, AppType::Spa, AppType::NonInteractive] {
        let mut web = client_with(&["http://127.0.0.1:3000/callback"], &GrantType::ALL);
        web.app_type = app_type;
        assert_eq!(
            web.callback("http://127.0.0.1:3001/callback"),
            None,
            "{app_type:?}"
        );
    }
}
