//! The authorization endpoint's flow (RFC 6749 §4.1.1–4.1.2, §4.2): validate, then log in,
//! ask consent, or answer — a code, or tokens for the opt-in implicit grant — in the order the
//! protocol's `next_step` decides.

use std::borrow::Cow;

use tessera_protocol::authorize::{
    self, AuthorizationRequest, NextStep, ResponseMode, ResponseType, ScreenHint,
};
use tessera_protocol::error::AuthorizeError;
use tessera_protocol::mfa::Amr;
use tessera_protocol::params::Params;
use tessera_protocol::token::CodeGrant;
use tessera_protocol::{
    AuthorizeErrorCode as Code, ClientId, RedirectUri, SecretDigest, Timestamp,
};
use tessera_store::{FirstFactor, PendingAuthorization, DATABASE_CONNECTION};

use crate::error::InternalError;
use crate::flows::actions::{self, LoginDecision};
use crate::flows::browser::{current_session, Authenticated, BrowserCookies};
use crate::flows::{implicit, rbac, upstream};
use crate::state::AppState;
use tessera_core::audit::RequestContext;
use tessera_core::crypto::new_secret;

/// An authorization response (or error) for the client, and how it is delivered.
#[derive(Debug, Clone)]
pub struct ClientResponse {
    pub redirect_uri: RedirectUri,
    pub mode: ResponseMode,
    pub params: Vec<(&'static str, String)>,
}

impl ClientResponse {
    fn pairs(&self) -> Vec<(&str, &str)> {
        self.params.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }

