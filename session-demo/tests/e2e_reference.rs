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

#[tokio::test]
async fn expiry_past_year_9999_is_a_client_error_and_the_server_keeps_serving() {
    let addr = scenario::serve(reference_sessions(&Env::new("demo_bad_expiry"))).await;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let page = scenario::get(&browser, addr, "/expiry?seconds=9000000000000").await;
    assert_eq!(
        page.status,
        reqwest::StatusCode::BAD_REQUEST,
        "{}",
        page.body
    );
    assert!(page.body.contains("9999"), "{}", page.body);

    let page = scenario::get(&browser, addr, "/visit").await;
    assert!(page.body.contains("Visit count:1"), "{}", page.body);
    let page = scenario::get(&browser, addr, "/expiry?seconds=300").await;
    assert_eq!(page.status, reqwest::StatusCode::OK);
    assert!(page.body.contains("Expiry age:300"), "{}", page.body);
}
