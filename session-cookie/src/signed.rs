//! Django's `signed_cookies` salt: the cookie is `signing.dumps(data, salt=COOKIE_SALT,
//! compress=True)`, which is [`SessionCodec`](session_core::SessionCodec) with this salt.

/// The salt Django's `signed_cookies` backend signs the cookie with (not the stored-session
/// salt of the other engines).
pub const COOKIE_SALT: &str = "django.contrib.sessions.backends.signed_cookies";
