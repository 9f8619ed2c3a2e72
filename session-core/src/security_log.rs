//! [`SecurityLog`]: warnings about data a client controls, at a rate the client does not.

use std::fmt::Display;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::signing::SigningError;

/// Lines logged at once before the limit applies.
pub const BURST: u32 = 5;
/// Past the burst, at most one line per this long.
pub const INTERVAL: Duration = Duration::from_secs(10);

/// Warnings on the `session_core::security` target (the counterpart of Django's
/// `django.security.SuspiciousSession` logger) about tampered or undecodable session data.
///
/// Anyone can send a tampered cookie, as often as they like, so the lines are rate-limited:
/// [`BURST`] at once, then at most one per [`INTERVAL`]; each line says in `suppressed` how
/// many warnings were left out since the previous one. Clones share the limit; each
/// [`SessionCodec`](crate::SessionCodec) (so each store context) has its own.
///
/// ```
/// use session_core::security_log::SecurityLog;
/// let log = SecurityLog::default();
/// for _ in 0..1000 {
///     log.warn("Session data corrupted: not text"); // five lines, then one per 10 s
/// }
/// ```
#[derive(Debug, Clone)]
pub struct SecurityLog {
    limit: Arc<Mutex<Limit>>,
}

impl Default for SecurityLog {
    fn default() -> Self {
        Self::with_limit(BURST, INTERVAL)
    }
}

impl SecurityLog {
    fn with_limit(burst: u32, interval: Duration) -> Self {
        SecurityLog {
            limit: Arc::new(Mutex::new(Limit {
                burst,
                interval,
                left: burst,
                refilled_at: Instant::now(),
                suppressed: 0,
            })),
        }
    }

    /// Logs undecodable session data: "Session data corrupted" for a bad signature,
    /// "Session data undecodable" for anything else.
    pub fn corrupt(&self, error: &SigningError) {
        let Some(suppressed) = self.admit(Instant::now()) else {
            return;
        };
        if error.is_bad_signature() {
            tracing::warn!(target: "session_core::security", %error, suppressed, "Session data corrupted");
        } else {
            tracing::warn!(target: "session_core::security", %error, suppressed, "Session data undecodable");
        }
    }

    /// Logs `message`.
    pub fn warn(&self, message: impl Display) {
        if let Some(suppressed) = self.admit(Instant::now()) {
            tracing::warn!(target: "session_core::security", suppressed, "{message}");
        }
    }

    /// `Some(warnings left out since the last line)` when a line may be written at `now`.
    fn admit(&self, now: Instant) -> Option<u64> {
        self.limit
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .admit(now)
    }
}

#[derive(Debug)]
struct Limit {
    burst: u32,
    interval: Duration,
    left: u32,
    refilled_at: Instant,
    suppressed: u64,
}

impl Limit {
    fn admit(&mut self, now: Instant) -> Option<u64> {
        let earned = now.saturating_duration_since(self.refilled_at).as_nanos()
            / self.interval.as_nanos().max(1);
        if earned > 0 {
            let earned = u32::try_from(earned).unwrap_or(u32::MAX);
            self.left = self.left.saturating_add(earned).min(self.burst);
            self.refilled_at = now;
        }
        if self.left == 0 {
            self.suppressed += 1;
            return None;
        }
        self.left -= 1;
        Some(std::mem::take(&mut self.suppressed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::SessionCodec;
    use crate::settings::Secrets;

    #[test]
    fn a_burst_then_one_per_interval_with_the_count() {
        let log = SecurityLog::default();
        let start = Instant::now();
        let admitted: Vec<_> = (0..1000).filter_map(|_| log.admit(start)).collect();
        assert_eq!(admitted, [0; BURST as usize]);
        assert_eq!(log.admit(start + INTERVAL / 2), None);
        assert_eq!(log.admit(start + INTERVAL), Some(996));
        assert_eq!(log.admit(start + INTERVAL), None);
        assert_eq!(log.admit(start + INTERVAL * 2), Some(1));
        // A quiet spell earns the burst back, no more.
        let later = start + INTERVAL * 100;
        let admitted = (0..100).filter_map(|_| log.admit(later)).count();
        assert_eq!(admitted, BURST as usize);
    }

    /// The `tracing` output while `f` runs.
    fn logged(f: impl FnOnce()) -> String {
        session_conformance::capture_logs(f).1
    }

    #[test]
    fn a_thousand_tampered_values_make_a_handful_of_lines() {
        let codec = SessionCodec::new(&Secrets::new("secret").unwrap());
        let log = logged(|| {
            for i in 0..1000 {
                assert_eq!(codec.decode(&format!("tampered{i}:value:here")), None);
            }
        });
        let lines: Vec<_> = log.lines().collect();
        assert_eq!(lines.len(), BURST as usize, "{log}");
        assert!(lines.iter().all(|l| l.contains("WARN")
            && l.contains("session_core::security")
            && l.contains("Session data corrupted")
            && l.contains("suppressed=0")));
    }

    #[test]
    fn the_next_line_reports_what_was_left_out() {
        let interval = Duration::from_millis(50);
        let security = SecurityLog::with_limit(1, interval);
        let error = SigningError::BadSignature;
        let log = logged(|| {
            for _ in 0..1000 {
                security.corrupt(&error);
            }
            std::thread::sleep(interval);
            security.corrupt(&error);
        });
        let lines: Vec<_> = log.lines().collect();
        assert_eq!(lines.len(), 2, "{log}");
        assert!(lines[0].contains("suppressed=0"), "{log}");
        assert!(lines[1].contains("suppressed=999"), "{log}");
    }
}
