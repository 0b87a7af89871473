//! Registration rules: which settings make a valid application (Auth0's client) or API (Auth0's
//! resource server), with Auth0's names and defaults. The configuration file, the Management
//! API, the Dashboard and the CLI all register through these functions, so one rule holds
//! everywhere. Errors name the offending field.

use crate::client::{
    ApiScope, AppType, ClientId, GrantType, PopMechanism, ProofOfPossession, Rbac,
    RefreshTokenPolicy, RegisteredClient, ResourceServer, Rotation, TokenAuthMethod, TokenDialect,
};
use crate::revocation::MAX_ACCESS_TOKEN_LIFETIME;
use crate::{RedirectUri, Scope, SecretDigest, WebOrigin};
use url::Url;

/// The JWS algorithms an API may sign its access tokens with (`signing_alg`).
pub const SIGNING_ALGORITHMS: [&str; 4] = ["RS256", "PS256", "ES256", "EdDSA"];

/// Why settings cannot be registered; the message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RegistrationError(pub String);

fn refused(message: impl Into<String>) -> RegistrationError {
    RegistrationError(message.into())
}

/// An application's settings as Auth0 names them, before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSettings {
    pub name: String,
    /// `regular_web`, `spa`, `native` or `non_interactive`.
    pub app_type: String,
    pub callbacks: Vec<String>,
    pub allowed_logout_urls: Vec<String>,
    /// Auth0's "Allowed Web Origins" (`web_origins`).
    pub web_origins: Vec<String>,
    /// Auth0's "Allowed Origins (CORS)" (`allowed_origins`).
    pub allowed_origins: Vec<String>,
    /// `None`: the app type's defaults.
    pub grant_types: Option<Vec<String>>,
    /// `None`: `none` for public app types, else `client_secret_post`.
    pub token_endpoint_auth_method: Option<String>,
    pub refresh_token: RefreshTokenSettings,
    pub allow_plain_pkce: bool,
    pub is_first_party: bool,
    pub require_pushed_authorization_requests: bool,
    /// Auth0's `require_proof_of_possession`: tokens only with a DPoP proof (RFC 9449).
    pub require_proof_of_possession: bool,
    /// Auth0's `logo_uri`: the logo the hosted pages show; `None` (or empty) for none.
    pub logo_uri: Option<String>,
}

impl Default for ClientSettings {
    /// A confidential regular web application with Auth0's defaults.
    fn default() -> Self {
        ClientSettings {
            name: String::new(),
            app_type: AppType::RegularWeb.as_str().to_owned(),
            callbacks: Vec::new(),
            allowed_logout_urls: Vec::new(),
            web_origins: Vec::new(),
            allowed_origins: Vec::new(),
            grant_types: None,
            token_endpoint_auth_method: None,
            refresh_token: RefreshTokenSettings::default(),
            allow_plain_pkce: false,
            is_first_party: true,
            require_pushed_authorization_requests: false,
            require_proof_of_possession: false,
            logo_uri: None,
        }
    }
}

/// Auth0's `refresh_token` object of an application, before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenSettings {
    /// `rotating` or `non-rotating`.
    pub rotation_type: String,
    /// Seconds a rotated token stays usable, for racing retries.
    pub leeway: i64,
    /// Absolute lifetime, seconds.
    pub token_lifetime: i64,
    pub infinite_token_lifetime: bool,
    /// Inactivity lifetime, seconds.
    pub idle_token_lifetime: i64,
    pub infinite_idle_token_lifetime: bool,
}

impl Default for RefreshTokenSettings {
    /// Auth0's defaults for new applications.
    fn default() -> Self {
        RefreshTokenSettings::of(&RefreshTokenPolicy::default())
    }
}

impl RefreshTokenSettings {
    /// The settings a policy was registered from; an infinite lifetime shows Auth0's default
    /// number beside its `infinite_*` flag.
    pub fn of(policy: &RefreshTokenPolicy) -> RefreshTokenSettings {
        let defaults = RefreshTokenPolicy::default();
        let or_default =
            |lifetime: Option<i64>, default: Option<i64>| lifetime.or(default).unwrap_or_default();
        RefreshTokenSettings {
            rotation_type: policy.rotation_type.as_str().to_owned(),
            leeway: policy.leeway,
            token_lifetime: or_default(policy.token_lifetime, defaults.token_lifetime),
            infinite_token_lifetime: policy.token_lifetime.is_none(),
            idle_token_lifetime: or_default(
                policy.idle_token_lifetime,
                defaults.idle_token_lifetime,
            ),
            infinite_idle_token_lifetime: policy.idle_token_lifetime.is_none(),
        }
    }

