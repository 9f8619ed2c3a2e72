//! # session-cookie
//!
//! Django's `signed_cookies` session engine: no server state, the session key *is* the
//! cookie value, `signing.dumps(data, salt="django.contrib.sessions.backends.signed_cookies",
//! compress=True)`. A Django app with the same `SECRET_KEY` reads the cookies this engine
//! writes, and the reverse. An opt-in encrypted mode hides the data from the client.
//!
//! ```
//! use session_core::{SessionManager, SessionSettings};
//! use session_cookie::CookieStore;
//!
//! # async fn demo() -> session_core::Result<()> {
//! // or CookieStore::builder(ctx).encrypted().build() for the encrypted mode
//! let sessions = SessionManager::build(SessionSettings::new("secret")?, CookieStore::new)?;
//! let session = sessions.session(None);
//! session.insert("cart", vec![1, 2]).await?;
//! session.save().await?;
//! let cookie = session.session_key().unwrap(); // the signed data: send it as the cookie
//! # Ok(()) }
//! ```
//!
//! Design decisions:
//! - **The key is the data.** `create` and `save` return the new cookie value (the
//!   candidate key `create` is given is not used), `exists` is always false, `delete` does
//!   nothing (an issued cookie cannot be revoked; it stays valid until it is too old), and
//!   `clear_expired` returns 0. A save never fails with "deleted meanwhile".
//! - **Keys from the client** are accepted when they are 8 to 8192 characters of the
//!   signed-value alphabet (`[A-Za-z0-9_.:-]`), then verified on load.
//! - **Age is Django's**: a cookie signed more than `cookie_age` seconds ago is no session
//!   (the signing time is in the value, so the age holds even if the browser keeps the
//!   cookie longer). One instant stricter than Django: a value exactly `cookie_age` old is
//!   gone here, as every engine treats `expires_at <= now`.
//! - **Departure from Django: a custom `_session_expiry` is enforced** on load
//!   (`set_expiry(300)` means five minutes after the last save, an ISO date means that
//!   date), capped by the cookie age. Django ignores it for cookies (tickets #19201 /
//!   #27775), so a Django app sharing the cookie still accepts it until the cookie age.
//! - **Size is checked at save**: a `name=value` over [`MAX_COOKIE_SIZE`] (4093 bytes,
//!   what every browser keeps) is [`Error::TooLarge`](session_core::Error::TooLarge) and
//!   the session keeps its previous cookie; Django lets the browser drop it silently.
//! - **Compression** is session-core's fast default
//!   ([`Compression::Fast`](session_core::signing::Compression::Fast): nothing under 128
//!   bytes of JSON, zlib-rs level 1 above), which Django reads but does not write. A value
//!   that does not fit is encoded again with Django's own compression (level 6, smaller)
//!   before it is refused, so every session Django can keep in a cookie fits here too.
//!   [`CookieStoreBuilder::compression`] chooses Django's exact bytes or none.
//! - **Rotation**: values are signed (or encrypted) with the current secret and accepted
//!   under any of `SECRET_KEY_FALLBACKS`; the next save re-seals with the current one.
//! - **Tampered or foreign values** are "no session", logged on the
//!   `session_core::security` target; an expired one is logged at debug level only.
//! - **Encrypted mode** ([`CookieMode::Encrypted`], beyond Django): XChaCha20-Poly1305 with
//!   a random 192-bit nonce from the OS CSPRNG per save, under a key derived from each
//!   secret by HKDF-SHA256 with our own salt ([`ENCRYPTION_SALT`]). The value is
//!   [`ENCRYPTED_PREFIX`] + URL-safe base64; the sealing time is inside the authenticated
//!   plaintext, so the age limit holds. It is never compressed: compressing attacker-
//!   influenced data before encryption leaks it through the length. Signed values are
//!   refused by an encrypted store and the reverse. Django cannot read these cookies.
//! - **`cycle_key` in signed mode** gives the same value when the data and the second are
//!   the same, as in Django: a cookie cannot be invalidated, so a new value would protect
//!   nothing. Encrypted values differ every time.
#![warn(missing_docs)]

mod config;
mod encrypted;
mod signed;
mod store;

pub use config::{CookieMode, CookieStoreBuilder, MAX_COOKIE_SIZE};
pub use encrypted::{ENCRYPTED_PREFIX, ENCRYPTION_SALT};
pub use signed::COOKIE_SALT;
pub use store::CookieStore;
