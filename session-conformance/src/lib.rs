//! # session-conformance
//!
//! Prove your Django-style session engine: implement the six primitives of
//! [`session_core::SessionStore`], add this crate as a dev-dependency, and one macro call in
//! your crate's `tests/` expands to one test per case, so a failure names the case:
//!
//! ```
//! // tests/conformance.rs of your engine crate
//! use std::sync::Arc;
//!
//! use session_conformance::Env;
//! use session_core::SessionStore;
//! # mod my_engine {
//! #     pub struct MyStore;
//! #     impl MyStore {
//! #         pub async fn connect(
//! #             namespace: &str,
//! #             ctx: session_core::StoreContext,
//! #         ) -> session_core::Result<session_conformance::ReferenceStore> {
//! #             Ok(session_conformance::ReferenceStore::open(namespace, ctx))
//! #         }
//! #     }
//! # }
//!
//! session_conformance::suite!(my_store, [server, clock, clear_expired], |env: Env| async move {
//!     // Build your store over the data named by env.namespace() (a table, prefix or
//!     // directory unique to the case), with env.context() (settings, secret, mock clock).
//!     let store = my_engine::MyStore::connect(env.namespace(), env.context()).await?;
//!     Ok::<Arc<dyn SessionStore>, session_core::Error>(Arc::new(store))
//! });
//! # fn main() {}
//! ```
//!
//! `cargo test` then runs `my_store::exists_after_save`, `my_store::hostile_key_sql` and
//! every other case. [`ReferenceStore`] (`src/reference.rs`, about 100 lines) is a complete
//! in-memory engine passing all of them: the shape to copy.
//!
//! The constructor gets an [`Env`]: a [`StoreContext`](session_core::StoreContext) on a
//! mock clock, a namespace and a directory unique to the case. A case may call it more than
//! once with the same namespace (to read data back with other settings or secrets), so it
//! must give a store over the *same* data each time. An engine on a shared server registers
//! what removes the case's data with [`Env::on_cleanup`].
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
//! - `conflicts`: server-side stores that implement
//!   [`save_if_unchanged`](session_core::SessionStore::save_if_unchanged), for
//!   `SESSION_CONFLICTS=detect`: a save over a concurrent change is refused with
//!   `Error::Conflict`, successive saves of one request succeed, a deleted session is still
//!   `SessionDeleted`, 16 concurrent `Session::modify` loops lose no increment, and
//!   without the setting the last save wins as in Django;
//! - `clock`: stores whose `load` enforces expiry following the injected clock: the exact
//!   expiry boundary, integer and datetime expiry, expired keys never adopted;
//! - `clear_expired`: stores whose `clear_expired` removes expired sessions itself and
//!   counts them (not those whose backend expires entries natively);
//! - `client`: client-side stores (signed cookies): the key is the data;
//! - `inventory`: stores that list and count their sessions
//!   ([`SessionInventory`](session_core::SessionInventory)): every key in batches of any
//!   size, counts after creates and deletes;
//! - `inventory_clock`: stores whose count leaves out sessions expired on the injected
//!   clock (not those a cache server expires on its own clock);
//! - `users`: stores keeping a per-user index ([`UserIndex`](session_core::UserIndex)):
//!   `login`, listing a user's sessions, ending all or all but the current one.
//!
//! The cases port every applicable test of Django's `SessionTestsMixin` and
//! `SessionBaseTests` (the names say which) and add what Django never tests.
//! `tests/teeth.rs` shows that broken stores fail. [`cases()`] and [`run_cases`] run the suite
//! without the macro; [`capture_logs`] checks what an engine logs.

#![warn(missing_docs)]

mod env;
mod harness;
mod logs;
mod reference;

pub mod cases;

use std::future::Future;

use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use futures::future::BoxFuture;

pub use env::{Env, SECRET_KEY};
pub use harness::{Harness, MakeStore, make_store};
pub use logs::capture_logs;
pub use reference::ReferenceStore;

