//! The database connection's options: the password policy, sign-up, usernames and passkeys.

use serde::{Deserialize, Serialize};
use tessera_protocol::password_policy::PasswordRules;
use tessera_store::JsonObject;

/// The options of the database connection that Tessera acts on; the others are kept as given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatabaseOptions {
    #[serde(flatten)]
    pub passwords: PasswordRules,
    /// No sign-up, on the hosted page or at `/dbconnections/signup`; administrators still
    /// create users.
    #[serde(default)]
    pub disable_signup: bool,
    /// Sign-up asks for a username besides the email.
    #[serde(default)]
    pub requires_username: bool,
    /// Auth0's other ways in besides the password: `{"passkey": {"enabled": true}}` offers
    /// passkeys on the login page (autofill, and a button).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_methods: Option<AuthenticationMethods>,
    /// Auth0's `passkey_options`; Tessera acts on `progressive_enrollment_enabled`: after a
    /// password login, a person without a passkey is offered to create one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkey_options: Option<PasskeyOptions>,
    /// Always on in Tessera: login failures are counted per account and per address.
    #[serde(default = "always")]
    pub brute_force_protection: bool,
    #[serde(flatten)]
    pub other: JsonObject,
}

fn always() -> bool {
    true
}

/// Auth0's `authentication_methods` of a database connection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuthenticationMethods {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkey: Option<MethodSwitch>,
    #[serde(flatten)]
    pub other: JsonObject,
}

/// `{"enabled": …}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodSwitch {
    pub enabled: bool,
}

/// Auth0's `passkey_options` of a database connection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PasskeyOptions {
    #[serde(default)]
    pub progressive_enrollment_enabled: bool,
    #[serde(flatten)]
    pub other: JsonObject,
}

impl DatabaseOptions {
    /// Reads Auth0's options object; a wrong type or range is refused, naming the option.
    pub fn parse(options: JsonObject) -> Result<DatabaseOptions, String> {
        let parsed: DatabaseOptions = serde_json::from_value(serde_json::Value::Object(options))
            .map_err(|e| e.to_string())?;
        if !parsed.brute_force_protection {
            return Err("brute_force_protection cannot be turned off in Tessera".to_owned());
        }
        Ok(parsed)
    }

    /// Passkeys are offered on the login page.
    pub fn passkeys(&self) -> bool {
        self.authentication_methods
            .as_ref()
            .and_then(|methods| methods.passkey)
            .is_some_and(|passkey| passkey.enabled)
    }

    /// A person who logged in with a password and has no passkey is offered to create one.
    pub fn offers_passkey_enrollment(&self) -> bool {
        self.passkeys()
            && self
                .passkey_options
                .as_ref()
                .is_some_and(|options| options.progressive_enrollment_enabled)
    }

    /// The options object, every option Tessera acts on written out.
    pub fn to_object(&self) -> JsonObject {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(object)) => object,
            _ => JsonObject::new(),
        }
    }
}
