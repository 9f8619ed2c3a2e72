//! # session-test-support
//!
//! What this repository's tests need beyond the conformance suite, and what an engine
//! published on its own would not: where the shared test servers are ([`services`]), the
//! rule that a missing server fails a test under `scripts/test` instead of skipping it
//! ([`services::required`]), and [`Outage`], a TCP proxy a test switches off and on to take
//! a server away from one engine without stopping it for the others.
//!
//! It is a crate of its own, not part of `session-conformance`, because `session-conformance`
//! is published and these are tied to this repository (`scripts/services`, its variables
//! and defaults, its CI rule). It is not merged into `django-interop` either: that crate
//! drives a real Django and nothing else, and the engine tests that need only a server URL
//! or an outage have no use for it. `capture_logs` stays in `session-conformance`, whose
//! codec cases check what is logged.

mod outage;

pub mod services;

pub use outage::Outage;
