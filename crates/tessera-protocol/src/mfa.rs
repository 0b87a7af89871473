//! Multi-factor authentication rules: RFC 6238 one-time codes, each accepted once, recovery
//! codes as people type them, and the authentication methods a login used (RFC 8176 `amr`).

use std::fmt;

use serde::{Deserialize, Serialize};
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::secret::constant_time_eq;
use crate::Timestamp;

/// RFC 6238 §5.2's recommended step: a code changes every 30 seconds.
pub const TOTP_STEP: u64 = 30;
/// What authenticator apps show by default.
pub const TOTP_DIGITS: u8 = 6;
/// RFC 4226 §4 asks for at least 128 bits and recommends 160.
pub const TOTP_SECRET_BYTES: usize = 20;
/// RFC 6238 §5.2: one step either side of now, for clock drift and typing.
const TOTP_SKEW: i64 = 1;

/// Why a TOTP secret cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MfaError(String);

/// A TOTP shared secret (never printed).
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

impl TotpSecret {
    pub fn new(bytes: Vec<u8>) -> Result<TotpSecret, MfaError> {
        if bytes.len() < 16 {
            return Err(MfaError("a TOTP secret must have at least 128 bits".into()));
        }
        Ok(TotpSecret(bytes))
    }

    /// A secret as authenticator apps and Auth0's exports write it: base32, any case, with or
    /// without padding and spaces.
    pub fn from_base32(text: &str) -> Result<TotpSecret, MfaError> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '=')
            .collect::<String>()
            .to_ascii_uppercase();
        let secret = Secret::try_from_base32(&compact)
            .map_err(|_| MfaError("a TOTP secret must be base32".into()))?;
        TotpSecret::new(secret.as_ref().to_vec())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Base32 without padding, as the enrollment page shows it for typing in.
    pub fn to_base32(&self) -> String {
        Secret::from(self.0.as_slice()).to_base32()
    }

    fn totp(&self, issuer: &str, account: &str) -> Totp {
        // `:` separates issuer and account in an otpauth label; neither may contain one.
        let clean = |text: &str| text.replace(':', " ");
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(TOTP_DIGITS)
            .with_step_duration(TOTP_STEP)
            .with_secret(self.0.as_slice())
            .with_issuer(Some(clean(issuer)))
            .with_account_name(clean(account))
            .build_noncompliant()
    }

    /// The `otpauth://totp/…` URI an authenticator app scans.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> Result<String, MfaError> {
        self.totp(issuer, account)
            .to_url()
            .map_err(|e| MfaError(e.to_string()))
    }

    /// The code of the step `at` falls in.
    pub fn code_at(&self, at: Timestamp) -> String {
        self.totp("", "-")
            .generate(u64::try_from(at.0).unwrap_or_default())
            .to_string()
    }

    /// The step of `code` when it is the code of a step within one of `now` and later than
    /// `last_step`, the step of the code last accepted: RFC 6238 §5.2, a code is accepted once.
    pub fn accept(&self, code: &str, now: Timestamp, last_step: Option<i64>) -> Option<i64> {
        let typed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if typed.len() != usize::from(TOTP_DIGITS) || !typed.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let step = TOTP_STEP as i64;
        let current = now.0.div_euclid(step);
        let totp = self.totp("", "-");
        // Every candidate is compared, so the time taken does not tell which one matched.
        let mut accepted = None;
        for candidate in (current - TOTP_SKEW)..=(current + TOTP_SKEW) {
            let at = u64::try_from(candidate * step).unwrap_or_default();
            let matches = constant_time_eq(&totp.generate(at).to_string(), &typed);
            let fresh = last_step.is_none_or(|last| candidate > last);
            if matches && fresh && accepted.is_none() {
                accepted = Some(candidate);
            }
        }
        accepted
    }
}

/// A recovery code as typed: without spaces or dashes, in capitals (the code is shown in groups).
pub fn normalize_recovery_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// A recovery code made of `random` bytes: base32 capitals and digits, nothing to confuse
/// when read aloud or copied by hand (15 bytes make 24 characters, 120 bits).
pub fn recovery_code_of(random: &[u8]) -> String {
    Secret::from(random).to_base32()
}

/// A recovery code in groups of four, for reading and copying.
pub fn format_recovery_code(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// An authentication method (RFC 8176 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    /// A password.
    Pwd,
    /// A one-time code: TOTP or a recovery code.
    Otp,
    /// A hardware-protected key: a security key.
    Hwk,
    /// A software-protected key: a passkey synced by a platform.
    Swk,
    /// More than one factor.
    Mfa,
    /// A login at another identity provider (a connection): Tessera's own word, as RFC 8176
    /// registers none for federation.
    Fed,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Pwd => "pwd",
            AuthMethod::Otp => "otp",
            AuthMethod::Hwk => "hwk",
            AuthMethod::Swk => "swk",
            AuthMethod::Mfa => "mfa",
            AuthMethod::Fed => "fed",
        }
    }

    fn parse(value: &str) -> Option<AuthMethod> {
        [
            AuthMethod::Pwd,
            AuthMethod::Otp,
            AuthMethod::Hwk,
            AuthMethod::Swk,
            AuthMethod::Mfa,
            AuthMethod::Fed,
        ]
        .into_iter()
        .find(|m| m.as_str() == value)
    }
}

/// The methods a login used, the ID token's `amr`: sorted, each once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Amr(Vec<AuthMethod>);

impl Amr {
    /// A login with a password alone.
    pub fn password() -> Amr {
        Amr(vec![AuthMethod::Pwd])
    }

