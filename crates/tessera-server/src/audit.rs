//! Recording calls shared by several flows: each counts its metric and queues its event.

use serde_json::json;
use tessera_protocol::token::RefreshGrant;
use tessera_protocol::{GrantType, RegisteredClient};

use crate::flows::mint::{Mint, Subject};
use crate::state::AppState;
use tessera_core::audit::{Event, EventType};

/// Tokens were issued to `client` with `grant`, as minted from `m`. Implicit grants are
/// counted only: their login is the event.
pub fn tokens_issued(state: &AppState, grant: GrantType, client: &RegisteredClient, m: &Mint<'_>) {
    state.metrics.token_issued(grant);
    let event_type = match grant {
        GrantType::AuthorizationCode => EventType::CodeExchanged,
        GrantType::RefreshToken => EventType::RefreshTokenExchanged,
        GrantType::ClientCredentials => EventType::ClientCredentialsExchanged,
        GrantType::Implicit => return,
    };
    let details = json!({
        "grant_type": grant.as_str(),
        "audience": m.api.map(|api| api.identifier.as_str()),
        "scope": m.scope.to_string(),
    });
    let mut event = Event::new(event_type)
        .client(client.client_id.as_str(), Some(&client.name))
        .details(details);
    if let Subject::User(user) = m.subject {
        event = event.user(&user.user_id, &user.email);
    }
    state.record(event);
}

/// A used authorization code was presented again by `client`; `revoked` refresh tokens it had
/// issued were revoked (RFC 6749 §4.1.2).
pub fn code_replayed(state: &AppState, client: &RegisteredClient, revoked: u64) {
    state.metrics.code_replayed();
    let event = Event::new(EventType::CodeExchangeFailed)
        .description("Authorization code used twice; the tokens it issued are revoked")
        .client(client.client_id.as_str(), Some(&client.name))
        .details(json!({ "grant_type": "authorization_code", "refresh_tokens_revoked": revoked }));
    state.record(event);
}

/// A rotated refresh token of `grant`'s family was used again; `revoked` tokens of the family
/// were revoked (RFC 9700 §4.14.2).
pub fn refresh_reused(state: &AppState, grant: &RefreshGrant, revoked: u64) {
    state.metrics.refresh_reuse_detected();
    let mut event = Event::new(EventType::RefreshTokenReused)
        .client(grant.client_id.as_str(), None)
        .details(json!({
            "grant_type": "refresh_token",
            "audience": grant.audience,
            "refresh_tokens_revoked": revoked,
        }));
    event.user_id = Some(grant.user_id.clone());
    state.record(event);
}
