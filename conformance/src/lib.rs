//! # conformance
//!
//! The behavioural suite every session engine passes, ours or yours. One macro call in an
//! engine's `tests/` expands to one test per case, so a failure names the case:
//!
//! ```
//! // tests/conformance.rs of an engine crate
//! use std::sync::Arc;
//! use session_core::SessionStore;
//!
//! conformance::suite!(my_store, [server, clock, clear_expired], |env: conformance::Env| async move {
//!     // Your engine here; build it over the data named by `env.namespace()`.
//!     let store = conformance::ReferenceStore::open(env.namespace(), env.context());
//!     Ok::<Arc<dyn SessionStore>, session_core::Error>(Arc::new(store))
//! });
//! # fn main() {}
//! ```
//!
//! The constructor gets an [`Env`]: a [`StoreContext`](session_core::StoreContext) on a
//! mock clock, a namespace and a directory unique to the case. A case may call it more than
//! once with the same namespace (to read data back with other settings or secrets), so it
//! must give a store over the *same* data each time.
//!
//! Groups, chosen by what the engine is:
//! - the common cases always run: Django's whole `request.session` API and flags, keys,
//!   expiry arithmetic, the signed encoding, secret rotation, unicode and nested values;
//! - `server`: server-side stores: `exists`, `delete`, atomic `create` under forced key
//!   collisions, "logout wins" (save after a concurrent delete fails with
//!   `Error::SessionDeleted`), hostile keys, a 64 KiB value, 1,000 concurrent creates,
//!   racing save and delete without errors;
//! - `logout_wins`: server-side stores whose `save` is an atomic update-if-present, so that
//!   saves racing deletes never bring a deleted session back (a check followed by a write
//!   does not qualify);
//! - `clock`: stores whose `load` enforces expiry following the injected clock: the exact
//!   expiry boundary, integer and datetime expiry, expired keys never adopted;
//! - `clear_expired`: stores whose `clear_expired` removes expired sessions itself and
//!   counts them (not those whose backend expires entries natively);
//! - `client`: client-side stores (signed cookies): the key is the data.
//!
//! The cases port every applicable test of Django's `SessionTestsMixin` and
//! `SessionBaseTests` (the names say which) and add what Django never tests.
//! [`ReferenceStore`] passes all of them; `tests/teeth.rs` shows that broken stores fail.

mod env;
mod harness;
mod logs;
mod outage;
mod reference;

pub mod cases;
pub mod services;

use std::future::Future;

use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use futures::future::BoxFuture;

pub use env::{Env, SECRET_KEY};
pub use harness::{Harness, MakeStore, make_store};
pub use logs::capture_logs;
pub use outage::Outage;
pub use reference::ReferenceStore;

/// Expands to one `#[test]` per case of the common cases and of each listed group.
///
/// `suite!(name, [groups...], constructor)`: `name` becomes a module, the groups are any of
/// `server`, `logout_wins`, `clock`, `clear_expired`, `client`, and the constructor is an async closure taking an [`Env`]
/// and returning `Result<Arc<dyn SessionStore>, impl Display>`.
#[macro_export]
macro_rules! suite {
    ($name:ident, [$($group:ident),* $(,)?], $make:expr $(,)?) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn __make() -> $crate::MakeStore {
                $crate::make_store($make)
            }

            $crate::__cases!(tests common);
            $($crate::__cases!(tests $group);)*
        }
    };
}

/// One case, for running the suite programmatically (see [`run_cases`]).
#[derive(Clone, Copy)]
pub struct Case {
    /// The case's name (also its test's name).
    pub name: &'static str,
    /// `common`, `server`, `logout_wins`, `clock`, `clear_expired` or `client`.
    pub group: &'static str,
    /// Runs the case; panics on failure.
    pub run: fn(Harness) -> BoxFuture<'static, ()>,
}

const COMMON: &[Case] = __cases!(table common);
const SERVER: &[Case] = __cases!(table server);
const LOGOUT_WINS: &[Case] = __cases!(table logout_wins);
const CLOCK: &[Case] = __cases!(table clock);
const CLEAR_EXPIRED: &[Case] = __cases!(table clear_expired);
const CLIENT: &[Case] = __cases!(table client);

/// The common cases plus those of `groups`.
pub fn cases(groups: &[&str]) -> Vec<Case> {
    let mut all = COMMON.to_vec();
    for group in groups {
        all.extend_from_slice(match *group {
            "server" => SERVER,
            "logout_wins" => LOGOUT_WINS,
            "clock" => CLOCK,
            "clear_expired" => CLEAR_EXPIRED,
            "client" => CLIENT,
            other => panic!("unknown conformance group {other:?}"),
        });
    }
    all
}

/// Runs one case on a fresh multi-threaded runtime; what each generated test calls.
pub fn run_case<F, Fut>(name: &str, make: MakeStore, case: F)
where
    F: FnOnce(Harness) -> Fut,
    Fut: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let harness = Harness::start(name, make).await;
        let env = harness.env().clone();
        let outcome = AssertUnwindSafe(case(harness)).catch_unwind().await;
        env.clean_up().await;
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    });
}

/// Runs `cases` one after another and reports each one's outcome (the panic message for a
/// failure). Used to prove the suite catches broken stores.
pub async fn run_cases(make: MakeStore, cases: &[Case]) -> Vec<(&'static str, Result<(), String>)> {
    let mut outcomes = Vec::with_capacity(cases.len());
    for case in cases {
        let make = make.clone();
        let run = case.run;
        let name = case.name;
        let outcome = tokio::spawn(async move {
            let harness = Harness::start(name, make).await;
            let env = harness.env().clone();
            let outcome = AssertUnwindSafe(run(harness)).catch_unwind().await;
            env.clean_up().await;
            if let Err(panic) = outcome {
                std::panic::resume_unwind(panic);
            }
        })
        .await
        .map_err(|e| match e.try_into_panic() {
            Ok(panic) => panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "panicked".to_owned()),
            Err(e) => e.to_string(),
        });
        outcomes.push((case.name, outcome));
    }
    outcomes
}
