//! The authorization endpoint's flow (RFC 6749 §4.1.1–4.1.2): validate, then log in, ask
//! consent, or issue a code, in the order the protocol's `next_step` decides.

use tessera_protocol::authorize::{self, Authentication, AuthorizationRequest, NextStep};
use tessera_protocol::error::AuthorizeError;
use tessera_protocol::params::Params;
use tessera_protocol::token::CodeGrant;
use tessera_protocol::{
    AuthorizeErrorCode as Code, ClientId, RedirectUri, SecretDigest, Timestamp,
};
use tessera_store::{PendingAuthorization, Session};

use crate::crypto::new_secret;
use crate::error::InternalError;
use crate::state::AppState;

/// Where the browser goes next.
#[derive(Debug)]
pub enum Outcome {
    /// An error shown by Tessera itself: the redirect URI is not trusted (RFC 6749 §4.1.2.1).
    ErrorPage(AuthorizeError),
    /// A redirect to the client, with a code or an error.
    ToClient(String),
    /// A redirect to one of Tessera's hosted pages; `browser_cookie` binds the browser to it.
    Interact {
        location: String,
        browser_cookie: Option<String>,
    },
}

/// The cookies a browser brought, as plain values.
#[derive(Debug, Default, Clone)]
pub struct BrowserCookies {
    pub session: Option<String>,
    pub browser: Option<String>,
}

/// Handles `GET /authorize`.
pub async fn begin(
    state: &AppState,
    params: &Params,
    cookies: &BrowserCookies,
) -> Result<Outcome, InternalError> {
    let now = state.clock.now();
    let client = match params.get("client_id").ok().flatten() {
        Some(id) => state.store.client(&ClientId(id.to_owned())).await?,
        None => None,
    };
    let redirect = match authorize::trusted_redirect(params, client.as_ref()) {
        Ok(redirect) => redirect,
        Err(error) => return Ok(Outcome::ErrorPage(error)),
    };
    let Some(client) = client else {
        return Ok(Outcome::ErrorPage(AuthorizeError::new(
            Code::InvalidRequest,
            "unknown client",
        )));
    };
    let raw_state = params.get("state").ok().flatten();
    let request = match validated(state, params, &client, redirect.clone()).await? {
        Ok(request) => request,
        Err(error) => {
            return Ok(Outcome::ToClient(error_location(
                state,
                &redirect.0,
                &error,
                raw_state,
            )))
        }
    };
    let session = current_session(state, cookies.session.as_deref(), now).await?;
    let authentication = session.map(|s| {
        let auth = Authentication {
            auth_time: s.auth_time,
            during_this_request: false,
        };
        (s.user_id, auth)
    });
    proceed(
        state,
        &request,
        authentication,
        false,
        Stage::New(cookies),
        now,
    )
    .await
}

