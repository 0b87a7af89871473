//! The provider behind a connection to another identity provider, resolved for a login from
//! the connection's options: an OpenID provider (`oidc`, and Google's preset) found through its
//! discovery document, or an OAuth 2.0 provider (`oauth2`, and GitHub's preset) with its
//! endpoints, profile URL and `fieldsMap`. Options use Auth0's names; `profileURL` is
//! Tessera's, since Auth0 fetches the profile with a script instead.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::Value;
use tessera_protocol::connection::{FieldsMap, Strategy};
use tessera_store::JsonObject;

use super::oidc::OidcOptions;

const GOOGLE_ISSUER: &str = "https://accounts.google.com";
const GITHUB_AUTHORIZATION: &str = "https://github.com/login/oauth/authorize";
const GITHUB_TOKEN: &str = "https://github.com/login/oauth/access_token";
const GITHUB_PROFILE: &str = "https://api.github.com/user";
const GITHUB_EMAILS: &str = "https://api.github.com/user/emails";

/// The provider of a connection, resolved for a login.
#[derive(Clone, PartialEq, Eq)]
pub struct UpstreamProvider {
    /// The connection's id and name.
    pub connection_id: String,
    pub connection: String,
    pub strategy: Strategy,
    pub client_id: String,
    pub client_secret: String,
    /// The scopes asked of the provider, space-separated (`openid` among them for an OpenID
    /// provider).
    pub scope: String,
    pub protocol: Protocol,
}

impl std::fmt::Debug for UpstreamProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamProvider")
            .field("connection", &self.connection)
            .field("strategy", &self.strategy)
            .field("client_id", &self.client_id)
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}

/// How Tessera talks to the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protocol {
    /// An OpenID provider: the person is who its verified ID token says.
    OpenId {
        /// The issuer without a trailing slash (its discovery document must name it, with or
        /// without one).
        issuer: String,
        discovery_url: String,
    },
    /// An OAuth 2.0 provider: the person is who its profile URL says, with the access token
    /// the code was exchanged for.
    OAuth2(OAuth2Endpoints),
}

/// An OAuth 2.0 provider's endpoints and how its profile maps to Auth0's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuth2Endpoints {
    pub authorization_url: String,
    pub token_url: String,
    pub profile_url: String,
    /// PKCE S256 towards the provider (Auth0's `pkce_enabled`).
    pub pkce: bool,
    /// The client secret goes in the token request's body (GitHub documents only that), not
    /// in an HTTP Basic header (RFC 6749 §2.3.1, which every provider must accept).
    pub secret_in_body: bool,
    pub fields: FieldsMap,
    /// Where the person's verified addresses are listed when the profile shows none (GitHub's
    /// `/user/emails`: a GitHub profile shows only a public address).
    pub emails_url: Option<String>,
}

/// A connection's options read for `strategy`: the provider's settings, and the options as
/// stored and shown (without the client secret).
#[derive(Debug, Clone)]
pub struct UpstreamOptions {
    pub client_id: String,
    /// The secret the options bring, to be sealed; `None` keeps the stored one.
    pub client_secret: Option<String>,
    pub scope: String,
    pub protocol: Protocol,
    pub shown: JsonObject,
}

impl UpstreamOptions {
    /// Reads Auth0's options of a connection of `strategy` (any but the database's); what
    /// Tessera cannot run is refused, naming the option. `secret_kept`: the connection has a
    /// client secret already.
    pub fn parse(
        strategy: Strategy,
        options: JsonObject,
        secret_kept: bool,
    ) -> Result<UpstreamOptions, String> {
        let parsed = match strategy {
            Strategy::Database => return Err("the database connection has no provider".into()),
            Strategy::Oidc => {
                let oidc = OidcOptions::parse(options, secret_kept)?;
                let (issuer, discovery_url) = oidc.issuer()?;
                UpstreamOptions {
                    shown: oidc.to_object(),
                    client_id: oidc.client_id,
                    client_secret: oidc.client_secret,
                    scope: oidc.scope,
                    protocol: Protocol::OpenId {
                        issuer,
                        discovery_url,
                    },
                }
            }
            Strategy::OAuth2 => oauth2(options)?,
            Strategy::Google => google(options)?,
            Strategy::GitHub => github(options)?,
        };
        if parsed.client_id.trim().is_empty() {
            return Err("client_id must not be empty".to_owned());
        }
        if !secret_kept && parsed.client_secret.is_none() {
            return Err("client_secret is required".to_owned());
        }
        Ok(parsed)
    }
}

