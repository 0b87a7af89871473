//! Request parameters as received (query, form or JSON body), before they are typed.

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

    /// The first parameter, among `names`, that is repeated.
    pub fn first_repeated(&self, names: &[&str]) -> Option<RepeatedParam> {
        names.iter().find_map(|name| self.get(name).err())
    }
}
