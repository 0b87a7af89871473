//! The hosted consent page: what the application asks for, and the user's Allow (the widened
//! grant is stored) or Deny (`access_denied` for the client).

use serde_json::json;
use tessera_core::audit::{Event, EventType};
use tessera_core::crypto::random_hex;
use tessera_protocol::consent::{consentable, grant_after_allow};
use tessera_protocol::error::AuthorizeError;
use tessera_protocol::AuthorizeErrorCode;
use tessera_store::PendingAuthorization;

use super::{
    app_identity, authentication_of, csrf_of, load, load_for_post, to_login, ConsentForm,
    ConsentView, Interaction, Refusal, ScopeLine,
};
use crate::client_ip::Origin;
use crate::error::InternalError;
use crate::flows::authorize::{
    already_completed, permitted_request, proceed, request_error, Outcome, Stage,
};
use crate::flows::browser::{Authenticated, BrowserCookies};
use crate::i18n::text;
use crate::state::AppState;

/// `GET /u/consent`.
pub async fn consent_page(
    state: &AppState,
    id: &str,
    cookies: &BrowserCookies,
) -> Result<Interaction, InternalError> {
    let pending = match load(state, id, cookies).await? {
        Ok(pending) => pending,
        Err(refusal) => return Ok(Interaction::Refused(refusal)),
    };
    let Some(Authenticated { user_id, .. }) = authentication_of(state, &pending, cookies).await?
    else {
        return Ok(to_login(&pending));
    };
    let permitted = permitted_request(state, &pending.request, &user_id).await?;
    let request = permitted.as_ref().unwrap_or(&pending.request);
    let api = match &request.audience {
        Some(identifier) => state.catalog.api(identifier).await?,
        None => None,
    };
    let user_name = state
        .catalog
        .user(&user_id)
        .await?
        .map(|u| u.name.clone())
        .unwrap_or_default();
    let scopes = consentable(&request.scope)
        .iter()
        .map(|scope| ScopeLine {
            value: scope.to_string(),
            description: api
                .as_ref()
                .and_then(|api| api.description_of(scope))
                .filter(|d| !d.is_empty())
                .map(str::to_owned)
                .unwrap_or_else(|| standard_scope_description(scope.as_str())),
        })
        .collect();
    let app = app_identity(state, &request.client_id).await?;
    Ok(Interaction::Consent(ConsentView {
        ui_locales: pending.request.ui_locales.clone(),
        state: pending.id.clone(),
        csrf_token: csrf_of(&pending, cookies),
        client_name: app.name,
        logo: app.logo,
        api_name: api.map(|a| a.name.clone()),
        user_name,
        scopes,
    }))
}

fn standard_scope_description(scope: &str) -> String {
    match scope {
        "profile" => text("Your profile: name and nickname").into(),
        "email" => text("Your email address").into(),
        "offline_access" => text("Keep access while you are away (a refresh token)").into(),
        other => other.into(),
    }
}

/// `POST /u/consent`: Allow stores the widened grant and continues; Deny returns
/// `access_denied` to the client.
pub async fn submit_consent(
    state: &AppState,
    form: ConsentForm,
    cookies: &BrowserCookies,
    origin: &Origin,
) -> Result<Interaction, InternalError> {
    let pending = match load_for_post(state, &form.state, &form.csrf_token, cookies).await? {
        Ok(pending) => pending,
        Err(refusal) => return Ok(Interaction::Refused(refusal)),
    };
    let Some(user) = authentication_of(state, &pending, cookies).await? else {
        return Ok(to_login(&pending));
    };
    let request = &pending.request;
    let now = state.clock.now();
    match form.decision.as_str() {
        "allow" => {
            // The consent belongs to the user: one deleted or blocked since logging in gets
            // no consent stored and no answer but `access_denied`.
            let live = state.store.user(&user.user_id).await?;
            if live.is_none_or(|u| u.blocked) {
                return refuse(state, &pending, "the user no longer exists or is blocked").await;
            }
            let audience = request.audience.as_deref();
            let granted = state
                .store
                .consent(&user.user_id, &request.client_id, audience)
                .await?;
            let permitted = permitted_request(state, request, &user.user_id).await?;
            let asked = permitted.as_ref().unwrap_or(request);
            let scope = grant_after_allow(granted.as_ref(), &asked.scope);
            state
                .store
                .save_consent(
                    &user.user_id,
                    &request.client_id,
                    audience,
                    &scope,
                    &random_hex(12)?,
                    now,
                )
                .await?;
            let details = json!({ "audience": audience, "scope": scope.to_string() });
            let mut event = Event::new(EventType::ConsentGranted)
                .client(request.client_id.as_str(), None)
                .details(details);
            event.user_id = Some(user.user_id.clone());
            state.record(event, &origin.context);
            let outcome = proceed(
                state,
                request,
                Some(user),
                true,
                Stage::Pending(&pending),
                &origin.context,
                now,
            )
            .await?;
            Ok(Interaction::Navigate(outcome))
        }
        "deny" => refuse(state, &pending, "the user did not allow access").await,
        _ => Ok(Interaction::Refused(Refusal::BadRequest(
            "decision must be allow or deny".into(),
        ))),
    }
}

/// RFC 6749 §4.1.2.1: `access_denied` for the client, once (a second submission of the form
/// finds the authorization finished).
async fn refuse(
    state: &AppState,
    pending: &PendingAuthorization,
    description: &str,
) -> Result<Interaction, InternalError> {
    if !state.store.finish_pending(&pending.id).await? {
        return Ok(Interaction::Refused(Refusal::Gone(already_completed())));
    }
    let error = AuthorizeError::new(AuthorizeErrorCode::AccessDenied, description);
    Ok(Interaction::Navigate(Outcome::ToClient(request_error(
        state,
        &pending.request,
        &error,
    ))))
}
