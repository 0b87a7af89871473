//! Registered clients (applications) and resource servers (APIs), with Auth0's field names.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{RedirectUri, Scope, ScopeSet, SecretDigest, Timestamp, WebOrigin};

/// A client identifier (RFC 6749 §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientId(pub String);

impl ClientId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Auth0's `app_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppType {
    RegularWeb,
    /// A single-page application: public, must use PKCE.
    Spa,
    /// A native (mobile or desktop) application: public, must use PKCE.
    Native,
    /// Machine to machine (Auth0's `non_interactive`).
    NonInteractive,
}

impl AppType {
    pub const ALL: [AppType; 4] = [
        AppType::RegularWeb,
        AppType::Spa,
        AppType::Native,
        AppType::NonInteractive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AppType::RegularWeb => "regular_web",
            AppType::Spa => "spa",
            AppType::Native => "native",
            AppType::NonInteractive => "non_interactive",
        }
    }

    pub fn parse(value: &str) -> Option<AppType> {
        AppType::ALL.into_iter().find(|t| t.as_str() == value)
    }

    /// Single-page and native apps cannot keep a secret (RFC 6749 §2.1).
    pub fn is_public(self) -> bool {
        matches!(self, AppType::Spa | AppType::Native)
    }
}

/// The grant types Tessera implements (RFC 6749 §4, §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
    Implicit,
    /// The resource owner password grant (RFC 6749 §4.3), for legacy first-party apps.
    Password,
    /// Auth0's password grant naming the connection (`realm`) to check the password against.
    #[serde(rename = "http://auth0.com/oauth/grant-type/password-realm")]
    PasswordRealm,
    /// The device authorization grant (RFC 8628), for TVs and command lines.
    #[serde(rename = "urn:ietf:params:oauth:grant-type:device_code")]
    DeviceCode,
    /// Auth0's MFA API: after `mfa_required`, the `mfa_token` and a code from the user's
    /// authenticator app.
    #[serde(rename = "http://auth0.com/oauth/grant-type/mfa-otp")]
    MfaOtp,
    /// Auth0's MFA API: the `mfa_token` and the user's recovery code.
    #[serde(rename = "http://auth0.com/oauth/grant-type/mfa-recovery-code")]
    MfaRecoveryCode,
}

impl GrantType {
    pub const ALL: [GrantType; 9] = [
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
        GrantType::Implicit,
        GrantType::Password,
        GrantType::PasswordRealm,
        GrantType::DeviceCode,
        GrantType::MfaOtp,
        GrantType::MfaRecoveryCode,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::Implicit => "implicit",
            GrantType::Password => "password",
            GrantType::PasswordRealm => "http://auth0.com/oauth/grant-type/password-realm",
            GrantType::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
            GrantType::MfaOtp => "http://auth0.com/oauth/grant-type/mfa-otp",
            GrantType::MfaRecoveryCode => "http://auth0.com/oauth/grant-type/mfa-recovery-code",
        }
    }

    pub fn parse(value: &str) -> Option<GrantType> {
        GrantType::ALL.into_iter().find(|g| g.as_str() == value)
    }

    /// One of Auth0's MFA API grants, which an application needs for the password grant's
    /// `mfa_required` to carry an `mfa_token`.
    pub fn is_mfa(self) -> bool {
        matches!(self, GrantType::MfaOtp | GrantType::MfaRecoveryCode)
    }
}

/// How a client authenticates at the token endpoint (Auth0's `token_endpoint_auth_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenAuthMethod {
    /// A public client: no secret; it proves possession with PKCE instead.
    None,
    ClientSecretPost,
    ClientSecretBasic,
}

impl TokenAuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenAuthMethod::None => "none",
            TokenAuthMethod::ClientSecretPost => "client_secret_post",
            TokenAuthMethod::ClientSecretBasic => "client_secret_basic",
        }
    }

    pub fn parse(value: &str) -> Option<TokenAuthMethod> {
        [
            TokenAuthMethod::None,
            TokenAuthMethod::ClientSecretPost,
            TokenAuthMethod::ClientSecretBasic,
        ]
        .into_iter()
        .find(|m| m.as_str() == value)
    }
}

