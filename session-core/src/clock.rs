//! An injectable time source, so tests move time instead of sleeping.

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};

/// Where "now" comes from for every expiry decision.
pub trait Clock: Send + Sync + Debug {
    /// The current instant, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// A clock shared by a store, its sessions and its tests.
pub type SharedClock = Arc<dyn Clock>;

/// The real wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use session_core::{Clock, MockClock};
/// let clock = MockClock::new(Utc.timestamp_opt(1_700_000_000, 0).unwrap());
/// clock.advance(TimeDelta::seconds(10));
/// assert_eq!(clock.now().timestamp(), 1_700_000_010);
/// ```
#[derive(Debug)]
pub struct MockClock {
    now: Mutex<DateTime<Utc>>,
}

impl MockClock {
    /// A clock stopped at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        MockClock {
            now: Mutex::new(start),
        }
    }

    /// A clock stopped at the current wall-clock time.
    pub fn starting_now() -> Self {
        Self::new(Utc::now())
    }

    /// Moves the clock forward (or back, for a negative delta).
    pub fn advance(&self, delta: TimeDelta) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) += delta;
    }

    /// Sets the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }
}

impl Clock for MockClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}
