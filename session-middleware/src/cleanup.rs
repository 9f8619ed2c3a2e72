//! Periodic `clear_expired`, for applications that do not run `sessions clear-expired`
//! from cron.

use std::sync::Arc;
use std::time::Duration;

use session_core::SessionStore;
use tokio::task::JoinHandle;

/// Spawns a task that calls `store.clear_expired()` every `period` (the first run after one
/// period) and logs the outcome; failures are logged and retried next period. Abort the
/// handle to stop it.
///
/// ```
/// # async fn demo(store: std::sync::Arc<dyn session_core::SessionStore>) {
/// let cleanup = session_middleware::spawn_clear_expired(store, std::time::Duration::from_secs(3600));
/// // ... on shutdown:
/// cleanup.abort();
/// # }
/// ```
pub fn spawn_clear_expired(store: Arc<dyn SessionStore>, period: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match store.clear_expired().await {
                Ok(removed) => {
                    tracing::info!(target: "session_middleware", removed, "cleared expired sessions")
                }
                Err(error) => {
                    tracing::warn!(target: "session_middleware", %error, "clearing expired sessions failed")
                }
            }
        }
    })
}