    /// The redirect location for the query and fragment modes.
    pub fn location(&self) -> String {
        match self.mode {
            ResponseMode::Fragment => self.redirect_uri.with_fragment(&self.pairs()),
            ResponseMode::Query | ResponseMode::FormPost | ResponseMode::WebMessage => {
                self.redirect_uri.with_query(&self.pairs())
            }
        }
    }
}

/// Where the browser goes next.
#[derive(Debug)]
pub enum Outcome {
    /// An error shown by Tessera itself: the redirect URI is not trusted (RFC 6749 §4.1.2.1).
    ErrorPage(AuthorizeError),
    /// The answer to the client: a code, tokens, or an error.
    ToClient(ClientResponse),
    /// A redirect to one of Tessera's hosted pages; `browser_cookie` binds the browser to it.
    Interact {
        location: String,
        browser_cookie: Option<String>,
    },
}

/// Handles `GET /authorize` with the request's parameters: the query's, or those the client
/// pushed to `/oauth/par` (`pushed`).
pub async fn begin(
    state: &AppState,
    params: &Params,
    pushed: bool,
    cookies: &BrowserCookies,
    origin: &RequestContext,
) -> Result<Outcome, InternalError> {
    let now = state.clock.now();
    let client = match params.get("client_id").ok().flatten() {
        Some(id) => state.catalog.client(&ClientId(id.to_owned())).await?,
        None => None,
    };
    let redirect = match authorize::trusted_redirect(params, client.as_deref()) {
        Ok(redirect) => redirect,
        Err(error) => return Ok(Outcome::ErrorPage(error)),
    };
    let Some(client) = client else {
        return Ok(Outcome::ErrorPage(AuthorizeError::new(
            Code::InvalidRequest,
            "unknown client",
        )));
    };
    if client.require_pushed_authorization_requests && !pushed {
        return Ok(Outcome::ErrorPage(AuthorizeError::new(
            Code::InvalidRequest,
            "this application sends its authorization requests through /oauth/par only \
             (request_uri)",
        )));
    }
    let request = match validated(state, params, &client, redirect.clone()).await? {
        Ok(request) => request,
        Err(error) => {
            let mode = authorize::error_response_mode(params);
            let client_state = params.get("state").ok().flatten();
            return Ok(Outcome::ToClient(error_response(
                state,
                &redirect.0,
                mode,
                &error,
                client_state,
            )));
        }
    };
    let session = current_session(state, cookies.session.as_deref(), now).await?;
    proceed(
        state,
        &request,
        session.map(Authenticated::from_session),
        false,
        Stage::New(cookies),
        origin,
        now,
    )
    .await
}

/// The authorization request `params` make for `client`, checked as `/authorize` checks it.
pub(crate) async fn validated(
    state: &AppState,
    params: &Params,
    client: &tessera_protocol::RegisteredClient,
    redirect: (RedirectUri, bool),
) -> Result<Result<AuthorizationRequest, AuthorizeError>, InternalError> {
    let audience =
        match authorize::requested_audience(params, state.settings.default_audience.as_deref()) {
            Ok(audience) => audience,
            Err(error) => return Ok(Err(error)),
        };
    let api = match &audience {
        Some(identifier) => state.catalog.api(identifier).await?,
        None => None,
    };
    Ok(authorize::validate(
        params,
        client,
        redirect,
        audience.as_deref(),
        api.as_deref(),
    ))
}

/// Whether the authorization already has a pending record.
#[derive(Debug, Clone, Copy)]
pub enum Stage<'a> {
    New(&'a BrowserCookies),
    Pending(&'a PendingAuthorization),
}

/// Decides the next step and takes it: a hosted page, the answer, or an error for the client.
pub async fn proceed(
    state: &AppState,
    request: &AuthorizationRequest,
    authenticated: Option<Authenticated>,
    consented_now: bool,
    stage: Stage<'_>,
    origin: &RequestContext,
    now: Timestamp,
) -> Result<Outcome, InternalError> {
    // With RBAC, what the user may have is what is asked for: consent, the code and the
    // tokens all hold only that.
    let permitted;
    let request = match &authenticated {
        Some(user) => {
            permitted = permitted_request(state, request, &user.user_id).await?;
            permitted.as_ref().unwrap_or(request)
        }
        None => request,
    };
    let granted = match &authenticated {
        Some(user) => {
            state
                .store
                .consent(
                    &user.user_id,
                    &request.client_id,
                    request.audience.as_deref(),
                )
                .await?
        }
        None => None,
    };
    let auth = authenticated.as_ref().map(|a| a.auth);
    let step = authorize::next_step(request, auth, granted.as_ref(), consented_now, now);
    match (step, authenticated, stage) {
        (Err(error), _, stage) => {
            if let Stage::Pending(pending) = stage {
                state.store.finish_pending(&pending.id).await?;
            }
            Ok(Outcome::ToClient(request_error(state, request, &error)))
        }
        (Ok(NextStep::IssueCode), Some(user), stage) => {
            // Finishing the pending record is the one-winner step: a double-submitted consent
            // form answers once, not twice.
            if let Stage::Pending(pending) = stage {
                if !state.store.finish_pending(&pending.id).await? {
                    return Ok(Outcome::ErrorPage(already_completed()));
                }
            }
            match answer(state, request, &user, origin, now).await? {
                Answer::Response(response) => Ok(Outcome::ToClient(response)),
                Answer::SecondFactorDue => {
                    second_factor_for_actions(state, request, &user, stage, now).await
                }
            }
        }
        (Ok(step), _, Stage::Pending(pending)) => Ok(Outcome::Interact {
            location: interaction_location(step, &pending.id),
            browser_cookie: None,
        }),
        (Ok(step), _, Stage::New(cookies)) => {
            start_interaction(state, request.clone(), cookies, step, now).await
        }
    }
}

/// `request` narrowed to the scopes `user_id` may have of its API; `None` when that is all of
/// them.
pub async fn permitted_request(
    state: &AppState,
    request: &AuthorizationRequest,
    user_id: &str,
) -> Result<Option<AuthorizationRequest>, InternalError> {
    let api = match &request.audience {
        Some(identifier) => state.catalog.api(identifier).await?,
        None => None,
    };
    let permitted = rbac::permitted(state, api.as_deref(), user_id, &request.scope).await?;
    Ok(match permitted.scope {
        Cow::Owned(scope) if scope != request.scope => Some(AuthorizationRequest {
            scope,
            ..request.clone()
        }),
        _ => None,
    })
}

/// Shown when a pending authorization is gone: finished in another tab, or timed out.
pub fn already_completed() -> AuthorizeError {
    AuthorizeError::new(
        Code::InvalidRequest,
        "This sign-in has already been completed or has expired. Go back to the application and sign in again.",
    )
}

async fn start_interaction(
    state: &AppState,
    request: AuthorizationRequest,
    cookies: &BrowserCookies,
    step: NextStep,
    now: Timestamp,
) -> Result<Outcome, InternalError> {
    let (browser, new_cookie) = match &cookies.browser {
        Some(existing) => (existing.clone(), None),
        None => {
            let fresh = new_secret()?;
            (fresh.clone(), Some(fresh))
        }
    };
    // Auth0's `connection=` goes straight to that identity provider; the database connection's
    // name goes to the login page.
    let provider = match (&request.connection, step) {
        (Some(name), NextStep::Login) if name != DATABASE_CONNECTION => {
            match state
                .admin
                .upstream_provider(name, &request.client_id)
                .await?
            {
                Some(provider) => Some(provider),
                None => {
                    let error = AuthorizeError::new(
                        Code::InvalidRequest,
                        format!("the connection {name} is not enabled for this application"),
                    );
                    return Ok(Outcome::ToClient(request_error(state, &request, &error)));
                }
            }
        }
        _ => None,
    };
    let pending = PendingAuthorization {
        id: new_secret()?,
        request,
        browser_digest: SecretDigest::of(&browser),
        login: None,
        first_factor: None,
        expires_at: now.plus(state.settings.login_timeout),
    };
    state.store.create_pending(&pending, now).await?;
    if let Some(provider) = provider {
        return Ok(
            match upstream::authorization_url(state, &pending, &provider).await? {
                Ok(location) => Outcome::Interact {
                    location,
                    browser_cookie: new_cookie,
                },
                Err(unreachable) => Outcome::ErrorPage(unreachable),
            },
        );
    }
    // Auth0's `screen_hint=signup` opens the sign-up page instead of the login page.
    let location = match (step, pending.request.screen_hint) {
        (NextStep::Login, ScreenHint::Signup) => format!("/u/signup?state={}", pending.id),
        _ => interaction_location(step, &pending.id),
    };
    Ok(Outcome::Interact {
        location,
        browser_cookie: new_cookie,
    })
}

/// The page that asks `user_id` for a second factor in the pending authorization `id`: the
/// authenticator app's code, or its enrollment when they have none yet.
pub async fn second_factor_location(
    state: &AppState,
    user_id: &str,
    id: &str,
) -> Result<String, InternalError> {
    let enrolled = state.admin.enrolled_factors(user_id).await?;
    let settings = state.admin.mfa_settings().await?;
    let page = if enrolled.passkey && settings.passkey {
        "mfa-webauthn-platform-challenge"
    } else if enrolled.totp {
        "mfa-otp-challenge"
    } else if settings.passkey {
        "mfa-webauthn-platform-enrollment"
    } else {
        "mfa-otp-enrollment-qr"
    };
    Ok(format!("/u/{page}?state={id}"))
}

/// A post-login Action asked for a second factor the login did not have: a new pending
/// authorization (the one of the login, if any, is finished) in which the user owes it.
async fn second_factor_for_actions(
    state: &AppState,
    request: &AuthorizationRequest,
    user: &Authenticated,
    stage: Stage<'_>,
    now: Timestamp,
) -> Result<Outcome, InternalError> {
    if request.prompt.none {
        let error =
            AuthorizeError::new(Code::InteractionRequired, "the login needs a second factor");
        return Ok(Outcome::ToClient(request_error(state, request, &error)));
    }
    let (browser_digest, browser_cookie) = match stage {
        Stage::Pending(pending) => (pending.browser_digest, None),
        Stage::New(cookies) => match &cookies.browser {
            Some(existing) => (SecretDigest::of(existing), None),
            None => {
                let fresh = new_secret()?;
                (SecretDigest::of(&fresh), Some(fresh))
            }
        },
    };
    // Sessions from before MFA recorded no methods: their login was a password.
    let amr = if user.amr.is_empty() {
        Amr::password()
    } else {
        user.amr.clone()
    };
    let pending = PendingAuthorization {
        id: new_secret()?,
        request: request.clone(),
        browser_digest,
        login: None,
        first_factor: Some(FirstFactor {
            user_id: user.user_id.clone(),
            amr,
        }),
        expires_at: now.plus(state.settings.login_timeout),
    };
    state.store.create_pending(&pending, now).await?;
    Ok(Outcome::Interact {
        location: second_factor_location(state, &user.user_id, &pending.id).await?,
        browser_cookie,
    })
}

/// What the post-login Actions let the answer be.
enum Answer {
    Response(ClientResponse),
    /// An Action asked for a second factor (`api.multifactor.enable`) the login did not have.
    SecondFactorDue,
}

/// The hosted page for `step` of the pending authorization `id`.
pub fn interaction_location(step: NextStep, id: &str) -> String {
    let page = match step {
        NextStep::Consent => "consent",
        NextStep::Login | NextStep::IssueCode => "login",
    };
    format!("/u/{page}?state={id}")
}

/// The successful authorization response: a code (RFC 6749 §4.1.2) or, for the implicit
/// grant, the tokens themselves (RFC 6749 §4.2.2, OIDC Core §3.2.2.5).
async fn answer(
    state: &AppState,
    request: &AuthorizationRequest,
    user: &Authenticated,
    origin: &RequestContext,
    now: Timestamp,
) -> Result<Answer, InternalError> {
    // Auth0 runs post-login Actions once the user is known, before anything is issued; a
    // denial reaches the client as `access_denied` with the Action's reason.
    let decision = match actions::at_authorization(state, request, user, origin).await? {
        Ok(decision) => decision,
        Err(refused) => {
            let error = AuthorizeError::new(Code::AccessDenied, refused.description);
            return Ok(Answer::Response(request_error(state, request, &error)));
        }
    };
    let decision = decision.as_ref();
    if decision.is_some_and(|d| d.multifactor) && !user.amr.is_multi_factor() {
        if state.admin.mfa_settings().await?.any_factor() {
            return Ok(Answer::SecondFactorDue);
        }
        let error = AuthorizeError::new(
            Code::AccessDenied,
            "an Action asked for a second factor, and no MFA factor is enabled",
        );
        return Ok(Answer::Response(request_error(state, request, &error)));
    }
    let mut params: Vec<(&'static str, String)> = match request.response_type {
        ResponseType::Code => vec![(
            "code",
            issue_code(state, request, user, decision, now).await?,
        )],
        _ => match implicit::tokens(state, request, user, decision, now).await? {
            Ok(tokens) => tokens.params(),
            Err(refused) => return Ok(Answer::Response(request_error(state, request, &refused))),
        },
    };
    if let Some(client_state) = &request.state {
        params.push(("state", client_state.clone()));
    }
    // RFC 9207: the issuer identifies who answered, against mix-up attacks.
    params.push(("iss", state.settings.issuer.clone()));
    Ok(Answer::Response(ClientResponse {
        redirect_uri: request.redirect_uri.clone(),
        mode: request.response_mode,
        params,
    }))
}

/// Issues a code bound to the request, the user and the session.
async fn issue_code(
    state: &AppState,
    request: &AuthorizationRequest,
    user: &Authenticated,
    decision: Option<&LoginDecision>,
    now: Timestamp,
) -> Result<String, InternalError> {
    let code = new_secret()?;
    let grant = CodeGrant {
        client_id: request.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        redirect_uri_explicit: request.redirect_uri_explicit,
        user_id: user.user_id.clone(),
        scope: decision.map_or_else(|| request.scope.clone(), |d| d.scope.clone()),
        audience: request.audience.clone(),
        nonce: request.nonce.clone(),
        auth_time: user.auth.auth_time,
        expires_at: now.plus(state.settings.code_lifetime),
        code_challenge: request.code_challenge.clone(),
        sid: Some(user.sid.clone()),
        custom_claims: decision
            .map(|d| d.custom_claims.clone())
            .unwrap_or_default(),
        amr: user.amr.clone(),
    };
    state
        .store
        .insert_code(&SecretDigest::of(&code), &grant, now)
        .await?;
    Ok(code)
}

/// An error for a validated request, delivered in its response mode.
pub fn request_error(
    state: &AppState,
    request: &AuthorizationRequest,
    error: &AuthorizeError,
) -> ClientResponse {
    error_response(
        state,
        &request.redirect_uri,
        request.response_mode,
        error,
        request.state.as_deref(),
    )
}

/// An error response: `error`, `error_description`, the unchanged `state`, and `iss`.
pub fn error_response(
    state: &AppState,
    redirect_uri: &RedirectUri,
    mode: ResponseMode,
    error: &AuthorizeError,
    client_state: Option<&str>,
) -> ClientResponse {
    let mut params = vec![
        ("error", error.code.as_str().to_owned()),
        ("error_description", error.description.clone()),
    ];
    if let Some(client_state) = client_state {
        params.push(("state", client_state.to_owned()));
    }
    params.push(("iss", state.settings.issuer.clone()));
    ClientResponse {
        redirect_uri: redirect_uri.clone(),
        mode,
        params,
    }
}
