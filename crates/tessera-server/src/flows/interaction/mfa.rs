//! The second factor of a hosted login, at Auth0's Universal Login paths: after the password,
//! when the tenant's policy asks for one, a code from an authenticator app
//! (`/u/mfa-otp-challenge`), its enrollment at the first such login (`/u/mfa-otp-enrollment-qr`,
//! a QR code and the secret to type), or the recovery code instead
//! (`/u/mfa-recovery-code-challenge`). A recovery code is shown once when it is made — at
//! enrollment and after one was used — and the login ends when the user says they saved it
//! (`/u/mfa-recovery-code-enrollment`). Wrong codes count like wrong passwords.

use tessera_core::audit::{Event, EventType};
use tessera_core::brute_force::{Verdict, ACCOUNT_BLOCKED, IP_THROTTLED};
use tessera_protocol::mfa::{Amr, AuthMethod};
use tessera_store::{FirstFactor, PendingAuthorization, User};

use super::log_in;
use super::{
    app_identity, csrf_of, load, load_for_post, AppIdentity, Interaction, MfaForm, Refusal,
};
use crate::client_ip::Origin;
use crate::error::InternalError;
use crate::flows::authorize::{second_factor_location, Outcome};
use crate::flows::browser::BrowserCookies;
use crate::i18n::text;
use crate::state::AppState;

/// Which page of the second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MfaScreen {
    /// A code from the authenticator app; a link to the recovery code when there is one.
    OtpChallenge { can_use_recovery_code: bool },
    /// The QR code and the secret to add to an app, then a code from it.
    OtpEnrollment {
        /// The QR code of the `otpauth://` URI, as an SVG element.
        qr_svg: String,
        /// The secret in groups of four, for typing in.
        secret: String,
    },
    /// The recovery code instead of the app.
    RecoveryChallenge,
    /// A new recovery code, shown once, to save before going on.
    RecoveryCode { code: String },
}

/// What a second-factor page shows.
#[derive(Debug, Clone)]
pub struct MfaView {
    pub state: String,
    pub csrf_token: String,
    pub client_name: String,
    pub logo: Option<String>,
    pub screen: MfaScreen,
    /// What went wrong, in English (the page translates it).
    pub error: Option<&'static str>,
    pub ui_locales: Option<String>,
}

const WRONG_CODE: &str = text("That code is wrong or was used already. Try the next one.");
const WRONG_RECOVERY_CODE: &str = text("That recovery code is wrong.");

/// After the password (or a sign-up): a second factor when the policy asks for one, else the
/// login itself.
pub(super) async fn after_first_factor(
    state: &AppState,
    pending: &mut PendingAuthorization,
    user: &User,
    client_name: &str,
    origin: &Origin,
) -> Result<Interaction, InternalError> {
    let settings = state.admin.mfa_settings().await?;
    let asked = pending.request.asks_for_multi_factor() && settings.otp;
    if !settings.required() && !asked {
        return log_in(state, pending, user, Amr::password(), client_name, origin).await;
    }
    let first = FirstFactor {
        user_id: user.user_id.clone(),
        amr: Amr::password(),
    };
    state.store.record_first_factor(&pending.id, &first).await?;
    Ok(Interaction::Navigate(Outcome::Interact {
        location: second_factor_location(state, &user.user_id, &pending.id).await?,
        browser_cookie: None,
    }))
}

/// The pending authorization of a page of the second factor, its user, and who owes it.
struct Owing {
    pending: PendingAuthorization,
    user: User,
    first: FirstFactor,
    app: AppIdentity,
}