    fn policy(&self) -> Result<RefreshTokenPolicy, RegistrationError> {
        let rotation_type = Rotation::parse(&self.rotation_type).ok_or_else(|| {
            refused(format!(
                "refresh_token.rotation_type `{}` must be rotating or non-rotating",
                self.rotation_type
            ))
        })?;
        if self.leeway < 0 || self.token_lifetime <= 0 || self.idle_token_lifetime <= 0 {
            return Err(refused(
                "refresh_token lifetimes must be positive and leeway not negative",
            ));
        }
        Ok(RefreshTokenPolicy {
            rotation_type,
            leeway: self.leeway,
            token_lifetime: (!self.infinite_token_lifetime).then_some(self.token_lifetime),
            idle_token_lifetime: (!self.infinite_idle_token_lifetime)
                .then_some(self.idle_token_lifetime),
        })
    }
}

impl ClientSettings {
    /// The settings a registered client was registered with (explicit grants and method).
    pub fn of(client: &RegisteredClient) -> ClientSettings {
        ClientSettings {
            name: client.name.clone(),
            app_type: client.app_type.as_str().to_owned(),
            callbacks: client
                .callbacks
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
            allowed_logout_urls: client.allowed_logout_urls.clone(),
            web_origins: client.web_origins.iter().map(|o| o.to_string()).collect(),
            allowed_origins: client
                .allowed_origins
                .iter()
                .map(|o| o.to_string())
                .collect(),
            grant_types: Some(
                client
                    .grant_types
                    .iter()
                    .map(|g| g.as_str().to_owned())
                    .collect(),
            ),
            token_endpoint_auth_method: Some(client.token_endpoint_auth_method.as_str().to_owned()),
            refresh_token: RefreshTokenSettings::of(&client.refresh_token),
            allow_plain_pkce: client.allow_plain_pkce,
            is_first_party: client.is_first_party,
            require_pushed_authorization_requests: client.require_pushed_authorization_requests,
            require_proof_of_possession: client.require_proof_of_possession,
            logo_uri: client.logo_uri.clone(),
        }
    }

    /// Changes the app type; the new type brings its own default authentication method and
    /// grant types, unless the same change sets them too (Auth0's Dashboard behaves so).
    pub fn change_app_type(&mut self, app_type: String) {
        self.app_type = app_type;
        self.token_endpoint_auth_method = None;
        self.grant_types = None;
    }
}

/// The grant types an application of `app_type` gets when none are given.
pub fn default_grant_types(app_type: AppType) -> &'static [GrantType] {
    match app_type {
        AppType::NonInteractive => &[GrantType::ClientCredentials],
        _ => &[GrantType::AuthorizationCode, GrantType::RefreshToken],
    }
}

/// The token endpoint authentication method an application of `app_type` gets when none is
/// given: public apps (SPA, native) cannot keep a secret (RFC 6749 §2.1).
pub fn default_auth_method(app_type: AppType) -> TokenAuthMethod {
    if app_type.is_public() {
        TokenAuthMethod::None
    } else {
        TokenAuthMethod::ClientSecretPost
    }
}

/// The client `settings` describe, without a secret (see [`configured_secret`]).
pub fn register_client(
    client_id: ClientId,
    settings: &ClientSettings,
) -> Result<RegisteredClient, RegistrationError> {
    let app_type = AppType::parse(&settings.app_type).ok_or_else(|| {
        refused(format!(
            "app_type `{}` is not supported (use regular_web, spa, native or non_interactive)",
            settings.app_type
        ))
    })?;
    let method = match &settings.token_endpoint_auth_method {
        Some(method) => TokenAuthMethod::parse(method).ok_or_else(|| {
            refused(format!(
                "token_endpoint_auth_method `{method}` is not supported"
            ))
        })?,
        None => default_auth_method(app_type),
    };
    let grant_types = grant_types(app_type, settings.grant_types.as_deref())?;
    if method == TokenAuthMethod::None && grant_types.contains(&GrantType::ClientCredentials) {
        return Err(refused("a public client cannot use client_credentials"));
    }
    Ok(RegisteredClient {
        client_id,
        name: settings.name.clone(),
        app_type,
        callbacks: callbacks(&settings.callbacks)?,
        allowed_logout_urls: logout_urls(&settings.allowed_logout_urls)?,
        web_origins: origins("web_origins", &settings.web_origins)?,
        allowed_origins: origins("allowed_origins", &settings.allowed_origins)?,
        grant_types,
        token_endpoint_auth_method: method,
        secret_digest: None,
        refresh_token: settings.refresh_token.policy()?,
        allow_plain_pkce: settings.allow_plain_pkce,
        is_first_party: settings.is_first_party,
        require_pushed_authorization_requests: settings.require_pushed_authorization_requests,
        require_proof_of_possession: settings.require_proof_of_possession,
        logo_uri: logo_uri(settings.logo_uri.as_deref())?,
    })
}

