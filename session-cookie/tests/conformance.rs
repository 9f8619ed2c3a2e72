//! The conformance suite (common cases and the `client` group) on both cookie modes.

use std::sync::Arc;

use session_conformance::Env;
use session_cookie::{CookieMode, CookieStore};
use session_core::SessionStore;

session_conformance::suite!(signed, [client], |env: Env| async move {
    let store = CookieStore::new(env.context())?;
    Ok::<Arc<dyn SessionStore>, session_core::Error>(Arc::new(store))
});

session_conformance::suite!(encrypted, [client], |env: Env| async move {
    let store = CookieStore::builder(env.context())
        .mode(CookieMode::Encrypted)
        .build()?;
    Ok::<Arc<dyn SessionStore>, session_core::Error>(Arc::new(store))
});
