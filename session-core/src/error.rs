//! The one error type every store and the [`Session`](crate::Session) handle return.

use std::fmt;

use crate::key::{InvalidKey, SessionKey};

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
    /// A conflict-detecting save (`SESSION_CONFLICTS=detect`) found the stored session
    /// changed by a concurrent request since this one loaded it. Nothing was written;
    /// [`Session::modify`](crate::Session::modify) retries on fresh data, and the middleware
    /// answers 409.
    #[error(
        "the session was changed by a concurrent request since it was loaded; nothing was saved"
    )]
    Conflict,
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

    /// This error with `key` replaced by its [`log_id`](SessionKey::log_id) in the message
    /// and in the text of every source, which are kept as text only. Engines call it on
    /// every error of an operation on `key`: a backend's error may quote what it was sent
    /// (a cache key, a file name), and errors end up in logs.
    ///
    /// ```
    /// use session_core::{Error, SessionKey};
    /// let key = SessionKey::parse("abcdefghijklmnop").unwrap();
    /// let timeout = std::io::Error::other("timed out on request for cacheabcdefghijklmnop");
    /// let err = Error::backend("reading a session", timeout).redacted(&key);
    /// assert_eq!(
    ///     err.to_string(),
    ///     "session backend error: reading a session: timed out on request for cache#f39dac6c"
    /// );
    /// assert!(!format!("{err:?}").contains(key.as_str()));
    /// ```
    pub fn redacted(self, key: &SessionKey) -> Self {
        match self {
            Error::Backend { message, source } => Error::Backend {
                message: key.redact(&message),
                source: source.map(|source| {
                    let source: &(dyn std::error::Error + 'static) = source.as_ref();
                    Box::new(Redacted::of(source, key)) as Box<dyn std::error::Error + Send + Sync>
                }),
            },
            Error::Configuration(message) => Error::Configuration(key.redact(&message)),
            other => other,
        }
    }
}

/// The text of an error and of its sources, with a session key taken out.
#[derive(Debug)]
struct Redacted {
    text: String,
    source: Option<Box<Redacted>>,
}

impl Redacted {
    fn of(error: &(dyn std::error::Error + 'static), key: &SessionKey) -> Self {
        Redacted {
            text: key.redact(&error.to_string()),
            source: error
                .source()
                .map(|source| Box::new(Redacted::of(source, key))),
        }
    }
}

impl fmt::Display for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for Redacted {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error that quotes the key in its text, its `Debug` (as bytes) and its source.
    #[derive(Debug)]
    struct Quoting {
        key: Vec<u8>,
        inner: std::io::Error,
    }

    impl fmt::Display for Quoting {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "timed out on {}", String::from_utf8_lossy(&self.key))
        }
    }

    impl std::error::Error for Quoting {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.inner)
        }
    }

    #[test]
    fn redacted_takes_the_key_out_of_message_debug_and_sources() {
        let key = SessionKey::generate();
        let quoting = Quoting {
            key: key.as_str().as_bytes().to_vec(),
            inner: std::io::Error::other(format!("no file x{}_out_1", key.as_str())),
        };
        let err = Error::backend("reading", quoting).redacted(&key);
        let mut texts = vec![err.to_string(), format!("{err:?}")];
        let mut source = std::error::Error::source(&err);
        while let Some(s) = source {
            texts.push(s.to_string());
            source = s.source();
        }
        assert_eq!(texts.len(), 4, "{texts:?}");
        let bytes = format!("{:?}", key.as_str().as_bytes());
        for text in &texts {
            assert!(!text.contains(key.as_str()), "{text}");
            assert!(!text.contains(&bytes[1..bytes.len() - 1]), "{text}");
        }
        assert!(texts[3].contains(&format!("x#{}_out_1", key.log_id())));
    }

    #[test]
    fn redacted_leaves_other_errors_alone() {
        let key = SessionKey::generate();
        assert!(matches!(
            Error::SessionDeleted.redacted(&key),
            Error::SessionDeleted
        ));
        let config = Error::config(format!("bad {}", key.as_str())).redacted(&key);
        assert!(!config.to_string().contains(key.as_str()));
    }
}
