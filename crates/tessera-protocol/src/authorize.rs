//! The authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1): trusting the redirect URI,
//! validating the rest, and deciding whether to log in, ask consent or issue a code.

use serde::{Deserialize, Serialize};

use crate::consent::consent_needed;
use crate::error::{AuthorizeError, AuthorizeErrorCode as Code};
use crate::params::Params;
use crate::pkce::{parse_challenge, CodeChallenge};
use crate::scope::{OFFLINE_ACCESS, OPENID};
use crate::{
    ClientId, GrantType, RedirectUri, RegisteredClient, ResourceServer, ScopeSet, Timestamp,
    WebOrigin,
};

/// Parameters that, when repeated, make the request unsafe to redirect.
const REDIRECT_PARAMS: [&str; 2] = ["client_id", "redirect_uri"];
/// Parameters whose repetition is reported to the client.
const OTHER_PARAMS: [&str; 16] = [
    "response_type",
    "scope",
    "state",
    "audience",
    "resource",
    "nonce",
    "prompt",
    "max_age",
    "response_mode",
    "code_challenge",
    "code_challenge_method",
    "login_hint",
    "screen_hint",
    "ui_locales",
    "acr_values",
    "connection",
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
    #[serde(default)]
    pub response_type: ResponseType,
    #[serde(default)]
    pub response_mode: ResponseMode,
    /// RFC 7636: the code must be redeemed with the matching verifier.
    #[serde(default)]
    pub code_challenge: Option<CodeChallenge>,
    /// OIDC Core §3.1.2.1: prefills the login form.
    #[serde(default)]
    pub login_hint: Option<String>,
    /// Auth0's `screen_hint`: which hosted page a login starts on.
    #[serde(default)]
    pub screen_hint: ScreenHint,
    /// Auth0's `connection`: log in through this connection, without the login page.
    #[serde(default)]
    pub connection: Option<String>,
    /// OIDC Core §3.1.2.1: the languages the hosted pages should speak, preferred first
    /// (space-separated BCP 47 tags); before the browser's `Accept-Language`.
    #[serde(default)]
    pub ui_locales: Option<String>,
    /// The API exempts this first-party client from consent (decided at validation).
    #[serde(default)]
    pub skip_consent: bool,
    /// OIDC Core §3.1.2.1: the authentication context classes asked for, space-separated;
    /// [`MULTI_FACTOR`] asks for a second factor, as at Auth0.
    #[serde(default)]
    pub acr_values: Option<String>,
}

/// The authentication context class of a login with more than one factor, the one Auth0 takes
/// in `acr_values` to ask for MFA and names in the ID token's `acr`.
pub const MULTI_FACTOR: &str = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";

impl AuthorizationRequest {
    pub fn is_openid(&self) -> bool {
        self.scope.contains(OPENID)
    }

