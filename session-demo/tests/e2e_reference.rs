//! The scenario against the demo over the conformance reference store.

mod scenario;

use session_conformance::{Env, ReferenceStore};
use session_core::SessionManager;

fn reference_sessions(env: &Env) -> SessionManager {
    SessionManager::build(env.context(), |ctx| {
        Ok(ReferenceStore::open(env.namespace(), ctx))
    })
    .unwrap()
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
