//! Auth0's MFA API, for applications that log users in with the password grant: when a second
//! factor is due, `mfa_required` carries an `mfa_token` (to applications allowed one of the MFA
//! grants); with it the application lists the user's authenticators (`GET /mfa/authenticators`),
//! enrolls an authenticator app (`POST /mfa/associate`), asks for a challenge
//! (`POST /mfa/challenge`), and exchanges a code or the recovery code for tokens
//! (`http://auth0.com/oauth/grant-type/mfa-otp`, `…/mfa-recovery-code`).
//!
//! The `mfa_token` is the password step's outcome sealed with the master secret — whose, for
//! which application, API and scope, until when (10 minutes, as Auth0) — so any node reads it
//! and none can forge it. The exchange that succeeds spends it, on every node; wrong codes count
//! against the user's second-factor brute-force counter, as at the hosted pages.

use serde::{Deserialize, Serialize};
use tessera_core::audit::{Event, EventType};
use tessera_protocol::error::{TokenError, TokenErrorCode as Code};
use tessera_protocol::mfa::{Amr, AuthMethod};
use tessera_protocol::token::{password_scope, MfaProof};
use tessera_protocol::{GrantType, RegisteredClient, ScopeSet, SecretDigest, Timestamp};
use tessera_store::User;

use crate::client_ip::Origin;
use crate::error::InternalError;
use crate::flows::credentials;
use crate::flows::grant::{internal, requested_api, TokenFailure};
use crate::flows::mint::TokenResponse;
use crate::flows::user_tokens::{tokens_for, Authenticated};
use crate::state::AppState;

/// Auth0's `mfa_token` lifetime.
const MFA_TOKEN_SECONDS: i64 = 600;
/// The sealing context: a sealed value made for anything else does not open as an `mfa_token`.
const PURPOSE: &str = "mfa-token";

/// The password step a second factor is due for.
#[derive(Debug, Clone, Copy)]
pub struct PasswordStep<'a> {
    pub client_id: &'a str,
    pub user_id: &'a str,
    pub audience: Option<&'a str>,
    pub scope: Option<&'a ScopeSet>,
}

/// What an `mfa_token` carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MfaToken {
    pub client_id: String,
    pub user_id: String,
    pub audience: Option<String>,
    pub scope: Option<String>,
    pub expires_at: i64,
}

/// The password grant's answer when a second factor is due: `mfa_required`, with an
/// `mfa_token` when the application may use the MFA API.
pub fn second_factor_due(
    state: &AppState,
    client: &RegisteredClient,
    step: PasswordStep<'_>,
    now: Timestamp,
) -> Result<TokenFailure, TokenFailure> {
    let uses_mfa_api = GrantType::ALL
        .into_iter()
        .any(|grant| grant.is_mfa() && client.allows_grant(grant));
    if !uses_mfa_api {
        return Ok(TokenFailure::MfaRequired { mfa_token: None });
    }
    let token = MfaToken {
        client_id: step.client_id.to_owned(),
        user_id: step.user_id.to_owned(),
        audience: step.audience.map(str::to_owned),
        scope: step.scope.map(ToString::to_string),
        expires_at: now.0 + MFA_TOKEN_SECONDS,
    };
    let sealed = state.keys.sealer().seal_json(PURPOSE, &token);
    Ok(TokenFailure::MfaRequired {
        mfa_token: Some(sealed.map_err(internal)?),
    })
}

/// Why an `mfa_token` is refused, as the MFA API answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadMfaToken {
    Malformed,
    Expired,
}

impl BadMfaToken {
    pub fn description(self) -> &'static str {
        match self {
            BadMfaToken::Malformed => "Malformed mfa_token",
            BadMfaToken::Expired => "mfa_token is expired",
        }
    }
}

/// The `mfa_token` presented, opened and within its lifetime.
pub fn open(state: &AppState, presented: &str, now: Timestamp) -> Result<MfaToken, BadMfaToken> {
    let token: MfaToken = state
        .keys
        .sealer()
        .open_json(PURPOSE, presented)
        .ok_or(BadMfaToken::Malformed)?;
    if now.0 >= token.expires_at {
        return Err(BadMfaToken::Expired);
    }
    Ok(token)
}

fn invalid_grant(description: &str) -> TokenFailure {
    TokenError::new(Code::InvalidGrant, description).into()
}

