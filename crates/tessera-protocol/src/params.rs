//! Request parameters as received (query, form or JSON body), before they are typed: decoding
//! them from bytes lives here, free of HTTP types, so fuzzers and property tests reach it.

/// A parameter name that appeared more than once (RFC 6749 §3.1: parameters MUST NOT be
/// included more than once).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("parameter `{0}` was given more than once")]
pub struct RepeatedParam(pub String);

/// Name/value pairs in the order they arrived.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub fn new(pairs: Vec<(String, String)>) -> Params {
        Params { pairs }
    }

    /// The value of `name`. RFC 6749 §3.1: parameters sent without a value are treated as
    /// omitted; a repeated parameter is an error.
    pub fn get(&self, name: &str) -> Result<Option<&str>, RepeatedParam> {
        let mut found = None;
        for (key, value) in &self.pairs {
            if key == name && !value.is_empty() {
                if found.is_some() {
                    return Err(RepeatedParam(name.to_owned()));
                }
                found = Some(value.as_str());
            }
        }
        Ok(found)
    }

    /// Every pair but those named `name`, e.g. to carry a request's parameters into a form.
    pub fn pairs_except(&self, name: &str) -> Vec<(String, String)> {
        self.pairs
            .iter()
            .filter(|(key, _)| key != name)
            .cloned()
            .collect()
    }

    /// The first parameter, whatever its name, given more than once with a value.
    pub fn any_repeated(&self) -> Option<RepeatedParam> {
        let mut seen = std::collections::HashSet::new();
        self.pairs
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .find(|(key, _)| !seen.insert(key.as_str()))
            .map(|(key, _)| RepeatedParam(key.clone()))
    }

    /// The first parameter, among `names`, that is repeated.
    pub fn first_repeated(&self, names: &[&str]) -> Option<RepeatedParam> {
        names.iter().find_map(|name| self.get(name).err())
    }
}

/// Why a query string or request body could not be read as parameters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the {0} is not valid UTF-8 form encoding")]
    NotUtf8(&'static str),
    #[error("the body is not a JSON object")]
    NotJsonObject,
    #[error("the parameter `{0}` must be a string")]
    NotAString(String),
    #[error("the Content-Type header is missing; use application/x-www-form-urlencoded or application/json")]
    MissingContentType,
    #[error("Content-Type `{0}` is not supported; use application/x-www-form-urlencoded or application/json")]
    UnsupportedContentType(String),
}

impl Params {
    /// Parses a query string (`None` when the URL has none).
    pub fn from_query(query: Option<&str>) -> Result<Params, DecodeError> {
        decode_form(query.unwrap_or("").as_bytes(), "query string")
    }

    /// Parses a body as `application/x-www-form-urlencoded` or as a JSON object, as the
    /// `Content-Type` header value (if any) says.
    pub fn from_body(content_type: Option<&str>, body: &[u8]) -> Result<Params, DecodeError> {
        let media_type = content_type
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match media_type.as_str() {
            "application/x-www-form-urlencoded" => decode_form(body, "body"),
            "application/json" => decode_json(body),
            "" => Err(DecodeError::MissingContentType),
            // The echo is bounded and printable: it ends up in an error description.
            other => Err(DecodeError::UnsupportedContentType(
                other
                    .chars()
                    .filter(|c| c.is_ascii_graphic())
                    .take(100)
                    .collect(),
            )),
        }
    }

    /// The pairs, in the order they arrived (for re-encoding and inspection).
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }
}

/// `application/x-www-form-urlencoded` (WHATWG URL §5.1) with strict UTF-8: a parameter whose
/// bytes are not UTF-8 is refused rather than silently replaced by U+FFFD, since values such as
/// `state` must come back byte for byte (RFC 6749 §4.1.2).
fn decode_form(input: &[u8], what: &'static str) -> Result<Params, DecodeError> {
    let decode = |raw: &[u8]| -> Result<String, DecodeError> {
        // Most values (client ids, codes, tokens) have nothing to decode: copy them whole.
        let bytes: Vec<u8> = if raw.iter().any(|&b| b == b'+' || b == b'%') {
            let spaced: Vec<u8> = raw
                .iter()
                .map(|&b| if b == b'+' { b' ' } else { b })
                .collect();
            percent_encoding::percent_decode(&spaced).collect()
        } else {
            raw.to_vec()
        };
        String::from_utf8(bytes).map_err(|_| DecodeError::NotUtf8(what))
    };
    input
        .split(|&b| b == b'&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = match piece.iter().position(|&b| b == b'=') {
                Some(at) => (&piece[..at], &piece[at + 1..]),
                None => (piece, &[][..]),
            };
            Ok((decode(name)?, decode(value)?))
        })
        .collect::<Result<_, _>>()
        .map(Params::new)
}

/// A JSON body must be an object whose values are strings (numbers and booleans are taken as
/// their text, as Auth0 accepts them; `null` as omitted).
fn decode_json(body: &[u8]) -> Result<Params, DecodeError> {
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(body).map_err(|_| DecodeError::NotJsonObject)?;
    object
        .into_iter()
        .map(|(name, value)| match value {
            serde_json::Value::String(text) => Ok((name, text)),
            serde_json::Value::Number(n) => Ok((name, n.to_string())),
            serde_json::Value::Bool(b) => Ok((name, b.to_string())),
            serde_json::Value::Null => Ok((name, String::new())),
            _ => Err(DecodeError::NotAString(name)),
        })
        .collect::<Result<_, _>>()
        .map(Params::new)
}