    /// A login at another identity provider alone.
    pub fn federated() -> Amr {
        Amr(vec![AuthMethod::Fed])
    }

    /// A passkey alone, with user verification: the key held and the PIN or biometric its
    /// authenticator checked — two factors in one step (`method` is `hwk` or `swk`).
    pub fn verified_key(method: AuthMethod) -> Amr {
        Amr(vec![method, AuthMethod::Mfa])
    }

    /// These methods and `second`; with two factors, `mfa` too.
    pub fn and(&self, second: AuthMethod) -> Amr {
        let mut methods = self.0.clone();
        methods.push(second);
        if methods.iter().filter(|m| **m != AuthMethod::Mfa).count() > 1 {
            methods.push(AuthMethod::Mfa);
        }
        methods.sort();
        methods.dedup();
        Amr(methods)
    }

    pub fn is_multi_factor(&self) -> bool {
        self.0.contains(&AuthMethod::Mfa)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn methods(&self) -> &[AuthMethod] {
        &self.0
    }

    /// As stored: the methods separated by spaces; unknown words (from a newer version) are
    /// dropped rather than refused.
    pub fn parse(stored: &str) -> Amr {
        let mut methods: Vec<AuthMethod> = stored
            .split_whitespace()
            .filter_map(AuthMethod::parse)
            .collect();
        methods.sort();
        methods.dedup();
        Amr(methods)
    }
}

impl fmt::Display for Amr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words: Vec<&str> = self.0.iter().map(|m| m.as_str()).collect();
        f.write_str(&words.join(" "))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// RFC 6238 Appendix B's SHA-1 secret.
    fn rfc_secret() -> TotpSecret {
        TotpSecret::new(b"12345678901234567890".to_vec()).unwrap()
    }

    #[test]
    fn codes_match_rfc_6238_test_vectors() {
        // Appendix B gives 8 digits; the last six are the 6-digit code.
        for (time, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(rfc_secret().code_at(Timestamp(time)), eight[2..]);
        }
    }

    #[test]
    fn a_code_is_accepted_within_one_step_and_only_once() {
        let secret = rfc_secret();
        let now = Timestamp(1_234_567_890);
        let code = secret.code_at(now);
        let step = secret.accept(&code, now, None).unwrap();
        assert_eq!(step, 1_234_567_890 / 30);
        assert_eq!(secret.accept(&code, now, Some(step)), None, "replayed");
        assert_eq!(
            secret.accept(&code, Timestamp(now.0 + 30), None),
            Some(step),
            "one step late is within the skew"
        );
        assert_eq!(secret.accept(&code, Timestamp(now.0 + 90), None), None);
        let previous = secret.code_at(Timestamp(now.0 - 30));
        assert_eq!(
            secret.accept(&previous, now, Some(step)),
            None,
            "an older step than the last accepted one"
        );
        assert_eq!(secret.accept("12345", now, None), None);
        assert_eq!(secret.accept("abcdef", now, None), None);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(secret.accept(&spaced, now, None), Some(step));
    }

    #[test]
    fn secrets_round_trip_through_base32_and_refuse_short_ones() {
        let secret = TotpSecret::new(vec![7; TOTP_SECRET_BYTES]).unwrap();
        let text = secret.to_base32();
        assert_eq!(TotpSecret::from_base32(&text).unwrap(), secret);
        assert_eq!(
            TotpSecret::from_base32(&text.to_lowercase()).unwrap(),
            secret
        );
        assert!(TotpSecret::new(vec![1; 10]).is_err());
        assert!(TotpSecret::from_base32("not base32!").is_err());
        assert_eq!(format!("{secret:?}"), "TotpSecret(..)");
    }

    #[test]
    fn the_otpauth_uri_names_the_issuer_and_account() {
        let uri = rfc_secret()
            .otpauth_uri("Tessera: Demo", "ada@example.com")
            .unwrap();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(
            uri.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
            "{uri}"
        );
        assert!(uri.contains("issuer=Tessera"), "{uri}");
        assert!(uri.contains("ada%40example.com"), "{uri}");
    }

    #[test]
    fn amr_adds_mfa_with_a_second_factor() {
        let password = Amr::password();
        assert!(!password.is_multi_factor());
        assert_eq!(password.to_string(), "pwd");
        let both = password.and(AuthMethod::Otp);
        assert_eq!(both.to_string(), "pwd otp mfa");
        assert!(both.is_multi_factor());
        assert_eq!(Amr::parse(&both.to_string()), both);
        assert_eq!(Amr::parse("swk"), Amr::default().and(AuthMethod::Swk));
        assert_eq!(Amr::parse("pwd future"), Amr::password());
        let passkey = Amr::verified_key(AuthMethod::Hwk);
        assert_eq!(passkey.to_string(), "hwk mfa");
        assert!(passkey.is_multi_factor());
        assert_eq!(
            Amr::password().and(AuthMethod::Swk).to_string(),
            "pwd swk mfa"
        );
        assert_eq!(
            serde_json::to_string(&both).unwrap(),
            r#"["pwd","otp","mfa"]"#
        );
    }

    #[test]
    fn recovery_codes_are_read_as_typed() {
        assert_eq!(normalize_recovery_code(" abcd-efgh 1234 "), "ABCDEFGH1234");
        assert_eq!(format_recovery_code("ABCDEFGH1234"), "ABCD-EFGH-1234");
        let code = recovery_code_of(&[0xA5; 15]);
        assert_eq!(code.len(), 24);
        assert_eq!(normalize_recovery_code(&format_recovery_code(&code)), code);
    }
}