/// Auth0's `scope` of a social connection: a space-separated string or a list.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Scopes {
    Text(String),
    List(Vec<String>),
}

impl Scopes {
    fn words(&self) -> Vec<String> {
        match self {
            Scopes::Text(text) => text.split_whitespace().map(str::to_owned).collect(),
            Scopes::List(list) => list.clone(),
        }
    }
}

/// What every social connection's options hold.
#[derive(Debug, Clone, Deserialize)]
struct Credentials {
    client_id: String,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    scope: Option<Scopes>,
}

fn read<T: serde::de::DeserializeOwned>(options: &JsonObject) -> Result<T, String> {
    serde_json::from_value(Value::Object(options.clone())).map_err(|e| e.to_string())
}

/// The options as stored and shown: as given, without the client secret.
fn without_secret(mut options: JsonObject) -> JsonObject {
    options.remove("client_secret");
    options
}

/// The scopes a preset's options ask for: `scope`, and each flag set to `true` that
/// `flags` names (Auth0's `email: true` and the like), in a stable order without repeats.
fn preset_scope(
    options: &JsonObject,
    given: Option<&Scopes>,
    flags: &[(&str, &str)],
    always: &[&str],
) -> String {
    let mut scopes: Vec<String> = always.iter().map(|s| (*s).to_owned()).collect();
    scopes.extend(given.map(Scopes::words).unwrap_or_default());
    for (flag, scope) in flags {
        if options.get(*flag).and_then(Value::as_bool) == Some(true) {
            scopes.push((*scope).to_owned());
        }
    }
    let mut seen = BTreeSet::new();
    scopes.retain(|s| seen.insert(s.clone()));
    scopes.join(" ")
}

/// An endpoint of a provider: an absolute http(s) URL without a fragment.
fn endpoint(option: &str, url: &str) -> Result<String, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("{option}: {e}"))?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.fragment().is_some() {
        return Err(format!(
            "{option} must be an http or https URL without a fragment"
        ));
    }
    Ok(url.to_owned())
}

/// `oauth2`: Auth0's custom social connection, with Tessera's `profileURL` in place of its
/// `fetchUserProfile` script.
fn oauth2(options: JsonObject) -> Result<UpstreamOptions, String> {
    #[derive(Deserialize)]
    struct OAuth2Options {
        #[serde(flatten)]
        credentials: Credentials,
        #[serde(rename = "authorizationURL")]
        authorization_url: Option<String>,
        #[serde(rename = "tokenURL")]
        token_url: Option<String>,
        #[serde(rename = "profileURL")]
        profile_url: Option<String>,
        /// Auth0's default is off; Tessera's is on: RFC 6749 §3.1 has providers ignore the
        /// parameters they do not know, and RFC 9700 asks for PKCE.
        #[serde(default)]
        pkce_enabled: Option<bool>,
        #[serde(default, rename = "fieldsMap")]
        fields_map: FieldsMap,
    }
    let parsed: OAuth2Options = read(&options)?;
    let required =
        |value: Option<String>, option: &str| value.ok_or_else(|| format!("{option} is required"));
    let authorization_url = required(parsed.authorization_url, "authorizationURL")?;
    let token_url = required(parsed.token_url, "tokenURL")?;
    let profile_url = parsed.profile_url.ok_or_else(|| {
        "profileURL is required: Tessera reads the person's profile there (mapped by \
         fieldsMap) and does not run scripts.fetchUserProfile"
            .to_owned()
    })?;
    Ok(UpstreamOptions {
        client_id: parsed.credentials.client_id,
        client_secret: parsed.credentials.client_secret,
        scope: parsed
            .credentials
            .scope
            .map(|s| s.words().join(" "))
            .unwrap_or_default(),
        protocol: Protocol::OAuth2(OAuth2Endpoints {
            authorization_url: endpoint("authorizationURL", &authorization_url)?,
            token_url: endpoint("tokenURL", &token_url)?,
            profile_url: endpoint("profileURL", &profile_url)?,
            pkce: parsed.pkce_enabled.unwrap_or(true),
            secret_in_body: false,
            emails_url: None,
            fields: parsed.fields_map,
        }),
        shown: without_secret(options),
    })
}