fn grant_types(
    app_type: AppType,
    names: Option<&[String]>,
) -> Result<Vec<GrantType>, RegistrationError> {
    match names {
        None => Ok(default_grant_types(app_type).to_vec()),
        Some(names) => names
            .iter()
            .map(|name| {
                GrantType::parse(name)
                    .ok_or_else(|| refused(format!("grant type `{name}` is not supported")))
            })
            .collect(),
    }
}

/// Auth0's "Allowed Callback URLs": absolute URLs without a fragment (RFC 6749 §3.1.2).
fn callbacks(uris: &[String]) -> Result<Vec<RedirectUri>, RegistrationError> {
    uris.iter()
        .map(|uri| RedirectUri::parse(uri).map_err(|e| refused(format!("callback `{uri}`: {e}"))))
        .collect()
}

fn logout_urls(urls: &[String]) -> Result<Vec<String>, RegistrationError> {
    for url in urls {
        RedirectUri::parse(url).map_err(|e| refused(format!("allowed logout URL `{url}`: {e}")))?;
    }
    Ok(urls.to_vec())
}

fn origins(field: &str, origins: &[String]) -> Result<Vec<WebOrigin>, RegistrationError> {
    origins
        .iter()
        .map(|origin| {
            WebOrigin::parse(origin).map_err(|e| refused(format!("{field} `{origin}`: {e}")))
        })
        .collect()
}

/// The longest `logo_uri` accepted (the length browsers and proxies reliably carry).
pub const MAX_LOGO_URI: usize = 2048;

/// Auth0's `logo_uri`, as the hosted pages will show it in an `<img src>`: an absolute `https`
/// URL (`http` only for `localhost` and `127.0.0.1`, for development), at most
/// [`MAX_LOGO_URI`] characters, without quotes, angle brackets, backslashes, whitespace or
/// control characters. An empty one is none. The pages' Content-Security-Policy allows images
/// from `https:` only, so a browser blocks an `http://localhost` logo: acceptable in
/// development, where it is at worst a missing image.
pub fn logo_uri(uri: Option<&str>) -> Result<Option<String>, RegistrationError> {
    let Some(uri) = uri.filter(|uri| !uri.is_empty()) else {
        return Ok(None);
    };
    let bad = || {
        refused(format!(
            "logo_uri must be an absolute https URL (http only for localhost) of at most \
             {MAX_LOGO_URI} characters, without quotes, angle brackets, backslashes or \
             whitespace"
        ))
    };
    let forbidden = |c: char| c.is_whitespace() || c.is_control() || "\"'<>\\`".contains(c);
    if uri.chars().count() > MAX_LOGO_URI || uri.chars().any(forbidden) {
        return Err(bad());
    }
    let url = Url::parse(uri).map_err(|_| bad())?;
    let local = || matches!(url.host_str(), Some("localhost" | "127.0.0.1"));
    let scheme_allowed = match url.scheme() {
        "https" => true,
        "http" => local(),
        _ => false,
    };
    if !scheme_allowed
        || url.host().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(bad());
    }
    Ok(Some(uri.to_owned()))
}

/// The digest of a secret given with a client's settings (the configuration file's
/// `client_secret`): a confidential client must have one, a public client must not.
pub fn configured_secret(
    client: &RegisteredClient,
    secret: Option<&str>,
) -> Result<Option<SecretDigest>, RegistrationError> {
    match (client.is_public(), secret) {
        (true, None) => Ok(None),
        (true, Some(_)) => Err(refused(
            "a public client (token_endpoint_auth_method none) has no client_secret",
        )),
        (false, Some(secret)) if !secret.is_empty() => Ok(Some(SecretDigest::of(secret))),
        (false, _) => Err(refused(
            "client_secret must be set for a confidential client",
        )),
    }
}

/// An API's settings as Auth0 names them, before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiSettings {
    /// The opaque id a new API gets (an existing one keeps its own).
    pub id: String,
    /// The audience of its tokens; cannot change once registered.
    pub identifier: String,
    pub name: String,
    /// `(value, description)` of each permission.
    pub scopes: Vec<(String, String)>,
    pub allow_offline_access: bool,
    /// Access token lifetime, seconds.
    pub token_lifetime: i64,
    pub signing_alg: String,
    pub skip_consent_for_verifiable_first_party_clients: bool,
    pub enforce_policies: bool,
    /// Auth0's `token_dialect`: `access_token`, `access_token_authz`, `rfc9068_profile` or
    /// `rfc9068_profile_authz`.
    pub token_dialect: String,
    /// Auth0's `proof_of_possession`; `None` is Auth0's "none" (Bearer tokens).
    pub proof_of_possession: Option<ProofOfPossessionSettings>,
}

