//! Auth0 Actions where tokens are issued: the deployed Actions bound to a trigger run in
//! order, in the sandboxed engine, on an `event` in Auth0's shape; what they decide (custom
//! claims, scopes, metadata, a denial) shapes the tokens. With nothing bound, a request pays
//! one cache lookup.

pub mod event;

use serde_json::json;
use tessera_actions::{Failure, Outcome, Trigger};
use tessera_admin::users::merge_metadata;
use tessera_core::audit::{Event, EventType, RequestContext};
use tessera_protocol::authorize::{AuthorizationRequest, ResponseType};
use tessera_protocol::claims::CustomClaims;
use tessera_protocol::error::{TokenError, TokenErrorCode};
use tessera_protocol::mfa::Amr;
use tessera_protocol::scope::Scope;
use tessera_protocol::ScopeSet;
use tessera_store::{JsonObject, Page, User};

use crate::error::InternalError;
use crate::flows::browser::Authenticated;
use crate::flows::grant::TokenFailure;
use crate::state::AppState;
use event::{ExchangeFacts, LoginFacts, Protocol};

/// The most roles `event.authorization.roles` lists.
const MAX_ROLES: u32 = 1000;

/// What the post-login Actions decided for one login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginDecision {
    /// The scope asked for, with the scopes Actions added and without those they removed.
    pub scope: ScopeSet,
    pub custom_claims: CustomClaims,
    /// An Action asked for a second factor (`api.multifactor.enable`).
    pub multifactor: bool,
}

/// Actions stopped the tokens: what the client is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The error code a credentials-exchange Action chose (`invalid_request`,
    /// `invalid_scope`); `access_denied` otherwise.
    pub code: Option<String>,
    pub description: String,
}

/// Runs the post-login Actions for a login; `None` when none is bound.
pub async fn post_login(
    state: &AppState,
    facts: LoginFacts<'_>,
) -> Result<Result<Option<LoginDecision>, Refused>, InternalError> {
    let scripts = state
        .catalog
        .actions(Trigger::PostLogin, state.keys.sealer())
        .await?;
    if scripts.is_empty() {
        return Ok(Ok(None));
    }
    let roles = role_names(state, &facts.user.user_id).await?;
    let event = event::post_login(&facts, &roles, &state.settings.issuer);
    let outcome = match state.actions.run(Trigger::PostLogin, scripts, event).await {
        Ok(outcome) => outcome,
        Err(failure) => {
            // Auth0: a denial does not cancel the metadata the Actions set before it.
            if let Failure::Denied { metadata, .. } = &failure {
                save_metadata(
                    state,
                    facts.user,
                    &metadata.app_metadata,
                    &metadata.user_metadata,
                )
                .await?;
            }
            let refused = refusal(&failure);
            let event_type = match facts.protocol {
                Protocol::RefreshToken => EventType::RefreshTokenExchangeFailed,
                _ => EventType::FailedLogin,
            };
            let event = Event::new(event_type)
                .description(format!("Action failed: {}", refused.description))
                .client(facts.client.client_id.as_str(), Some(&facts.client.name))
                .user(facts.user.user_id.clone(), facts.user.name.clone())
                .details(json!({ "trigger": "post-login", "failure": failure.to_string() }));
            state.record(event, facts.request);
            return Ok(Err(refused));
        }
    };
    log_lines(&outcome);
    save_metadata(
        state,
        facts.user,
        &outcome.app_metadata,
        &outcome.user_metadata,
    )
    .await?;
    Ok(Ok(Some(LoginDecision {
        multifactor: outcome.multifactor.is_some(),
        scope: adjusted_scope(facts.scope, &outcome),
        custom_claims: CustomClaims {
            id_token: outcome.id_token_claims,
            access_token: outcome.access_token_claims,
        },
    })))
}

/// How a user authenticated at the token endpoint: the protocol the Actions see, and the
/// methods used (none at a refresh).
#[derive(Debug, Clone, Copy)]
pub struct AtToken<'a> {
    pub protocol: Protocol,
    pub amr: Option<&'a Amr>,
}

/// Runs the post-login Actions for tokens the token endpoint issues without an authorization
/// request behind them (a refresh, the password grant); a refusal is the token endpoint's.
pub async fn post_login_at_token(
    state: &AppState,
    user: &User,
    client: &tessera_protocol::RegisteredClient,
    api: Option<&tessera_protocol::ResourceServer>,
    scope: &ScopeSet,
    how: AtToken<'_>,
    request: &RequestContext,
) -> Result<Option<LoginDecision>, TokenFailure> {
    let AtToken { protocol, amr } = how;
    let facts = LoginFacts {
        user,
        client,
        api,
        scope,
        redirect_uri: None,
        state: None,
        protocol,
        request,
        query: &[],
        amr,
    };
    post_login(state, facts)
        .await
        .map_err(TokenFailure::Internal)?
        .map_err(refused)
}