    /// The request asks for a login with a second factor (`acr_values`).
    pub fn asks_for_multi_factor(&self) -> bool {
        self.acr_values
            .as_deref()
            .is_some_and(|values| values.split_whitespace().any(|v| v == MULTI_FACTOR))
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
    let redirect = registered_redirect(params, client)?;
    // A web message goes to the redirect URI's origin, which must be an Allowed Web Origin
    // (Auth0): else even an error would be posted to a page the client did not list.
    if params.get("response_mode").ok().flatten() == Some(ResponseMode::WebMessage.as_str()) {
        let allowed = WebOrigin::of_url(redirect.0.as_str())
            .is_some_and(|origin| client.allows_web_message_to(origin.as_str()));
        if !allowed {
            return Err(AuthorizeError::new(
                Code::InvalidRequest,
                format!(
                    "response_mode web_message: the origin of `{}` is not in the application's Allowed Web Origins",
                    redirect.0.as_str()
                ),
            ));
        }
    }
    Ok(redirect)
}

fn registered_redirect(
    params: &Params,
    client: &RegisteredClient,
) -> Result<(RedirectUri, bool), AuthorizeError> {
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
        Some(requested) => client.callback(requested).map(|uri| (uri, true)).ok_or_else(|| {
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
    let (response_type, response_mode) = response_type_and_mode(params, client)?;
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
    let nonce = get(params, "nonce")?.map(str::to_owned);
    if response_type.issues_id_token() {
        // OIDC Core §3.2.2.1: an ID token from the authorization endpoint needs `openid` and a
        // nonce, against replay.
        if !scope.contains(crate::scope::OPENID) || nonce.is_none() {
            return Err(AuthorizeError::new(
                Code::InvalidRequest,
                "response_type id_token requires the openid scope and a nonce",
            ));
        }
    }
    let code_challenge = pkce(params, client, response_type)?;
    let skip_consent = api.is_some_and(|api| api.skips_consent_for(client, &redirect.0));
    Ok(AuthorizationRequest {
        client_id: client.client_id.clone(),
        redirect_uri: redirect.0,
        redirect_uri_explicit: redirect.1,
        scope,
        audience: api.map(|a| a.identifier.clone()),
        state: get(params, "state")?.map(str::to_owned),
        nonce,
        prompt,
        max_age,
        response_type,
        response_mode,
        code_challenge,
        login_hint: get(params, "login_hint")?.map(str::to_owned),
        screen_hint: ScreenHint::parse(get(params, "screen_hint")?),
        connection: get(params, "connection")?.map(str::to_owned),
        ui_locales: get(params, "ui_locales")?.map(str::to_owned),
        skip_consent,
        acr_values: get(params, "acr_values")?.map(str::to_owned),
    })
}

/// Auth0's `screen_hint`: `signup` opens the sign-up page instead of the login page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScreenHint {
    #[default]
    Login,
    Signup,
}

impl ScreenHint {
    /// Any other value is ignored, as Auth0 ignores it.
    pub fn parse(value: Option<&str>) -> ScreenHint {
        match value {
            Some("signup") => ScreenHint::Signup,
            _ => ScreenHint::Login,
        }
    }
}

/// The flows Tessera answers at the authorization endpoint (OAuth 2.0 Multiple Response Types).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseType {
    /// The authorization code grant (RFC 6749 §4.1).
    #[default]
    Code,
    /// Implicit: an access token (RFC 6749 §4.2).
    Token,
    /// Implicit: an ID token (OIDC Core §3.2).
    IdToken,
    /// Implicit: both.
    IdTokenToken,
}

impl ResponseType {
    /// Parses the space-separated set; order does not matter.
    pub fn parse(value: &str) -> Option<ResponseType> {
        let mut words: Vec<&str> = value.split(' ').filter(|w| !w.is_empty()).collect();
        words.sort_unstable();
        match words.as_slice() {
            ["code"] => Some(ResponseType::Code),
            ["token"] => Some(ResponseType::Token),
            ["id_token"] => Some(ResponseType::IdToken),
            ["id_token", "token"] => Some(ResponseType::IdTokenToken),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ResponseType::Code => "code",
            ResponseType::Token => "token",
            ResponseType::IdToken => "id_token",
            ResponseType::IdTokenToken => "id_token token",
        }
    }

    pub fn is_implicit(self) -> bool {
        self != ResponseType::Code
    }

    pub fn issues_id_token(self) -> bool {
        matches!(self, ResponseType::IdToken | ResponseType::IdTokenToken)
    }

    pub fn issues_access_token(self) -> bool {
        matches!(self, ResponseType::Token | ResponseType::IdTokenToken)
    }
}

/// How the authorization response reaches the client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseMode {
    #[default]
    Query,
    Fragment,
    /// OAuth 2.0 Form Post Response Mode: an auto-submitting form.
    FormPost,
    /// Auth0's silent authentication in a hidden iframe: a page that posts the response to
    /// its parent window (`postMessage`), only to one of the client's Allowed Web Origins.
    WebMessage,
}

impl ResponseMode {
    pub fn parse(value: &str) -> Option<ResponseMode> {
        match value {
            "query" => Some(ResponseMode::Query),
            "fragment" => Some(ResponseMode::Fragment),
            "form_post" => Some(ResponseMode::FormPost),
            "web_message" => Some(ResponseMode::WebMessage),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ResponseMode::Query => "query",
            ResponseMode::Fragment => "fragment",
            ResponseMode::FormPost => "form_post",
            ResponseMode::WebMessage => "web_message",
        }
    }
}

