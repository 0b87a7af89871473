//! What an audit event is: its type (Auth0's codes), who it is about, and the client of the
//! request it happened in.

use std::net::IpAddr;

use http::HeaderValue;
use serde_json::{json, Value};
use tessera_protocol::Timestamp;
use tessera_store::LogEvent;

/// The client of the request an event happened in: flows are given it by their handler
/// (they see no HTTP request) and pass it to the events they record.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<HeaderValue>,
}

/// A kind of event and its Auth0 type code. `consent_granted` and `consent_revoked` are
/// Tessera's own: Auth0 has no code for them. The `gd_` codes are Auth0's MFA (Guardian) events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// `s`: a user logged in.
    SuccessLogin,
    /// `fp`: wrong password for a known user.
    WrongPassword,
    /// `fu`: no such user.
    UnknownUser,
    /// `f`: the login failed for another reason (a blocked user).
    FailedLogin,
    /// `limit_wc`: an account was blocked for an IP after too many failed logins.
    BlockedAccount,
    /// `limit_mu`: an IP was throttled after too many failed logins across accounts.
    BlockedIp,
    /// `seacft`: an authorization code was exchanged for tokens.
    CodeExchanged,
    /// `feacft`: an authorization code exchange failed (a replayed code).
    CodeExchangeFailed,
    /// `seccft`: client credentials were exchanged for a token.
    ClientCredentialsExchanged,
    /// `sertft`: a refresh token was exchanged for tokens.
    RefreshTokenExchanged,
    /// `ferrt`: a rotated refresh token was used again; its family was revoked.
    RefreshTokenReused,
    /// `consent_granted`: a user allowed an application.
    ConsentGranted,
    /// `consent_revoked`: a consent was revoked (Management API or Dashboard).
    ConsentRevoked,
    /// `sapi`: a Management API operation (signing key rotation or revocation).
    ApiOperation,
    /// `ferft`: a refresh token exchange failed (an Action refused it).
    RefreshTokenExchangeFailed,
    /// `feccft`: a client credentials exchange failed (an Action refused it).
    ClientCredentialsExchangeFailed,
    /// `sepft`: a username and password were exchanged for tokens (the password grant; stored
    /// like a login, never sampled).
    PasswordExchanged,
    /// `sede`: a device code was exchanged for tokens.
    DeviceCodeExchanged,
    /// `seotpft`: a password and a second factor were exchanged for tokens (Auth0's MFA API
    /// grants: a code from the authenticator app, or the recovery code).
    MfaExchanged,
    /// `fdecc`: the user did not confirm the device (denied it at consent).
    DeviceNotConfirmed,
    /// `ss`: a person signed up to the database connection.
    SuccessSignup,
    /// `fs`: a sign-up was refused (a weak password, a taken email, sign-up disabled).
    FailedSignup,
    /// `scpr`: a password reset mail was asked for (whether or not the address has an account).
    ChangePasswordRequest,
    /// `gd_auth_succeed`: a second factor (a code from an authenticator app) was accepted.
    MfaSucceeded,
    /// `gd_auth_failed`: a wrong or reused second-factor code.
    MfaFailed,
    /// `gd_enrollment_complete`: a user enrolled an authenticator.
    MfaEnrolled,
    /// `gd_recovery_succeed`: a recovery code was used.
    RecoverySucceeded,
    /// `gd_recovery_failed`: a wrong recovery code.
    RecoveryFailed,
    /// `gd_module_switch`: an MFA factor was switched on or off (Auth0: "when changing feature
    /// config").
    MfaFactorSwitched,
    /// `gd_unenroll`: a user's MFA authenticators were removed (Auth0: "when a device account is
    /// deleted").
    MfaUnenrolled,
}