/// Auth0's `refresh_token.rotation_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rotation {
    #[serde(rename = "rotating")]
    Rotating,
    #[serde(rename = "non-rotating")]
    NonRotating,
}

impl Rotation {
    pub fn as_str(self) -> &'static str {
        match self {
            Rotation::Rotating => "rotating",
            Rotation::NonRotating => "non-rotating",
        }
    }

    pub fn parse(value: &str) -> Option<Rotation> {
        [Rotation::Rotating, Rotation::NonRotating]
            .into_iter()
            .find(|r| r.as_str() == value)
    }
}

/// A client's refresh token settings (Auth0's `refresh_token` object).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshTokenPolicy {
    pub rotation_type: Rotation,
    /// Seconds during which a just-rotated token may be used again (racing retries).
    pub leeway: i64,
    /// Absolute lifetime of a token family, seconds; `None` means no limit.
    pub token_lifetime: Option<i64>,
    /// A token unused for this long expires, seconds; `None` means no limit.
    pub idle_token_lifetime: Option<i64>,
}

impl RefreshTokenPolicy {
    /// When a token of a family begun at `family_created_at`, last used at `last_used_at`,
    /// expires: the earlier of its absolute and inactivity lifetimes; `None` if neither has a
    /// limit. Housekeeping deletes it then: presented later it would be refused as expired
    /// (before any reuse check), so nothing needs it.
    pub fn expiry(
        &self,
        family_created_at: Timestamp,
        last_used_at: Timestamp,
    ) -> Option<Timestamp> {
        let absolute = self.token_lifetime.map(|life| family_created_at.plus(life));
        let idle = self.idle_token_lifetime.map(|idle| last_used_at.plus(idle));
        match (absolute, idle) {
            (Some(a), Some(i)) => Some(a.min(i)),
            (a, i) => a.or(i),
        }
    }
}

impl Default for RefreshTokenPolicy {
    /// Auth0's defaults for new applications.
    fn default() -> Self {
        RefreshTokenPolicy {
            rotation_type: Rotation::NonRotating,
            leeway: 0,
            token_lifetime: Some(31_557_600),
            idle_token_lifetime: Some(2_592_000),
        }
    }
}

/// A registered application.
#[derive(Clone, PartialEq, Eq)]
pub struct RegisteredClient {
    pub client_id: ClientId,
    pub name: String,
    pub app_type: AppType,
    /// Auth0's "Allowed Callback URLs": the only redirect URIs accepted, compared exactly.
    pub callbacks: Vec<RedirectUri>,
    /// Auth0's "Allowed Logout URLs": where logout may return to, compared exactly.
    pub allowed_logout_urls: Vec<String>,
    /// Auth0's "Allowed Web Origins": pages that may get silent authentication's answer
    /// (`response_mode=web_message`) and call the token endpoint from JavaScript.
    pub web_origins: Vec<WebOrigin>,
    /// Auth0's "Allowed Origins (CORS)": pages that may call the token endpoint from JavaScript.
    pub allowed_origins: Vec<WebOrigin>,
    pub grant_types: Vec<GrantType>,
    pub token_endpoint_auth_method: TokenAuthMethod,
    /// Absent for public clients.
    pub secret_digest: Option<SecretDigest>,
    pub refresh_token: RefreshTokenPolicy,
    /// Whether PKCE's `plain` method is accepted (never by default).
    pub allow_plain_pkce: bool,
    /// Auth0's `is_first_party`: the tenant's own application (true unless registered as a
    /// third party), which APIs may exempt from consent.
    pub is_first_party: bool,
    /// Auth0's `require_pushed_authorization_requests`: `/authorize` takes only a `request_uri` from `/oauth/par`
    /// (RFC 9126 §6), so no authorization request of this client travels in a URL.
    pub require_pushed_authorization_requests: bool,
    /// Auth0's `require_proof_of_possession`: the client gets tokens only with a DPoP proof
    /// (RFC 9449), and so only sender-constrained ones.
    pub require_proof_of_possession: bool,
    /// Auth0's `logo_uri`: the URL of the logo the hosted pages show for this application
    /// (see [`crate::registration::logo_uri`] for what is accepted).
    pub logo_uri: Option<String>,
}

