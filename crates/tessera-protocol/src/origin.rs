//! Web origins (RFC 6454): what a browser sends in `Origin`, and what an application lists as
//! Auth0's "Allowed Web Origins" (`web_origins`: silent authentication by `web_message`) and
//! "Allowed Origins (CORS)" (`allowed_origins`).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::Url;

/// `scheme://host[:port]` of an http(s) URL, in the serialization browsers send (lowercase
/// host, default port left out), so that a registered origin and a request's `Origin` header
/// compare as strings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WebOrigin(String);

/// Why a string cannot be a web origin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidOrigin {
    #[error("an origin must be an http or https URL")]
    NotHttp,
    #[error("an origin has no path, query or fragment (only scheme, host and port)")]
    HasPath,
    #[error("wildcard origins are not supported; list each origin")]
    Wildcard,
}

impl WebOrigin {
    /// An origin as registered: an http(s) URL with nothing after the host and port (a single
    /// trailing `/` is tolerated, as Auth0's Dashboard does).
    pub fn parse(value: &str) -> Result<WebOrigin, InvalidOrigin> {
        if value.contains('*') {
            return Err(InvalidOrigin::Wildcard);
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InvalidOrigin::NotHttp);
        }
        let url = Url::parse(value).map_err(|_| InvalidOrigin::NotHttp)?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(InvalidOrigin::NotHttp);
        }
        let bare = value.strip_suffix('/').unwrap_or(value);
        if url.path() != "/"
            || url.query().is_some()
            || url.fragment().is_some()
            || bare.ends_with('/')
        {
            return Err(InvalidOrigin::HasPath);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(InvalidOrigin::HasPath);
        }
        Ok(WebOrigin(url.origin().ascii_serialization()))
    }

    /// The origin of a callback URL (Auth0 allows cross-origin requests from the origins of an
    /// application's callbacks); `None` for a non-http(s) callback (a native app's scheme).
    pub fn of_url(value: &str) -> Option<WebOrigin> {
        let url = Url::parse(value).ok()?;
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        Some(WebOrigin(url.origin().ascii_serialization()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a request's `Origin` header names this origin (browsers send it serialized
    /// exactly so).
    pub fn is(&self, header: &str) -> bool {
        self.0 == header
    }
}

impl fmt::Display for WebOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for WebOrigin {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for WebOrigin {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<WebOrigin, D::Error> {
        let value = String::deserialize(deserializer)?;
        WebOrigin::parse(&value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn origins_are_kept_as_browsers_send_them() {
        for (given, kept) in [
            ("https://app.example.com", "https://app.example.com"),
            ("https://app.example.com/", "https://app.example.com"),
            ("https://APP.example.com:443", "https://app.example.com"),
            ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
        ] {
            assert_eq!(WebOrigin::parse(given).unwrap().as_str(), kept, "{given}");
        }
    }

    #[test]
    fn anything_but_an_origin_is_refused() {
        for (given, why) in [
            ("https://app.example.com/callback", InvalidOrigin::HasPath),
            ("https://app.example.com//", InvalidOrigin::HasPath),
            ("https://app.example.com?x=1", InvalidOrigin::HasPath),
            ("https://user@app.example.com", InvalidOrigin::HasPath),
            ("https://*.example.com", InvalidOrigin::Wildcard),
            ("com.example.app://callback", InvalidOrigin::NotHttp),
            ("app.example.com", InvalidOrigin::NotHttp),
            ("", InvalidOrigin::NotHttp),
        ] {
            assert_eq!(WebOrigin::parse(given), Err(why), "{given}");
        }
    }

    #[test]
    fn a_callbacks_origin_is_its_scheme_host_and_port() {
        let origin = WebOrigin::of_url("https://app.example.com:8443/callback?x=1").unwrap();
        assert!(origin.is("https://app.example.com:8443"));
        assert!(!origin.is("https://app.example.com"));
        assert_eq!(WebOrigin::of_url("com.example.app:/callback"), None);
    }
}