impl EventType {
    /// Every type, in declaration order: `ALL[t as usize] == t`.
    pub const ALL: [EventType; 30] = [
        EventType::SuccessLogin,
        EventType::WrongPassword,
        EventType::UnknownUser,
        EventType::FailedLogin,
        EventType::BlockedAccount,
        EventType::BlockedIp,
        EventType::CodeExchanged,
        EventType::CodeExchangeFailed,
        EventType::ClientCredentialsExchanged,
        EventType::RefreshTokenExchanged,
        EventType::RefreshTokenReused,
        EventType::ConsentGranted,
        EventType::ConsentRevoked,
        EventType::ApiOperation,
        EventType::RefreshTokenExchangeFailed,
        EventType::ClientCredentialsExchangeFailed,
        EventType::PasswordExchanged,
        EventType::DeviceCodeExchanged,
        EventType::MfaExchanged,
        EventType::DeviceNotConfirmed,
        EventType::SuccessSignup,
        EventType::FailedSignup,
        EventType::ChangePasswordRequest,
        EventType::MfaSucceeded,
        EventType::MfaFailed,
        EventType::MfaEnrolled,
        EventType::RecoverySucceeded,
        EventType::RecoveryFailed,
        EventType::MfaFactorSwitched,
        EventType::MfaUnenrolled,
    ];

    /// The type code, as Auth0 spells it.
    pub fn code(self) -> &'static str {
        match self {
            EventType::SuccessLogin => "s",
            EventType::WrongPassword => "fp",
            EventType::UnknownUser => "fu",
            EventType::FailedLogin => "f",
            EventType::BlockedAccount => "limit_wc",
            EventType::BlockedIp => "limit_mu",
            EventType::CodeExchanged => "seacft",
            EventType::CodeExchangeFailed => "feacft",
            EventType::ClientCredentialsExchanged => "seccft",
            EventType::RefreshTokenExchanged => "sertft",
            EventType::RefreshTokenReused => "ferrt",
            EventType::ConsentGranted => "consent_granted",
            EventType::ConsentRevoked => "consent_revoked",
            EventType::ApiOperation => "sapi",
            EventType::RefreshTokenExchangeFailed => "ferft",
            EventType::ClientCredentialsExchangeFailed => "feccft",
            EventType::PasswordExchanged => "sepft",
            EventType::DeviceCodeExchanged => "sede",
            EventType::MfaExchanged => "seotpft",
            EventType::DeviceNotConfirmed => "fdecc",
            EventType::SuccessSignup => "ss",
            EventType::FailedSignup => "fs",
            EventType::ChangePasswordRequest => "scpr",
            EventType::MfaSucceeded => "gd_auth_succeed",
            EventType::MfaFailed => "gd_auth_failed",
            EventType::MfaEnrolled => "gd_enrollment_complete",
            EventType::RecoverySucceeded => "gd_recovery_succeed",
            EventType::RecoveryFailed => "gd_recovery_failed",
            EventType::MfaFactorSwitched => "gd_module_switch",
            EventType::MfaUnenrolled => "gd_unenroll",
        }
    }

    /// The description an event gets unless it says more.
    pub fn description(self) -> &'static str {
        match self {
            EventType::SuccessLogin => "Successful login",
            EventType::WrongPassword => "Wrong email/username or password",
            EventType::UnknownUser => "Wrong email/username or password",
            EventType::FailedLogin => "Failed login",
            EventType::BlockedAccount => "Account blocked after too many failed logins",
            EventType::BlockedIp => "IP throttled after too many failed logins across accounts",
            EventType::CodeExchanged => "Authorization Code for Access Token",
            EventType::CodeExchangeFailed => "Failed exchange of an Authorization Code",
            EventType::ClientCredentialsExchanged => "Client Credentials for Access Token",
            EventType::RefreshTokenExchanged => "Refresh Token for Access Token",
            EventType::RefreshTokenReused => "Reuse of a rotated Refresh Token detected",
            EventType::ConsentGranted => "Consent granted",
            EventType::ConsentRevoked => "Consent revoked",
            EventType::ApiOperation => "Management API operation",
            EventType::RefreshTokenExchangeFailed => {
                "Failed exchange of Refresh Token for Access Token"
            }
            EventType::ClientCredentialsExchangeFailed => {
                "Failed exchange of Client Credentials for Access Token"
            }
            EventType::PasswordExchanged => "Successful exchange of Password for Access Token",
            EventType::DeviceCodeExchanged => "Successful exchange of Device Code for Access Token",
            EventType::MfaExchanged => {
                "Successful Exchange of Password and OTP Challenge for Access Token"
            }
            EventType::DeviceNotConfirmed => "User did not confirm device",
            EventType::SuccessSignup => "Successful signup",
            EventType::FailedSignup => "Failed signup",
            EventType::ChangePasswordRequest => "Success Change Password Request",
            EventType::MfaSucceeded => "Second factor accepted",
            EventType::MfaFailed => "Wrong or reused second-factor code",
            EventType::MfaEnrolled => "Authenticator enrolled",
            EventType::RecoverySucceeded => "Recovery code used",
            EventType::RecoveryFailed => "Wrong recovery code",
            EventType::MfaFactorSwitched => "MFA factor switched on or off",
            EventType::MfaUnenrolled => "MFA authenticator removed",
        }
    }

    /// The type with this code.
    pub fn parse(code: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_sits_at_its_own_index_and_parses_from_its_code() {
        for (index, event_type) in EventType::ALL.into_iter().enumerate() {
            assert_eq!(event_type as usize, index);
            assert_eq!(EventType::parse(event_type.code()), Some(event_type));
        }
    }
}

