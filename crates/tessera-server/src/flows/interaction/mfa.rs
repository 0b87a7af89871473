//! The second factor of a hosted login, at Auth0's Universal Login paths: after the password,
//! when the tenant's policy asks for one, a code from an authenticator app
//! (`/u/mfa-otp-challenge`), its enrollment at the first such login (`/u/mfa-otp-enrollment-qr`,
//! a QR code and the secret to type), or the recovery code instead
//! (`/u/mfa-recovery-code-challenge`). A recovery code is shown once when it is made — at
//! enrollment and after one was used — and the login ends when the user says they saved it
//! (`/u/mfa-recovery-code-enrollment`). Wrong codes count like wrong passwords.
//!
//! A passkey can be the second factor too (`/u/mfa-webauthn-platform-enrollment` and
//! `-challenge`), and where the connection offers passkeys, a person who logged in with their
//! password and has none is offered to create one (`/u/passkey-enrollment`, "Not now" skips).

use tessera_admin::mfa::factors::account_name;
use tessera_admin::mfa::Ceremony;
use tessera_core::audit::{Event, EventType};
use tessera_protocol::mfa::{Amr, AuthMethod};
use tessera_store::{FirstFactor, PendingAuthorization, User};

use super::log_in;
use super::remembered;
use super::{
    app_identity, csrf_of, load, load_for_post, AppIdentity, Interaction, MfaForm, PasskeyForm,
    Refusal,
};
use crate::client_ip::Origin;
use crate::error::InternalError;
use crate::flows::authorize::{second_factor_location, Outcome};
use crate::flows::browser::BrowserCookies;
use crate::flows::credentials;
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
    /// One of the user's passkeys; links to their other factors.
    PasskeyChallenge {
        ceremony: Ceremony,
        can_use_otp: bool,
        can_use_recovery_code: bool,
    },
    /// A new passkey: as the second factor (an authenticator app instead, when the tenant
    /// offers one), or only offered (`offer`: "Not now" goes on without one).
    PasskeyEnrollment {
        ceremony: Ceremony,
        can_use_otp: bool,
        offer: bool,
    },
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
    /// The page offers to remember this browser (Auth0's `showRememberDevice`).
    pub can_remember: bool,
}

const WRONG_CODE: &str = text("That code is wrong or was used already. Try the next one.");
const WRONG_RECOVERY_CODE: &str = text("That recovery code is wrong.");
pub(super) const PASSKEY_REFUSED: &str = text("That passkey could not be used. Try again.");

/// Whether this authorization owes a second factor after the first: the tenant's policy, or
/// the request's `acr_values`, with a factor to use.
async fn second_factor_due(
    state: &AppState,
    pending: &PendingAuthorization,
) -> Result<bool, InternalError> {
    let settings = state.admin.mfa_settings().await?;
    let asked = pending.request.asks_for_multi_factor() && settings.any_factor();
    Ok(settings.required() || asked)
}

/// The connection offers a passkey to a person who has none, after their password.
async fn offers_passkey(state: &AppState, user: &User) -> Result<bool, InternalError> {
    let admin = &state.admin;
    Ok(admin.passkeys_available()
        && admin.database_options().await?.offers_passkey_enrollment()
        && !admin.enrolled_factors(&user.user_id).await?.passkey)
}

