//! [`within`]: a deadline on one call to a backend, so a server that stops answering fails
//! the request instead of hanging it.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use crate::error::{Error, Result};

/// Runs `call`, failing with a backend error once `limit` has passed. The call is dropped
/// (cancelled) at the deadline.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::time::Duration;
/// let slow = async {
///     tokio::time::sleep(Duration::from_secs(60)).await;
///     Ok(())
/// };
/// let err = session_core::deadline::within(Duration::from_millis(10), "loading a session", slow)
///     .await
///     .unwrap_err();
/// assert!(err.is_backend());
/// assert_eq!(err.to_string(), "session backend error: loading a session: no answer within 10ms");
/// # }
/// ```
pub async fn within<T>(
    limit: Duration,
    what: impl Display,
    call: impl Future<Output = Result<T>>,
) -> Result<T> {
    match tokio::time::timeout(limit, call).await {
        Ok(result) => result,
        Err(_) => Err(Error::backend_msg(format!(
            "{what}: no answer within {limit:?}"
        ))),
    }
}