/// Loads what a second-factor page needs; a page opened without a first factor is gone.
async fn owing(
    state: &AppState,
    loaded: Result<PendingAuthorization, Refusal>,
) -> Result<Result<Owing, Refusal>, InternalError> {
    let pending = match loaded {
        Ok(pending) => pending,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let first = match &pending.first_factor {
        Some(first) if pending.login.is_none() => first.clone(),
        _ => {
            return Ok(Err(Refusal::BadRequest(
                "no second factor is due in this authorization".into(),
            )))
        }
    };
    let Some(user) = state.store.user(&first.user_id).await? else {
        return Ok(Err(Refusal::BadRequest("the user no longer exists".into())));
    };
    let app = app_identity(state, &pending.request.client_id).await?;
    Ok(Ok(Owing {
        pending,
        user,
        first,
        app,
    }))
}

/// [`owing`] for a submitted form, its CSRF token checked.
async fn owing_for_post(
    state: &AppState,
    form: &MfaForm,
    cookies: &BrowserCookies,
) -> Result<Result<Owing, Refusal>, InternalError> {
    let loaded = load_for_post(state, &form.state, &form.csrf_token, cookies).await?;
    owing(state, loaded).await
}

impl Owing {
    /// The login ends: an SSO session with `amr`, and on with the authorization.
    async fn log_in(
        mut self,
        state: &AppState,
        amr: Amr,
        origin: &Origin,
    ) -> Result<Interaction, InternalError> {
        log_in(
            state,
            &mut self.pending,
            &self.user,
            amr,
            &self.app.name,
            origin,
        )
        .await
    }
}

fn view(owing: &Owing, cookies: &BrowserCookies, screen: MfaScreen) -> MfaView {
    MfaView {
        state: owing.pending.id.clone(),
        csrf_token: csrf_of(&owing.pending, cookies),
        client_name: owing.app.name.clone(),
        logo: owing.app.logo.clone(),
        screen,
        error: None,
        ui_locales: owing.pending.request.ui_locales.clone(),
    }
}

async fn otp_challenge_view(
    state: &AppState,
    owing: &Owing,
    cookies: &BrowserCookies,
) -> Result<MfaView, InternalError> {
    let enrolled = state.admin.enrolled_factors(&owing.user.user_id).await?;
    let screen = MfaScreen::OtpChallenge {
        can_use_recovery_code: enrolled.recovery_code,
    };
    Ok(view(owing, cookies, screen))
}

async fn otp_enrollment_view(
    state: &AppState,
    owing: &Owing,
    cookies: &BrowserCookies,
) -> Result<(MfaView, String), InternalError> {
    let account = if owing.user.email.is_empty() {
        owing.user.user_id.clone()
    } else {
        owing.user.email.clone()
    };
    let enrollment = state
        .admin
        .totp_enrollment(&owing.user.user_id, &account)
        .await?;
    let screen = MfaScreen::OtpEnrollment {
        qr_svg: qr_svg(&enrollment.otpauth_uri)?,
        secret: grouped(&enrollment.secret.to_base32()),
    };
    Ok((view(owing, cookies, screen), enrollment.id))
}

/// The QR code of `uri` as an SVG element, dark on light whatever the page's colours.
fn qr_svg(uri: &str) -> Result<String, InternalError> {
    let code = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| tessera_admin::AdminError::Internal(format!("a QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `GET /u/mfa-otp-challenge`.
pub async fn otp_challenge_page(
    state: &AppState,
    id: &str,
    cookies: &BrowserCookies,
) -> Result<Interaction, InternalError> {
    let owing = match owing(state, load(state, id, cookies).await?).await? {
        Ok(owing) => owing,
        Err(refusal) => return Ok(Interaction::Refused(refusal)),
    };
    Ok(Interaction::Mfa(
        otp_challenge_view(state, &owing, cookies).await?,
    ))
}

/// `GET /u/mfa-otp-enrollment-qr`.
pub async fn otp_enrollment_page(
    state: &AppState,
    id: &str,
    cookies: &BrowserCookies,
) -> Result<Interaction, InternalError> {
    let owing = match owing(state, load(state, id, cookies).await?).await? {
        Ok(owing) => owing,
        Err(refusal) => return Ok(Interaction::Refused(refusal)),
    };
    if state
        .admin
        .enrolled_factors(&owing.user.user_id)
        .await?
        .totp
    {
        // Enrolled meanwhile (another tab): a code is what is due now, not a second app.
        return Ok(Interaction::Mfa(
            otp_challenge_view(state, &owing, cookies).await?,
        ));
    }
    Ok(Interaction::Mfa(
        otp_enrollment_view(state, &owing, cookies).await?.0,
    ))
}

/// `GET /u/mfa-recovery-code-challenge`.
pub async fn recovery_challenge_page(
    state: &AppState,
    id: &str,
    cookies: &BrowserCookies,
) -> Result<Interaction, InternalError> {
    let owing = match owing(state, load(state, id, cookies).await?).await? {
        Ok(owing) => owing,
        Err(refusal) => return Ok(Interaction::Refused(refusal)),
    };
    Ok(Interaction::Mfa(view(
        &owing,
        cookies,
        MfaScreen::RecoveryChallenge,
    )))
}

/// The brute-force counter of a user's second factor: apart from their password's, so that
/// a stolen password's owner is not locked out of logging in by someone guessing codes, and
/// with the same limits.
fn mfa_account(user_id: &str) -> String {
    format!("mfa:{user_id}")
}

/// Brute-force protection before a code is checked: `None` when it may be checked.
async fn throttled(
    state: &AppState,
    user_id: &str,
    origin: &Origin,
) -> Result<Option<(&'static str, i64)>, InternalError> {
    let verdict = state
        .settings
        .brute_force
        .check(
            state.store.as_ref(),
            &mfa_account(user_id),
            &origin.ip().key(),
            state.clock.now(),
        )
        .await?;
    Ok(match verdict {
        Verdict::Allowed => None,
        Verdict::IpThrottled { retry_after } => Some((IP_THROTTLED, retry_after)),
        Verdict::AccountBlocked { retry_after } => Some((ACCOUNT_BLOCKED, retry_after)),
    })
}

/// Counts the outcome of a checked code, and records its event: `events` names the success's
/// and the failure's.
async fn counted(
    state: &AppState,
    owing: &Owing,
    origin: &Origin,
    right: bool,
    events: (EventType, EventType),
) -> Result<(), InternalError> {
    let event_type = if right { events.0 } else { events.1 };
    let guard = state.settings.brute_force;
    let (account, ip) = (mfa_account(&owing.user.user_id), origin.ip().key());
    if right {
        guard.succeeded(state.store.as_ref(), &account, &ip).await?;
    } else {
        guard
            .failed(state.store.as_ref(), &account, &ip, state.clock.now())
            .await?;
    }
    let event = Event::new(event_type)
        .user(&owing.user.user_id, &owing.user.email)
        .client(
            owing.pending.request.client_id.as_str(),
            Some(&owing.app.name),
        );
    state.record(event, &origin.context);
    Ok(())
}

/// A refused code: the page again, with the reason (and when to retry, when throttled).
fn refused(mut view: MfaView, error: &'static str, retry_after: Option<i64>) -> Interaction {
    view.error = Some(error);
    match retry_after {
        Some(retry_after) => Interaction::MfaThrottled { view, retry_after },
        None => Interaction::MfaRefused(view),
    }
}

/// Which code a second-factor form carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeForm {
    /// `POST /u/mfa-otp-challenge`: a code from the app, accepted once.
    OtpChallenge,
    /// `POST /u/mfa-otp-enrollment-qr`: the first code from the newly added app confirms it;
    /// then a recovery code, when the tenant offers them.
    OtpEnrollment,
    /// `POST /u/mfa-recovery-code-challenge`: the recovery code stands in for the app, once; a
    /// new one replaces it.
    RecoveryChallenge,
}

/// What a submitted code is checked against.
enum Check {
    /// The user's authenticator app.
    Totp,
    /// The app being enrolled (its authenticator id).
    Enrollment(String),
    RecoveryCode,
}

/// A submitted code: brute-force checks, then the code, counted and recorded; a wrong one
/// shows its page again, a right one ends the second factor.
pub async fn submit_code(
    state: &AppState,
    form: MfaForm,
    kind: CodeForm,
    cookies: &BrowserCookies,
    origin: &Origin,
) -> Result<Interaction, InternalError> {
    let owing = match owing_for_post(state, &form, cookies).await? {
        Ok(owing) => owing,
        Err(refusal) => return Ok(Interaction::Refused(refusal)),
    };
    let user_id = owing.user.user_id.clone();
    // The page to show again, and what the code is checked against.
    let (page, check) = match kind {
        CodeForm::OtpChallenge => (
            otp_challenge_view(state, &owing, cookies).await?,
            Check::Totp,
        ),
        CodeForm::OtpEnrollment => {
            let (page, id) = otp_enrollment_view(state, &owing, cookies).await?;
            (page, Check::Enrollment(id))
        }
        CodeForm::RecoveryChallenge => (
            view(&owing, cookies, MfaScreen::RecoveryChallenge),
            Check::RecoveryCode,
        ),
    };
    if let Some((message, retry_after)) = throttled(state, &user_id, origin).await? {
        return Ok(refused(page, message, Some(retry_after)));
    }
    let admin = &state.admin;
    let (right, events, wrong) = match check {
        Check::Enrollment(id) => (
            admin
                .confirm_totp_enrollment(&user_id, &id, &form.code)
                .await?,
            (EventType::MfaEnrolled, EventType::MfaFailed),
            WRONG_CODE,
        ),
        Check::RecoveryCode => (
            admin.redeem_recovery_code(&user_id, &form.code).await?,
            (EventType::RecoverySucceeded, EventType::RecoveryFailed),
            WRONG_RECOVERY_CODE,
        ),
        Check::Totp => (
            admin.verify_totp(&user_id, &form.code).await?,
            (EventType::MfaSucceeded, EventType::MfaFailed),
            WRONG_CODE,
        ),
    };
    counted(state, &owing, origin, right, events).await?;
    if !right {
        return Ok(refused(page, wrong, None));
    }
    let amr = owing.first.amr.and(AuthMethod::Otp);
    let new_recovery_code = match kind {
        CodeForm::OtpChallenge => false,
        CodeForm::OtpEnrollment => admin.mfa_settings().await?.recovery_code,
        CodeForm::RecoveryChallenge => true,
    };
    if new_recovery_code {
        return show_recovery_code(state, owing, cookies, amr).await;
    }
    owing.log_in(state, amr, origin).await
}

/// Makes the user's new recovery code and shows it; the second factor is recorded as passed,
/// so the page's "Continue" ends the login.
async fn show_recovery_code(
    state: &AppState,
    owing: Owing,
    cookies: &BrowserCookies,
    amr: Amr,
) -> Result<Interaction, InternalError> {
    let passed = FirstFactor {
        user_id: owing.user.user_id.clone(),
        amr,
    };
    state
        .store
        .record_first_factor(&owing.pending.id, &passed)
        .await?;
    let code = state.admin.new_recovery_code(&owing.user.user_id).await?;
    Ok(Interaction::Mfa(view(
        &owing,
        cookies,
        MfaScreen::RecoveryCode { code: code.0 },
    )))
}

/// `POST /u/mfa-recovery-code-enrollment`: the user saved the recovery code shown; the login
/// ends, provided the second factor was passed.
pub async fn submit_recovery_code_saved(
    state: &AppState,
    form: MfaForm,
    cookies: &BrowserCookies,
    origin: &Origin,
) -> Result<Interaction, InternalError> {
    let owing = match owing_for_post(state, &form, cookies).await? {
        Ok(owing) => owing,
        Err(refusal) => return Ok(Interaction::Refused(refusal)),
    };
    if !owing.first.amr.is_multi_factor() {
        return Ok(Interaction::Refused(Refusal::BadRequest(
            "the second factor was not passed".into(),
        )));
    }
    let amr = owing.first.amr.clone();
    owing.log_in(state, amr, origin).await
}