/// Expands to one `#[test]` per case of the common cases and of each listed group.
///
/// `suite!(name, [groups...], constructor)`: `name` becomes a module, the groups are any of
/// `server`, `logout_wins`, `conflicts`, `clock`, `clear_expired`, `client`, `inventory`,
/// `inventory_clock`, `users`, and the constructor is an async closure taking an [`Env`]
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
    /// `common`, `server`, `logout_wins`, `conflicts`, `clock`, `clear_expired`, `client`,
    /// `inventory`, `inventory_clock` or `users`.
    pub group: &'static str,
    /// Runs the case; panics on failure.
    pub run: fn(Harness) -> BoxFuture<'static, ()>,
}

const COMMON: &[Case] = __cases!(table common);
const SERVER: &[Case] = __cases!(table server);
const LOGOUT_WINS: &[Case] = __cases!(table logout_wins);
const CONFLICTS: &[Case] = __cases!(table conflicts);
const CLOCK: &[Case] = __cases!(table clock);
const CLEAR_EXPIRED: &[Case] = __cases!(table clear_expired);
const CLIENT: &[Case] = __cases!(table client);
const INVENTORY: &[Case] = __cases!(table inventory);
const INVENTORY_CLOCK: &[Case] = __cases!(table inventory_clock);
const USERS: &[Case] = __cases!(table users);

/// The common cases plus those of `groups`.
pub fn cases(groups: &[&str]) -> Vec<Case> {
    let mut all = COMMON.to_vec();
    for group in groups {
        all.extend_from_slice(match *group {
            "server" => SERVER,
            "logout_wins" => LOGOUT_WINS,
            "conflicts" => CONFLICTS,
            "clock" => CLOCK,
            "clear_expired" => CLEAR_EXPIRED,
            "client" => CLIENT,
            "inventory" => INVENTORY,
            "inventory_clock" => INVENTORY_CLOCK,
            "users" => USERS,
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    /// The name of every `pub async fn` in `text` taking just a `Harness`: the cases.
    fn cases_in(text: &str) -> Vec<String> {
        text.split("pub async fn ")
            .skip(1)
            .filter_map(|rest| {
                let (name, rest) = rest.split_once('(')?;
                let (params, _) = rest.split_once(')')?;
                let params: String = params.chars().filter(|c| !c.is_whitespace()).collect();
                let (_, ty) = params.trim_end_matches(',').split_once(':')?;
                (ty == "Harness").then(|| name.trim().to_owned())
            })
            .collect()
    }

    #[test]
    fn every_case_defined_in_src_cases_is_in_exactly_one_group() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cases");
        let mut defined = BTreeSet::new();
        for entry in std::fs::read_dir(&dir).expect("src/cases") {
            let path = entry.expect("an entry of src/cases").path();
            let text = std::fs::read_to_string(&path).expect("a case file");
            for name in cases_in(&text) {
                assert!(defined.insert(name.clone()), "{name} is defined twice");
            }
        }
        let listed: Vec<_> = super::cases(&[
            "server",
            "logout_wins",
            "conflicts",
            "clock",
            "clear_expired",
            "client",
            "inventory",
            "inventory_clock",
            "users",
        ])
        .iter()
        .map(|case| case.name.to_owned())
        .collect();
        let registered: BTreeSet<_> = listed.iter().cloned().collect();
        assert_eq!(registered.len(), listed.len(), "a case is listed twice");
        let unlisted: Vec<_> = defined.difference(&registered).collect();
        assert!(
            unlisted.is_empty(),
            "add these cases to a group in __cases! (src/cases/mod.rs): {unlisted:?}"
        );
        assert_eq!(registered, defined);
        assert!(defined.len() > 90, "the parser found only {defined:?}");
    }

    #[test]
    fn case_parser_takes_harness_functions_only() {
        let text = "pub async fn a(h: Harness) {}\npub async fn b(\n    h: Harness,\n) {}\n\
                    pub async fn helper(h: &Harness, v: Value) -> Key {}\nasync fn c(h: Harness) {}";
        assert_eq!(cases_in(text), ["a", "b"]);
    }
}
