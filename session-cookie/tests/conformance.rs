//! The conformance suite (common cases and the `client` group) on both cookie modes.
//!
//! Encrypted mode passes every case, one `#[test]` each. Signed mode passes every case but
//! the two that expect `cycle_key` to change the key while the data and the second stay
//! the same: Django's signed value is a pure function of (data, second, secret), so it
//! cannot, and Django's own suite skips its `test_cycle` for this backend. The signed run
//! goes through `conformance::run_cases` and asserts exactly that outcome, so any other
//! failure, or a change in those two, fails the test.

use std::sync::Arc;

use conformance::Env;
use session_cookie::{CookieMode, CookieStore};
use session_core::SessionStore;

conformance::suite!(encrypted, [client], |env: Env| async move {
    let store = CookieStore::builder(env.context())
        .mode(CookieMode::Encrypted)
        .build()?;
    Ok::<Arc<dyn SessionStore>, session_core::Error>(Arc::new(store))
});

/// The cases that need a new value for unchanged data within one second.
const SAME_SECOND_CYCLE: [&str; 2] = ["cycle_key_keeps_data", "cycle_key_loads_first"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_mode_passes_every_case_it_can() {
    let make = conformance::make_store(|env: Env| async move {
        let store = CookieStore::new(env.context())?;
        Ok::<Arc<dyn SessionStore>, session_core::Error>(Arc::new(store))
    });
    let cases = conformance::cases(&["client"]);
    assert!(cases.len() > 60, "only {} cases", cases.len());
    let outcomes = conformance::run_cases(make, &cases).await;
    let mut unexpected = Vec::new();
    for (name, outcome) in &outcomes {
        match (SAME_SECOND_CYCLE.contains(name), outcome) {
            (false, Ok(())) => {}
            (false, Err(message)) => unexpected.push(format!("{name} failed: {message}")),
            // The only acceptable failure: the key did not change (`assert_ne!` on keys).
            (true, Err(message)) if message.contains("left != right") => {}
            (true, Err(message)) => unexpected.push(format!("{name} failed otherwise: {message}")),
            (true, Ok(())) => unexpected.push(format!(
                "{name} passed: signed values changed for the same data in the same second"
            )),
        }
    }
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
}