/// `grant_type=http://auth0.com/oauth/grant-type/mfa-otp` (or `…/mfa-recovery-code`): the
/// second factor of the password step the `mfa_token` carries, for the tokens it asked for.
/// The first code of an app enrolled through `/mfa/associate` confirms it; a recovery code is
/// replaced by a new one, returned as `recovery_code`.
pub async fn exchange(
    state: &AppState,
    client: &RegisteredClient,
    presented: &str,
    proof: MfaProof,
    proven_key: Option<&str>,
    now: Timestamp,
    origin: &Origin,
) -> Result<TokenResponse, TokenFailure> {
    let token = open(state, presented, now).map_err(|bad| invalid_grant(bad.description()))?;
    if token.client_id != client.client_id.as_str() {
        return Err(invalid_grant(
            "the mfa_token was issued to another application",
        ));
    }
    let user = match state.store.user(&token.user_id).await.map_err(internal)? {
        Some(user) if !user.blocked => user,
        Some(_) => return Err(TokenError::new(Code::Unauthorized, "user is blocked").into()),
        None => return Err(invalid_grant("the user no longer exists")),
    };
    throttled(state, &user, origin).await?;
    let admin = &state.admin;
    let (right, grant, wrong) = match &proof {
        MfaProof::Otp(code) => (
            verify_code(state, &user, code).await?,
            GrantType::MfaOtp,
            "Invalid otp_code.",
        ),
        MfaProof::RecoveryCode(code) => (
            admin
                .redeem_recovery_code(&user.user_id, code)
                .await
                .map_err(internal)?,
            GrantType::MfaRecoveryCode,
            "Invalid recovery code.",
        ),
    };
    counted(state, &user, client, origin, right, &proof).await?;
    if !right {
        return Err(invalid_grant(wrong));
    }
    let spent = SecretDigest::of(&format!("{PURPOSE}\n{presented}"));
    let first_use = state
        .store
        .first_use(&spent, Timestamp(token.expires_at), now)
        .await
        .map_err(internal)?;
    if !first_use {
        return Err(invalid_grant("the mfa_token was used already"));
    }
    let api = requested_api(state, token.audience.as_deref()).await?;
    let requested = token
        .scope
        .as_deref()
        .map(ScopeSet::parse)
        .transpose()
        .map_err(|_| invalid_grant(BadMfaToken::Malformed.description()))?;
    let scope = password_scope(requested.as_ref(), api.as_deref())?;
    let amr = Amr::password().and(AuthMethod::Otp);
    let authenticated = Authenticated {
        user: &user,
        api,
        scope,
        amr: &amr,
        grant,
    };
    let mut tokens = tokens_for(state, client, authenticated, proven_key, now, origin).await?;
    if grant == GrantType::MfaRecoveryCode {
        let replacement = admin
            .new_recovery_code(&user.user_id)
            .await
            .map_err(internal)?;
        tokens.recovery_code = Some(replacement.0);
    }
    Ok(tokens)
}

/// A code from the user's authenticator app; the first code of an app enrolled through
/// `/mfa/associate` confirms it.
async fn verify_code(state: &AppState, user: &User, code: &str) -> Result<bool, TokenFailure> {
    let admin = &state.admin;
    let user_id = &user.user_id;
    if admin.verify_totp(user_id, code).await.map_err(internal)? {
        return Ok(true);
    }
    let unfinished = state
        .store
        .authenticators(user_id)
        .await
        .map_err(internal)?
        .into_iter()
        .find(|a| a.kind == tessera_store::AuthenticatorKind::Totp && !a.confirmed);
    match unfinished {
        Some(app) => admin
            .confirm_totp_enrollment(user_id, &app.id, code)
            .await
            .map_err(internal),
        None => Ok(false),
    }
}

/// Brute-force protection before a code is checked, with the hosted pages' counter.
async fn throttled(state: &AppState, user: &User, origin: &Origin) -> Result<(), TokenFailure> {
    let ip = origin.ip().key();
    let refusal = credentials::second_factor_refusal(state, &user.user_id, &ip);
    match refusal.await.map_err(internal)? {
        None => Ok(()),
        Some((reason, retry_after)) => Err(TokenFailure::Throttled {
            retry_after,
            reason,
        }),
    }
}

/// Counts a checked code, and records Auth0's Guardian event for it.
async fn counted(
    state: &AppState,
    user: &User,
    client: &RegisteredClient,
    origin: &Origin,
    right: bool,
    proof: &MfaProof,
) -> Result<(), TokenFailure> {
    let ip = origin.ip().key();
    credentials::count_second_factor(state, &user.user_id, &ip, right)
        .await
        .map_err(internal)?;
    let event_type = match (proof, right) {
        (MfaProof::Otp(_), true) => EventType::MfaSucceeded,
        (MfaProof::Otp(_), false) => EventType::MfaFailed,
        (MfaProof::RecoveryCode(_), true) => EventType::RecoverySucceeded,
        (MfaProof::RecoveryCode(_), false) => EventType::RecoveryFailed,
    };
    let event = Event::new(event_type)
        .user(&user.user_id, &user.email)
        .client(client.client_id.as_str(), Some(&client.name));
    state.record(event, &origin.context);
    Ok(())
}

/// An authenticator as `GET /mfa/authenticators` lists it (Auth0's fields).
#[derive(Debug, Clone, Serialize)]
pub struct ListedAuthenticator {
    pub id: String,
    /// `otp` or `recovery-code`.
    pub authenticator_type: &'static str,
    pub active: bool,
}