impl fmt::Debug for RegisteredClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisteredClient")
            .field("client_id", &self.client_id)
            .field("name", &self.name)
            .field("app_type", &self.app_type)
            .field("callbacks", &self.callbacks)
            .field("grant_types", &self.grant_types)
            .field(
                "token_endpoint_auth_method",
                &self.token_endpoint_auth_method,
            )
            .finish_non_exhaustive()
    }
}

impl RegisteredClient {
    /// The redirect URI to use for `requested`, if a registered callback allows it: one equal
    /// to it (RFC 9700 §4.1.3: exact match), or for a native app a loopback IP callback that
    /// differs only in its port (RFC 8252 §7.3). The answer is `requested` itself, so the
    /// response goes to the port the app listens on.
    pub fn callback(&self, requested: &str) -> Option<RedirectUri> {
        let allowed = self.callbacks.iter().any(|uri| {
            uri.matches(requested)
                || (self.app_type == AppType::Native && uri.matches_loopback_any_port(requested))
        });
        if allowed {
            RedirectUri::parse(requested).ok()
        } else {
            None
        }
    }

    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// A public client has no secret and must use PKCE (RFC 9700 §2.1.1).
    pub fn is_public(&self) -> bool {
        self.token_endpoint_auth_method == TokenAuthMethod::None
    }

    /// The refresh token policy in force. RFC 9700 §2.2.2: refresh tokens for public clients
    /// MUST be sender-constrained or rotated; Tessera has no sender constraint, so a public
    /// client's are rotated (with reuse detection) whatever its registered `rotation_type`.
    pub fn refresh_policy(&self) -> RefreshTokenPolicy {
        let mut policy = self.refresh_token;
        if self.is_public() {
            policy.rotation_type = Rotation::Rotating;
        }
        policy
    }

    /// Whether a page of `origin` (a request's `Origin` header) may read this client's answers
    /// from the token endpoint: as Auth0, the origins of its callbacks, its Allowed Origins
    /// (CORS) and its Allowed Web Origins.
    pub fn allows_cors_from(&self, origin: &str) -> bool {
        self.allows_web_message_to(origin)
            || self.allowed_origins.iter().any(|o| o.is(origin))
            || self
                .callbacks
                .iter()
                .filter_map(|c| WebOrigin::of_url(c.as_str()))
                .any(|o| o.is(origin))
    }

    /// Whether silent authentication's answer may be posted (`web_message`) to a page of
    /// `origin`: one of its Allowed Web Origins, as Auth0.
    pub fn allows_web_message_to(&self, origin: &str) -> bool {
        self.web_origins.iter().any(|o| o.is(origin))
    }

    /// Whether `url` is one of the Allowed Logout URLs (exact match).
    pub fn allows_logout_url(&self, url: &str) -> bool {
        self.allowed_logout_urls
            .iter()
            .any(|allowed| allowed == url)
    }
}

/// One permission an API defines (Auth0's `scopes: [{ value, description }]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiScope {
    pub value: Scope,
    pub description: String,
}

/// Auth0's `token_dialect`: the profile of an API's access tokens, and whether they carry the
/// user's `permissions`. Tessera's access tokens follow RFC 9068 in every dialect; the `_authz`
/// ones add the `permissions` claim (with RBAC on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenDialect {
    #[default]
    AccessToken,
    AccessTokenAuthz,
    Rfc9068Profile,
    Rfc9068ProfileAuthz,
}

