//! The device authorization grant (RFC 8628) at Auth0's paths: a device asks
//! `/oauth/device/code` for a device code and a user code, the person enters the user code at
//! `/activate` and goes through the hosted login and consent (always asked: the device is not
//! in front of them, so a confirmation must be), and the device polls the token endpoint.
//!
//! The hosted pages run an ordinary authorization request of the device's client, built here,
//! that returns to `/activate/done` with a code bound by PKCE to this device authorization;
//! the code is redeemed there at once, so login, consent, RBAC and Actions are those of every
//! login.

use serde::Serialize;
use serde_json::json;
use tessera_core::audit::{Event, EventType, RequestContext};
use tessera_core::crypto::{fill_random, new_secret};
use tessera_protocol::authorize::{
    requested_audience, validate_scope, AuthorizationRequest, Prompt, ResponseMode, ResponseType,
};
use tessera_protocol::device::{
    normalize_user_code, poll, user_code, Decision, Poll, DEVICE_CODE_LIFETIME, POLLING_INTERVAL,
};
use tessera_protocol::error::{TokenError, TokenErrorCode as Code};
use tessera_protocol::params::Params;
use tessera_protocol::pkce::{ChallengeMethod, CodeChallenge};
use tessera_protocol::token::check_code;
use tessera_protocol::{GrantType, RedirectUri, RegisteredClient, SecretDigest, Timestamp};
use tessera_store::{CodeRedemption, DeviceAuthorization, StoreError};

use crate::client_ip::ClientIp;
use crate::error::InternalError;
use crate::flows::authorize::{proceed, Outcome, Stage};
use crate::flows::browser::{current_session, Authenticated, BrowserCookies};
use crate::flows::client_auth::authenticate;
use crate::flows::code;
use crate::flows::grant::{internal, invalid_grant, requested_api, TokenFailure};
use crate::flows::mint::TokenResponse;
use crate::i18n::text;
use crate::state::AppState;

/// Where people enter user codes (Auth0's path), and where the hosted pages return.
pub const ACTIVATE: &str = "activate";
const DONE: &str = "activate/done";

