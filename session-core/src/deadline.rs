//! [`within`]: a deadline on one call to a backend, so a server that stops answering fails
//! the request instead of hanging it.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use futures_util::{FutureExt, future};

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
pub fn within<T>(
    limit: Duration,
    what: impl Display,
    call: impl Future<Output = Result<T>>,
) -> impl Future<Output = Result<T>> {
    // Combinators, not an `async fn`: an `async fn` would keep `call` in its own state
    // beside the copy moved into the timeout, doubling what each caller's future carries.
    // The clock starts at the first poll, as it would in an `async fn`.
    future::lazy(move |_| tokio::time::timeout(limit, call))
        .flatten()
        .map(move |outcome| {
            outcome.unwrap_or_else(|_| {
                Err(Error::backend_msg(format!(
                    "{what}: no answer within {limit:?}"
                )))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every backend call of every request goes through here, and a future the size of two
    /// calls is a larger allocation and a larger copy each time.
    #[test]
    fn holds_the_call_once_and_needs_no_runtime_until_polled() {
        let call = async {
            let state = [7u8; 4096];
            tokio::task::yield_now().await;
            Ok(state[0])
        };
        let call_size = std::mem::size_of_val(&call);
        let bounded = within(Duration::from_secs(1), "reading", call);
        assert!(
            std::mem::size_of_val(&bounded) < call_size + 512,
            "{} bytes around a call of {call_size}",
            std::mem::size_of_val(&bounded)
        );
    }

    #[tokio::test]
    async fn the_clock_starts_at_the_first_poll() {
        // Pending over a few turns of the runtime, so that a deadline already past when it
        // is first polled would end it.
        let call = async {
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            Ok(7)
        };
        let bounded = within(Duration::from_millis(500), "reading", call);
        std::thread::sleep(Duration::from_millis(600));
        assert_eq!(bounded.await.unwrap(), 7);
    }

    #[tokio::test]
    async fn answers_what_the_call_answers() {
        let answer = within(Duration::from_secs(1), "reading", async { Ok(7) }).await;
        assert_eq!(answer.unwrap(), 7);
    }
}
