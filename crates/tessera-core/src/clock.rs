//! The clock, read once per request from the application state so tests can fix it, or move
//! it ([`ManualClock`]) instead of sleeping until something expires.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tessera_protocol::Timestamp;

/// A source of the current time.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> Timestamp + Send + Sync>);

impl Clock {
    pub fn system() -> Clock {
        Clock(Arc::new(system_now))
    }

    /// A clock that reads `now` from a function the caller controls.
    pub fn from_fn(now: impl Fn() -> Timestamp + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(now))
    }

    pub fn now(&self) -> Timestamp {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

fn system_now() -> Timestamp {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Timestamp(i64::try_from(seconds).unwrap_or(i64::MAX))
}

/// A clock that stands still until it is moved: tests give its [`Clock`] to a server and
/// advance it past a lifetime instead of sleeping through it.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn at(now: Timestamp) -> ManualClock {
        ManualClock(Arc::new(AtomicI64::new(now.0)))
    }

    /// Standing at the system's current time.
    pub fn at_system_time() -> ManualClock {
        ManualClock::at(system_now())
    }

    /// The clock a server reads.
    pub fn clock(&self) -> Clock {
        let now = Arc::clone(&self.0);
        Clock::from_fn(move || Timestamp(now.load(Ordering::SeqCst)))
    }

    pub fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }

    /// Moves the clock `seconds` on (back, if negative).
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_every_copy_sees_it() {
        let manual = ManualClock::at(Timestamp(1_000));
        let clock = manual.clock();
        assert_eq!(clock.now(), Timestamp(1_000));
        manual.clone().advance(90);
        assert_eq!(clock.now(), Timestamp(1_090));
        assert_eq!(manual.now(), Timestamp(1_090));
        manual.advance(-30);
        assert_eq!(clock.clone().now(), Timestamp(1_060));
    }
}
