//! [`CookieMode`] and [`CookieStoreBuilder`]: how the cookie value is protected.
//! (`CookieStoreBuilder::build` lives with the store it builds.)

use session_core::StoreContext;
use session_core::signing::Compression;

/// The most a browser keeps of one cookie's `name=value`: 4093 bytes (the smallest limit
/// among current browsers, RFC 6265's 4096 minus room for the attributes' separators).
pub const MAX_COOKIE_SIZE: usize = 4093;

/// How the session data in the cookie is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum CookieMode {
    /// Django's `signed_cookies`: signed, readable by the client, shared with Django. The
    /// default.
    #[default]
    Signed,
    /// XChaCha20-Poly1305 under a key derived from the secret: the client can neither read
    /// nor change the data. Django cannot read these cookies.
    Encrypted,
}

/// Configures a [`CookieStore`](crate::CookieStore).
///
/// ```
/// use session_core::{SessionSettings, StoreContext};
/// use session_cookie::{CookieMode, CookieStore};
///
/// let ctx = StoreContext::new(SessionSettings::new("secret")?);
/// let store = CookieStore::builder(ctx).mode(CookieMode::Encrypted).build()?;
/// assert_eq!(store.mode(), CookieMode::Encrypted);
/// # Ok::<(), session_core::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct CookieStoreBuilder {
    pub(crate) ctx: StoreContext,
    pub(crate) mode: CookieMode,
    pub(crate) max_size: usize,
    pub(crate) compression: Compression,
}

impl CookieStoreBuilder {
    pub(crate) fn new(ctx: StoreContext) -> Self {
        CookieStoreBuilder {
            ctx,
            mode: CookieMode::Signed,
            max_size: MAX_COOKIE_SIZE,
            compression: Compression::Fast,
        }
    }

    /// Signed (Django's format, the default) or encrypted.
    pub fn mode(mut self, mode: CookieMode) -> Self {
        self.mode = mode;
        self
    }

    /// Shorthand for `mode(CookieMode::Encrypted)`.
    pub fn encrypted(self) -> Self {
        self.mode(CookieMode::Encrypted)
    }

    /// How signed cookies are compressed: [`Compression::Fast`] by default (and then, when
    /// the fast value does not fit, Django's tighter [`Compression::DjangoExact`] before
    /// giving up), or exactly as Django does, or not at all. Django reads all three.
    /// Encrypted cookies are never compressed.
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// The largest `name=value` a save may produce, in bytes ([`MAX_COOKIE_SIZE`] by
    /// default); larger data is [`Error::TooLarge`](session_core::Error::TooLarge).
    pub fn max_size(mut self, bytes: usize) -> Self {
        self.max_size = bytes;
        self
    }
}
