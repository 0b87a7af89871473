//! Scope tokens and ordered, duplicate-free scope sets (RFC 6749 §3.3).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The OpenID Connect scope that makes a request an authentication request.
pub const OPENID: &str = "openid";
/// Asks for a refresh token (OIDC Core §11).
pub const OFFLINE_ACCESS: &str = "offline_access";
/// Standard scopes that need no API: they concern the user's identity.
pub const OIDC_SCOPES: [&str; 4] = [OPENID, "profile", "email", OFFLINE_ACCESS];

/// One scope token: `1*( %x21 / %x23-5B / %x5D-7E )` (RFC 6749 §3.3).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope(String);

impl Scope {
    /// Parses one scope token, refusing empty tokens and characters outside NQCHAR.
    pub fn parse(token: &str) -> Result<Scope, InvalidScope> {
        let valid = !token.is_empty()
            && token
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b));
        if valid {
            Ok(Scope(token.to_owned()))
        } else {
            Err(InvalidScope(token.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is one of the standard OpenID Connect scopes, which need no API.
    pub fn is_oidc(&self) -> bool {
        OIDC_SCOPES.contains(&self.0.as_str())
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A scope value that is not a valid scope token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a valid scope token")]
pub struct InvalidScope(pub String);

/// A set of scopes that keeps the order in which they were first named.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeSet(Vec<Scope>);

impl ScopeSet {
    /// Parses a space-delimited scope parameter; repeated tokens count once.
    pub fn parse(value: &str) -> Result<ScopeSet, InvalidScope> {
        let mut set = ScopeSet::default();
        for token in value.split(' ').filter(|t| !t.is_empty()) {
            set.insert(Scope::parse(token)?);
        }
        Ok(set)
    }

    pub fn insert(&mut self, scope: Scope) {
        if !self.0.contains(&scope) {
            self.0.push(scope);
        }
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s.as_str() == scope)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.0.iter()
    }

    /// Whether every scope of `self` is in `other`.
    pub fn is_subset_of(&self, other: &ScopeSet) -> bool {
        self.0.iter().all(|s| other.0.contains(s))
    }

    /// `self` followed by the scopes of `other` it lacks.
    pub fn union(&self, other: &ScopeSet) -> ScopeSet {
        let mut merged = self.clone();
        for scope in other.iter() {
            merged.insert(scope.clone());
        }
        merged
    }

    /// The scopes of `self` for which `keep` holds.
    pub fn filter(&self, keep: impl Fn(&Scope) -> bool) -> ScopeSet {
        ScopeSet(self.0.iter().filter(|s| keep(s)).cloned().collect())
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

impl Serialize for ScopeSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ScopeSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ScopeSet::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Scope::parse(&text).map_err(serde::de::Error::custom)
    }
}
