//! [`capture_logs`]: what `tracing` printed while a closure ran, for tests that check a
//! tampered value or a failing cache is logged.

use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `f` with a `tracing` subscriber that records every event (with its target);
/// returns `f`'s result and the text printed.
///
/// ```
/// let ((), log) = session_conformance::capture_logs(|| tracing::warn!(target: "demo", "tampered"));
/// assert!(log.contains("demo") && log.contains("tampered"));
/// ```
pub fn capture_logs<R>(f: impl FnOnce() -> R) -> (R, String) {
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let result = tracing::subscriber::with_default(subscriber, f);
    let text =
        String::from_utf8_lossy(&sink.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned();
    (result, text)
}
