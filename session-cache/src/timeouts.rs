//! [`Timeouts`]: how long a cache server may keep a session call waiting.

use std::future::Future;
use std::time::Duration;

use session_core::Result;

/// Connection and response timeouts and the reconnect back-off of a cache server client.
///
/// The defaults keep every call under one second while the server is down (0.5 s to
/// connect, 0.5 s for the answer) and retry a lost connection after at most 100 ms, so the
/// first calls after the server is back succeed. Client libraries' own defaults are far
/// worse for a web request (redis-rs's connection manager backs off for minutes, and some
/// clients wait forever for an answer), which is why every backend sets all three.
///
/// ```
/// use std::time::Duration;
/// use session_cache::Timeouts;
/// let timeouts = Timeouts::default()
///     .connect(Duration::from_millis(200))
///     .response(Duration::from_millis(300))
///     .reconnect_delay(Duration::from_millis(50));
/// assert_eq!(timeouts.operation(), Duration::from_millis(500));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    connect: Duration,
    response: Duration,
    reconnect_delay: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_millis(500),
            response: Duration::from_millis(500),
            reconnect_delay: Duration::from_millis(100),
        }
    }
}

impl Timeouts {
    /// How long opening a connection may take.
    pub fn connect(mut self, timeout: Duration) -> Self {
        self.connect = timeout;
        self
    }

    /// How long the server may take to answer one command.
    pub fn response(mut self, timeout: Duration) -> Self {
        self.response = timeout;
        self
    }

    /// The longest pause between two attempts to reconnect.
    pub fn reconnect_delay(mut self, delay: Duration) -> Self {
        self.reconnect_delay = delay;
        self
    }

    /// The connect timeout.
    pub fn connect_timeout(&self) -> Duration {
        self.connect
    }

    /// The response timeout.
    pub fn response_timeout(&self) -> Duration {
        self.response
    }

    /// The longest reconnect back-off.
    pub fn reconnect_backoff(&self) -> Duration {
        self.reconnect_delay
    }

    /// The most one call may take: connecting plus the answer. Each backend also enforces
    /// it as a hard deadline, whatever its client library does.
    pub fn operation(&self) -> Duration {
        self.connect + self.response
    }

    /// Runs `call`, failing with a backend error once [`operation`](Self::operation) has
    /// passed.
    #[allow(dead_code)]
    pub(crate) fn bound<T>(
        &self,
        what: &'static str,
        call: impl Future<Output = Result<T>>,
    ) -> impl Future<Output = Result<T>> {
        session_core::deadline::within(self.operation(), what, call)
    }
}