/// Auth0's `proof_of_possession` object of an API, before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofOfPossessionSettings {
    /// `dpop`; Auth0 also names `mtls` (RFC 8705), which Tessera does not implement.
    pub mechanism: String,
    /// Only clients that prove possession of a key get tokens for the API.
    pub required: bool,
}

impl ProofOfPossessionSettings {
    /// The settings a registered API's setting was registered with.
    pub fn of(pop: &ProofOfPossession) -> ProofOfPossessionSettings {
        ProofOfPossessionSettings {
            mechanism: pop.mechanism.as_str().to_owned(),
            required: pop.required,
        }
    }

    fn setting(&self) -> Result<ProofOfPossession, RegistrationError> {
        let mechanism = PopMechanism::parse(&self.mechanism).ok_or_else(|| {
            refused(format!(
                "proof_of_possession.mechanism `{}` is not supported: Tessera implements only \
                 dpop (DPoP, RFC 9449), not mtls",
                self.mechanism
            ))
        })?;
        Ok(ProofOfPossession {
            mechanism,
            required: self.required,
        })
    }
}

impl ApiSettings {
    /// A new API with Auth0's defaults: named after its identifier, a day's tokens, RS256.
    pub fn new(id: String, identifier: String) -> ApiSettings {
        ApiSettings {
            id,
            name: identifier.clone(),
            identifier,
            scopes: Vec::new(),
            allow_offline_access: false,
            token_lifetime: 86_400,
            signing_alg: "RS256".to_owned(),
            skip_consent_for_verifiable_first_party_clients: false,
            enforce_policies: false,
            token_dialect: TokenDialect::default().as_str().to_owned(),
            proof_of_possession: None,
        }
    }

    /// The settings a registered API was registered with.
    pub fn of(api: &ResourceServer) -> ApiSettings {
        ApiSettings {
            id: api.id.clone(),
            identifier: api.identifier.clone(),
            name: api.name.clone(),
            scopes: api
                .scopes
                .iter()
                .map(|s| (s.value.to_string(), s.description.clone()))
                .collect(),
            allow_offline_access: api.allow_offline_access,
            token_lifetime: api.token_lifetime,
            signing_alg: api.signing_alg.clone(),
            skip_consent_for_verifiable_first_party_clients: api
                .skip_consent_for_verifiable_first_party_clients,
            enforce_policies: api.rbac.enforce_policies,
            token_dialect: api.rbac.token_dialect.as_str().to_owned(),
            proof_of_possession: api
                .proof_of_possession
                .as_ref()
                .map(ProofOfPossessionSettings::of),
        }
    }
}

/// The API `settings` describe.
pub fn register_api(settings: &ApiSettings) -> Result<ResourceServer, RegistrationError> {
    if settings.identifier.is_empty() {
        return Err(refused("identifier must not be empty"));
    }
    if !SIGNING_ALGORITHMS.contains(&settings.signing_alg.as_str()) {
        return Err(refused(format!(
            "signing_alg `{}` is not supported (use RS256, PS256, ES256 or EdDSA)",
            settings.signing_alg
        )));
    }
    if settings.token_lifetime <= 0 || settings.token_lifetime > MAX_ACCESS_TOKEN_LIFETIME {
        return Err(refused(format!(
            "token_lifetime must be between 1 and {MAX_ACCESS_TOKEN_LIFETIME} seconds (30 days)"
        )));
    }
    let token_dialect = TokenDialect::parse(&settings.token_dialect).ok_or_else(|| {
        refused(format!(
            "token_dialect `{}` is not supported (use access_token, access_token_authz, \
             rfc9068_profile or rfc9068_profile_authz)",
            settings.token_dialect
        ))
    })?;
    let proof_of_possession = settings
        .proof_of_possession
        .as_ref()
        .map(ProofOfPossessionSettings::setting)
        .transpose()?;
    let scopes = settings
        .scopes
        .iter()
        .map(|(value, description)| {
            Ok(ApiScope {
                value: Scope::parse(value).map_err(|e| refused(format!("scopes: {e}")))?,
                description: description.clone(),
            })
        })
        .collect::<Result<_, RegistrationError>>()?;
    Ok(ResourceServer {
        id: settings.id.clone(),
        identifier: settings.identifier.clone(),
        name: settings.name.clone(),
        scopes,
        allow_offline_access: settings.allow_offline_access,
        token_lifetime: settings.token_lifetime,
        signing_alg: settings.signing_alg.clone(),
        skip_consent_for_verifiable_first_party_clients: settings
            .skip_consent_for_verifiable_first_party_clients,
        rbac: Rbac {
            enforce_policies: settings.enforce_policies,
            token_dialect,
        },
        proof_of_possession,
    })
}