/// The answer to a device (RFC 8628 §3.2).
#[derive(Debug, Serialize)]
pub struct DeviceCodeResponse {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// `POST /oauth/device/code`: a client allowed the device code grant asks for codes for
/// `scope` and `audience` (checked as `/authorize` checks them).
pub async fn start(
    state: &AppState,
    authorization: Option<&str>,
    params: &Params,
    ip: &ClientIp,
) -> Result<DeviceCodeResponse, TokenFailure> {
    let client = authenticate(state, authorization, params, ip).await?;
    if !client.allows_grant(GrantType::DeviceCode) {
        return Err(TokenError::new(
            Code::UnauthorizedClient,
            "the application is not allowed the device code grant",
        )
        .into());
    }
    let refused = |error: tessera_protocol::error::AuthorizeError| {
        let code = match error.code.as_str() {
            "invalid_scope" => Code::InvalidScope,
            _ => Code::InvalidRequest,
        };
        TokenFailure::from(TokenError::new(code, error.description))
    };
    let audience =
        requested_audience(params, state.settings.default_audience.as_deref()).map_err(refused)?;
    let api = requested_api(state, audience.as_deref()).await?;
    let scope = validate_scope(
        params.get("scope").ok().flatten().unwrap_or(""),
        api.as_deref(),
    )
    .map_err(refused)?;
    let now = state.clock.now();
    let device_code = new_secret().map_err(internal)?;
    let mut device = DeviceAuthorization {
        user_code: String::new(),
        client_id: client.client_id.clone(),
        scope,
        audience,
        binding: new_secret().map_err(internal)?,
        code_verifier: new_secret().map_err(internal)?,
        decision: Decision::Pending,
        grant: None,
        created_at: now,
        expires_at: now.plus(DEVICE_CODE_LIFETIME),
        interval: POLLING_INTERVAL,
        last_polled_at: None,
    };
    // User codes are short: on the rare collision with a live one, draw again.
    let mut attempts = 0;
    loop {
        let mut random = [0u8; 8];
        fill_random(&mut random).map_err(internal)?;
        device.user_code = user_code(random);
        match state
            .store
            .create_device_authorization(&SecretDigest::of(&device_code), &device)
            .await
        {
            Ok(()) => break,
            Err(StoreError::Conflict(_)) if attempts < 5 => attempts += 1,
            Err(error) => return Err(internal(error)),
        }
    }
    let verification_uri = state.settings.endpoint(ACTIVATE);
    Ok(DeviceCodeResponse {
        verification_uri_complete: format!("{verification_uri}?user_code={}", device.user_code),
        verification_uri,
        device_code,
        user_code: device.user_code,
        expires_in: DEVICE_CODE_LIFETIME,
        interval: POLLING_INTERVAL,
    })
}

/// What `/activate` shows.
#[derive(Debug)]
pub enum Activation {
    /// The form for a user code, with what was typed and why it was not taken.
    Form {
        typed: String,
        error: Option<&'static str>,
    },
    /// A user code was taken: on to the hosted login and consent.
    Proceed(Outcome),
}

/// `GET /activate[?user_code=…]`.
pub async fn activate(
    state: &AppState,
    query: &Params,
    cookies: &BrowserCookies,
    origin: &RequestContext,
) -> Result<Activation, InternalError> {
    let Some(typed) = query.get("user_code").ok().flatten() else {
        return Ok(Activation::Form {
            typed: String::new(),
            error: None,
        });
    };
    let now = state.clock.now();
    let unknown = || Activation::Form {
        typed: typed.to_owned(),
        error: Some(text(
            "That code is not valid, has expired or was used already.",
        )),
    };
    let Some(user_code) = normalize_user_code(typed) else {
        return Ok(unknown());
    };
    let device = match state.store.device_by_user_code(&user_code).await? {
        Some(device) if device.decision == Decision::Pending && now < device.expires_at => device,
        _ => return Ok(unknown()),
    };
    let request = authorization_request(state, &device)?;
    let session = current_session(state, cookies.session.as_deref(), now).await?;
    let outcome = proceed(
        state,
        &request,
        session.map(Authenticated::from_session),
        false,
        Stage::New(cookies),
        origin,
        now,
    )
    .await?;
    Ok(Activation::Proceed(outcome))
}

fn done_uri(state: &AppState) -> Result<RedirectUri, InternalError> {
    RedirectUri::parse(&state.settings.endpoint(DONE)).map_err(|_| {
        InternalError::Store(StoreError::Corrupt(
            "the issuer makes no redirect URI".into(),
        ))
    })
}

/// The authorization request the hosted pages run for `device`: consent always asked,
/// answered to `/activate/done` with a code only this device authorization can redeem.
fn authorization_request(
    state: &AppState,
    device: &DeviceAuthorization,
) -> Result<AuthorizationRequest, InternalError> {
    Ok(AuthorizationRequest {
        client_id: device.client_id.clone(),
        redirect_uri: done_uri(state)?,
        redirect_uri_explicit: true,
        scope: device.scope.clone(),
        audience: device.audience.clone(),
        state: Some(device.binding.clone()),
        nonce: None,
        prompt: Prompt {
            consent: true,
            ..Prompt::default()
        },
        max_age: None,
        response_type: ResponseType::Code,
        response_mode: ResponseMode::Query,
        code_challenge: Some(CodeChallenge {
            challenge: tessera_protocol::pkce::s256(&device.code_verifier),
            method: ChallengeMethod::S256,
        }),
        login_hint: None,
        screen_hint: tessera_protocol::authorize::ScreenHint::Login,
        connection: None,
        ui_locales: None,
        skip_consent: false,
        acr_values: None,
    })
}

/// How a device authorization ended in the browser.
#[derive(Debug, PartialEq, Eq)]
pub enum Finished {
    Connected,
    Denied,
    /// Nothing to decide: an unknown, already decided or tampered return.
    Unusable,
}

/// `GET /activate/done`: the hosted pages' answer for a device authorization.
pub async fn done(
    state: &AppState,
    query: &Params,
    origin: &RequestContext,
) -> Result<Finished, InternalError> {
    let param = |name: &str| query.get(name).ok().flatten();
    let Some(binding) = param("state") else {
        return Ok(Finished::Unusable);
    };
    let Some(device) = state.store.device_by_binding(binding).await? else {
        return Ok(Finished::Unusable);
    };
    if device.decision != Decision::Pending {
        return Ok(Finished::Unusable);
    }
    let now = state.clock.now();
    if param("error").is_some() {
        state
            .store
            .decide_device(binding, Decision::Denied, None)
            .await?;
        let event = Event::new(EventType::DeviceNotConfirmed)
            .client(device.client_id.as_str(), None)
            .details(json!({ "user_code": device.user_code }));
        state.record(event, origin);
        return Ok(Finished::Denied);
    }
    let Some(code) = param("code") else {
        return Ok(Finished::Unusable);
    };
    let CodeRedemption::Redeemed(grant) = state
        .store
        .consume_code(&SecretDigest::of(code), now)
        .await?
    else {
        return Ok(Finished::Unusable);
    };
    let done = done_uri(state)?;
    let bound = check_code(
        &grant,
        &device.client_id,
        Some(done.as_str()),
        Some(&device.code_verifier),
        now,
    );
    if bound.is_err() {
        return Ok(Finished::Unusable);
    }
    let decided = state
        .store
        .decide_device(binding, Decision::Approved, Some(&grant))
        .await?;
    Ok(if decided {
        Finished::Connected
    } else {
        Finished::Unusable
    })
}

/// `grant_type=urn:ietf:params:oauth:grant-type:device_code`: the device's poll.
pub async fn exchange(
    state: &AppState,
    client: &RegisteredClient,
    device_code: &str,
    proven_key: Option<&str>,
    now: Timestamp,
    request: &RequestContext,
) -> Result<TokenResponse, TokenFailure> {
    let digest = SecretDigest::of(device_code);
    let device = match state
        .store
        .device_by_code(&digest)
        .await
        .map_err(internal)?
    {
        Some(device) if device.client_id == client.client_id => device,
        _ => return Err(invalid_grant("the device code is invalid")),
    };
    let refuse = |code: Code, description: &str| Err(TokenError::new(code, description).into());
    match poll(
        device.decision,
        device.expires_at,
        device.last_polled_at,
        device.interval,
        now,
    ) {
        Poll::Expired => refuse(Code::ExpiredToken, "the device code has expired"),
        Poll::SlowDown { interval } => {
            state
                .store
                .record_device_poll(&digest, now, interval)
                .await
                .map_err(internal)?;
            refuse(
                Code::SlowDown,
                &format!("polling too fast: wait {interval} seconds between requests"),
            )
        }
        Poll::Pending => {
            state
                .store
                .record_device_poll(&digest, now, device.interval)
                .await
                .map_err(internal)?;
            refuse(
                Code::AuthorizationPending,
                "the user has yet to authorize the device code",
            )
        }
        Poll::Denied => {
            state.store.finish_device(&digest).await.map_err(internal)?;
            refuse(Code::AccessDenied, "the user denied the device")
        }
        Poll::Approved => {
            let grant = match device.grant {
                Some(grant) if state.store.finish_device(&digest).await.map_err(internal)? => grant,
                _ => return Err(invalid_grant("the device code has already been used")),
            };
            let family = new_secret().map_err(internal)?;
            code::issue(
                state,
                client,
                &grant,
                family,
                code::Exchange {
                    grant_type: GrantType::DeviceCode,
                    proven_key,
                },
                now,
                request,
            )
            .await
        }
    }
}