/// Runs the post-login Actions at the end of an interactive login, for `request` and the
/// user `user_id`, as Auth0 runs them before the code or the tokens are issued.
pub async fn at_authorization(
    state: &AppState,
    request: &AuthorizationRequest,
    authenticated: &Authenticated,
    origin: &RequestContext,
) -> Result<Result<Option<LoginDecision>, Refused>, InternalError> {
    let user_id = authenticated.user_id.as_str();
    // Nothing bound (nearly every login): no user, client or API to look up.
    let bound = state
        .catalog
        .actions(Trigger::PostLogin, state.keys.sealer());
    if bound.await?.is_empty() {
        return Ok(Ok(None));
    }
    let (Some(user), Some(client)) = (
        state.catalog.user(user_id).await?,
        state.catalog.client(&request.client_id).await?,
    ) else {
        // A user deleted meanwhile is refused by the issuance below.
        return Ok(Ok(None));
    };
    let api = match &request.audience {
        Some(identifier) => state.catalog.api(identifier).await?,
        None => None,
    };
    let query = authorization_query(request);
    let protocol = match request.response_type {
        ResponseType::Code => Protocol::OidcBasicProfile,
        _ => Protocol::OidcImplicitProfile,
    };
    let facts = LoginFacts {
        user: &user,
        client: &client,
        api: api.as_deref(),
        scope: &request.scope,
        redirect_uri: Some(&request.redirect_uri),
        state: request.state.as_deref(),
        protocol,
        request: origin,
        query: &query,
        amr: Some(&authenticated.amr),
    };
    post_login(state, facts).await
}

/// The authorization request's parameters, as `event.request.query` shows them.
fn authorization_query(request: &AuthorizationRequest) -> Vec<(&'static str, String)> {
    let mut query = vec![
        ("client_id", request.client_id.as_str().to_owned()),
        ("redirect_uri", request.redirect_uri.as_str().to_owned()),
        ("response_type", request.response_type.as_str().to_owned()),
        ("scope", request.scope.to_string()),
    ];
    for (name, value) in [
        ("audience", &request.audience),
        ("state", &request.state),
        ("nonce", &request.nonce),
    ] {
        if let Some(value) = value {
            query.push((name, value.clone()));
        }
    }
    query
}

/// Runs the credentials-exchange Actions for a client credentials grant: the access token's
/// custom claims, or the refusal; `None` when none is bound.
pub async fn credentials_exchange(
    state: &AppState,
    facts: ExchangeFacts<'_>,
) -> Result<Result<Option<CustomClaims>, Refused>, InternalError> {
    let trigger = Trigger::CredentialsExchange;
    let scripts = state.catalog.actions(trigger, state.keys.sealer()).await?;
    if scripts.is_empty() {
        return Ok(Ok(None));
    }
    let event = event::credentials_exchange(&facts, &state.settings.issuer);
    match state.actions.run(trigger, scripts, event).await {
        Ok(outcome) => {
            log_lines(&outcome);
            Ok(Ok(Some(CustomClaims {
                id_token: Default::default(),
                access_token: outcome.access_token_claims,
            })))
        }
        Err(failure) => {
            let refused = refusal(&failure);
            let event = Event::new(EventType::ClientCredentialsExchangeFailed)
                .description(format!("Action failed: {}", refused.description))
                .client(facts.client.client_id.as_str(), Some(&facts.client.name))
                .details(
                    json!({ "trigger": "credentials-exchange", "failure": failure.to_string() }),
                );
            state.record(event, facts.request);
            Ok(Err(refused))
        }
    }
}

/// The token endpoint's answer to a refusal: the code a credentials-exchange Action chose
/// (`invalid_request`, `invalid_scope`), else `access_denied` (403), with the reason.
pub fn refused(refused: Refused) -> TokenFailure {
    let code = match refused.code.as_deref() {
        Some("invalid_request") => TokenErrorCode::InvalidRequest,
        Some("invalid_scope") => TokenErrorCode::InvalidScope,
        _ => TokenErrorCode::AccessDenied,
    };
    TokenError::new(code, refused.description).into()
}

/// What the client is told of a failed Action: a denial's reason, as Auth0 passes it
/// through, or which Action failed and how (its exception's message; the detail of the
/// failure goes to the audit log).
fn refusal(failure: &Failure) -> Refused {
    match failure {
        Failure::Denied { reason, code, .. } => Refused {
            code: code.clone(),
            description: reason.clone(),
        },
        other => Refused {
            code: None,
            description: other.to_string(),
        },
    }
}

fn log_lines(outcome: &Outcome) {
    for line in &outcome.logs {
        tracing::info!(target: "tessera::actions", "{line}");
    }
}

async fn role_names(state: &AppState, user_id: &str) -> Result<Vec<String>, InternalError> {
    let page = Page {
        page: 0,
        per_page: MAX_ROLES,
    };
    let roles = state.store.user_roles(user_id, page).await?;
    Ok(roles.items.into_iter().map(|role| role.name).collect())
}

/// `scope` with what `api.accessToken.addScope` added and `removeScope` removed.
fn adjusted_scope(scope: &ScopeSet, outcome: &Outcome) -> ScopeSet {
    let removed = |s: &Scope| outcome.scopes_removed.iter().any(|r| r == s.as_str());
    let mut scope = scope.filter(|s| !removed(s));
    for added in &outcome.scopes_added {
        if let Ok(added) = Scope::parse(added) {
            if !removed(&added) {
                scope.insert(added);
            }
        }
    }
    scope
}

/// Persists what `api.user.setAppMetadata` and `setUserMetadata` set, as Auth0 does once the
/// Actions have run: on the user as stored now, key by key.
async fn save_metadata(
    state: &AppState,
    user: &User,
    app_metadata: &JsonObject,
    user_metadata: &JsonObject,
) -> Result<(), InternalError> {
    if app_metadata.is_empty() && user_metadata.is_empty() {
        return Ok(());
    }
    let Some(mut stored) = state.store.user(&user.user_id).await? else {
        return Ok(());
    };
    for (metadata, set) in [
        (&mut stored.profile.app_metadata, app_metadata),
        (&mut stored.profile.user_metadata, user_metadata),
    ] {
        if !set.is_empty() {
            merge_metadata(metadata, set.clone());
        }
    }
    let now = state.clock.now();
    state.store.update_user(&stored, now).await?;
    state.catalog.forget_user(&user.user_id);
    Ok(())
}
