//! Property tests: the parsers never panic on arbitrary input, what is encoded parses back to
//! the same value, and a redirect URI only ever matches its exact registered string.

use crate::common::*;
use proptest::prelude::*;
use tessera_protocol::authorize::{requested_audience, trusted_redirect, validate};
use tessera_protocol::client_auth::client_credentials;
use tessera_protocol::params::{DecodeError, Params};
use tessera_protocol::token::{parse_token_request, TokenRequest};
use tessera_protocol::RedirectUri;

const CONTENT_TYPES: [&str; 5] = [
    "application/x-www-form-urlencoded",
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "",
];

fn form_encode(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// Names and values with anything in them: NUL, `&`, `=`, `+`, `%`, non-ASCII.
fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((any::<String>(), any::<String>()), 0..8)
}

/// A non-empty value (the parsers treat an empty value as omitted, RFC 6749 §3.1).
fn value() -> impl Strategy<Value = String> {
    any::<String>().prop_filter("non-empty", |s| !s.is_empty())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn query_decoding_never_panics(query in any::<String>()) {
        let _ = Params::from_query(Some(&query));
    }

    #[test]
    fn body_decoding_never_panics(
        body in prop::collection::vec(any::<u8>(), 0..512),
        content_type in prop::sample::select(CONTENT_TYPES.to_vec()),
    ) {
        let _ = Params::from_body(Some(content_type), &body);
    }

    #[test]
    fn json_shaped_bodies_never_panic(body in r#"\{("[a-z_]{0,8}":([0-9.e+-]{1,6}|"[^"\\]{0,8}"|\[\]|\{\}|null|true),?){0,5}\}?"#) {
        let _ = Params::from_body(Some("application/json"), body.as_bytes());
    }

    #[test]
    fn form_encoded_pairs_decode_to_the_same_pairs(pairs in pairs()) {
        let encoded = form_encode(&pairs);
        let decoded = Params::from_query(Some(&encoded)).unwrap();
        let expected = pairs;
        prop_assert_eq!(decoded.pairs(), expected.as_slice());
        let body = Params::from_body(Some(CONTENT_TYPES[0]), encoded.as_bytes()).unwrap();
        prop_assert_eq!(body.pairs(), expected.as_slice());
    }

    #[test]
    fn json_objects_of_strings_decode_to_the_same_pairs(
        object in prop::collection::btree_map(any::<String>(), any::<String>(), 0..8)
    ) {
        let body = serde_json::to_vec(&object).unwrap();
        let decoded = Params::from_body(Some("application/json"), &body).unwrap();
        let expected: Vec<_> = object.into_iter().collect();
        prop_assert_eq!(decoded.pairs(), expected.as_slice());
    }

    #[test]
    fn percent_encoded_bytes_that_are_not_utf8_are_refused(prefix in "[a-z]{0,4}", bad in 0x80u8..=0xBF) {
        // A lone continuation byte is never valid UTF-8.
        let query = format!("state={prefix}%{bad:02X}");
        prop_assert_eq!(Params::from_query(Some(&query)), Err(DecodeError::NotUtf8("query string")));
    }

    #[test]
    fn token_request_parsing_never_panics(pairs in pairs(), authorization in any::<Option<String>>()) {
        let params = Params::new(pairs);
        let _ = parse_token_request(&params);
        let _ = client_credentials(authorization.as_deref(), &params);
    }

    #[test]
    fn authorization_code_request_round_trips(
        code in value(),
        redirect_uri in any::<Option<String>>().prop_map(|v| v.filter(|s| !s.is_empty())),
        code_verifier in any::<Option<String>>().prop_map(|v| v.filter(|s| !s.is_empty())),
    ) {
        let mut pairs = vec![("grant_type".to_owned(), "authorization_code".to_owned()), ("code".to_owned(), code.clone())];
        pairs.extend(redirect_uri.clone().map(|v| ("redirect_uri".to_owned(), v)));
        pairs.extend(code_verifier.clone().map(|v| ("code_verifier".to_owned(), v)));
        let params = Params::from_query(Some(&form_encode(&pairs))).unwrap();
        prop_assert_eq!(
            parse_token_request(&params).unwrap(),
            TokenRequest::AuthorizationCode { code, redirect_uri, code_verifier }
        );
    }

    #[test]
    fn any_repeated_parameter_is_found(pairs in pairs(), name in "[a-z_]{1,12}", a in value(), b in value()) {
        let mut pairs = pairs;
        pairs.push((name.clone(), a));
        pairs.push((name, b));
        prop_assert!(Params::new(pairs).any_repeated().is_some());
    }

    #[test]
    fn authorize_parsing_never_panics(pairs in pairs()) {
        let params = Params::new(pairs);
        let client = client();
        if let Ok(redirect) = trusted_redirect(&params, Some(&client)) {
            let api = api();
            let _ = requested_audience(&params, Some(API_ID));
            let _ = validate(&params, &client, redirect, Some(API_ID), Some(&api));
        }
    }

    /// RFC 9700 §4.1.3: exact string matching — no prefix, suffix, case, port, userinfo or
    /// encoding leniency, whatever the change.
    #[test]
    fn redirect_uri_matches_only_its_exact_string(requested in any::<String>(), suffix in ".{1,8}") {
        let registered = RedirectUri::parse(CALLBACK).unwrap();
        prop_assert_eq!(registered.matches(&requested), requested == CALLBACK);
        let longer = format!("{CALLBACK}{suffix}");
        prop_assert!(!registered.matches(&longer));
        let params = crate::common::params(&[("client_id", CLIENT_ID), ("redirect_uri", &longer)]);
        prop_assert!(trusted_redirect(&params, Some(&client())).is_err());
    }

    #[test]
    fn redirect_uri_matching_refuses_every_single_character_edit(at in 0usize..CALLBACK.len(), with in any::<char>()) {
        let registered = RedirectUri::parse(CALLBACK).unwrap();
        let mut edited: Vec<char> = CALLBACK.chars().collect();
        let original = edited[at];
        edited[at] = with;
        let edited: String = edited.into_iter().collect();
        prop_assert_eq!(registered.matches(&edited), with == original);
        let mut removed: Vec<char> = CALLBACK.chars().collect();
        removed.remove(at);
        prop_assert!(!registered.matches(&removed.into_iter().collect::<String>()));
    }

    #[test]
    fn redirect_uri_parsing_never_panics(value in any::<String>()) {
        if let Ok(uri) = RedirectUri::parse(&value) {
            prop_assert_eq!(uri.as_str(), value.as_str());
            prop_assert!(uri.matches(&value));
        }
    }
}