/// An event to record: what happened and to whom. Build it with the setters; no field may hold
/// a secret.
#[derive(Debug, Clone)]
pub struct Event {
    pub event_type: EventType,
    pub description: Option<String>,
    pub client_id: Option<String>,
    pub client_name: Option<String>,
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    pub details: Value,
    /// The client of the request the event happened in (none for the CLI's changes).
    pub request: Option<RequestContext>,
}

impl Event {
    pub fn new(event_type: EventType) -> Event {
        Event {
            event_type,
            description: None,
            client_id: None,
            client_name: None,
            user_id: None,
            user_name: None,
            details: json!({}),
            request: None,
        }
    }

    pub fn description(mut self, description: impl Into<String>) -> Event {
        self.description = Some(description.into());
        self
    }

    pub fn client(mut self, client_id: impl Into<String>, name: Option<&str>) -> Event {
        self.client_id = Some(client_id.into());
        self.client_name = name.map(str::to_owned);
        self
    }

    pub fn user(mut self, user_id: impl Into<String>, name: impl Into<String>) -> Event {
        self.user_id = Some(user_id.into());
        self.user_name = Some(name.into());
        self
    }

    /// Who the event is about by name only (an unknown user).
    pub fn user_name(mut self, name: impl Into<String>) -> Event {
        self.user_name = Some(name.into());
        self
    }

    pub fn details(mut self, details: Value) -> Event {
        self.details = details;
        self
    }

    /// The client of the request the event happened in.
    pub fn request(mut self, context: &RequestContext) -> Event {
        self.request = Some(context.clone());
        self
    }

    /// The stored record, dated `now`, with the client of its request.
    pub fn into_log_event(self, log_id: String, now: Timestamp) -> LogEvent {
        let context = self.request.unwrap_or_default();
        LogEvent {
            log_id,
            date: now,
            event_type: self.event_type.code().to_owned(),
            description: self
                .description
                .unwrap_or_else(|| self.event_type.description().to_owned()),
            client_id: self.client_id,
            client_name: self.client_name,
            ip: context.ip.map(|ip| ip.to_string()),
            user_agent: context
                .user_agent
                .and_then(|ua| ua.to_str().ok().map(str::to_owned)),
            user_id: self.user_id,
            user_name: self.user_name,
            details: self.details,
        }
    }
}
