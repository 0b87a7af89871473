//! Redirection endpoints (RFC 6749 §3.1.2): absolute URIs without a fragment, matched exactly.

use std::fmt;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::Url;

/// A redirect URI as registered or requested, kept byte for byte as given.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RedirectUri(String);

/// Why a string cannot be a redirect URI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRedirectUri {
    #[error("redirect_uri must be an absolute URI")]
    NotAbsolute,
    #[error("redirect_uri must not contain a fragment")]
    HasFragment,
}

impl RedirectUri {
    /// RFC 6749 §3.1.2: the redirection endpoint URI MUST be an absolute URI and MUST NOT
    /// include a fragment component.
    pub fn parse(value: &str) -> Result<RedirectUri, InvalidRedirectUri> {
        // The URL parser silently strips whitespace and control characters; the registered
        // string and the one we redirect to must be the same, so they are refused instead.
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InvalidRedirectUri::NotAbsolute);
        }
        let url = Url::parse(value).map_err(|_| InvalidRedirectUri::NotAbsolute)?;
        if url.cannot_be_a_base() {
            return Err(InvalidRedirectUri::NotAbsolute);
        }
        if value.contains('#') {
            return Err(InvalidRedirectUri::HasFragment);
        }
        Ok(RedirectUri(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether it points at this machine (`localhost`, loopback addresses).
    pub fn is_local(&self) -> bool {
        match Url::parse(&self.0)
            .ok()
            .and_then(|u| u.host().map(|h| h.to_owned()))
        {
            Some(url::Host::Domain(domain)) => {
                domain == "localhost" || domain.ends_with(".localhost")
            }
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
    }

    /// Exact string comparison (RFC 9700 §4.1.3): no prefix, suffix, case or port leniency.
    pub fn matches(&self, requested: &str) -> bool {
        self.0 == requested
    }

    /// RFC 8252 §7.3 (required by RFC 9700 §2.1 for native apps): a loopback IP redirect URI
    /// (`http://127.0.0.1` or `http://[::1]`) matches whatever port the app listens on at the
    /// time of the request; the rest of the URI is still compared byte for byte. `localhost`
    /// is not a loopback IP literal (RFC 8252 §8.3: a name can resolve elsewhere), so it keeps
    /// exact matching, as at Auth0.
    pub fn matches_loopback_any_port(&self, requested: &str) -> bool {
        match (loopback_parts(&self.0), loopback_parts(requested)) {
            (Some(registered), Some(asked)) => registered == asked,
            _ => false,
        }
    }

    /// This URI with `params` appended to its query, keeping any query it already has
    /// (RFC 6749 §3.1.2: the endpoint URI MAY include a query component, which MUST be
    /// retained). Values are percent-encoded (spaces as `%20`, never `+`), so any URL parser
    /// gives back the exact bytes, `state` included.
    pub fn with_query(&self, params: &[(&str, &str)]) -> String {
        let base = self.0.as_str();
        let separator = match base.find('?') {
            None => "?",
            Some(_) if base.ends_with('?') || base.ends_with('&') => "",
            Some(_) => "&",
        };
        format!("{base}{separator}{}", encode_params(params))
    }

    /// This URI with `params` in its fragment (OAuth 2.0 Multiple Response Types §2): for
    /// tokens, which must never travel in a query string.
    pub fn with_fragment(&self, params: &[(&str, &str)]) -> String {
        format!("{}#{}", self.0, encode_params(params))
    }
}

/// The IP literal and what follows the port of an `http` loopback IP URI, or `None` for any
/// other URI (a host that merely starts with `127.0.0.1`, userinfo, an empty or zero port).
fn loopback_parts(uri: &str) -> Option<(&str, &str)> {
    let authority = uri.strip_prefix("http://")?;
    let (host, after_host) = ["127.0.0.1", "[::1]"]
        .into_iter()
        .find_map(|ip| authority.strip_prefix(ip).map(|rest| (ip, rest)))?;
    let rest = match after_host.strip_prefix(':') {
        Some(port_and_rest) => {
            let end = port_and_rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(port_and_rest.len());
            port_and_rest[..end]
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)?;
            &port_and_rest[end..]
        }
        None => after_host,
    };
    (rest.is_empty() || rest.starts_with('/') || rest.starts_with('?')).then_some((host, rest))
}

/// `name=value&…`, percent-encoded (spaces as `%20`, never `+`).
pub fn encode_params(params: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(128);
    for (i, (name, value)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.extend(utf8_percent_encode(name, QUERY_VALUE));
        out.push('=');
        out.extend(utf8_percent_encode(value, QUERY_VALUE));
    }
    out
}

/// Everything but RFC 3986 unreserved characters is encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for RedirectUri {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RedirectUri {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        RedirectUri::parse(&text).map_err(serde::de::Error::custom)
    }
}
