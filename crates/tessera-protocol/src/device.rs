//! The device authorization grant (RFC 8628): user codes as people type them, and what a
//! device's poll at the token endpoint gets.

use crate::Timestamp;

/// RFC 8628 §6.1's base-20 alphabet: no vowels (no words), no digits or letters that look
/// alike; Auth0's user codes use it too.
const ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
const LETTERS: usize = 8;

/// Seconds a device code lives (Auth0's default).
pub const DEVICE_CODE_LIFETIME: i64 = 900;
/// Seconds a device waits between polls at first (Auth0's default).
pub const POLLING_INTERVAL: i64 = 5;
/// RFC 8628 §3.5: each `slow_down` adds five seconds to the interval.
pub const SLOW_DOWN_STEP: i64 = 5;

/// A user code from random bytes, as `XXXX-XXXX` (20^8 ≈ 2^34.6 codes).
pub fn user_code(random: [u8; 8]) -> String {
    let mut value = u64::from_le_bytes(random);
    let mut code = String::with_capacity(LETTERS + 1);
    for position in 0..LETTERS {
        if position == LETTERS / 2 {
            code.push('-');
        }
        let index = usize::try_from(value % 20).unwrap_or(0);
        value /= 20;
        code.push(char::from(ALPHABET[index]));
    }
    code
}

/// The user code a person typed, as it was issued: case, spaces and dashes do not matter;
/// anything but eight letters of the alphabet is no code at all.
pub fn normalize_user_code(typed: &str) -> Option<String> {
    let letters: Vec<u8> = typed
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'-')
        .map(|b| b.to_ascii_uppercase())
        .collect();
    if letters.len() != LETTERS || !letters.iter().all(|b| ALPHABET.contains(b)) {
        return None;
    }
    let (first, second) = letters.split_at(LETTERS / 2);
    Some(format!(
        "{}-{}",
        String::from_utf8_lossy(first),
        String::from_utf8_lossy(second)
    ))
}

/// Where the user's decision stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Pending,
    Approved,
    Denied,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Pending => "pending",
            Decision::Approved => "approved",
            Decision::Denied => "denied",
        }
    }

    pub fn parse(text: &str) -> Option<Decision> {
        [Decision::Pending, Decision::Approved, Decision::Denied]
            .into_iter()
            .find(|d| d.as_str() == text)
    }
}

/// What one poll with a device code gets (RFC 8628 §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Poll {
    /// `authorization_pending`: ask again after `interval`.
    Pending,
    /// `slow_down`: polled sooner than the interval; from now on wait `interval`.
    SlowDown { interval: i64 },
    /// `expired_token`.
    Expired,
    /// `access_denied`.
    Denied,
    /// Tokens.
    Approved,
}

/// The answer to a poll at `now` for a device code in `decision`, expiring at `expires_at`,
/// last polled at `last_polled_at` with `interval`.
pub fn poll(
    decision: Decision,
    expires_at: Timestamp,
    last_polled_at: Option<Timestamp>,
    interval: i64,
    now: Timestamp,
) -> Poll {
    if now >= expires_at {
        return Poll::Expired;
    }
    match decision {
        Decision::Approved => Poll::Approved,
        Decision::Denied => Poll::Denied,
        Decision::Pending => match last_polled_at {
            Some(last) if now.seconds_since(last) < interval => Poll::SlowDown {
                interval: interval + SLOW_DOWN_STEP,
            },
            _ => Poll::Pending,
        },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const NOW: Timestamp = Timestamp(1_700_000_000);

    #[test]
    fn user_codes_are_eight_letters_of_the_alphabet_in_two_groups() {
        for seed in [[0u8; 8], [255; 8], [1, 2, 3, 4, 5, 6, 7, 8]] {
            let code = user_code(seed);
            assert_eq!(code.len(), 9, "{code}");
            assert_eq!(&code[4..5], "-");
            assert_eq!(normalize_user_code(&code).as_deref(), Some(code.as_str()));
        }
        assert_ne!(user_code([1; 8]), user_code([2; 8]));
    }

    #[test]
    fn typed_codes_are_normalized_and_anything_else_is_refused() {
        assert_eq!(
            normalize_user_code(" bcdf-ghjk ").as_deref(),
            Some("BCDF-GHJK")
        );
        assert_eq!(
            normalize_user_code("BCDFGHJK").as_deref(),
            Some("BCDF-GHJK")
        );
        for bad in [
            "",
            "BCDF-GHJ",
            "BCDF-GHJKL",
            "ABCD-EFGH",
            "BCDF-GHJ1",
            "BCDF GHJ—",
        ] {
            assert_eq!(normalize_user_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_poll_is_pending_until_decided_and_too_early_polls_slow_down() {
        let expires = NOW.plus(900);
        assert_eq!(
            poll(Decision::Pending, expires, None, 5, NOW),
            Poll::Pending
        );
        assert_eq!(
            poll(Decision::Pending, expires, Some(NOW.plus(-4)), 5, NOW),
            Poll::SlowDown { interval: 10 }
        );
        assert_eq!(
            poll(Decision::Pending, expires, Some(NOW.plus(-5)), 5, NOW),
            Poll::Pending
        );
        assert_eq!(
            poll(Decision::Approved, expires, Some(NOW), 5, NOW),
            Poll::Approved,
            "the answer comes whenever it is ready"
        );
        assert_eq!(poll(Decision::Denied, expires, None, 5, NOW), Poll::Denied);
        assert_eq!(
            poll(Decision::Approved, expires, None, 5, expires),
            Poll::Expired
        );
    }
}