/// The response mode errors are sent with, even when the request is otherwise invalid: the
/// one asked for if valid, else the default of the response type (fragment for implicit).
pub fn error_response_mode(params: &Params) -> ResponseMode {
    let asked = params
        .get("response_mode")
        .ok()
        .flatten()
        .and_then(ResponseMode::parse);
    let implicit = params
        .get("response_type")
        .ok()
        .flatten()
        .and_then(ResponseType::parse)
        .is_some_and(ResponseType::is_implicit);
    match asked {
        Some(ResponseMode::Query) if implicit => ResponseMode::Fragment,
        Some(mode) => mode,
        None if implicit => ResponseMode::Fragment,
        None => ResponseMode::Query,
    }
}

fn response_type_and_mode(
    params: &Params,
    client: &RegisteredClient,
) -> Result<(ResponseType, ResponseMode), AuthorizeError> {
    let value = get(params, "response_type")?.ok_or_else(|| {
        AuthorizeError::new(
            Code::InvalidRequest,
            "the response_type parameter is missing",
        )
    })?;
    let response_type = ResponseType::parse(value).ok_or_else(|| {
        AuthorizeError::new(
            Code::UnsupportedResponseType,
            format!("response_type `{value}` is not supported; use `code`"),
        )
    })?;
    let grant = if response_type.is_implicit() {
        GrantType::Implicit
    } else {
        GrantType::AuthorizationCode
    };
    if !client.allows_grant(grant) {
        return Err(AuthorizeError::new(
            Code::UnauthorizedClient,
            format!(
                "the application is not allowed the {} grant",
                grant.as_str()
            ),
        ));
    }
    let default_mode = if response_type.is_implicit() {
        ResponseMode::Fragment
    } else {
        ResponseMode::Query
    };
    let mode = match get(params, "response_mode")? {
        None => default_mode,
        Some(value) => ResponseMode::parse(value).ok_or_else(|| {
            AuthorizeError::new(
                Code::InvalidRequest,
                format!("response_mode `{value}` is not supported"),
            )
        })?,
    };
    // Multiple Response Types §5: tokens must never be put in the query string.
    if response_type.is_implicit() && mode == ResponseMode::Query {
        return Err(AuthorizeError::new(
            Code::InvalidRequest,
            "response_mode query cannot carry tokens; use fragment or form_post",
        ));
    }
    Ok((response_type, mode))
}

/// RFC 7636 and RFC 9700 §2.1.1: public clients must send a code challenge; `plain` only for
/// clients configured for it.
fn pkce(
    params: &Params,
    client: &RegisteredClient,
    response_type: ResponseType,
) -> Result<Option<CodeChallenge>, AuthorizeError> {
    if response_type != ResponseType::Code {
        return Ok(None);
    }
    let challenge = get(params, "code_challenge")?;
    let method = get(params, "code_challenge_method")?;
    let parsed = parse_challenge(challenge, method, client.allow_plain_pkce)
        .map_err(|e| AuthorizeError::new(Code::InvalidRequest, e.to_string()))?;
    if parsed.is_none() && client.is_public() {
        return Err(AuthorizeError::new(
            Code::InvalidRequest,
            "this application is public and must use PKCE: send code_challenge with code_challenge_method=S256",
        ));
    }
    Ok(parsed)
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
    /// With more than one factor.
    pub multi_factor: bool,
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
            // OIDC Core §3.1.2.1: max_age=0 means the same as prompt=login.
            let too_old = request
                .max_age
                .is_some_and(|max| max == 0 || now.seconds_since(auth.auth_time) > max);
            // A session of a password alone does not do for a request that asks for more.
            let too_weak = request.asks_for_multi_factor() && !auth.multi_factor;
            too_weak || (!auth.during_this_request && (request.prompt.login || too_old))
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
    let ask = !consented_now
        && (request.prompt.consent
            || (!request.skip_consent && consent_needed(granted, &request.scope)));
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
