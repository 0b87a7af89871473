//! Talking to another identity provider. The way there: its authorization URL with a state
//! (sealed: the pending authorization, the connection, the nonce and the PKCE verifier) and a
//! PKCE S256 challenge — for an OpenID provider (`oidc`, `google-oauth2`) found through its
//! discovery document and with a nonce too. The way back (`interaction::federated` checks the
//! state first): the code exchanged with the verifier and the client secret; then, from an
//! OpenID provider, RFC 9207's `iss` checked when it sends one and its ID token verified by the
//! `openidconnect` crate (signature against its JWKS, issuer, audience, expiry on Tessera's
//! clock, nonce); from an OAuth 2.0 provider (`oauth2`, `github`, through the `oauth2` crate),
//! the profile read at its profile URL with the access token and mapped by `fieldsMap`. Then
//! the user is found by their identity, or made (`oidc|{connection}|{sub}`,
//! `oauth2|{connection}|{id}`, `google-oauth2|{sub}`, `github|{id}`).

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreIdTokenClaims, CoreJsonWebKeySet,
};
use openidconnect::{
    AuthorizationCode, ClientId as OidcClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use tessera_admin::connections::{OAuth2Endpoints, Protocol, UpstreamProvider};
use tessera_admin::identities;
use tessera_core::crypto::new_secret;
use tessera_protocol::connection::{map_profile, primary_verified_email, MappedProfile};
use tessera_protocol::error::AuthorizeError;
use tessera_protocol::AuthorizeErrorCode as Code;
use tessera_store::{JsonObject, NewIdentity, PendingAuthorization, User};

use crate::error::InternalError;
use crate::providers::Fetched;
use crate::state::AppState;

/// What the sealed state is sealed for: it opens as nothing else.
const PURPOSE: &str = "upstream-login";
/// The path of the callback, Auth0's: `https://{domain}/login/callback`.
pub const CALLBACK_PATH: &str = "login/callback";

/// What the state carries to the provider and back, sealed.
#[derive(Serialize, Deserialize)]
pub struct Transaction {
    /// The pending authorization the login is for.
    pub pending: String,
    /// The connection's name.
    pub connection: String,
    nonce: String,
    verifier: String,
}

/// The transaction a state returned by a provider carries; none for a state Tessera did not
/// seal.
pub fn open_state(state: &AppState, sealed: &str) -> Option<Transaction> {
    state.keys.sealer().open_json(PURPOSE, sealed)
}

/// How a provider's answer ended.
#[derive(Debug)]
pub enum Answer {
    /// The person logged in: their user, found or made.
    LoggedIn(Box<User>),
    /// The user is blocked.
    Blocked,
    /// The provider could not be reached.
    Unreachable(AuthorizeError),
    /// The answer is refused (the reason is logged, not shown).
    Refused(&'static str),
}

/// The callback the provider sends the browser back to.
fn callback_url(state: &AppState) -> Result<RedirectUrl, String> {
    RedirectUrl::new(state.settings.endpoint(CALLBACK_PATH))
        .map_err(|e| format!("callback URL: {e}"))
}

/// What an OpenID provider's client needs of its keys.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keys {
    /// None: the client only makes the authorization URL.
    Unneeded,
    /// Its JWKS, fetched now, to verify an ID token with.
    Fetched,
}

/// An OpenID provider's discovery document (and its keys, when `keys` asks), and a client of
/// it for Tessera's callback.
async fn client_of(
    state: &AppState,
    provider: &UpstreamProvider,
    issuer: &str,
    discovery_url: &str,
    keys: Keys,
) -> Result<Client, String> {
    let upstream = &state.upstream;
    let metadata = upstream.discovery(discovery_url, state.clock.now()).await?;
    // OpenID Connect Discovery §4.3: the document names the issuer it was fetched for.
    if metadata.issuer().as_str().trim_end_matches('/') != issuer {
        return Err(format!(
            "the discovery document names the issuer {}",
            metadata.issuer().as_str()
        ));
    }
    let jwks = match keys {
        Keys::Unneeded => CoreJsonWebKeySet::new(Vec::new()),
        // Never cached: a provider that rotated its keys is believed at once.
        Keys::Fetched => CoreJsonWebKeySet::fetch_async(metadata.jwks_uri(), &upstream.http)
            .await
            .map_err(|e| format!("JWKS: {e}"))?,
    };
    let issuer = metadata.issuer().clone();
    let redirect = callback_url(state)?;
    let client = CoreClient::from_provider_metadata(
        metadata.set_jwks(jwks),
        OidcClientId::new(provider.client_id.clone()),
        Some(ClientSecret::new(provider.client_secret.clone())),
    )
    .set_redirect_uri(redirect);
    Ok(Client { client, issuer })
}

type Provider = openidconnect::Client<
    openidconnect::EmptyAdditionalClaims,
    openidconnect::core::CoreAuthDisplay,
    CoreGenderClaim,
    openidconnect::core::CoreJweContentEncryptionAlgorithm,
    openidconnect::core::CoreJsonWebKey,
    openidconnect::core::CoreAuthPrompt,
    openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    openidconnect::core::CoreTokenResponse,
    openidconnect::core::CoreTokenIntrospectionResponse,
    openidconnect::core::CoreRevocableToken,
    openidconnect::core::CoreRevocationErrorResponse,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

struct Client {
    client: Provider,
    issuer: IssuerUrl,
}

type OAuth2Client = oauth2::basic::BasicClient<
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

/// A client of an OAuth 2.0 provider for Tessera's callback. The secret goes in an HTTP Basic
/// header, which RFC 6749 §2.3.1 has every provider accept, or in the body where the provider
/// documents only that (GitHub).
fn oauth2_client(
    state: &AppState,
    provider: &UpstreamProvider,
    endpoints: &OAuth2Endpoints,
) -> Result<OAuth2Client, String> {
    let auth_type = if endpoints.secret_in_body {
        oauth2::AuthType::RequestBody
    } else {
        oauth2::AuthType::BasicAuth
    };
    Ok(
        oauth2::basic::BasicClient::new(oauth2::ClientId::new(provider.client_id.clone()))
            .set_client_secret(oauth2::ClientSecret::new(provider.client_secret.clone()))
            .set_auth_uri(
                oauth2::AuthUrl::new(endpoints.authorization_url.clone())
                    .map_err(|e| format!("authorizationURL: {e}"))?,
            )
            .set_token_uri(
                oauth2::TokenUrl::new(endpoints.token_url.clone())
                    .map_err(|e| format!("tokenURL: {e}"))?,
            )
            .set_redirect_uri(callback_url(state)?)
            .set_auth_type(auth_type),
    )
}

/// The provider's authorization URL for the pending authorization; `Err` (shown to the
/// person as [`unreachable`]) when the provider cannot be reached.
pub async fn authorization_url(
    state: &AppState,
    pending: &PendingAuthorization,
    provider: &UpstreamProvider,
) -> Result<Result<String, AuthorizeError>, InternalError> {
    let verifier = PkceCodeVerifier::new(new_secret()?);
    let transaction = Transaction {
        pending: pending.id.clone(),
        connection: provider.connection.clone(),
        nonce: new_secret()?,
        verifier: verifier.secret().clone(),
    };
    let sealed = state.keys.sealer().seal_json(PURPOSE, &transaction)?;
    let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
    let url = match &provider.protocol {
        Protocol::OpenId {
            issuer,
            discovery_url,
        } => {
            let client =
                match client_of(state, provider, issuer, discovery_url, Keys::Unneeded).await {
                    Ok(client) => client,
                    Err(why) => return Ok(Err(unreachable(provider, &why))),
                };
            let nonce = Nonce::new(transaction.nonce);
            let scopes = provider
                .scope
                .split_whitespace()
                .filter(|s| *s != "openid")
                .map(|s| Scope::new(s.to_owned()));
            let (url, _, _) = client
                .client
                .authorize_url(
                    CoreAuthenticationFlow::AuthorizationCode,
                    move || CsrfToken::new(sealed),
                    move || nonce,
                )
                .add_scopes(scopes)
                .set_pkce_challenge(challenge)
                .url();
            url
        }
        Protocol::OAuth2(endpoints) => {
            let client = match oauth2_client(state, provider, endpoints) {
                Ok(client) => client,
                Err(why) => return Ok(Err(unreachable(provider, &why))),
            };
            let scopes = provider
                .scope
                .split_whitespace()
                .map(|s| oauth2::Scope::new(s.to_owned()));
            let request = client
                .authorize_url(move || CsrfToken::new(sealed))
                .add_scopes(scopes);
            let request = if endpoints.pkce {
                request.set_pkce_challenge(challenge)
            } else {
                request
            };
            request.url().0
        }
    };
    Ok(Ok(url.to_string()))
}

/// The provider's answer with a code: the code exchanged, and the person's user found or
/// made from what the provider says.
pub async fn finish(
    state: &AppState,
    provider: &UpstreamProvider,
    transaction: Transaction,
    code: String,
    iss: Option<&str>,
) -> Result<Answer, InternalError> {
    let person = match &provider.protocol {
        Protocol::OpenId {
            issuer,
            discovery_url,
        } => {
            let client =
                match client_of(state, provider, issuer, discovery_url, Keys::Fetched).await {
                    Ok(client) => client,
                    Err(why) => return Ok(Answer::Unreachable(unreachable(provider, &why))),
                };
            // RFC 9207 §2.4: an answer naming another issuer is a mix-up attack.
            if iss.is_some_and(|iss| iss != client.issuer.as_str()) {
                return Ok(Answer::Refused(
                    "the answer names another identity provider (iss)",
                ));
            }
            verified_claims(state, &client, code, transaction)
                .await
                .map(|claims| MappedProfile {
                    upstream_id: claims.subject().as_str().to_owned(),
                    profile: profile_of(&claims),
                })
                .map_err(Failure::Refused)
        }
        Protocol::OAuth2(endpoints) => {
            profile_from(state, provider, endpoints, code, transaction).await
        }
    };
    let person = match person {
        Ok(person) => person,
        Err(Failure::Unreachable(why)) => {
            return Ok(Answer::Unreachable(unreachable(provider, &why)))
        }
        Err(Failure::Refused(why)) => {
            tracing::warn!(connection = %provider.connection, reason = %why, "upstream login refused");
            return Ok(Answer::Refused(
                "the identity provider's answer could not be verified",
            ));
        }
    };
    Ok(match federated_user(state, provider, person).await? {
        Some(user) => Answer::LoggedIn(Box::new(user)),
        None => Answer::Blocked,
    })
}

/// Why a provider's answer did not log the person in.
enum Failure {
    /// The provider could not be reached (shown as [`unreachable`]).
    Unreachable(String),
    /// The answer is refused (the reason is logged, not shown).
    Refused(String),
}

/// The code exchanged at an OAuth 2.0 provider, and the person's profile read at its profile
/// URL with the access token.
async fn profile_from(
    state: &AppState,
    provider: &UpstreamProvider,
    endpoints: &OAuth2Endpoints,
    code: String,
    transaction: Transaction,
) -> Result<MappedProfile, Failure> {
    let client = oauth2_client(state, provider, endpoints).map_err(Failure::Refused)?;
    let exchange = client.exchange_code(oauth2::AuthorizationCode::new(code));
    let exchange = if endpoints.pkce {
        exchange.set_pkce_verifier(PkceCodeVerifier::new(transaction.verifier))
    } else {
        exchange
    };
    let token = exchange
        .request_async(&state.upstream.http)
        .await
        .map_err(|e| match e {
            oauth2::RequestTokenError::Request(e) => {
                Failure::Unreachable(format!("token endpoint: {e}"))
            }
            other => Failure::Refused(format!("code exchange: {other}")),
        })?;
    let access_token = oauth2::TokenResponse::access_token(&token).secret();
    let answer = state
        .upstream
        .get_json(&endpoints.profile_url, Some(access_token))
        .await
        .map_err(|e| match e {
            Fetched::Unreachable(why) => Failure::Unreachable(format!("profile: {why}")),
            Fetched::Refused(why) => Failure::Refused(format!("profile: {why}")),
        })?;
    let mut person = map_profile(&answer, &endpoints.fields)
        .map_err(|e| Failure::Refused(format!("profile: {e}")))?;
    if !person.profile.contains_key("email") {
        if let Some(email) = verified_email(state, endpoints, access_token).await {
            person.profile.insert("email".into(), email.into());
            person.profile.insert("email_verified".into(), true.into());
        }
    }
    Ok(person)
}

/// The primary address the provider's address list (where it has one) says it verified.
/// Optional: without the scope for it (GitHub's `user:email`), or when the list cannot be
/// read, the person has none.
async fn verified_email(
    state: &AppState,
    endpoints: &OAuth2Endpoints,
    access_token: &str,
) -> Option<String> {
    let url = endpoints.emails_url.as_deref()?;
    let answer = state
        .upstream
        .get_json(url, Some(access_token))
        .await
        .ok()?;
    primary_verified_email(&answer)
}

/// The code exchanged with the PKCE verifier, and the ID token's claims once verified.
async fn verified_claims(
    state: &AppState,
    client: &Client,
    code: String,
    transaction: Transaction,
) -> Result<CoreIdTokenClaims, String> {
    let token = client
        .client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| format!("token endpoint: {e}"))?
        .set_pkce_verifier(PkceCodeVerifier::new(transaction.verifier))
        .request_async(&state.upstream.http)
        .await
        .map_err(|e| format!("code exchange: {e}"))?;
    let id_token = token
        .id_token()
        .ok_or("no ID token in the token response")?;
    let now = chrono::DateTime::from_timestamp(state.clock.now().0, 0).unwrap_or_default();
    let verifier = client.client.id_token_verifier().set_time_fn(move || now);
    id_token
        .claims(&verifier, &Nonce::new(transaction.nonce))
        .cloned()
        .map_err(|e| format!("ID token: {e}"))
}