impl TokenDialect {
    pub const ALL: [TokenDialect; 4] = [
        TokenDialect::AccessToken,
        TokenDialect::AccessTokenAuthz,
        TokenDialect::Rfc9068Profile,
        TokenDialect::Rfc9068ProfileAuthz,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenDialect::AccessToken => "access_token",
            TokenDialect::AccessTokenAuthz => "access_token_authz",
            TokenDialect::Rfc9068Profile => "rfc9068_profile",
            TokenDialect::Rfc9068ProfileAuthz => "rfc9068_profile_authz",
        }
    }

    pub fn parse(value: &str) -> Option<TokenDialect> {
        TokenDialect::ALL.into_iter().find(|d| d.as_str() == value)
    }

    fn with_permissions(self) -> bool {
        matches!(
            self,
            TokenDialect::AccessTokenAuthz | TokenDialect::Rfc9068ProfileAuthz
        )
    }
}

/// Auth0's role-based access control settings of an API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rbac {
    /// Auth0's `enforce_policies`: a user's access token gets only the requested scopes the
    /// user holds as permissions (through roles or directly).
    pub enforce_policies: bool,
    pub token_dialect: TokenDialect,
}

impl Rbac {
    /// Whether access tokens carry a `permissions` claim: an `_authz` dialect, with RBAC on.
    pub fn adds_permissions(self) -> bool {
        self.enforce_policies && self.token_dialect.with_permissions()
    }
}

/// Auth0's `proof_of_possession.mechanism`. Auth0 also names `mtls`, which Tessera does not
/// implement: it is refused where the setting is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PopMechanism {
    Dpop,
}

impl PopMechanism {
    pub const ALL: [PopMechanism; 1] = [PopMechanism::Dpop];

    pub fn as_str(self) -> &'static str {
        match self {
            PopMechanism::Dpop => "dpop",
        }
    }

    pub fn parse(value: &str) -> Option<PopMechanism> {
        PopMechanism::ALL.into_iter().find(|m| m.as_str() == value)
    }
}

/// Auth0's `proof_of_possession` of an API: with it set, a client that proves possession of a
/// key gets tokens bound to that key ("allowed"); with `required`, only such clients get
/// tokens for the API at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProofOfPossession {
    pub mechanism: PopMechanism,
    pub required: bool,
}

/// A protected API (Auth0's "resource server"); its `identifier` is the token audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceServer {
    /// Auth0's opaque resource server id (the Management API's `id`); stays the same for the
    /// life of the API.
    pub id: String,
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<ApiScope>,
    pub allow_offline_access: bool,
    /// Access token lifetime in seconds.
    pub token_lifetime: i64,
    pub signing_alg: String,
    /// Auth0's `skip_consent_for_verifiable_first_party_clients`.
    pub skip_consent_for_verifiable_first_party_clients: bool,
    pub rbac: Rbac,
    /// Auth0's `proof_of_possession`: whether the API's access tokens are sender-constrained;
    /// `None` (Auth0's "none") issues Bearer tokens even when the client sent a DPoP proof.
    pub proof_of_possession: Option<ProofOfPossession>,
}

impl ResourceServer {
    pub fn defines(&self, scope: &Scope) -> bool {
        self.scopes.iter().any(|s| &s.value == scope)
    }

    /// Auth0's RBAC rule: with `enforce_policies`, of the API's permissions only those the user
    /// holds (`held`, sorted) stay in `requested`; scopes the API does not define (`openid`,
    /// `profile`, `offline_access`…) are not permissions and stay. Without it, `requested` as
    /// it is.
    pub fn permitted(&self, requested: &ScopeSet, held: &[String]) -> ScopeSet {
        if !self.rbac.enforce_policies {
            return requested.clone();
        }
        requested.filter(|scope| {
            held.binary_search_by(|h| h.as_str().cmp(scope.as_str()))
                .is_ok()
                || !self.defines(scope)
        })
    }

    /// Auth0's rule: consent is skipped for a first-party client when the API allows it, unless
    /// the redirect URI is on the local machine, where any program could pose as the client.
    pub fn skips_consent_for(&self, client: &RegisteredClient, redirect_uri: &RedirectUri) -> bool {
        self.skip_consent_for_verifiable_first_party_clients
            && client.is_first_party
            && !redirect_uri.is_local()
    }

    pub fn description_of(&self, scope: &Scope) -> Option<&str> {
        self.scopes
            .iter()
            .find(|s| &s.value == scope)
            .map(|s| s.description.as_str())
    }
}