/// After the first factor `first` (the password, a sign-up, or another identity provider): a
/// second factor when the policy asks for one, else the login itself.
pub(super) async fn after_first_factor(
    state: &AppState,
    pending: &mut PendingAuthorization,
    user: &User,
    first: Amr,
    client_name: &str,
    cookies: &BrowserCookies,
    origin: &Origin,
) -> Result<Interaction, InternalError> {
    let due = second_factor_due(state, pending).await?;
    if due && remembered::may_remember(state, pending).await? {
        let cookie = cookies.remembered.as_deref();
        if let Some(renewed) = remembered::renewed(state, cookie, &user.user_id).await? {
            let amr = first.and(AuthMethod::Mfa);
            let logged_in = log_in(state, pending, user, amr, client_name, origin).await?;
            return Ok(logged_in.remembering(renewed));
        }
    }
    // Passkeys are the database connection's: offered after its password only.
    let offer = first == Amr::password() && offers_passkey(state, user).await?;
    if !due && !offer {
        return log_in(state, pending, user, first, client_name, origin).await;
    }
    let first = FirstFactor {
        user_id: user.user_id.clone(),
        amr: first,
    };
    state.store.record_first_factor(&pending.id, &first).await?;
    let location = if due {
        second_factor_location(state, &user.user_id, &pending.id).await?
    } else {
        format!("/u/passkey-enrollment?state={}", pending.id)
    };
    Ok(Interaction::Navigate(Outcome::Interact {
        location,
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

/// [`owing`] for a submitted form (its `state` and `csrf_token`), the CSRF token checked.
async fn owing_for_post(
    state: &AppState,
    (id, csrf_token): (&str, &str),
    cookies: &BrowserCookies,
) -> Result<Result<Owing, Refusal>, InternalError> {
    let loaded = load_for_post(state, id, csrf_token, cookies).await?;
    owing(state, loaded).await
}

impl Owing {
    /// [`Owing::log_in`], remembering the browser when the person asked to and the policy's
    /// second factor may be remembered.
    async fn log_in_remembering(
        self,
        state: &AppState,
        amr: Amr,
        remember: bool,
        origin: &Origin,
    ) -> Result<Interaction, InternalError> {
        let remember = remember && remembered::may_remember(state, &self.pending).await?;
        let user_id = self.user.user_id.clone();
        let logged_in = self.log_in(state, amr, origin).await?;
        if !remember {
            return Ok(logged_in);
        }
        Ok(logged_in.remembering(remembered::remember(state, &user_id)?))
    }

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
        can_remember: false,
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
    let mut page = view(owing, cookies, screen);
    page.can_remember = remembered::may_remember(state, &owing.pending).await?;
    Ok(page)
}

async fn otp_enrollment_view(
    state: &AppState,
    owing: &Owing,
    cookies: &BrowserCookies,
) -> Result<(MfaView, String), InternalError> {
    let enrollment = state
        .admin
        .totp_enrollment(&owing.user.user_id, account_name(&owing.user))
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

/// Brute-force protection before a code is checked: `None` when it may be checked.
async fn throttled(
    state: &AppState,
    user_id: &str,
    origin: &Origin,
) -> Result<Option<(&'static str, i64)>, InternalError> {
    let ip = origin.ip().key();
    Ok(credentials::second_factor_refusal(state, user_id, &ip).await?)
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
    let ip = origin.ip().key();
    credentials::count_second_factor(state, &owing.user.user_id, &ip, right).await?;
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
    let owing = match owing_for_post(state, (&form.state, &form.csrf_token), cookies).await? {
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
    let remember = form.remember && kind == CodeForm::OtpChallenge;
    owing.log_in_remembering(state, amr, remember, origin).await
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
    let owing = match owing_for_post(state, (&form.state, &form.csrf_token), cookies).await? {
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

/// One of the user's passkeys asked for; the app's code when they have none (removed meanwhile).
async fn passkey_challenge_view(
    state: &AppState,
    owing: &Owing,
    cookies: &BrowserCookies,
) -> Result<MfaView, InternalError> {
    let admin = &state.admin;
    let begun = admin
        .begin_passkey_challenge(&owing.user.user_id, &owing.pending.id)
        .await?;
    let Some(ceremony) = begun else {
        return otp_challenge_view(state, owing, cookies).await;
    };
    let enrolled = admin.enrolled_factors(&owing.user.user_id).await?;
    let screen = MfaScreen::PasskeyChallenge {
        ceremony,
        can_use_otp: enrolled.totp,
        can_use_recovery_code: enrolled.recovery_code,
    };
    let mut page = view(owing, cookies, screen);
    page.can_remember = remembered::may_remember(state, &owing.pending).await?;
    Ok(page)
}

/// A new passkey's page; none where passkeys cannot be offered (an issuer without a domain).
async fn passkey_enrollment_view(
    state: &AppState,
    owing: &Owing,
    cookies: &BrowserCookies,
    offer: bool,
) -> Result<Option<MfaView>, InternalError> {
    let admin = &state.admin;
    let begun = admin
        .begin_passkey_registration(
            &owing.user.user_id,
            account_name(&owing.user),
            &owing.pending.id,
        )
        .await?;
    let Some(ceremony) = begun else {
        return Ok(None);
    };
    let screen = MfaScreen::PasskeyEnrollment {
        ceremony,
        can_use_otp: !offer && admin.mfa_settings().await?.otp,
        offer,
    };
    Ok(Some(view(owing, cookies, screen)))
}

/// Which passkey page: the second factor's challenge or enrollment, or the offer after a
/// password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasskeyStep {
    /// `/u/mfa-webauthn-platform-challenge`.
    Challenge,
    /// `/u/mfa-webauthn-platform-enrollment`.
    Enrollment,
    /// `/u/passkey-enrollment`.
    Offer,
}

/// The page of `step`, for the authorization `owing`.
async fn passkey_view(
    state: &AppState,
    owing: &Owing,
    cookies: &BrowserCookies,
    step: PasskeyStep,
) -> Result<Interaction, InternalError> {
    let page = match step {
        PasskeyStep::Challenge => Some(passkey_challenge_view(state, owing, cookies).await?),
        PasskeyStep::Enrollment => passkey_enrollment_view(state, owing, cookies, false).await?,
        PasskeyStep::Offer => passkey_enrollment_view(state, owing, cookies, true).await?,
    };
    Ok(match page {
        Some(page) => Interaction::Mfa(page),
        None => Interaction::Refused(Refusal::BadRequest(
            "passkeys cannot be used with this server's issuer".into(),
        )),
    })
}

/// `GET /u/mfa-webauthn-platform-challenge`, `/u/mfa-webauthn-platform-enrollment` and
/// `/u/passkey-enrollment`.
pub async fn passkey_page(
    state: &AppState,
    id: &str,
    cookies: &BrowserCookies,
    step: PasskeyStep,
) -> Result<Interaction, InternalError> {
    let owing = match owing(state, load(state, id, cookies).await?).await? {
        Ok(owing) => owing,
        Err(refusal) => return Ok(Interaction::Refused(refusal)),
    };
    passkey_view(state, &owing, cookies, step).await
}

/// A passkey form posted: the browser's answer verified against the sealed ceremony (a
/// refused one shows the page again), then the login ends — with the passkey as a second
/// factor, or, where it was only offered, with the password the person logged in with (never
/// where a second factor is due).
pub async fn submit_passkey(
    state: &AppState,
    form: PasskeyForm,
    step: PasskeyStep,
    cookies: &BrowserCookies,
    origin: &Origin,
) -> Result<Interaction, InternalError> {
    let owing = match owing_for_post(state, (&form.state, &form.csrf_token), cookies).await? {
        Ok(owing) => owing,
        Err(refusal) => return Ok(Interaction::Refused(refusal)),
    };
    let (admin, user_id) = (&state.admin, owing.user.user_id.clone());
    let bound_to = owing.pending.id.clone();
    let (ceremony, answer) = (form.ceremony.as_str(), form.credential.as_str());
    if step == PasskeyStep::Offer {
        if second_factor_due(state, &owing.pending).await? {
            return Ok(Interaction::Refused(Refusal::BadRequest(
                "a second factor is due in this authorization".into(),
            )));
        }
        if !form.skip {
            let made = admin
                .finish_passkey_registration(&user_id, &bound_to, ceremony, answer)
                .await?;
            if made.is_err() {
                return refused_passkey(state, &owing, cookies, step).await;
            }
        }
        let amr = owing.first.amr.clone();
        return owing.log_in(state, amr, origin).await;
    }
    if step == PasskeyStep::Challenge {
        if let Some((message, retry_after)) = throttled(state, &user_id, origin).await? {
            let Interaction::Mfa(page) = passkey_view(state, &owing, cookies, step).await? else {
                return Ok(Interaction::Refused(Refusal::BadRequest(message.into())));
            };
            return Ok(refused(page, message, Some(retry_after)));
        }
    }
    let (proved, events) = match step {
        PasskeyStep::Challenge => (
            admin
                .finish_passkey_challenge(&user_id, &bound_to, ceremony, answer)
                .await?,
            (EventType::MfaSucceeded, EventType::MfaFailed),
        ),
        _ => (
            admin
                .finish_passkey_registration(&user_id, &bound_to, ceremony, answer)
                .await?,
            (EventType::MfaEnrolled, EventType::MfaFailed),
        ),
    };
    counted(state, &owing, origin, proved.is_ok(), events).await?;
    let Ok(proof) = proved else {
        return refused_passkey(state, &owing, cookies, step).await;
    };
    let amr = owing.first.amr.and(proof.method);
    if step == PasskeyStep::Enrollment && admin.mfa_settings().await?.recovery_code {
        return show_recovery_code(state, owing, cookies, amr).await;
    }
    let remember = form.remember && step == PasskeyStep::Challenge;
    owing.log_in_remembering(state, amr, remember, origin).await
}

/// A refused passkey: its page again, with a new ceremony and the reason.
async fn refused_passkey(
    state: &AppState,
    owing: &Owing,
    cookies: &BrowserCookies,
    step: PasskeyStep,
) -> Result<Interaction, InternalError> {
    Ok(match passkey_view(state, owing, cookies, step).await? {
        Interaction::Mfa(page) => refused(page, PASSKEY_REFUSED, None),
        other => other,
    })
}
