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

/// Signed cookies keep no server state to compare with: `SESSION_CONFLICTS=detect` is
/// refused when the sessions are set up, not discovered at the first save.
#[test]
fn conflict_detection_is_refused_at_start() {
    let mut settings = session_core::SessionSettings::new("secret").unwrap();
    settings.conflicts = session_core::Conflicts::Detect;
    let built = session_core::SessionManager::build(settings, CookieStore::new);
    match built {
        Err(session_core::Error::Configuration(message)) => {
            assert!(message.contains("SESSION_CONFLICTS"), "{message}");
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }
}
