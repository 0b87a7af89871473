//! Throttling of failed client authentication at the token, revocation and introspection
//! endpoints, per client_id and IP. Each node counts in its own memory: a guesser spread over
//! N nodes gets N times the attempts, which is acceptable for client secrets (256 bits when
//! Tessera generates them) where the point is to stop hammering, not to make guessing
//! feasible-but-slow. The map is bounded: when full, windows that are over are dropped first,
//! then the oldest window, so memory stays fixed however many addresses an attacker uses.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use tessera_protocol::Timestamp;

use crate::client_ip::ClientIp;

/// Entries kept at most (about 100 bytes each).
const CAPACITY: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Window {
    started_at: Timestamp,
    failures: u32,
}

/// Failed client authentications in fixed windows, per (client_id, IP).
#[derive(Debug)]
pub struct ClientAuthThrottle {
    max_failures: u32,
    window: i64,
    capacity: usize,
    windows: Mutex<HashMap<(String, String), Window>>,
}

impl ClientAuthThrottle {
    /// `max_failures` failures within `window` seconds refuse further attempts until it ends.
    pub fn new(max_failures: u32, window: i64) -> ClientAuthThrottle {
        Self::with_capacity(max_failures, window, CAPACITY)
    }

    fn with_capacity(max_failures: u32, window: i64, capacity: usize) -> ClientAuthThrottle {
        ClientAuthThrottle {
            max_failures,
            window,
            capacity: capacity.max(1),
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn live(&self, window: &Window, now: Timestamp) -> bool {
        window.started_at.plus(self.window) > now
    }

    /// Seconds until `client_id` may try again from `ip`, if it is throttled now.
    pub fn retry_after(&self, client_id: &str, ip: &ClientIp, now: Timestamp) -> Option<i64> {
        let windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        // The common case on the token path: nobody is failing, so no key is built.
        if windows.is_empty() {
            return None;
        }
        let window = windows.get(&(client_id.to_owned(), ip.key()))?;
        (self.live(window, now) && window.failures >= self.max_failures)
            .then(|| window.started_at.plus(self.window).0 - now.0)
    }

    /// Counts a failed authentication.
    pub fn failed(&self, client_id: &str, ip: &ClientIp, now: Timestamp) {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (client_id.to_owned(), ip.key());
        if !windows.contains_key(&key) && windows.len() >= self.capacity {
            windows.retain(|_, window| self.live(window, now));
            if windows.len() >= self.capacity {
                let oldest = windows
                    .iter()
                    .min_by_key(|(_, window)| window.started_at)
                    .map(|(key, _)| key.clone());
                if let Some(oldest) = oldest {
                    windows.remove(&oldest);
                }
            }
        }
        let window = windows.entry(key).or_insert(Window {
            started_at: now,
            failures: 0,
        });
        if !self.live(window, now) {
            *window = Window {
                started_at: now,
                failures: 0,
            };
        }
        window.failures = window.failures.saturating_add(1);
    }

    /// A successful authentication forgets the failures.
    pub fn succeeded(&self, client_id: &str, ip: &ClientIp) {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if !windows.is_empty() {
            windows.remove(&(client_id.to_owned(), ip.key()));
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.windows
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const NOW: Timestamp = Timestamp(1_000);

    fn ip(last: u8) -> ClientIp {
        ClientIp(Some(std::net::IpAddr::from([10, 0, 0, last])))
    }

    #[test]
    fn throttles_after_max_failures_until_the_window_ends() {
        let throttle = ClientAuthThrottle::new(3, 60);
        for _ in 0..2 {
            throttle.failed("c", &ip(1), NOW);
        }
        assert_eq!(throttle.retry_after("c", &ip(1), NOW), None);
        throttle.failed("c", &ip(1), NOW.plus(10));
        assert_eq!(throttle.retry_after("c", &ip(1), NOW.plus(10)), Some(50));
        assert_eq!(throttle.retry_after("c", &ip(2), NOW), None, "per IP");
        assert_eq!(throttle.retry_after("d", &ip(1), NOW), None, "per client");
        assert_eq!(throttle.retry_after("c", &ip(1), NOW.plus(60)), None);
        throttle.failed("c", &ip(1), NOW.plus(60));
        assert_eq!(
            throttle.retry_after("c", &ip(1), NOW.plus(60)),
            None,
            "a new window"
        );
    }

    #[test]
    fn success_forgets_the_failures() {
        let throttle = ClientAuthThrottle::new(2, 60);
        throttle.failed("c", &ip(1), NOW);
        throttle.succeeded("c", &ip(1));
        throttle.failed("c", &ip(1), NOW);
        assert_eq!(throttle.retry_after("c", &ip(1), NOW), None);
    }

    #[test]
    fn the_map_stays_bounded_dropping_finished_then_oldest_windows() {
        let throttle = ClientAuthThrottle::with_capacity(1, 60, 3);
        for i in 0..3 {
            throttle.failed("c", &ip(i), NOW.plus(i64::from(i)));
        }
        throttle.failed("c", &ip(9), NOW.plus(5));
        assert_eq!(throttle.len(), 3);
        assert_eq!(
            throttle.retry_after("c", &ip(0), NOW.plus(5)),
            None,
            "the oldest went"
        );
        assert_eq!(throttle.retry_after("c", &ip(9), NOW.plus(5)), Some(60));
        throttle.failed("c", &ip(20), NOW.plus(100));
        assert_eq!(throttle.len(), 1, "finished windows are dropped first");
    }
}