/// The user of this identity — whose root profile follows what the provider now says when it
/// is their own identity, not one linked to them — or a new user (never one found by email:
/// no account is linked silently). `None` when blocked.
async fn federated_user(
    state: &AppState,
    provider: &UpstreamProvider,
    person: MappedProfile,
) -> Result<Option<User>, InternalError> {
    let now = state.clock.now();
    let MappedProfile {
        upstream_id,
        profile,
    } = person;
    let sub = upstream_id.as_str();
    let own_id = provider.strategy.user_id(&provider.connection, sub);
    if let Some(identity) = state.store.identity(&provider.connection_id, sub).await? {
        state
            .store
            .update_identity_profile(&provider.connection_id, sub, &profile)
            .await?;
        let Some(mut user) = state.store.user(&identity.user_id).await? else {
            return Ok(None);
        };
        if user.blocked {
            return Ok(None);
        }
        if user.user_id == own_id && identities::refresh_profile(&mut user, &profile) {
            state.store.update_user(&user, now).await?;
            state.catalog.forget_user(&user.user_id);
        }
        return Ok(Some(user));
    }
    let user = identities::federated_user(own_id, &profile);
    let identity = NewIdentity {
        connection_id: provider.connection_id.clone(),
        upstream_id: sub.to_owned(),
        profile,
    };
    let created = state
        .store
        .create_federated_user(&user, &identity, now)
        .await?;
    Ok(Some(created))
}

/// The claims of an ID token about its own issuance, not about the person.
const TOKEN_CLAIMS: [&str; 14] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nbf",
    "nonce",
    "auth_time",
    "at_hash",
    "c_hash",
    "azp",
    "acr",
    "amr",
    "sid",
];

/// Auth0's `profileData` of an identity: what the provider's ID token says about the person.
fn profile_of(claims: &CoreIdTokenClaims) -> JsonObject {
    match serde_json::to_value(claims) {
        Ok(serde_json::Value::Object(mut object)) => {
            object.retain(|name, _| !TOKEN_CLAIMS.contains(&name.as_str()));
            object
        }
        _ => JsonObject::new(),
    }
}

/// What the person is shown when the provider cannot be reached or answers nonsense.
pub fn unreachable(provider: &UpstreamProvider, why: &str) -> AuthorizeError {
    tracing::warn!(connection = %provider.connection, reason = %why, "identity provider unreachable");
    AuthorizeError::new(
        Code::TemporarilyUnavailable,
        format!(
            "The identity provider of {} cannot be reached now. Try again later.",
            provider.connection
        ),
    )
}
