//! The authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1): trusting the redirect URI,
//! validating the rest, and deciding whether to log in, ask consent or issue a code.

use serde::{Deserialize, Serialize};

use crate::consent::consent_needed;
use crate::error::{AuthorizeError, AuthorizeErrorCode as Code};
use crate::params::Params;
use crate::scope::{OFFLINE_ACCESS, OPENID};
use crate::{
    ClientId, GrantType, RedirectUri, RegisteredClient, ResourceServer, ScopeSet, Timestamp,
};

/// Parameters that, when repeated, make the request unsafe to redirect.
const REDIRECT_PARAMS: [&str; 2] = ["client_id", "redirect_uri"];
/// Parameters whose repetition is reported to the client.
const OTHER_PARAMS: [&str; 9] = [
    "response_type",
    "scope",
    "state",
    "audience",
    "resource",
    "nonce",
    "prompt",
    "max_age",
    "response_mode",
];

/// The `prompt` parameter (OIDC Core §3.1.2.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
}

impl Prompt {
    pub fn parse(value: Option<&str>) -> Result<Prompt, AuthorizeError> {
        let mut prompt = Prompt::default();
        let mut others = 0;
        for word in value.unwrap_or("").split(' ').filter(|w| !w.is_empty()) {
            match word {
                "none" => prompt.none = true,
                "login" => prompt.login = true,
                "consent" => prompt.consent = true,
                "select_account" => {}
                other => {
                    return Err(AuthorizeError::new(
                        Code::InvalidRequest,
                        format!("unsupported prompt value `{other}`"),
                    ))
                }
            }
            if word != "none" {
                others += 1;
            }
        }
        // OIDC Core §3.1.2.1: if `none` is present with any other value, an error is returned.
        if prompt.none && others > 0 {
            return Err(AuthorizeError::new(
                Code::InvalidRequest,
                "prompt=none cannot be combined with other prompt values",
            ));
        }
        Ok(prompt)
    }
}

/// A validated authorization request, the only form in which it travels further.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: ClientId,
    pub redirect_uri: RedirectUri,
    /// Whether `redirect_uri` was sent (RFC 6749 §4.1.3 then requires it at the token endpoint).
    pub redirect_uri_explicit: bool,
    pub scope: ScopeSet,
    /// The API identifier the access token is for; `None` means only `/userinfo`.
    pub audience: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub prompt: Prompt,
    pub max_age: Option<i64>,
}

impl AuthorizationRequest {
    pub fn is_openid(&self) -> bool {
        self.scope.contains(OPENID)
    }
}

/// Establishes the redirect URI that errors may be sent to. Errors here are shown to the user
/// and never redirected (RFC 6749 §4.1.2.1).
pub fn trusted_redirect(
    params: &Params,
    client: Option<&RegisteredClient>,
) -> Result<(RedirectUri, bool), AuthorizeError> {
    if let Some(repeated) = params.first_repeated(&REDIRECT_PARAMS) {
        return Err(AuthorizeError::new(
            Code::InvalidRequest,
            repeated.to_string(),
        ));
    }
    let client_id = params.get("client_id").ok().flatten().ok_or_else(|| {
        AuthorizeError::new(Code::InvalidRequest, "the client_id parameter is missing")
    })?;
    let client = client.ok_or_else(|| {
        AuthorizeError::new(
            Code::InvalidRequest,
            format!("unknown client: `{client_id}` is not a registered application"),
        )
    })?;
    match params.get("redirect_uri").ok().flatten() {
        // RFC 6749 §3.1.2.3: without redirect_uri, a client with exactly one registered
        // URI uses that one.
        None => match client.callbacks.as_slice() {
            [only] => Ok((only.clone(), false)),
            _ => Err(AuthorizeError::new(
                Code::InvalidRequest,
                "the redirect_uri parameter is missing and the application has not exactly one callback URL",
            )),
        },
        // RFC 9700 §4.1.3: redirect URIs are compared by exact string matching.
        Some(requested) => client.callback(requested).map(|uri| (uri.clone(), true)).ok_or_else(|| {
            AuthorizeError::new(
                Code::InvalidRequest,
                format!("the redirect_uri `{requested}` is not in the application's Allowed Callback URLs"),
            )
        }),
    }
}

/// The API identifier the request names: `audience`, or RFC 8707 `resource`, or the default.
pub fn requested_audience(
    params: &Params,
    default_audience: Option<&str>,
) -> Result<Option<String>, AuthorizeError> {
    let audience = get(params, "audience")?;
    let resource = get(params, "resource")?;
    match (audience, resource) {
        (Some(a), Some(r)) if a != r => Err(AuthorizeError::new(
            Code::InvalidRequest,
            "audience and resource name different APIs",
        )),
        (Some(a), _) | (None, Some(a)) => Ok(Some(a.to_owned())),
        (None, None) => Ok(default_audience.map(str::to_owned)),
    }
}