/// The user of a valid `mfa_token` presented as a Bearer token.
async fn user_of(
    state: &AppState,
    presented: &str,
    now: Timestamp,
) -> Result<MfaToken, MfaApiError> {
    let token = open(state, presented, now).map_err(MfaApiError::Token)?;
    match state.store.user(&token.user_id).await? {
        Some(user) if !user.blocked => Ok(token),
        _ => Err(MfaApiError::Token(BadMfaToken::Malformed)),
    }
}

/// Why a call of the MFA API was refused.
#[derive(Debug)]
pub enum MfaApiError {
    Token(BadMfaToken),
    /// `/mfa/associate` for a user who has a factor: they must pass it first.
    AlreadyEnrolled,
    /// `/mfa/challenge` for a kind of challenge the user has no authenticator for.
    UnsupportedChallenge(String),
    /// The request names another application than the `mfa_token`'s.
    OtherClient,
    Internal(InternalError),
}

impl From<tessera_store::StoreError> for MfaApiError {
    fn from(error: tessera_store::StoreError) -> Self {
        MfaApiError::Internal(error.into())
    }
}

impl From<tessera_admin::AdminError> for MfaApiError {
    fn from(error: tessera_admin::AdminError) -> Self {
        MfaApiError::Internal(error.into())
    }
}

/// `GET /mfa/authenticators`: the user's authenticators the MFA API can challenge (passkeys
/// need a browser and are not listed).
pub async fn authenticators(
    state: &AppState,
    presented: &str,
) -> Result<Vec<ListedAuthenticator>, MfaApiError> {
    let token = user_of(state, presented, state.clock.now()).await?;
    let listed = state
        .store
        .authenticators(&token.user_id)
        .await?
        .into_iter()
        .filter_map(|a| {
            let authenticator_type = match a.kind {
                tessera_store::AuthenticatorKind::Totp => "otp",
                tessera_store::AuthenticatorKind::RecoveryCode => "recovery-code",
                tessera_store::AuthenticatorKind::Passkey => return None,
            };
            Some(ListedAuthenticator {
                id: a.id,
                authenticator_type,
                active: a.confirmed,
            })
        })
        .collect();
    Ok(listed)
}

/// What `POST /mfa/associate` answers: the new authenticator app's secret, its `otpauth://`
/// URI, and the recovery code (shown this once) when the tenant offers them.
#[derive(Debug, Clone, Serialize)]
pub struct Association {
    pub authenticator_type: &'static str,
    pub secret: String,
    pub barcode_uri: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recovery_codes: Vec<String>,
}

/// `POST /mfa/associate` with `authenticator_types: ["otp"]`: begins enrolling an
/// authenticator app for a user who has no factor yet; its first code, at the `mfa-otp` grant,
/// confirms it.
pub async fn associate(
    state: &AppState,
    presented: &str,
    client_id: Option<&str>,
) -> Result<Association, MfaApiError> {
    let token = user_of(state, presented, state.clock.now()).await?;
    if client_id.is_some_and(|id| id != token.client_id) {
        return Err(MfaApiError::OtherClient);
    }
    let admin = &state.admin;
    let enrolled = admin.enrolled_factors(&token.user_id).await?;
    if enrolled.totp || enrolled.passkey {
        return Err(MfaApiError::AlreadyEnrolled);
    }
    let Some(user) = state.store.user(&token.user_id).await? else {
        return Err(MfaApiError::Token(BadMfaToken::Malformed));
    };
    let account = tessera_admin::mfa::factors::account_name(&user);
    let enrollment = admin.totp_enrollment(&user.user_id, account).await?;
    let recovery_codes = if admin.mfa_settings().await?.recovery_code && !enrolled.recovery_code {
        vec![admin.new_recovery_code(&user.user_id).await?.0]
    } else {
        Vec::new()
    };
    Ok(Association {
        authenticator_type: "otp",
        secret: enrollment.secret.to_base32(),
        barcode_uri: enrollment.otpauth_uri,
        recovery_codes,
    })
}

/// `POST /mfa/challenge`: which challenge the user answers. Tessera's is always `otp` (a code
/// from the authenticator app, sent to the token endpoint with the `mfa-otp` grant).
pub async fn challenge(
    state: &AppState,
    client: &RegisteredClient,
    presented: &str,
    challenge_types: Option<&str>,
) -> Result<&'static str, MfaApiError> {
    let token = user_of(state, presented, state.clock.now()).await?;
    if token.client_id != client.client_id.as_str() {
        return Err(MfaApiError::OtherClient);
    }
    let asked_otp =
        challenge_types.is_none_or(|types| types.split_whitespace().any(|t| t == "otp"));
    let enrolled = state.admin.enrolled_factors(&token.user_id).await?;
    if !asked_otp || !enrolled.totp {
        let asked = challenge_types.unwrap_or("otp").to_owned();
        return Err(MfaApiError::UnsupportedChallenge(asked));
    }
    Ok("otp")
}
