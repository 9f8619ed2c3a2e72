//! The scenario against the demo over the conformance reference store.

mod scenario;

use std::sync::Arc;

use conformance::{Env, ReferenceStore};
use session_core::{SessionManager, SessionStore, StoreContext};

fn reference_sessions(env: &Env) -> SessionManager {
    let store: Arc<dyn SessionStore> =
        Arc::new(ReferenceStore::open(env.namespace(), env.context()));
    SessionManager::new(store, StoreContext::new(env.settings().clone()))
}

#[tokio::test]
async fn demo_on_reference_store() {
    let sessions = reference_sessions(&Env::new("demo_reference"));
    scenario::run(sessions, scenario::Kind { server_side: true }).await;
}

#[tokio::test]
async fn demo_with_secure_browser_close_settings() {
    let env = Env::new("demo_reference_secure").with_settings(|s| {
        s.cookie_secure = true;
        s.expire_at_browser_close = true;
    });
    scenario::run(
        reference_sessions(&env),
        scenario::Kind { server_side: true },
    )
    .await;
}