/// Whether the authorization already has a pending record.
#[derive(Debug, Clone, Copy)]
pub enum Stage<'a> {
    New(&'a BrowserCookies),
    Pending(&'a PendingAuthorization),
}

/// Decides the next step and takes it: a hosted page, a code, or an error for the client.
pub async fn proceed(
    state: &AppState,
    request: &AuthorizationRequest,
    authentication: Option<(String, Authentication)>,
    consented_now: bool,
    stage: Stage<'_>,
    now: Timestamp,
) -> Result<Outcome, InternalError> {
    let granted = match &authentication {
        Some((user_id, _)) => {
            let audience = request.audience.as_deref();
            state
                .store
                .consent(user_id, &request.client_id, audience)
                .await?
        }
        None => None,
    };
    let auth = authentication.as_ref().map(|(_, a)| *a);
    let step = authorize::next_step(request, auth, granted.as_ref(), consented_now, now);
    match (step, authentication, stage) {
        (Err(error), _, stage) => {
            if let Stage::Pending(pending) = stage {
                state.store.finish_pending(&pending.id).await?;
            }
            let location = error_location(
                state,
                &request.redirect_uri,
                &error,
                request.state.as_deref(),
            );
            Ok(Outcome::ToClient(location))
        }
        (Ok(NextStep::IssueCode), Some((user_id, auth)), stage) => {
            // Finishing the pending record is the one-winner step: a double-submitted consent
            // form issues one code, not two.
            if let Stage::Pending(pending) = stage {
                if !state.store.finish_pending(&pending.id).await? {
                    return Ok(Outcome::ErrorPage(already_completed()));
                }
            }
            Ok(Outcome::ToClient(
                issue_code(state, request, &user_id, auth.auth_time, now).await?,
            ))
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

/// Shown when a pending authorization is gone: finished in another tab, or timed out.
pub fn already_completed() -> AuthorizeError {
    AuthorizeError::new(
        Code::InvalidRequest,
        "This sign-in has already been completed or has expired. Go back to the application and sign in again.",
    )
}

async fn validated(
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
        Some(identifier) => state.store.api(identifier).await?,
        None => None,
    };
    Ok(authorize::validate(
        params,
        client,
        redirect,
        audience.as_deref(),
        api.as_ref(),
    ))
}

/// The live SSO session named by the session cookie, if any.
pub async fn current_session(
    state: &AppState,
    cookie: Option<&str>,
    now: Timestamp,
) -> Result<Option<Session>, InternalError> {
    match cookie {
        Some(value) => Ok(state.store.session(&SecretDigest::of(value), now).await?),
        None => Ok(None),
    }
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
    let pending = PendingAuthorization {
        id: new_secret()?,
        request,
        browser_digest: SecretDigest::of(&browser),
        csrf_token: new_secret()?,
        login: None,
        expires_at: now.plus(state.settings.login_timeout),
    };
    state.store.create_pending(&pending, now).await?;
    Ok(Outcome::Interact {
        location: interaction_location(step, &pending.id),
        browser_cookie: new_cookie,
    })
}

/// The hosted page for `step` of the pending authorization `id`.
pub fn interaction_location(step: NextStep, id: &str) -> String {
    let page = match step {
        NextStep::Consent => "consent",
        NextStep::Login | NextStep::IssueCode => "login",
    };
    format!("/u/{page}?state={id}")
}

/// Issues a code bound to the request and the user, and returns the client redirect.
pub async fn issue_code(
    state: &AppState,
    request: &AuthorizationRequest,
    user_id: &str,
    auth_time: Timestamp,
    now: Timestamp,
) -> Result<String, InternalError> {
    let code = new_secret()?;
    let grant = CodeGrant {
        client_id: request.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        redirect_uri_explicit: request.redirect_uri_explicit,
        user_id: user_id.to_owned(),
        scope: request.scope.clone(),
        audience: request.audience.clone(),
        nonce: request.nonce.clone(),
        auth_time,
        expires_at: now.plus(state.settings.code_lifetime),
    };
    state
        .store
        .insert_code(&SecretDigest::of(&code), &grant, now)
        .await?;
    let mut params = vec![("code", code.as_str())];
    if let Some(client_state) = request.state.as_deref() {
        params.push(("state", client_state));
    }
    // RFC 9207: the issuer identifies who answered, against mix-up attacks.
    params.push(("iss", state.settings.issuer.as_str()));
    Ok(request.redirect_uri.with_query(&params))
}

/// An error redirect: `error`, `error_description`, the unchanged `state`, and `iss`.
pub fn error_location(
    state: &AppState,
    redirect_uri: &RedirectUri,
    error: &AuthorizeError,
    client_state: Option<&str>,
) -> String {
    let mut params = vec![
        ("error", error.code.as_str()),
        ("error_description", error.description.as_str()),
    ];
    if let Some(client_state) = client_state {
        params.push(("state", client_state));
    }
    params.push(("iss", state.settings.issuer.as_str()));
    redirect_uri.with_query(&params)
}
