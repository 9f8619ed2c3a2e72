//! The one error type every store and the [`Session`](crate::Session) handle return.

use crate::key::InvalidKey;

/// Convenience alias used across the crate family.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a session operation.
///
/// The variants tell apart the cases a caller reacts to differently: a backend outage
/// (retry later, return 5xx), a key collision (the handle retries with a fresh key), a
/// session deleted by a concurrent request (Django's `UpdateError`, which the middleware
/// turns into 400), a key that was rejected before it reached storage, and a configuration
/// mistake found at construction time.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The storage backend failed: connection refused, timeout, I/O error, bad response.
    #[error("session backend error: {message}")]
    Backend {
        /// What the engine was doing when it failed.
        message: String,
        /// The underlying error, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// `create` found a session under this key already. Nothing was overwritten.
    #[error("a session with this key already exists")]
    KeyCollision,
    /// `save` found no session to update: another request deleted it meanwhile
    /// (a logout in a concurrent request, for example). Django's `UpdateError`.
    #[error(
        "The request's session was deleted before the request completed. \
         The user may have logged out in a concurrent request, for example."
    )]
    SessionDeleted,
    /// A session key failed validation and never reached storage.
    #[error("invalid session key: {0}")]
    InvalidKey(#[from] InvalidKey),
    /// The settings or the engine's configuration are unusable.
    #[error("session configuration error: {0}")]
    Configuration(String),
    /// `set_expiry` was given a value whose expiry date cannot be represented (beyond
    /// year 9999, say). Nothing was changed.
    #[error("invalid session expiry: {0}")]
    InvalidExpiry(String),
    /// A value could not be converted to or from JSON.
    #[error("session value is not representable as JSON: {0}")]
    Serialization(#[from] serde_json::Error),
    /// The encoded session is larger than the engine can keep (a browser cookie, say).
    #[error("encoded session is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// Size of what would have been stored.
        size: usize,
        /// The engine's limit.
        limit: usize,
    },
}

impl Error {
    /// A backend failure wrapping the error that caused it.
    ///
    /// ```
    /// use session_core::Error;
    /// let io = std::io::Error::other("disk full");
    /// let err = Error::backend("writing session file", io);
    /// assert!(err.is_backend());
    /// assert_eq!(err.to_string(), "session backend error: writing session file: disk full");
    /// ```
    pub fn backend(
        context: impl std::fmt::Display,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        let source = source.into();
        Error::Backend {
            message: format!("{context}: {source}"),
            source: Some(source),
        }
    }

    /// A backend failure described by a message only.
    pub fn backend_msg(message: impl Into<String>) -> Self {
        Error::Backend {
            message: message.into(),
            source: None,
        }
    }

    /// A configuration error.
    pub fn config(message: impl Into<String>) -> Self {
        Error::Configuration(message.into())
    }

    /// True for [`Error::Backend`].
    pub fn is_backend(&self) -> bool {
        matches!(self, Error::Backend { .. })
    }
}