/// Validates everything after the redirect URI is trusted; errors are redirected to the client.
/// `api` is the resource server found for [`requested_audience`], if one was named.
pub fn validate(
    params: &Params,
    client: &RegisteredClient,
    redirect: (RedirectUri, bool),
    audience: Option<&str>,
    api: Option<&ResourceServer>,
) -> Result<AuthorizationRequest, AuthorizeError> {
    if let Some(repeated) = params.first_repeated(&OTHER_PARAMS) {
        return Err(AuthorizeError::new(
            Code::InvalidRequest,
            repeated.to_string(),
        ));
    }
    match get(params, "response_type")? {
        None => {
            return Err(AuthorizeError::new(
                Code::InvalidRequest,
                "the response_type parameter is missing",
            ))
        }
        Some("code") => {}
        Some(other) => {
            return Err(AuthorizeError::new(
                Code::UnsupportedResponseType,
                format!("response_type `{other}` is not supported; use `code`"),
            ))
        }
    }
    if !client.allows_grant(GrantType::AuthorizationCode) {
        return Err(AuthorizeError::new(
            Code::UnauthorizedClient,
            "the application is not allowed the authorization_code grant",
        ));
    }
    if let Some(mode) = get(params, "response_mode")? {
        if mode != "query" {
            return Err(AuthorizeError::new(
                Code::InvalidRequest,
                format!("response_mode `{mode}` is not supported; use `query`"),
            ));
        }
    }
    let api = match (audience, api) {
        (Some(identifier), None) => {
            return Err(AuthorizeError::new(
                Code::InvalidRequest,
                format!("Service not found: `{identifier}` is not a registered API identifier"),
            ))
        }
        (_, api) => api,
    };
    let prompt = Prompt::parse(get(params, "prompt")?)?;
    let max_age = parse_max_age(get(params, "max_age")?)?;
    let scope = validate_scope(get(params, "scope")?.unwrap_or(""), api)?;
    Ok(AuthorizationRequest {
        client_id: client.client_id.clone(),
        redirect_uri: redirect.0,
        redirect_uri_explicit: redirect.1,
        scope,
        audience: api.map(|a| a.identifier.clone()),
        state: get(params, "state")?.map(str::to_owned),
        nonce: get(params, "nonce")?.map(str::to_owned),
        prompt,
        max_age,
    })
}

fn get<'a>(params: &'a Params, name: &str) -> Result<Option<&'a str>, AuthorizeError> {
    params
        .get(name)
        .map_err(|repeated| AuthorizeError::new(Code::InvalidRequest, repeated.to_string()))
}

fn parse_max_age(value: Option<&str>) -> Result<Option<i64>, AuthorizeError> {
    value
        .map(|v| {
            v.parse::<u32>().map(i64::from).map_err(|_| {
                AuthorizeError::new(
                    Code::InvalidRequest,
                    "max_age must be a non-negative integer",
                )
            })
        })
        .transpose()
}

/// Every scope must be a standard OpenID Connect scope or one the API defines.
/// `offline_access` is dropped when the API does not allow offline access, as Auth0 does.
pub fn validate_scope(
    value: &str,
    api: Option<&ResourceServer>,
) -> Result<ScopeSet, AuthorizeError> {
    let scope = ScopeSet::parse(value)
        .map_err(|e| AuthorizeError::new(Code::InvalidScope, e.to_string()))?;
    if let Some(unknown) = scope
        .iter()
        .find(|s| !s.is_oidc() && !api.is_some_and(|a| a.defines(s)))
    {
        let description = match api {
            Some(api) => format!(
                "scope `{unknown}` is not defined by the API `{}`",
                api.identifier
            ),
            None => format!("scope `{unknown}` needs an audience that defines it"),
        };
        return Err(AuthorizeError::new(Code::InvalidScope, description));
    }
    let offline_allowed = api.is_some_and(|a| a.allow_offline_access);
    Ok(scope.filter(|s| offline_allowed || s.as_str() != OFFLINE_ACCESS))
}

/// What the user has already established in this browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authentication {
    pub auth_time: Timestamp,
    /// The user logged in during this very authorization (so `prompt=login` is satisfied).
    pub during_this_request: bool,
}

/// What happens next in an authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    Login,
    Consent,
    IssueCode,
}

/// Decides the next step from the request, the user's authentication and stored consent.
/// `consented_now` is true once the user allowed this very request.
pub fn next_step(
    request: &AuthorizationRequest,
    authentication: Option<Authentication>,
    granted: Option<&ScopeSet>,
    consented_now: bool,
    now: Timestamp,
) -> Result<NextStep, AuthorizeError> {
    let login_needed = match authentication {
        None => true,
        Some(auth) => {
            // A login during this very request satisfies both prompt=login and max_age.
            let too_old = request
                .max_age
                .is_some_and(|max| now.seconds_since(auth.auth_time) > max);
            !auth.during_this_request && (request.prompt.login || too_old)
        }
    };
    if login_needed {
        return if request.prompt.none {
            Err(AuthorizeError::new(
                Code::LoginRequired,
                "the user is not logged in",
            ))
        } else {
            Ok(NextStep::Login)
        };
    }
    let ask = !consented_now && (request.prompt.consent || consent_needed(granted, &request.scope));
    if ask {
        return if request.prompt.none {
            Err(AuthorizeError::new(
                Code::ConsentRequired,
                "the user has not consented to these scopes",
            ))
        } else {
            Ok(NextStep::Consent)
        };
    }
    Ok(NextStep::IssueCode)
}