/// `google-oauth2`: Google's OpenID provider; `email` and `profile` (flags, or in `scope`)
/// ask for the address and the name, both by default.
fn google(options: JsonObject) -> Result<UpstreamOptions, String> {
    let credentials: Credentials = read(&options)?;
    let flags = [("email", "email"), ("profile", "profile")];
    let asked = flags
        .iter()
        .any(|(flag, _)| options.get(*flag).and_then(Value::as_bool).is_some())
        || credentials.scope.is_some();
    let always: &[&str] = if asked {
        &["openid"]
    } else {
        &["openid", "email", "profile"]
    };
    let scope = preset_scope(&options, credentials.scope.as_ref(), &flags, always);
    Ok(UpstreamOptions {
        client_id: credentials.client_id,
        client_secret: credentials.client_secret,
        scope,
        protocol: Protocol::OpenId {
            issuer: GOOGLE_ISSUER.to_owned(),
            discovery_url: format!("{GOOGLE_ISSUER}/.well-known/openid-configuration"),
        },
        shown: without_secret(options),
    })
}

/// `github`: GitHub's OAuth 2.0 endpoints and its user API (`id`, `login`, `avatar_url`);
/// Auth0's flags (`email`, `read_user`, `read_org`, …) ask for GitHub's scopes.
fn github(options: JsonObject) -> Result<UpstreamOptions, String> {
    let credentials: Credentials = read(&options)?;
    let flags = [
        ("email", "user:email"),
        ("read_user", "read:user"),
        ("follow", "user:follow"),
        ("public_repo", "public_repo"),
        ("repo", "repo"),
        ("gist", "gist"),
        ("notifications", "notifications"),
        ("read_org", "read:org"),
    ];
    let scope = preset_scope(&options, credentials.scope.as_ref(), &flags, &[]);
    let fields = [
        ("user_id", "id"),
        ("nickname", "login"),
        ("name", "name"),
        ("picture", "avatar_url"),
        ("email", "email"),
    ]
    .into_iter()
    .map(|(attribute, field)| (attribute.to_owned(), field.to_owned()))
    .collect();
    Ok(UpstreamOptions {
        client_id: credentials.client_id,
        client_secret: credentials.client_secret,
        scope,
        protocol: Protocol::OAuth2(OAuth2Endpoints {
            authorization_url: GITHUB_AUTHORIZATION.to_owned(),
            token_url: GITHUB_TOKEN.to_owned(),
            profile_url: GITHUB_PROFILE.to_owned(),
            pkce: true,
            secret_in_body: true,
            fields,
            emails_url: Some(GITHUB_EMAILS.to_owned()),
        }),
        shown: without_secret(options),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use serde_json::json;

    use super::*;

    fn object(value: Value) -> JsonObject {
        match value {
            Value::Object(object) => object,
            _ => unreachable!(),
        }
    }

    #[test]
    fn github_is_an_oauth2_provider_with_its_own_endpoints_and_fields() {
        let options = object(json!({
            "client_id": "Iv1.abc", "client_secret": "s3cret", "email": true, "read_user": true,
        }));
        let parsed = UpstreamOptions::parse(Strategy::GitHub, options, false).unwrap();
        assert_eq!(parsed.scope, "user:email read:user");
        assert_eq!(parsed.client_secret.as_deref(), Some("s3cret"));
        assert!(!parsed.shown.contains_key("client_secret"));
        assert_eq!(parsed.shown["email"], true);
        let Protocol::OAuth2(endpoints) = parsed.protocol else {
            panic!("GitHub is not an OpenID provider");
        };
        assert_eq!(endpoints.authorization_url, GITHUB_AUTHORIZATION);
        assert_eq!(endpoints.profile_url, GITHUB_PROFILE);
        assert_eq!(endpoints.fields["user_id"], "id");
        assert_eq!(endpoints.fields["nickname"], "login");
        assert_eq!(endpoints.emails_url.as_deref(), Some(GITHUB_EMAILS));
    }

    #[test]
    fn google_is_an_openid_provider_asking_for_email_and_profile_by_default() {
        let options =
            object(json!({ "client_id": "x.apps.googleusercontent.com", "client_secret": "s" }));
        let parsed = UpstreamOptions::parse(Strategy::Google, options, false).unwrap();
        assert_eq!(parsed.scope, "openid email profile");
        assert_eq!(
            parsed.protocol,
            Protocol::OpenId {
                issuer: GOOGLE_ISSUER.to_owned(),
                discovery_url: "https://accounts.google.com/.well-known/openid-configuration"
                    .to_owned(),
            }
        );
        let only_email = object(json!({
            "client_id": "x", "client_secret": "s", "email": true, "profile": false,
        }));
        let parsed = UpstreamOptions::parse(Strategy::Google, only_email, false).unwrap();
        assert_eq!(parsed.scope, "openid email");
        let listed = object(json!({ "client_id": "x", "scope": ["email", "openid"] }));
        let parsed = UpstreamOptions::parse(Strategy::Google, listed, true).unwrap();
        assert_eq!(parsed.scope, "openid email");
    }

    #[test]
    fn an_oauth2_connection_needs_its_endpoints_and_a_profile_url() {
        let full = json!({
            "client_id": "c", "client_secret": "s",
            "authorizationURL": "https://idp.example/oauth/authorize",
            "tokenURL": "https://idp.example/oauth/token",
            "profileURL": "https://idp.example/api/me",
            "scope": "basic email",
            "fieldsMap": { "user_id": "account.uuid" },
        });
        let parsed = UpstreamOptions::parse(Strategy::OAuth2, object(full.clone()), false).unwrap();
        assert_eq!(parsed.scope, "basic email");
        let Protocol::OAuth2(endpoints) = &parsed.protocol else {
            panic!("not OAuth 2.0");
        };
        assert!(endpoints.pkce, "PKCE unless turned off");
        assert_eq!(endpoints.emails_url, None);
        assert_eq!(endpoints.fields["user_id"], "account.uuid");
        for (option, bad) in [
            ("profileURL", Value::Null),
            ("tokenURL", Value::Null),
            ("authorizationURL", json!("ftp://idp.example/authorize")),
            ("profileURL", json!("https://idp.example/me#x")),
            ("fieldsMap", json!({ "email": 7 })),
            ("scope", json!(7)),
            ("client_secret", Value::Null),
        ] {
            let mut options = object(full.clone());
            if bad.is_null() {
                options.remove(option);
            } else {
                options.insert(option.to_owned(), bad);
            }
            let refused = UpstreamOptions::parse(Strategy::OAuth2, options, false);
            assert!(refused.is_err(), "{option}: {refused:?}");
        }
        let without_script = UpstreamOptions::parse(
            Strategy::OAuth2,
            object(json!({
                "client_id": "c", "client_secret": "s",
                "authorizationURL": "https://idp.example/a", "tokenURL": "https://idp.example/t",
                "scripts": { "fetchUserProfile": "function (t, c, cb) { cb(null, {}) }" },
            })),
            false,
        );
        assert!(without_script.unwrap_err().contains("fetchUserProfile"));
    }
}
