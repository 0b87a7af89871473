//! Universal Login: the hosted pages' branding (`/api/v2/branding`), the database
//! connection's sign-up and passkey settings (`/api/v2/connections/{id}` options), and
//! multi-factor authentication (`/api/v2/guardian/factors` and `/policies`), over the admin
//! service.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{json, Value};
use tessera_admin::branding::Branding;
use tessera_admin::connections::{ConnectionQuery, ConnectionUpdate, DatabaseOptions};
use tessera_admin::mfa::methods::FactorSwitch;
use tessera_admin::mfa::MfaSettings;

use crate::dashboard::session::SignedIn;
use crate::dashboard::view::{render, Chrome, Fields, FormBody, Page};
use crate::routes::web::found;
use crate::state::AppState;

const BACK: &str = "/dashboard/universal-login";
const LEVELS: [&str; 5] = ["none", "low", "fair", "good", "excellent"];

#[derive(Template)]
#[template(path = "dashboard/universal_login.html")]
struct UniversalLoginPage {
    chrome: Chrome,
    branding: Branding,
    options: DatabaseOptions,
    levels: [&'static str; 5],
    mfa: MfaSettings,
    /// The issuer has a domain name: passkeys can be offered.
    passkeys_available: bool,
}

impl UniversalLoginPage {
    fn color(&self, primary: bool) -> String {
        let colors = self.branding.colors.clone().unwrap_or_default();
        let color = if primary {
            colors.primary
        } else {
            colors.page_background
        };
        color.unwrap_or_default()
    }

    fn level(&self) -> String {
        match serde_json::to_value(self.options.passwords.password_policy) {
            Ok(Value::String(level)) => level,
            _ => String::new(),
        }
    }
}

/// `GET /dashboard/universal-login`.
pub async fn show(State(state): State<AppState>, signed_in: SignedIn) -> Page {
    let branding = state.admin.branding(&signed_in.caller).await?;
    let options = state.admin.database_options().await?;
    let page = UniversalLoginPage {
        chrome: signed_in.chrome("universal-login"),
        branding,
        options,
        levels: LEVELS,
        mfa: state.admin.mfa_settings().await?,
        passkeys_available: state.admin.passkeys_available(),
    };
    Ok(render(StatusCode::OK, page.render()))
}

/// A form field as a setting: empty is `null` (the setting removed).
fn setting(form: &Fields, name: &str) -> Value {
    match form.get(name).trim() {
        "" => Value::Null,
        value => json!(value),
    }
}

/// `POST /dashboard/universal-login/branding`.
pub async fn update_branding(
    State(state): State<AppState>,
    signed_in: SignedIn,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let patch = json!({
        "colors": { "primary": setting(&form, "primary"), "page_background": setting(&form, "page_background") },
        "logo_url": setting(&form, "logo_url"),
        "favicon_url": setting(&form, "favicon_url"),
        "font": { "url": setting(&form, "font_url") },
    });
    let Value::Object(patch) = patch else {
        return Ok(found(BACK));
    };
    state
        .admin
        .update_branding(&signed_in.caller, patch)
        .await?;
    Ok(found(BACK))
}

/// The database connection and its options, to change some and keep the others.
async fn database_connection(
    state: &AppState,
    signed_in: &SignedIn,
) -> Result<Option<(String, tessera_store::JsonObject)>, tessera_admin::AdminError> {
    let connections = state
        .admin
        .list_connections(&signed_in.caller, &ConnectionQuery::default())
        .await?;
    Ok(connections
        .into_iter()
        .next()
        .map(|connection| (connection.id, connection.options)))
}

/// `POST /dashboard/universal-login/mfa`: the factors (an authenticator app, passkeys — both of
/// Auth0's WebAuthn factors —, recovery codes), whether every login asks for one, and passkeys
/// on the login page and offered after a password.
pub async fn update_mfa(
    State(state): State<AppState>,
    signed_in: SignedIn,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let admin = &state.admin;
    let caller = &signed_in.caller;
    let on = |name: &str| FactorSwitch {
        enabled: form.get(name) == "on",
    };
    admin
        .switch_guardian_factor(caller, "otp", on("otp"))
        .await?;
    for webauthn in ["webauthn-platform", "webauthn-roaming"] {
        admin
            .switch_guardian_factor(caller, webauthn, on("passkey_factor"))
            .await?;
    }
    admin
        .switch_guardian_factor(caller, "recovery-code", on("recovery_code"))
        .await?;
    let policies = if form.get("policy") == "always" {
        vec![tessera_admin::mfa::guardian::ALL_APPLICATIONS.to_owned()]
    } else {
        Vec::new()
    };
    admin.set_guardian_policies(caller, &policies).await?;
    let Some((id, mut options)) = database_connection(&state, &signed_in).await? else {
        return Ok(found(BACK));
    };
    let mut methods = options
        .get("authentication_methods")
        .and_then(|m| m.as_object())
        .cloned()
        .unwrap_or_default();
    methods.insert(
        "passkey".into(),
        json!({ "enabled": form.get("passkeys_on_login") == "on" }),
    );
    options.insert("authentication_methods".into(), Value::Object(methods));
    let mut passkey_options = options
        .get("passkey_options")
        .and_then(|m| m.as_object())
        .cloned()
        .unwrap_or_default();
    passkey_options.insert(
        "progressive_enrollment_enabled".into(),
        json!(form.get("passkey_offer") == "on"),
    );
    options.insert("passkey_options".into(), Value::Object(passkey_options));
    let update = ConnectionUpdate {
        options: Some(options),
        ..ConnectionUpdate::default()
    };
    admin.update_connection(caller, &id, update).await?;
    Ok(found(BACK))
}

/// `POST /dashboard/universal-login/signup`: sign-up on or off and the password policy; the
/// connection's other options stay as they are.
pub async fn update_signup(
    State(state): State<AppState>,
    signed_in: SignedIn,
    FormBody(fields): FormBody,
) -> Page {
    let form = Fields(fields);
    signed_in.check(&form)?;
    let Some((id, mut options)) = database_connection(&state, &signed_in).await? else {
        return Ok(found(BACK));
    };
    options.insert("disable_signup".into(), json!(form.get("signup") != "on"));
    options.insert("passwordPolicy".into(), json!(form.get("password_policy")));
    let min_length = match form.get("min_length").trim() {
        "" => Value::Null,
        text => text.parse::<u32>().map(|n| json!(n)).unwrap_or(json!(text)),
    };
    options.insert(
        "password_complexity_options".into(),
        json!({ "min_length": min_length }),
    );
    let dictionary = options
        .get("password_dictionary")
        .and_then(|d| d.get("dictionary"))
        .cloned()
        .unwrap_or(json!([]));
    options.insert(
        "password_dictionary".into(),
        json!({ "enable": form.get("dictionary") == "on", "dictionary": dictionary }),
    );
    let update = ConnectionUpdate {
        options: Some(options),
        ..ConnectionUpdate::default()
    };
    state
        .admin
        .update_connection(&signed_in.caller, &id, update)
        .await?;
    Ok(found(BACK))
}
